"""When are two copies the same message?

The same mail reaches a mailbox more than once: in INBOX and Archive, in an mbox
export and again over IMAP, each copy with different trace headers (Received,
Delivered-To, X-*). Two copies are one message when they carry the same
Message-ID *and* the same body; the body check keeps spam that reuses a
Message-ID, or a client that reuses one for a different mail, from hiding a
message. Without a Message-ID the whole normalised message is the identity.
"""

from __future__ import annotations

import hashlib

from tradeinbox.core.parse import strip_mbox_from_line


def _split_body(raw: bytes) -> bytes:
    for separator in (b"\r\n\r\n", b"\n\n"):
        position = raw.find(separator)
        if position >= 0:
            return raw[position + len(separator) :]
    return b""


def _normalise(data: bytes) -> bytes:
    # Line endings and trailing blank lines differ between mbox, Maildir and IMAP copies.
    return data.replace(b"\r\n", b"\n").rstrip(b"\n \t")


def dedupe_key(raw: bytes, message_id: str | None) -> str:
    """A hex SHA-256 identifying the message across copies (see module docstring)."""
    message = strip_mbox_from_line(raw)
    if message_id:
        body = _normalise(_split_body(message))
        material = b"mid\0" + message_id.encode("utf-8", "surrogatepass") + b"\0" + body
    else:
        material = b"raw\0" + _normalise(message)
    return hashlib.sha256(material).hexdigest()
