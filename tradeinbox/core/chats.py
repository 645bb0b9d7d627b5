"""Parse chat exports customers send or that sales staff export: WhatsApp and Telegram.

Export sales happen partly on messengers, so a customer's history is only complete when
those conversations can be imported next to the e-mail.

WhatsApp "Export chat" (.txt)
    One message per header line, continuation lines belong to the previous message.
    The header layout depends on the phone's OS and locale:
    ``[3/18/22, 14:56:00] Name: text`` (iOS), ``18/03/2022, 14:56 - Name: text``
    (Android), ``12.03.22 13:31 - ...``, ``2019/01/01, 11:25 - ...``,
    ``[14:56:01, 3/18/22] ...`` (Vietnamese: time first), 12-hour clocks with
    ``AM``/``a. m.``/``م``/``午後``..., Arabic-Indic digits, Buddhist (``2565 BE``) and
    Japanese era (``R4``) years, U+200E marks and narrow no-break spaces. Day/month
    order is decided once for the whole file (a field above 12 settles it; otherwise
    the order that keeps the timestamps in sequence wins).
    Lines without "Name:" are system lines (Android); iOS marks generated text (system
    notices and media placeholders) with a leading U+200E.
Telegram Desktop (result.json)
    A single-chat export (``{"messages": [...]}``) or a full export
    (``{"chats": {"list": [...]}}``). ``text`` is a string or a list of strings and
    entity objects; ``type: "service"`` messages are system lines. ``date_unixtime``
    (UTC) is preferred over the exporter's local ``date``.

Timestamps are timezone-aware: WhatsApp and Telegram ``date`` carry the exporting
phone's local time without an offset, so the caller says which zone that was.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

__all__ = [
    "ChatMessage",
    "ChatSummary",
    "ChatExport",
    "detect_chat_format",
    "parse_chat",
    "parse_whatsapp",
    "parse_telegram",
]


@dataclass(slots=True)
class ChatMessage:
    timestamp: datetime
    sender: str | None  # None for system lines
    text: str
    is_system: bool = False
    media: str | None = None  # placeholder or file name of an attachment


@dataclass(slots=True)
class ChatSummary:
    format: str
    chat_name: str | None
    message_count: int
    system_count: int
    media_count: int
    participants: dict[str, int]
    first: datetime | None
    last: datetime | None
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ChatExport:
    messages: list[ChatMessage]
    summary: ChatSummary


# --- normalisation ---------------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"), None
)
_SPACES = {ord(c): " " for c in "\u00a0\u202f\u2007\u2009"}
_DIGITS = {0x660 + i: str(i) for i in range(10)} | {0x6F0 + i: str(i) for i in range(10)}
_DIGITS |= {ord("،"): ",", ord("٫"): "."}
_LRM = "\u200e"


def _clean(line: str) -> str:
    return line.translate(_INVISIBLE).translate(_SPACES).translate(_DIGITS)


# --- WhatsApp header -------------------------------------------------------------------------

_DATE = r"(?P<d1>\d{1,4}|[RHST]\d{1,2})[./\-](?P<d2>\d{1,2})[./\-](?P<d3>\d{1,4}|[RHST]\d{1,2})\.?(?:\s?(?P<be>BE|พ\.ศ\.))?"
# Day-period words seen in exports: English and Spanish (a. m.), Arabic (ص/م), CJK, Korean,
# Vietnamese (SA/CH), Thai; case-insensitive.
_AMPM = r"[ap]\.?\s?m\.?|ص|م|午前|午後|上午|下午|오전|오후|sa|ch|ก่อนเที่ยง|หลังเที่ยง|vorm\.|nachm\."
_TIME = rf"(?:(?P<ap1>{_AMPM})\s?)?(?P<h>\d{{1,2}})[:.](?P<mi>\d{{2}})(?:[:.](?P<s>\d{{2}}))?(?:\s?(?P<ap2>{_AMPM}))?"
_TS = rf"(?:{_DATE},?\s*{_TIME}|{_TIME.replace('(?P<', '(?P<t')},?\s*{_DATE.replace('(?P<', '(?P<t')})"
_HEADER_RE = re.compile(
    rf"^(?:\[(?P<bts>{_TS})\]\s?|(?P<dts>{_TS.replace('(?P<', '(?P<x')})\s?[-–]\s)(?P<rest>.*)$",
    re.IGNORECASE,
)
_DATE_ONLY = re.compile(_DATE, re.IGNORECASE)
_TIME_ONLY = re.compile(rf"(?:^|[\s,])(?:{_TIME})", re.IGNORECASE)
_SENDER_RE = re.compile(r"^(?P<sender>[^:\"“”]{1,80}?):(?:\s|$)(?P<text>.*)$", re.DOTALL)
_SENDER_SHORT_RE = re.compile(r"^(?P<sender>[^:\"“”]{1,80}?):(?P<text>\S.*)$", re.DOTALL)
_ATTACHED_RE = re.compile(
    r"^<(?:attached|anexo|adjunto|angehängt|allegato|pièce jointe)[^:>]*:\s*(?P<file>[^>]+)>$", re.I
)
_FILE_ATTACHED_RE = re.compile(r"^(?P<file>\S[^()]*\.\w{2,5})\s\((?P<label>[^()]{3,40})\)$")
_ANGLE_MEDIA_RE = re.compile(r"^<[^<>]{3,40}>$")
_ERA_BASE = {"R": 2018, "H": 1988, "S": 1925, "T": 1911}


@dataclass(slots=True)
class _Header:
    line_no: int
    fields: tuple[str, str, str]  # raw date fields in written order
    be: bool
    hour: int
    minute: int
    second: int
    ampm: str | None
    rest: str
    lrm: bool  # the text after the sender started with U+200E (iOS generated)


def _parse_header(raw: str, line_no: int) -> _Header | None:
    line = _clean(raw)
    m = _HEADER_RE.match(line)
    if not m:
        return None
    ts = m.group("bts") or m.group("dts")
    dm = _DATE_ONLY.search(ts)
    tm = _TIME_ONLY.search(ts.replace(dm.group(0), " ") if dm else ts)
    if not dm or not tm:
        return None
    hour, minute = int(tm.group("h")), int(tm.group("mi"))
    second = int(tm.group("s") or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    ampm = tm.group("ap1") or tm.group("ap2")
    rest_raw = raw
    # Keep the raw tail to see U+200E marks that _clean removed.
    lrm = False
    if ": " in rest_raw:
        lrm = rest_raw.split(": ", 1)[1].startswith((_LRM, "\u200f"))
    return _Header(
        line_no,
        (dm.group("d1"), dm.group("d2"), dm.group("d3")),
        bool(dm.group("be")),
        hour,
        minute,
        second,
        ampm,
        m.group("rest"),
        lrm,
    )


def _year(field_: str, be: bool) -> int | None:
    if field_[0].isalpha():
        base = _ERA_BASE.get(field_[0].upper())
        return base + int(field_[1:]) if base else None
    y = int(field_)
    if len(field_) <= 2:
        y += 2000
    if be or y > 2400:
        y -= 543  # Thai Buddhist era
    return y


def _date_order(headers: list[_Header]) -> str:
    """'ymd', 'dmy' or 'mdy' for the whole file."""
    first = [h.fields[0] for h in headers]
    if any(f[:1].isalpha() or len(f) >= 3 or int(f) > 31 for f in first):
        return "ymd"  # 2019/01/01 (a Japanese era year is always last: 3/18/R4)
    first_big = any(int(h.fields[0]) > 12 for h in headers)
    second_big = any(int(h.fields[1]) > 12 for h in headers)
    if first_big and not second_big:
        return "dmy"
    if second_big and not first_big:
        return "mdy"
    # Undecided: the order that keeps the chat chronological wins; ties go to the
    # order most locales use with that separator.
    scores = {}
    for order in ("dmy", "mdy"):
        stamps = [_naive(h, order) for h in headers]
        stamps = [s for s in stamps if s is not None]
        scores[order] = sum(1 for a, b in zip(stamps, stamps[1:], strict=False) if b < a)
    if scores["dmy"] != scores["mdy"]:
        return min(scores, key=scores.get)
    return "dmy"


def _naive(h: _Header, order: str) -> datetime | None:
    a, b, c = h.fields
    try:
        if order == "ymd":
            year, month, day = _year(a, h.be), int(b), int(c)
        elif order == "dmy":
            year, month, day = _year(c, h.be), int(b), int(a)
        else:
            year, month, day = _year(c, h.be), int(a), int(b)
        hour = h.hour
        if h.ampm:
            pm = h.ampm.lower().replace(" ", "").replace(".", "") in {
                "pm", "م", "午後", "下午", "오후", "ch", "หลังเที่ยง", "nachm",
            }  # fmt: skip
            if pm and hour < 12:
                hour += 12
            elif not pm and hour == 12:
                hour = 0
        # Naive on purpose: the zone is attached by the caller (the export has none).
        return datetime(year, month, day, hour, h.minute, h.second)  # noqa: DTZ001
    except (ValueError, TypeError):
        return None


def _tz(tz: str | tzinfo | None) -> tzinfo:
    if tz is None:
        return UTC
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _read(path_or_text: str | Path) -> tuple[str, str | None]:
    """(content, file stem) of a path, or (text, None) when given the text itself."""
    path: Path | None = path_or_text if isinstance(path_or_text, Path) else None
    if path is None and "\n" not in path_or_text and len(path_or_text) < 1024:
        try:
            path = Path(path_or_text) if Path(path_or_text).is_file() else None
        except OSError:  # not a usable file name: it is content
            path = None
    if path is not None:
        return path.read_bytes().decode("utf-8-sig", errors="replace"), path.stem
    return str(path_or_text), None


def parse_whatsapp(path_or_text: str | Path, tz: str | tzinfo | None = None) -> ChatExport:
    """Parse a WhatsApp "Export chat" text file (any OS, locale and date format)."""
    text, name = _read(path_or_text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    headers: list[_Header] = []
    bodies: list[list[str]] = []
    preamble = 0
    for no, line in enumerate(lines):
        header = _parse_header(line, no)
        if header is not None:
            headers.append(header)
            bodies.append([])
        elif bodies:
            bodies[-1].append(line.translate(_INVISIBLE))
        elif line.strip():
            preamble += 1
    zone = _tz(tz)
    order = _date_order(headers) if headers else "dmy"
    notes = [f"date order {order}"]
    if preamble:
        notes.append(f"{preamble} lines before the first message ignored")
    messages: list[ChatMessage] = []
    for header, extra in zip(headers, bodies, strict=True):
        stamp = _naive(header, order)
        if stamp is None:
            notes.append(f"line {header.line_no + 1}: impossible date, skipped")
            continue
        messages.append(_whatsapp_message(header, extra, stamp.replace(tzinfo=zone)))
    return ChatExport(messages, _summary("whatsapp", name, messages, notes))


def _whatsapp_message(header: _Header, extra: list[str], stamp: datetime) -> ChatMessage:
    rest = header.rest
    m = _SENDER_RE.match(rest) or _SENDER_SHORT_RE.match(rest)
    sender = m.group("sender").strip() if m else None
    if sender and (len(sender.split()) > 8 or sender.endswith(" ")):
        sender = None
    body = m.group("text") if m and sender else rest
    full = "\n".join([body, *extra]).rstrip("\n")
    if sender is None:
        return ChatMessage(stamp, None, full.strip(), is_system=True)
    first = body.strip()
    media = None
    if a := _ATTACHED_RE.match(first):
        media = a.group("file").strip()
    elif f := _FILE_ATTACHED_RE.match(first):
        media = f.group("file").strip()
    elif _ANGLE_MEDIA_RE.match(first) and not extra:
        media = first  # "<Media omitted>", "<Multimedia omitido>", "<Médias omis>" ...
    elif (
        header.lrm
        and len(first.split()) <= 5
        and len(first) <= 40
        and not first.endswith((".", "!", "?", "。"))
    ):
        media = first  # iOS "image omitted", "imagen omitida", "‎video omesso" ...
    elif header.lrm:
        # iOS system notice attributed to the chat: encryption, group changes ...
        return ChatMessage(stamp, None, full.strip(), is_system=True)
    if media is not None:
        caption = "\n".join(extra).strip()
        return ChatMessage(stamp, sender, caption, media=media)
    return ChatMessage(stamp, sender, full)


# --- Telegram ----------------------------------------------------------------------------------


def _telegram_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v if isinstance(v, str) else str(v.get("text", "")) for v in value)
    return ""


def _is_telegram_chat(chat: dict) -> bool:
    msgs = chat.get("messages")
    if not isinstance(msgs, list):
        return False
    if not msgs:
        return "type" in chat or "id" in chat
    first = msgs[0]
    return isinstance(first, dict) and ("date_unixtime" in first or "date" in first)


def _telegram_chats(data: dict) -> list[dict]:
    if _is_telegram_chat(data):
        return [data]
    chats = data.get("chats")
    if isinstance(chats, dict) and isinstance(chats.get("list"), list):
        return [c for c in chats["list"] if isinstance(c, dict) and _is_telegram_chat(c)]
    return []


def parse_telegram(path_or_text: str | Path, tz: str | tzinfo | None = None) -> ChatExport:
    """Parse a Telegram Desktop JSON export (single chat or full export)."""
    text, name = _read(path_or_text)
    data = json.loads(text)
    zone = _tz(tz)
    messages: list[ChatMessage] = []
    chats = _telegram_chats(data)
    for chat in chats:
        for item in chat.get("messages", []):
            if not isinstance(item, dict):
                continue
            if item.get("date_unixtime"):
                stamp = datetime.fromtimestamp(int(item["date_unixtime"]), UTC)
                stamp = stamp.astimezone(zone)
            elif item.get("date"):
                stamp = datetime.fromisoformat(item["date"]).replace(tzinfo=zone)
            else:
                continue
            body = _telegram_text(item.get("text"))
            media = item.get("photo") or item.get("file") or item.get("media_type")
            if item.get("type") == "service":
                actor = item.get("actor")
                action = str(item.get("action", "")).replace("_", " ")
                detail = body or " ".join(str(m) for m in item.get("members", []) or [])
                line = " ".join(p for p in (actor, action, detail) if p)
                messages.append(ChatMessage(stamp, None, line, is_system=True))
                continue
            sender = item.get("from") or item.get("actor") or item.get("from_id")
            messages.append(ChatMessage(stamp, str(sender) if sender else None, body, media=media))
    chat_name = chats[0].get("name") if len(chats) == 1 else name
    notes = [f"{len(chats)} chat(s)"]
    return ChatExport(messages, _summary("telegram_json", chat_name, messages, notes))


# --- entry points ------------------------------------------------------------------------------


def detect_chat_format(path_or_text: str | Path) -> str | None:
    """'whatsapp', 'telegram_json' or None, from the content (not the file name)."""
    text, _ = _read(path_or_text)
    head = text.lstrip("\ufeff \n\r\t")
    if head.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return None
        return "telegram_json" if isinstance(data, dict) and _telegram_chats(data) else None
    sample = [line for line in head.split("\n")[:300] if line.strip()]
    hits = sum(1 for line in sample if _parse_header(line, 0) is not None)
    # Long multi-line messages can make headers rare; the first line must be one then.
    if sample and (hits >= max(3, len(sample) // 10) or _parse_header(sample[0], 0)):
        return "whatsapp"
    return None


def parse_chat(path_or_text: str | Path, tz: str | tzinfo | None = None) -> ChatExport:
    """Detect the format and parse. Raises ValueError for unknown formats."""
    kind = detect_chat_format(path_or_text)
    if kind == "whatsapp":
        return parse_whatsapp(path_or_text, tz)
    if kind == "telegram_json":
        return parse_telegram(path_or_text, tz)
    raise ValueError("not a WhatsApp or Telegram chat export")


def _summary(
    kind: str, name: str | None, messages: list[ChatMessage], notes: list[str]
) -> ChatSummary:
    people = Counter(m.sender for m in messages if m.sender and not m.is_system)
    stamps = [m.timestamp for m in messages]
    return ChatSummary(
        format=kind,
        chat_name=name,
        message_count=sum(1 for m in messages if not m.is_system),
        system_count=sum(1 for m in messages if m.is_system),
        media_count=sum(1 for m in messages if m.media),
        participants=dict(people.most_common()),
        first=min(stamps) if stamps else None,
        last=max(stamps) if stamps else None,
        notes=notes,
    )
