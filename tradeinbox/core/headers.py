"""Header decoding that survives real-world mail (RFC 5322, RFC 2047, RFC 2231).

``email.header.decode_header`` is strict about whitespace and decodes each
encoded-word on its own, which breaks the common case of a multi-byte GBK or
UTF-8 character split across two encoded-words. Here adjacent encoded-words in
the same charset are joined as bytes first, then decoded once.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import getaddresses, parsedate_tz

from tradeinbox.core.charsets import decode_bytes
from tradeinbox.core.message import Address

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_MSGID = re.compile(r"<([^<>\s]+)>")
_SURROGATE = re.compile(r"[\udc80-\udcff]")


def unfold(value: str) -> str:
    """RFC 5322 section 2.2.3: remove the CRLF of folded header lines."""
    if "\n" not in value:  # most values are one line: skip the regex
        return value.rstrip("\r")
    return _FOLD.sub("", value).rstrip("\r\n")


def _raw_8bit_to_text(value: str) -> str:
    """Headers with raw 8-bit bytes arrive as surrogate escapes; decode them properly."""
    if not _SURROGATE.search(value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    text, _ = decode_bytes(data, None)
    return text


def _q_decode(payload: str) -> bytes:
    # RFC 2047 section 4.2: "_" is a space; =XX is a byte.
    data = payload.replace("_", " ").encode("ascii", "surrogateescape")
    out = bytearray()
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == 0x3D and i + 3 <= len(data):
            pair = data[i + 1 : i + 3]
            try:
                out.append(int(pair, 16))
                i += 3
                continue
            except ValueError:
                pass
        out.append(byte)
        i += 1
    return bytes(out)


def _b_decode(payload: str) -> bytes:
    cleaned = payload.strip()
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned)
    except (binascii.Error, ValueError):
        try:
            return base64.b64decode(cleaned.rstrip("=")[: len(cleaned) // 4 * 4])
        except (binascii.Error, ValueError):
            return payload.encode("ascii", "replace")


def decode_header_text(value: str | None) -> str:
    """Decode RFC 2047 encoded-words (and raw 8-bit text) in a header value."""
    if not value:
        return ""
    value = unfold(value)
    if "=?" not in value:
        return _raw_8bit_to_text(value)
    pieces: list[str] = []
    pending: list[bytes] = []
    pending_charset: str | None = None
    position = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            text, _ = decode_bytes(b"".join(pending), pending_charset)
            pieces.append(text)
        pending, pending_charset = [], None

    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        # RFC 2047 section 6.2: whitespace between adjacent encoded-words is dropped.
        if between and not (pending and between.isspace()):
            flush()
            pieces.append(_raw_8bit_to_text(between))
        charset = match.group(1).split("*", 1)[0]  # RFC 2231 language suffix
        encoding = match.group(2).upper()
        payload = match.group(3)
        data = _b_decode(payload) if encoding == "B" else _q_decode(payload)
        if pending and charset.lower() != (pending_charset or "").lower():
            flush()
        pending.append(data)
        pending_charset = charset
        position = match.end()
    flush()
    pieces.append(_raw_8bit_to_text(value[position:]))
    return "".join(pieces)


# One token of an address list: a quoted string, an angle address, a comment,
# a run of other text, or the comma that separates addresses (RFC 5322 3.4).
_ADDRESS_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|<[^>]*>?|\([^()]*\)?|[^,"<(]+|,')


def _fast_split(value: str) -> list[tuple[str, str]] | None:
    """(name, email) pairs for the common forms, or None to defer to the stdlib.

    ``email.utils.getaddresses`` is exact but slow on the long recipient lists of
    business mail; this handles ``Name <a@b>``, ``"Last, First" <a@b>``, bare
    ``a@b`` and ``a@b (Name)``, and leaves group syntax and oddities to it.
    """
    if ":" in value or ";" in value:
        return None
    pairs: list[tuple[str, str]] = []
    name_parts: list[str] = []
    angle: str | None = None
    bare: list[str] = []
    comment = ""

    def finish() -> None:
        nonlocal name_parts, angle, bare, comment
        if angle is not None:
            pairs.append(("".join(name_parts).strip(), angle))
        elif bare:
            pairs.append((comment, " ".join(bare).strip()))
        name_parts, angle, bare, comment = [], None, [], ""

    for token in _ADDRESS_TOKEN.findall(value):
        head = token[0]
        if head == ",":
            finish()
        elif head == "<":
            angle = token[1:-1] if token.endswith(">") else token[1:]
        elif head == '"':
            inner = token[1:-1] if len(token) > 1 and token.endswith('"') else token[1:]
            name_parts.append(inner.replace('\\"', '"').replace("\\\\", "\\"))
        elif head == "(":
            comment = token[1:-1] if token.endswith(")") else token[1:]
        else:
            name_parts.append(token)
            if token.strip():
                bare.append(token.strip())
    finish()
    return pairs


def parse_addresses(raw_values: list[str]) -> list[Address]:
    """Addresses from raw header values; names decoded, emails lower-cased.

    Addresses are split on the raw value (before decoding) so that a comma inside
    an encoded display name cannot split one address into two.
    """
    if not raw_values:
        return []
    result: list[Address] = []
    for raw in raw_values:
        value = unfold(raw)
        pairs = _fast_split(value)
        if pairs is None:
            pairs = getaddresses([value])
        for name, email in pairs:
            email = _raw_8bit_to_text(email).strip().strip("<>").lower()
            if "@" not in email or " " in email:
                continue
            name = decode_header_text(name).strip() if name else ""
            result.append(Address(name=name, email=email))
    return result


def parse_message_ids(value: str | None) -> list[str]:
    """Message-IDs in angle brackets, in order (RFC 5322 section 3.6.4)."""
    if not value:
        return []
    found = _MSGID.findall(value)
    if found:
        return found
    # Broken clients omit the brackets; accept one bare token that looks like an id.
    token = value.strip().split()[0] if value.strip() else ""
    return [token] if "@" in token else []


def parse_date(value: str | None) -> tuple[datetime | None, int | None]:
    """The Date header as an aware datetime and its UTC offset in minutes.

    Returns ``(None, None)`` for dates that cannot be read; a missing zone is UTC
    (RFC 5322 section 3.3 "-0000": no information about the local zone).
    """
    if not value:
        return None, None
    try:
        parsed = parsedate_tz(unfold(value))
    except (TypeError, ValueError, IndexError):
        return None, None
    if not parsed:
        return None, None
    offset_seconds = parsed[9] or 0
    if abs(offset_seconds) >= 24 * 3600:
        offset_seconds = 0
    try:
        zone = timezone(timedelta(seconds=offset_seconds)) if offset_seconds else UTC
        moment = datetime(*parsed[:6], tzinfo=zone)
    except (ValueError, OverflowError):
        return None, None
    if not 1970 <= moment.year <= 2200:
        return None, None
    offset_minutes = offset_seconds // 60 if parsed[9] is not None else None
    return moment, offset_minutes
