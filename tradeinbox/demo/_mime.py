"""Deterministic MIME writing for the demo mailbox (RFC 5322, RFC 2045-2047, RFC 2231).

The stdlib generator re-folds and re-encodes headers in its own way and picks random
boundaries; the demo needs byte-stable output that looks like what real clients
(Outlook, Gmail, Foxmail, Thunderbird, Apple Mail) write, so messages are assembled
here from explicit parts. Only the encoders (``quopri``, ``base64``,
:class:`email.header.Header`) come from the stdlib.

Everything that would be random in real mail (boundaries, Message-IDs, queue ids,
DKIM keys) is derived from a SHA-256 of a fixed key, so re-running the builder
reproduces the committed files byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
import quopri
import re
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.header import Header
from email.utils import format_datetime, formataddr
from html import escape
from zoneinfo import ZoneInfo

NL = "\n"  # the files are stored with LF line ends; parsers accept both (RFC 5322 s. 2.3)

# IANA zones of the people in the demo, so every Date header carries the UTC offset
# that was really in force on that day (US/EU daylight saving ends inside the span).
ZONES = {
    "CN": "Asia/Shanghai",
    "US": "America/New_York",
    "DE": "Europe/Berlin",
    "ES": "Europe/Madrid",
    "MX": "America/Mexico_City",
    "BR": "America/Sao_Paulo",
    "RU": "Europe/Moscow",
    "SA": "Asia/Riyadh",
    "AE": "Asia/Dubai",
    "IN": "Asia/Kolkata",
    "NG": "Africa/Lagos",
    "GB": "Europe/London",
    "GH": "Africa/Accra",
    "UTC": "UTC",
}


def local(country: str, stamp: str) -> datetime:
    """``local("DE", "2026-10-21 09:40")`` -> aware datetime in that country's zone."""
    return datetime.fromisoformat(stamp).replace(tzinfo=ZoneInfo(ZONES[country]))


def rfc_date(moment: datetime) -> str:
    """RFC 5322 section 3.3 date-time with the numeric offset of ``moment``'s zone."""
    return format_datetime(moment)


def digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()


def token(alphabet: str, length: int, *parts: object) -> str:
    """A deterministic pseudo-random string over ``alphabet``."""
    number = int.from_bytes(digest(*parts) + digest("more", *parts), "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(alphabet))
        chars.append(alphabet[index])
    return "".join(chars)


HEX = "0123456789abcdef"
DIGITS = "0123456789"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


# --------------------------------------------------------------------------- headers


def mime_charset_names(value: str) -> str:
    """Use the IANA charset name in encoded-words.

    :class:`email.header.Header` writes Python's codec name ``eucgb2312_cn`` for
    GB2312 (its ``output_charset``), which other mail readers do not know.
    """
    return value.replace("=?eucgb2312_cn?", "=?gb2312?")


def encode_words(text: str, charset: str, name: str = "Subject") -> str:
    """RFC 2047 encoded-words for a non-ASCII header value, folded at 76 columns."""
    if text.isascii():
        return fold(text, len(name) + 2)
    return mime_charset_names(Header(text, charset, header_name=name).encode(linesep=NL))


def fold(text: str, used: int = 0, width: int = 78) -> str:
    """Fold an unstructured ASCII value at spaces (RFC 5322 section 2.2.3)."""
    words = text.split(" ")
    lines, current = [], ""
    limit = width - used
    for word in words:
        candidate = f"{current} {word}" if current else word
        if len(candidate) > limit and current:
            lines.append(current)
            current, limit = word, width - 1
        else:
            current = candidate
    lines.append(current)
    return (NL + " ").join(lines)


@dataclass(frozen=True)
class Person:
    """Someone in the demo: display name, address and the charset of their client."""

    name: str
    email: str
    charset: str = "utf-8"

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    def header(self) -> str:
        if not self.name:
            return self.email
        if self.name.isascii():
            return formataddr((self.name, self.email))
        return mime_charset_names(formataddr((self.name, self.email), charset=self.charset))


def address_list(people: list[Person]) -> str:
    return ("," + NL + " ").join(p.header() for p in people)


# --------------------------------------------------------------------------- MIME parts


@dataclass
class Part:
    """A leaf or a multipart node; ``headers`` are this part's own content headers."""

    headers: list[tuple[str, str]]
    body: bytes = b""
    parts: list[Part] = field(default_factory=list)
    boundary: str | None = None
    preamble: str = ""

    def serialize(self) -> bytes:
        """Body bytes of this part (its headers are written by the caller)."""
        if self.boundary is None:
            return self.body
        out = [self.preamble.encode() + (NL * 2).encode() if self.preamble else b""]
        for part in self.parts:
            out.append(f"--{self.boundary}{NL}".encode())
            out.append(header_block(part.headers))
            out.append(NL.encode())
            out.append(part.serialize())
            if not out[-1].endswith(NL.encode()):
                out.append(NL.encode())
            out.append(NL.encode())
        out.append(f"--{self.boundary}--{NL}".encode())
        return b"".join(out)


def header_block(headers: list[tuple[str, str]]) -> bytes:
    lines = [f"{name}: {value}{NL}" for name, value in headers]
    return "".join(lines).encode("utf-8")


def encode_body(data: bytes, cte: str) -> bytes:
    if cte == "base64":
        return base64.encodebytes(data)
    if cte == "quoted-printable":
        return quopri.encodestring(data)
    return data  # 7bit / 8bit: the bytes as they are


def text(
    body: str,
    subtype: str = "plain",
    charset: str = "utf-8",
    cte: str = "quoted-printable",
    flowed: bool = False,
) -> Part:
    """A text/plain or text/html body part encoded in ``charset`` with ``cte``."""
    data = body.encode(charset)
    ctype = f'text/{subtype}; charset="{charset}"'
    if flowed:
        ctype = f"text/{subtype}; charset={charset}; format=flowed; delsp=yes"
    return Part(
        [("Content-Type", ctype), ("Content-Transfer-Encoding", cte)], encode_body(data, cte)
    )


def multipart(
    subtype: str, key: str, parts: list[Part], style: str = "outlook", **params: str
) -> Part:
    """A multipart node whose boundary looks like the client ``style`` writes it."""
    boundary = make_boundary(style, key + subtype)
    extra = "".join(f'; {name.replace("_", "-")}="{value}"' for name, value in params.items())
    headers = [("Content-Type", f'multipart/{subtype};{NL}\tboundary="{boundary}"{extra}')]
    preamble = "This is a multi-part message in MIME format." if style != "gmail" else ""
    return Part(headers, parts=parts, boundary=boundary, preamble=preamble)


def make_boundary(style: str, key: str) -> str:
    if style == "gmail":
        return "000000000000" + token(HEX, 16, "b", key)
    if style == "foxmail":
        return f"----=_001_NextPart{token(DIGITS, 12, 'b', key)}_=----"
    if style == "apple":
        return f"Apple-Mail={token(UPPER, 8, 'b', key)}-{token(UPPER, 4, 'c', key)}"
    if style == "thunderbird":
        return f"------------{token(ALNUM, 24, 'b', key)}"
    if style == "postfix":
        return f"{token(UPPER, 12, 'b', key)}.{token(DIGITS, 10, 'c', key)}/mx.brightway-lighting.example"
    if style == "bulk":
        return f"_----{token(ALNUM, 22, 'b', key)}===_{token(UPPER, 2, 'c', key)}/00-00000-00000000"
    return f"_000_{token(UPPER, 40, 'b', key)}_"  # Outlook / Exchange


def attachment(
    data: bytes,
    filename: str,
    ctype: str,
    naming: str = "rfc2231",
    inline_cid: str | None = None,
    cte: str = "base64",
) -> Part:
    """An attachment part. ``naming`` picks how a non-ASCII name is written:

    ``rfc2231`` (``filename*=UTF-8''...``, Thunderbird/Apple/Gmail), ``rfc2047``
    (encoded-words inside quotes, what Outlook and Foxmail send in practice),
    or ``plain`` for ASCII names.
    """
    disposition = "inline" if inline_cid else "attachment"
    if filename.isascii():
        name_param, file_param = f'name="{filename}"', f'filename="{filename}"'
    elif naming == "rfc2231":
        quoted = urllib.parse.quote(filename, safe="")
        name_param = f"name*=UTF-8''{quoted}"
        file_param = f"filename*=UTF-8''{quoted}"
    else:
        words = Header(filename, naming.split(":", 1)[1] if ":" in naming else "utf-8").encode()
        words = mime_charset_names(words.replace(NL + " ", " "))
        name_param, file_param = f'name="{words}"', f'filename="{words}"'
    headers = [
        ("Content-Type", f"{ctype};{NL}\t{name_param}"),
        ("Content-Disposition", f"{disposition};{NL}\t{file_param}"),
        ("Content-Transfer-Encoding", cte),
    ]
    if inline_cid:
        headers.append(("Content-ID", f"<{inline_cid}>"))
    return Part(headers, encode_body(data, cte))


# --------------------------------------------------------------------------- HTML bodies


def html_from_text(body: str, style: str = "outlook", charset: str = "utf-8") -> str:
    """The HTML alternative a mail client would write for ``body``."""
    paragraphs = body.strip(NL).split(NL)
    if style == "gmail":
        inner = NL.join(
            f"<div>{escape(line)}</div>" if line else "<div><br></div>" for line in paragraphs
        )
        return f'<div dir="ltr">{inner}</div>{NL}'
    if style == "foxmail":
        inner = NL.join(
            f"<div><span>{escape(line)}</span></div>" if line else "<div><br></div>"
            for line in paragraphs
        )
        return (
            f'<html><head><meta http-equiv="content-type" content="text/html; charset={charset}">'
            '<style>body { font-size: 10.5pt; font-family: "Microsoft YaHei UI"; color: #000080; '
            f"line-height: 1.5; }}</style></head><body>{NL}{inner}{NL}</body></html>{NL}"
        )
    inner = NL.join(
        f'<p class="MsoNormal">{escape(line) if line else "&nbsp;"}<o:p></o:p></p>'
        for line in paragraphs
    )
    return (
        '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>'
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
        '<meta name="Generator" content="Microsoft Word 15 (filtered medium)">'
        "<style><!-- p.MsoNormal {margin:0cm; font-size:11.0pt; font-family:Calibri,sans-serif;} -->"
        f'</style></head><body lang="EN-US"><div class="WordSection1">{NL}{inner}{NL}'
        f"</div></body></html>{NL}"
    )


def alternative(
    body: str, key: str, style: str, charset: str = "utf-8", cte: str = "quoted-printable"
) -> Part:
    """multipart/alternative with the plain text and the client's HTML rendering of it."""
    html_cte = "base64" if style == "foxmail" else cte
    return multipart(
        "alternative",
        key,
        [
            text(body, "plain", charset, cte),
            text(html_from_text(body, style, charset), "html", charset, html_cte),
        ],
        style,
    )


# --------------------------------------------------------------------------- Received chains


def received(
    from_clause: str,
    by: str,
    with_: str,
    ident: str,
    rcpt: str | None,
    when: datetime,
    extra: str = "",
) -> str:
    """One ``Received`` stamp (RFC 5321 section 4.4), folded the way Postfix writes it."""
    lines = [f"from {from_clause}" if from_clause else ""]
    lines.append(f"by {by} with {with_} id {ident}{extra}")
    if rcpt:
        lines.append(f"for <{rcpt}>; {rfc_date(when)}")
    else:
        lines[-1] += f"; {rfc_date(when)}"
    return (NL + "\t").join(line for line in lines if line)


def queue_id(*parts: object) -> str:
    """A Postfix long queue id (``4Xb2kQ0ZPvz9sWd`` style)."""
    return "4" + token("BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789", 14, "q", *parts)


def later(moment: datetime, seconds: int) -> datetime:
    return moment + timedelta(seconds=seconds)


_WS = re.compile(r"[ \t]+\n")


def clean(body: str) -> str:
    """Strip trailing blanks on lines (they would need QP escaping and look odd)."""
    return _WS.sub(NL, body.strip(NL) + NL)
