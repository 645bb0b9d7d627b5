"""Raw RFC 5322 bytes -> :class:`~tradeinbox.core.message.ParsedMessage`.

Built on the stdlib parser with the ``compat32`` policy: ``policy.default`` builds
rich header objects for every header and costs roughly ten times more, while we
only need a handful of headers decoded, which :mod:`tradeinbox.core.headers`
does defensively. Parsing never raises for malformed input: problems are listed
in ``ParsedMessage.defects``. Only :class:`NotAnEmail` is raised, for input that
has no header block at all.
"""

from __future__ import annotations

import hashlib
import re
from email.message import Message
from email.parser import BytesParser
from email.policy import compat32

import filetype

from tradeinbox.core.charsets import decode_bytes
from tradeinbox.core.headers import (
    decode_header_text,
    parse_addresses,
    parse_date,
    parse_message_ids,
    unfold,
)
from tradeinbox.core.htmltext import html_to_text
from tradeinbox.core.message import Address, Attachment, ParsedMessage

_PARSER = BytesParser(policy=compat32)
_HEADER_LINE = re.compile(rb"^[\x21-\x39\x3b-\x7e]{1,200}:")
_LIST_HEADERS = (
    "list-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "list-post",
    "list-help",
    "list-subscribe",
    "list-owner",
    "list-archive",
)
_SAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


class NotAnEmail(ValueError):
    """The input has no RFC 5322 header block (an empty file, a PDF, a CSV ...)."""


def strip_mbox_from_line(raw: bytes) -> bytes:
    """Drop an mbox ``From `` envelope line, as found atop single-message files."""
    if raw.startswith(b"From "):
        newline = raw.find(b"\n")
        return raw[newline + 1 :] if newline >= 0 else b""
    return raw


def looks_like_email(raw: bytes) -> bool:
    """Whether the first non-blank line is a header field (RFC 5322 section 2.2)."""
    head = strip_mbox_from_line(raw).lstrip(b"\r\n")[:1024]
    return bool(_HEADER_LINE.match(head))


_HEADER_NAME = re.compile(r"[\x21-\x39\x3b-\x7e]+\Z")
_BOUNDARY_PARAM = re.compile(rb"boundary\s*=", re.IGNORECASE)
MAX_BOUNDARIES = 100
FAST_NESTING = 8  # deeper multipart goes to the stdlib parser (and its guards)


def _too_many_boundaries(data: bytes) -> bool:
    count = 0
    for _ in _BOUNDARY_PARAM.finditer(data):
        count += 1
        if count > MAX_BOUNDARIES:
            return True
    return False


def _simple_headers(text: str) -> list[tuple[str, str]] | None:
    """A header block split as compat32 does, or None for anything unusual."""
    headers: list[tuple[str, str]] = []
    if not text:
        return headers
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if line[:1] in (" ", "\t"):
            if not headers:
                return None
            name, value = headers[-1]
            headers[-1] = (name, f"{value}\r\n{line}")
            continue
        name, colon, value = line.partition(":")
        if not colon or not _HEADER_NAME.match(name):
            return None
        headers.append((name, value.lstrip(" \t")))
    return headers


def _head_and_body(text: str, start: int, end: int) -> tuple[str, int] | None:
    """The header block of ``text[start:end]`` and where its body starts (None: no blank line)."""
    if text.startswith("\n", start):
        return "", start + 1
    if text.startswith("\r\n", start):
        return "", start + 2
    # Whichever blank line comes first; a CRLF message has no "\n\n", so that search
    # stops where the CRLF one was found instead of running to the end of the part.
    crlf = text.find("\r\n\r\n", start, end)
    lf = text.find("\n\n", start, crlf + 1 if crlf >= 0 else end)
    if lf >= 0:
        return text[start:lf], lf + 2
    if crlf >= 0:
        return text[start:crlf], crlf + 4
    return None


def _split_single_part(data: bytes) -> Message | None:
    """A compat32 ``Message`` built without the feedparser, or None to use it.

    The feedparser splits every line of the input, runs a regular expression on
    each and compiles one per boundary: most of the stdlib parser's cost. Plain
    mail needs nothing but its header block split off, and well-formed multipart
    mail only its boundary lines found (``str.find``). Anything unusual (bare CR
    line ends, header lines it would flag, a missing or doubled boundary, attached
    messages, digests, more than ``FAST_NESTING`` levels) returns None, so the
    result is always what the stdlib parser would have produced (checked on every
    message of the shared corpora, see ``tests/test_parse.py``).
    """
    text = data.decode("ascii", "surrogateescape")
    return _fast_part(text, 0, len(text), (), top=True)


def _fast_part(
    text: str, start: int, end: int, enclosing: tuple[str, ...], *, top: bool = False
) -> Message | None:
    split = _head_and_body(text, start, end)
    if split is None:
        return None
    head, body_start = split
    if top and not head:
        return None
    headers = _simple_headers(head)
    if headers is None:
        return None
    message = Message(policy=compat32)
    message._headers = headers  # the representation the stdlib parser fills in
    maintype = message.get_content_maintype()
    if maintype == "message":
        return None
    if maintype != "multipart":
        body = text[body_start:end]
        if top:
            message.set_payload(body)
        else:
            # RFC 2046: the line end before a boundary belongs to the boundary.
            message._payload = body[:-2] if body.endswith("\r\n") else body[:-1]
        return message
    if top and text.count("\r") != text.count("\r\n"):
        return None  # a bare CR ends a line for the stdlib parser
    boundary = message.get_boundary()
    if (
        not boundary
        or len(enclosing) >= FAST_NESTING
        or message.get_content_subtype() == "digest"
        or str(message.get("content-transfer-encoding", "8bit")).lower()
        not in ("7bit", "8bit", "binary")
    ):
        return None
    parts = _boundary_lines(text, body_start, end, "--" + boundary, enclosing)
    if parts is None:
        return None
    separators = (*enclosing, "--" + boundary)
    for part_start, part_end in parts:
        part = _fast_part(text, part_start, part_end, separators)
        if part is None:
            return None
        message.attach(part)
    return message


def _boundary_lines(
    text: str, start: int, end: int, separator: str, enclosing: tuple[str, ...]
) -> list[tuple[int, int]] | None:
    """The (start, end) of each body part between ``separator`` lines, or None if unusual.

    A part ends where the next boundary line starts; the line end before it is cut
    off by the caller. Requires a start and a close boundary, no empty part, and no
    line of an enclosing multipart's boundary inside (the stdlib parser would end
    the part there).
    """
    for outer in enclosing:
        at = text.find(outer, start, end)
        while at >= 0:
            if at == start or text[at - 1] == "\n":
                return None
            at = text.find(outer, at + 1, end)
    lines: list[tuple[int, int, bool]] = []  # boundary line start, its end, is close
    at = text.find(separator, start, end)
    while at >= 0:
        if at == start or text[at - 1] == "\n":
            line_end = text.find("\n", at, end)
            line_end = end if line_end < 0 else line_end + 1
            rest = text[at + len(separator) : line_end].rstrip("\r\n")
            close = rest.startswith("--")
            if (rest[2:] if close else rest).strip(" \t") == "":
                lines.append((at, line_end, close))
                if close:
                    break
        at = text.find(separator, at + 1, end)
    if not lines or not lines[-1][2] or lines[0][2]:
        return None
    parts = []
    for (_, part_start, _), (next_start, _, _) in zip(lines, lines[1:], strict=False):
        if next_start <= part_start:
            return None  # two boundary lines in a row
        parts.append((part_start, next_start))
    return parts


def _body_after_headers(data: bytes) -> bytes:
    """The bytes after the first empty line (RFC 5322 section 2.1), or none."""
    ends = [(at, len(sep)) for sep in (b"\r\n\r\n", b"\n\n") if (at := data.find(sep)) >= 0]
    if not ends:
        return b""
    at, length = min(ends)
    return data[at + length :]


def parse_message(raw: bytes, *, all_headers: bool = True) -> ParsedMessage:
    """Parse one message. ``raw`` is kept untouched by the caller; this only reads it.

    ``all_headers=False`` leaves ``headers`` empty: the fields read from them (subject,
    addresses, dates, ids, Received, List-*) are still filled. Decoding every header
    is about a fifth of the parse, and storing a message needs none of the rest.
    """
    if not looks_like_email(raw):
        raise NotAnEmail("no header block: the data does not start with an email header")
    body_bytes = strip_mbox_from_line(raw).lstrip(b"\r\n")
    # A single-part body needs no line-by-line MIME scan, which is most of the
    # stdlib parser's cost; multipart mail gets the full parser, unless it declares
    # so many boundaries that the parser's per-line, per-boundary matching would
    # take seconds (hostile nesting; real mail nests a handful of levels).
    message = _split_single_part(body_bytes)
    flattened = message is None and _too_many_boundaries(body_bytes)
    if message is None and not flattened:
        try:
            message = _PARSER.parsebytes(body_bytes)
        except RecursionError:
            # The stdlib parser also recurses per MIME level.
            flattened = True
    if flattened:
        # Keep the headers and treat the body as one text part instead.
        message = _PARSER.parsebytes(body_bytes, headersonly=True)
    defects: list[str] = [type(d).__name__ for d in message.defects]
    if flattened:
        defects.append("MIME structure nested too deeply; body kept as raw text")

    raw_headers = [(name, value) for name, value in message.raw_items()]
    by_name: dict[str, list[str]] = {}
    for name, value in raw_headers:
        by_name.setdefault(name.lower(), []).append(value)

    def first(name: str) -> str | None:
        values = by_name.get(name)
        return values[0] if values else None

    date, offset = parse_date(first("date"))
    if first("date") and date is None:
        defects.append("unreadable Date header")
    message_ids = parse_message_ids(first("message-id"))
    in_reply_to = parse_message_ids(first("in-reply-to"))
    references = parse_message_ids(" ".join(by_name.get("references", [])))
    senders = parse_addresses(by_name.get("sender", []))
    return_path = first("return-path")

    text_parts: list[str] = []
    html_parts: list[str] = []
    attachments: list[Attachment] = []
    if flattened:
        # Straight from the bytes: get_payload() would decode with the declared
        # charset, which a hostile message sets to anything (idna, NUL bytes).
        text_parts.append(decode_bytes(_body_after_headers(body_bytes), None)[0])
    else:
        _collect_parts(message, text_parts, html_parts, attachments, defects)
    html_body = "\n".join(html_parts) if html_parts else None
    text = "\n".join(text_parts)
    if not text.strip() and html_body:
        text = html_to_text(html_body)

    headers = [(name, _decode_any(value)) for name, value in raw_headers] if all_headers else []
    parsed = ParsedMessage(
        raw_size=len(raw),
        sha256=hashlib.sha256(raw).hexdigest(),
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=references,
        subject=decode_header_text(first("subject")).strip(),
        date=date,
        date_header=unfold(first("date") or ""),
        utc_offset_minutes=offset,
        from_=parse_addresses(by_name.get("from", [])),
        sender=senders[0] if senders else None,
        to=parse_addresses(by_name.get("to", [])),
        cc=parse_addresses(by_name.get("cc", [])),
        bcc=parse_addresses(by_name.get("bcc", [])),
        reply_to=parse_addresses(by_name.get("reply-to", [])),
        return_path=unfold(return_path).strip().strip("<>") if return_path else None,
        received=[unfold(v) for v in by_name.get("received", [])],
        authentication_results=[unfold(v) for v in by_name.get("authentication-results", [])],
        list_headers={
            name: decode_header_text(by_name[name][0]) for name in _LIST_HEADERS if name in by_name
        },
        headers=headers,
        text=text,
        html=html_body,
        attachments=attachments,
        defects=defects,
    )
    return _without_nul(parsed)


_NUL = "\x00"


def _clean(text: str) -> str:
    return text.replace(_NUL, "\ufffd") if _NUL in text else text


def _clean_addresses(items: list[Address]) -> list[Address]:
    return [Address(_clean(a.name), _clean(a.email)) for a in items]


def _without_nul(parsed: ParsedMessage) -> ParsedMessage:
    """NUL characters replaced by U+FFFD everywhere text is kept.

    NUL never carries meaning in mail text, while PostgreSQL, HTML and log
    consumers refuse or mangle it. A cheap scan first: most mail has none.
    """
    values = [parsed.subject, parsed.text, parsed.html or "", *(v for _, v in parsed.headers)]
    if not any(_NUL in value for value in values):
        return parsed
    parsed.subject = _clean(parsed.subject)
    parsed.text = _clean(parsed.text)
    parsed.html = _clean(parsed.html) if parsed.html is not None else None
    parsed.date_header = _clean(parsed.date_header)
    parsed.headers = [(name, _clean(value)) for name, value in parsed.headers]
    parsed.received = [_clean(v) for v in parsed.received]
    parsed.authentication_results = [_clean(v) for v in parsed.authentication_results]
    parsed.list_headers = {k: _clean(v) for k, v in parsed.list_headers.items()}
    parsed.message_id = _clean(parsed.message_id) if parsed.message_id else None
    parsed.in_reply_to = _clean(parsed.in_reply_to) if parsed.in_reply_to else None
    parsed.references = [_clean(r) for r in parsed.references]
    parsed.return_path = _clean(parsed.return_path) if parsed.return_path else None
    parsed.from_ = _clean_addresses(parsed.from_)
    parsed.to = _clean_addresses(parsed.to)
    parsed.cc = _clean_addresses(parsed.cc)
    parsed.bcc = _clean_addresses(parsed.bcc)
    parsed.reply_to = _clean_addresses(parsed.reply_to)
    if parsed.sender is not None:
        parsed.sender = _clean_addresses([parsed.sender])[0]
    parsed.defects.append("NUL characters replaced by U+FFFD")
    return parsed


def _decode_any(value: str) -> str:
    # Most header values are plain ASCII on one line; skip the decoder for those.
    if value.isascii() and "=?" not in value and "\n" not in value:
        return value
    return decode_header_text(value)


def _collect_parts(
    message: Message,
    text_parts: list[str],
    html_parts: list[str],
    attachments: list[Attachment],
    defects: list[str],
) -> None:
    for part, content_type in _leaf_parts(message, defects):
        disposition = str(part.get("Content-Disposition") or "").split(";", 1)[0].strip().lower()
        filename = _filename(part)
        if content_type.startswith("message/") and part.is_multipart():
            attachments.append(_attachment_from_embedded(part, content_type, filename))
            continue
        is_body_text = (
            content_type in ("text/plain", "text/html")
            and not filename
            and disposition != "attachment"
        )
        data = _payload_bytes(part, defects)
        if is_body_text:
            text, defect = decode_bytes(data, part.get_content_charset())
            if defect:
                defects.append(defect)
            (html_parts if content_type == "text/html" else text_parts).append(text)
            continue
        attachments.append(_attachment(part, content_type, disposition, filename, data))


MAX_PARTS = 2000


def _leaf_parts(message: Message, defects: list[str]) -> list[tuple[Message, str]]:
    """Leaf parts and their content types in document order, without descending into
    ``message/*`` parts (each ``get_content_type()`` scans and parses the headers).

    An attached message (a forwarded mail, the original inside a bounce) is one
    attachment, not more body text. Iterative, so hostile nesting cannot exhaust
    the stack; bounded, so a million empty parts cannot exhaust memory.
    """
    leaves: list[tuple[Message, str]] = []
    stack = [message]
    while stack:
        part = stack.pop()
        content_type = part.get_content_type()
        # Only a multipart payload is read here: get_payload() on a text part decodes
        # it with the declared charset, which raises for a NUL or RFC 2231 charset.
        multipart = part.is_multipart()
        payload = part.get_payload() if multipart else None
        if content_type.startswith("message/") and part is not message:
            leaves.append((part, content_type))
        elif multipart and isinstance(payload, list):
            if part is not message:
                defects.extend(type(d).__name__ for d in part.defects)
            stack.extend(reversed(payload))
        else:
            leaves.append((part, content_type))
        if len(leaves) >= MAX_PARTS:
            defects.append(f"more than {MAX_PARTS} MIME parts; the rest were not read")
            break
    return leaves


def _payload_bytes(part: Message, defects: list[str]) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception as exc:  # noqa: BLE001 - any decoder failure must not lose the part
        defects.append(f"undecodable part body ({type(exc).__name__}); kept raw")
        try:
            raw = part.get_payload()
        except Exception:  # noqa: BLE001 - it decodes with the declared charset too
            return b""  # the part stays in the raw message, which is always kept
        return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    if payload is None:
        return b""
    defects.extend(type(d).__name__ for d in part.defects)
    return payload


def _filename(part: Message) -> str:
    # get_filename() parses every parameter; only pay for it when a name is there.
    params = str(part.get("Content-Disposition") or "") + str(part.get("Content-Type") or "")
    if "name" not in params.lower():
        return ""
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:  # noqa: BLE001 - RFC 2231 continuations can be malformed
        name = ""
    if isinstance(name, tuple):  # RFC 2231 (charset, language, value) left undecoded
        charset, _, value = name
        name, _ = decode_bytes(value.encode("latin-1", "replace"), charset)
    return sanitise_filename(decode_header_text(str(name)))


def sanitise_filename(name: str) -> str:
    """A file name safe to show and to offer for download: no paths, no controls."""
    name = _SAFE_NAME.sub("_", name).strip().strip(".")
    return name[:255]


def sniff_type(data: bytes) -> str:
    """The content type the bytes really have (magic numbers), or a text guess."""
    if not data:
        return "application/x-empty"
    kind = filetype.guess(data[:8192])
    if kind is not None:
        return kind.mime
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script")):
        return "text/html"
    if head.startswith(b"<?xml") or head.startswith(b"<svg"):
        return "image/svg+xml" if b"<svg" in data[:2048].lower() else "application/xml"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/x-ole-storage"
    if b"\x00" not in data[:4096]:
        return "text/plain"
    return "application/octet-stream"


def _attachment(
    part: Message, content_type: str, disposition: str, filename: str, data: bytes
) -> Attachment:
    # str(): compat32 hands back a Header object for a value with 8-bit bytes.
    content_id = str(part.get("Content-ID") or "").strip().strip("<>")
    return Attachment(
        filename=filename or sanitise_filename(_fallback_name(content_type)) or "part.bin",
        declared_type=content_type,
        sniffed_type=sniff_type(data),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        disposition="inline" if disposition == "inline" else "attachment",
        content_id=content_id or None,
        data=data,
    )


def _attachment_from_embedded(part: Message, content_type: str, filename: str) -> Attachment:
    payload = part.get_payload()
    try:
        if content_type == "message/delivery-status":
            # RFC 3464: one per-message block, then one block per recipient.
            data = b"\n".join(block.as_bytes() for block in payload)
        else:
            data = payload[0].as_bytes() if payload else b""
    except Exception:  # noqa: BLE001 - a broken embedded message is kept as its raw text
        data = str(payload).encode("utf-8", "surrogateescape")
    default_name = (
        "delivery-status.txt"
        if content_type == "message/delivery-status"
        else ("forwarded-message.eml")
    )
    return Attachment(
        filename=filename or default_name,
        declared_type=content_type,
        sniffed_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


def _fallback_name(content_type: str) -> str:
    main, _, sub = content_type.partition("/")
    extension = {"plain": "txt", "html": "html", "jpeg": "jpg", "octet-stream": "bin"}.get(sub, sub)
    return f"{main or 'part'}.{extension or 'bin'}"
