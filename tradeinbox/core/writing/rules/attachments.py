"""Attachment rules: a promised attachment that is missing, archives, and size.

* ``attachment.missing`` (error): the author's own text says something is attached
  ("please find attached", "adjunto le envío", "附件是 ...") and nothing is. Mentions in the
  quoted history or a forwarded message do not count: they refer to an earlier mail. Nor
  do mentions inside a pasted header block ("From: ... Subject: ... Attached file: x"), nor
  "the attached e-mail below" / "as per attached below" when a forwarded or quoted mail
  does follow: in that usage "attached" means the mail pasted underneath.
* ``attachment.archive`` (warning): .zip/.rar/.7z are blocked by many corporate gateways and
  cannot be previewed on a phone; a PDF can.
* ``attachment.size`` (warning over 10 MB, error over 18 MB in total): base64 (RFC 2045
  section 6.8) adds a third, so 18 MB of files is a 25 MB message, the common hard limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tradeinbox.core.i18n import tr
from tradeinbox.core.writing.lint import Draft, DraftText, Finding, LintContext

MB = 1024 * 1024
WARN_TOTAL = 10 * MB
ERROR_TOTAL = 18 * MB

# Phrases that promise an attachment. "attached to" (a label attached to the carton) and
# similar physical senses are excluded by requiring the e-mail constructions.
_MENTION = re.compile(
    r"""
    \b(?:please\s+)?find\s+(?:the\s+)?(?:attached|enclosed|herewith|in\s+attachment)
  | \battached\s+(?:please\s+find|pls\s+find|is|are|herewith|you\s+will\s+find|you'll\s+find|for\s+your)\b
  | \b(?:i|we)(?:'ve|\s+have)\s+(?:also\s+)?(?:attached|enclosed)\b
  | \b(?:i|we)(?:\s+am|\s+are|'m|'re)\s+(?:also\s+)?(?:attaching|enclosing)\b
  | \b(?:i|we)\s+(?:also\s+)?(?:attach|enclose|attached|enclosed)\b(?!\s+(?:to|great|much)\b)
  | \b(?:see|the|our|my|your\s+review\s+the)\s+(?:attached|enclosed)\b
  | \b(?:as\s+)?per\s+(?:the\s+)?(?:attached|enclosed|attachment)\b
  | \battached\s+(?:file|files|document|documents|doc|spreadsheet|pdf|quotation|quote|price\s*list|catalog(?:ue)?|invoice|pi|drawing|photos?|pictures?|presentation|brochure|copy|contract|agreement|form|list|report|memo|letter|schedule|draft|version|sheet|proposal|summary|spec(?:ification)?s?)\b
  | \b(?:in|as|see)\s+(?:the\s+)?(?:attachment|attachments|enclosure)\b(?!\s+(?:of|to)\b)
  | \b(?:the|this|my|our)\s+attachments?\s+(?!of\b|to\b|type)(?:is|are|contains?|has|shows?|includes?|below|above|lists?|for\s+(?:your|the))\b
  | \b(?:open|check|review|see|find|download|print|read)\s+(?:the|this|my|our)\s+attachments?\b
  | \b(?:include|included|including)\s+(?:the|an?|my|our)\s+attachments?\b
  | \benclosed\s+(?:is|are|please|you)\b
  | \b(?:adjunto|adjunta|adjuntamos|adjuntos|adjuntas|le\s+anexo|le\s+anexamos|en\s+anexo|em\s+anexo|segue\s+anexo|segue\s+em\s+anexo)\b
  | \bpi[eè]ces?\s+jointes?\b | \bci-joint(?:e|es|s)?\b
  | \b(?:im\s+anhang|anbei|angehängt|beigefügt)\b
  | \b(?:in\s+allegato|allegat[oaie])\b
  | \b(?:in\s+de\s+bijlage|bijgevoegd)\b
  | во\s+вложении | вложени[еия] | прикреп(?:ил|лен|ляю)\w*
  | 附件 | (?:我们?|现|特|随信|已|兹)附上 | 随附 | 附寄 | 见附 | 請見附件 | 附檔
    """,
    re.IGNORECASE | re.VERBOSE,
)
# The mention is negated or refers to a link ("attached link"), or says nothing is attached.
_NEGATED = re.compile(
    r"(?:\bno|\bnot|\bwithout|\bsin|\bohne|\bsans|没有|无)\s+(?:\w+\s+){0,2}$", re.IGNORECASE
)
_SHARE_LINK = re.compile(
    r"https?://\S*(?:dropbox|wetransfer|drive\.google|docs\.google|onedrive|sharepoint|box\.com"
    r"|1drv|icloud|pan\.baidu|weiyun|mega\.nz)\S*",
    re.IGNORECASE,
)
# "attached" pointing at a mail pasted below rather than at a file: "see the attached e-mail",
# "as per attached below", "the letter attached below".
_POINTS_BELOW = re.compile(
    r"\A\s*(?:(?:[\w'-]+\s+){0,2}?(?:below|underneath|beneath)\b"
    r"|(?:[\w'-]+\s+)?(?:e-?mails?|messages?|mails?|threads?|correspondence)\b)",
    re.IGNORECASE,
)
_HEADER_LABEL = re.compile(
    r"^[ \t>]*(?P<label>from|to|cc|sent|date|subject)[ \t]*:", re.IGNORECASE | re.MULTILINE
)
_ARCHIVES = (".zip", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".arj", ".cab")


def _real_attachments(draft: Draft):
    # Inline images are usually logos or signature pictures, not the promised document.
    return [
        a
        for a in draft.attachments
        if not (a.inline and (a.content_type or "").startswith("image/"))
    ]


def _in_pasted_header(text: DraftText, position: int) -> bool:
    """Whether ``position`` is in, or just under, a pasted header block (From/To + Subject).

    A virus warning or a hand-forwarded mail carries the old headers along with the body
    text; an "Attached file:" line there describes that mail, not this one.
    """
    end = text.body.find("\n", position, text.own[1])
    above = text.body[text.own[0] : end if end >= 0 else text.own[1]].split("\n")
    block = "\n".join(above[-9:])  # the mention's line and up to eight above, blank ones too
    labels = {m.group("label").lower() for m in _HEADER_LABEL.finditer(block)}
    return "subject" in labels and bool(labels & {"from", "to", "sent", "date"})


def _history_below(draft: Draft, text: DraftText) -> bool:
    if draft.quoted_text:
        return True
    return bool(text.body[text.own[1] :].strip())


def check(draft: Draft, text: DraftText, ctx: LintContext) -> Iterator[Finding]:
    attachments = _real_attachments(draft)
    if not attachments and not _SHARE_LINK.search(text.own_text):
        for match in text.iter_matches(_MENTION):
            before = text.body[max(text.own[0], match.start() - 30) : match.start()]
            if _NEGATED.search(before):
                continue
            if _in_pasted_header(text, match.start()):
                continue
            after = text.body[match.end() : min(text.own[1], match.end() + 60)]
            if _POINTS_BELOW.match(after) and _history_below(draft, text):
                continue
            yield Finding(
                "attachment.missing",
                "error",
                match.start(),
                match.end(),
                tr(
                    "The text says %(phrase)r but nothing is attached.",
                    phrase=match.group(0).strip(),
                ),
                tr("Attach the file, or reword the sentence if you meant a link."),
            )
            break  # one finding is enough to stop the send

    for attachment in draft.attachments:
        name = attachment.filename.lower()
        if name.endswith(_ARCHIVES) or name.endswith(".tar.gz"):
            yield Finding(
                "attachment.archive",
                "warning",
                None,
                None,
                tr(
                    "%(file)s is an archive: many company mail gateways block archives"
                    " and buyers cannot open them on a phone.",
                    file=attachment.filename,
                ),
                tr("Send the documents as PDF (or a share link for large sets)."),
                where="attachments",
            )
    total = sum(max(0, a.size) for a in draft.attachments)
    if total > WARN_TOTAL:
        severity = "error" if total > ERROR_TOTAL else "warning"
        yield Finding(
            "attachment.size",
            severity,
            None,
            None,
            tr(
                "Attachments total %(total).1f MB; encoded for mail that is about"
                " %(encoded).0f MB, more than many servers accept.",
                total=total / MB,
                encoded=total * 4 / 3 / MB,
            ),
            tr("Compress the PDFs or send a download link instead."),
            where="attachments",
        )
