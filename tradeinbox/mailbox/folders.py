"""Which folder is which: Inbox, Sent, Junk, Archive, Drafts, Trash.

RFC 6154 SPECIAL-USE flags when the server lists them; otherwise the names the big
providers use (English, Chinese, Spanish), compared in lower case on the last part of
the folder's path.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from tradeinbox.mailbox.models import Account, Folder

_SPECIAL_FLAGS = {
    b"\\sent": Folder.SpecialUse.SENT,
    b"\\junk": Folder.SpecialUse.JUNK,
    b"\\archive": Folder.SpecialUse.ARCHIVE,
    b"\\drafts": Folder.SpecialUse.DRAFTS,
    b"\\trash": Folder.SpecialUse.TRASH,
    b"\\all": Folder.SpecialUse.ALL,
    b"\\flagged": Folder.SpecialUse.FLAGGED,
}
# Servers without SPECIAL-USE (RFC 6154): the names the big providers use, lower case.
_SPECIAL_NAMES = {
    Folder.SpecialUse.SENT: {
        "sent",
        "sent items",
        "sent messages",
        "sent mail",
        "已发送",
        "已发送邮件",
        "寄件备份",
        "enviados",
        "elementos enviados",
    },
    Folder.SpecialUse.JUNK: {
        "junk",
        "spam",
        "junk e-mail",
        "junk email",
        "bulk mail",
        "垃圾邮件",
        "垃圾箱",
        "correo no deseado",
    },
    Folder.SpecialUse.TRASH: {
        "trash",
        "deleted items",
        "deleted messages",
        "bin",
        "已删除",
        "已删除邮件",
        "papelera",
    },
    Folder.SpecialUse.DRAFTS: {"drafts", "draft", "草稿箱", "草稿", "borradores"},
    Folder.SpecialUse.ARCHIVE: {"archive", "archives", "归档", "archivo"},
}


def special_use_of(name: str, flags: Iterable[bytes]) -> str:
    if name.upper() == "INBOX":
        return Folder.SpecialUse.INBOX
    lowered = {f.lower() for f in flags}
    for flag, use in _SPECIAL_FLAGS.items():
        if flag in lowered:
            return use
    leaf = name.rsplit("/", 1)[-1].rsplit(".", 1)[-1].strip().lower()
    for use, names in _SPECIAL_NAMES.items():
        if leaf in names or name.strip().lower() in names:
            return use
    return Folder.SpecialUse.NONE


def imap_url_prefix(account: Account, folder: Folder) -> str:
    """The RFC 5092 IMAP URL of a folder's messages, up to their UID (append it).

    Kept as each stored message's source: ``imap://user@host/INBOX;UIDVALIDITY=7/;UID=42``.
    """
    user = quote(account.username, safe="")
    name = quote(folder.name, safe="/")
    return f"imap://{user}@{account.imap_host}/{name};UIDVALIDITY={folder.uidvalidity}/;UID="
