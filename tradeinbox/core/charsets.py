"""Decoding text whose declared charset is wrong, missing or unknown.

Mail from China, Japan, Russia and older Windows clients often declares a charset
that is a subset of what was really used (GB2312 for GBK text, ISO-8859-1 for
Windows-1252 quotes) or none at all. We map declared names to the superset codec
that decodes the same bytes plus the common extras, then fall back in a fixed,
explainable order. Nothing here raises: the worst case is replacement characters
and a defect note.
"""

from __future__ import annotations

import codecs
import re

# Declared name -> codec that decodes a superset of it (RFC 1922, WHATWG Encoding
# Standard "labels" section: browsers decode these labels the same way).
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "hz",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "csiso2022jp": "iso2022_jp_ext",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ansi_x3.4-1968": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "windows-874": "cp874",
    "unicode-1-1-utf-7": "utf-7",
    "utf8": "utf-8",
    "unicode": "utf-8",
    "x-unknown": "",
    "unknown-8bit": "",
    "default": "",
    "_iso-2022-jp$esc": "iso2022_jp_ext",
}

_SINGLE_BYTE = frozenset(
    {
        "cp1250",
        "cp1251",
        "cp1252",
        "cp1253",
        "cp1254",
        "cp1255",
        "cp1256",
        "cp1257",
        "cp1258",
        "cp874",
        "koi8-r",
        "koi8-u",
        "mac-roman",
        "cp437",
        "cp850",
        "cp866",
    }
    | {f"iso8859-{n}" for n in range(1, 17)}
)

_NOT_CHARSETS = frozenset(
    {"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape", "mbcs", "oem"}
)

_CHARSET_CLEAN = re.compile(r"[^a-z0-9_\-.:$]")


def codec_for(declared: str | None) -> str | None:
    """The Python codec to try for a declared charset, or None if unknown/absent."""
    if not declared:
        return None
    name = _CHARSET_CLEAN.sub("", declared.strip().strip("\"'").lower())
    name = _SUPERSETS.get(name, name)
    if not name:
        return None
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    # Only real text encodings: "hex", "base64" or "rot13" are codecs too, and
    # "idna", "punycode" and "undefined" refuse to decode with replacement.
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:
        return None
    return info.name


def _looks_ascii(data: bytes) -> bool:
    return data.isascii()


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str | None]:
    """Decode ``data``; return ``(text, defect)`` where defect explains any repair.

    Order: the declared charset (as its superset) strictly; UTF-8 strictly (the most
    common mislabel today); a statistical guess (charset-normalizer) for longer
    8-bit text; finally the declared or UTF-8 codec with replacement characters.
    """
    if not data:
        return "", None
    if _looks_ascii(data):
        # Pure ASCII decodes the same under every charset we accept, except the
        # 7-bit stateful ones (ISO-2022-*, UTF-7, HZ) that must see their escapes.
        codec = codec_for(declared)
        if codec and (codec.startswith("iso2022") or codec in {"utf-7", "hz"}):
            try:
                return data.decode(codec), None
            except (UnicodeDecodeError, LookupError):
                pass
        return data.decode("ascii"), None
    codec = codec_for(declared)
    if codec in _SINGLE_BYTE:
        # A single-byte codec accepts any bytes, so it cannot tell us it is wrong.
        # Non-ASCII text that is valid UTF-8 is almost never real Latin/Cyrillic
        # 8-bit text, while UTF-8 mislabelled as ASCII or Latin-1 is common.
        try:
            return data.decode("utf-8"), f"declared charset {declared!r}, content is UTF-8"
        except UnicodeDecodeError:
            pass
    if codec:
        try:
            return data.decode(codec), None
        except (UnicodeError, LookupError, ValueError, TypeError):
            pass
    try:
        text = data.decode("utf-8")
        if codec:
            return text, f"declared charset {declared!r} did not fit; decoded as UTF-8"
        return text, None
    except UnicodeDecodeError:
        pass
    guess = _guess_codec(data) if len(data) >= 32 else _first_fitting(data)
    if guess:
        try:
            text = data.decode(guess)
            note = f"declared {declared!r}" if declared else "no charset declared"
            return text, f"{note}; decoded as {guess} by detection"
        except (UnicodeDecodeError, LookupError):
            pass
    fallback = codec or "utf-8"
    try:
        text = data.decode(fallback, errors="replace")
    except (LookupError, UnicodeError, ValueError, TypeError):
        fallback = "utf-8"  # a codec that still misbehaves: never fail, never lose text
        text = data.decode(fallback, errors="replace")
    return text, f"undecodable bytes replaced (declared {declared!r}, used {fallback})"


# What mail in a trade inbox is really written in; restricting detection to these
# makes it an order of magnitude faster than trying every codec Python knows.
_DETECTABLE = [
    "utf_8",
    "gb18030",
    "big5",
    "cp932",
    "euc_jp",
    "iso2022_jp",
    "cp949",
    "cp1251",
    "koi8_r",
    "cp1252",
    "cp1250",
    "iso8859_2",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp874",
    "cp1257",
]


def _guess_codec(data: bytes) -> str | None:
    # Detection is costly; it only runs for text that is neither valid in its
    # declared charset nor UTF-8, which is rare.
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - dependency is declared
        return None
    best = from_bytes(data[:4096], cp_isolation=_DETECTABLE).best()
    if best is None:
        return _first_fitting(data)
    return codec_for(best.encoding) or best.encoding


def _first_fitting(data: bytes) -> str | None:
    # Too short for statistics: GB18030 then Windows-1252 is the most useful order
    # for a trade inbox (Chinese clients without a declared charset are common).
    for candidate in ("gb18030", "cp1252"):
        try:
            data.decode(candidate)
            return candidate
        except UnicodeDecodeError:
            continue
    return None
