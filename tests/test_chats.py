"""Tests for tradeinbox.core.chats (WhatsApp .txt and Telegram JSON exports)."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tradeinbox.core.chats import detect_chat_format, parse_chat, parse_telegram, parse_whatsapp

CORPORA = Path(
    os.environ.get("TRADEINBOX_CORPORA", Path(__file__).resolve().parents[2] / "shared" / "corpora")
)
CHATS = CORPORA / "chat_exports"


def test_android_24h_multiline_media_and_system() -> None:
    text = (
        "23/03/2022, 13:31 - Messages and calls are end-to-end encrypted. Tap to learn more.\n"
        "18/03/2022, 14:56 - Dmitry S: Hello\n"
        "second line\n"
        "18/03/2022, 15:10 - Dmitry S: <Media omitted>\n"
        "18/03/2022, 15:11 - Ana: IMG-20220318-WA0001.jpg (file attached)\n"
        "Caption here\n"
        "19/03/2022, 09:00 - Dmitry S added Ana\n"
    )
    export = parse_whatsapp(text, tz="Europe/Berlin")
    msgs = export.messages
    assert len(msgs) == 5
    assert msgs[0].is_system and msgs[0].sender is None
    assert msgs[1].sender == "Dmitry S" and msgs[1].text == "Hello\nsecond line"
    assert msgs[1].timestamp == datetime(2022, 3, 18, 14, 56, tzinfo=ZoneInfo("Europe/Berlin"))
    assert msgs[1].timestamp.utcoffset() == timedelta(hours=1)
    assert msgs[2].media == "<Media omitted>" and msgs[2].text == ""
    assert msgs[3].media == "IMG-20220318-WA0001.jpg" and msgs[3].text == "Caption here"
    assert msgs[4].is_system
    assert export.summary.participants == {"Dmitry S": 2, "Ana": 1}
    assert export.summary.system_count == 2


def test_ios_brackets_lrm_12h_and_month_first() -> None:
    lrm, nnbsp = "\u200e", "\u202f"
    text = (
        f"[3/18/22, 2:56:01{nnbsp}PM] Chat: {lrm}Messages and calls are end-to-end encrypted.\n"
        f"{lrm}[3/27/22, 9:41:55{nnbsp}PM] Dmitry S: {lrm}image omitted\n"
        f"[3/27/22, 12:05:00{nnbsp}AM] Dmitry S: Hello: world\n"
    )
    msgs = parse_whatsapp(text).messages
    assert msgs[0].is_system
    assert msgs[0].timestamp == datetime(2022, 3, 18, 14, 56, 1, tzinfo=UTC)
    assert msgs[1].media == "image omitted" and msgs[1].sender == "Dmitry S"
    assert msgs[1].timestamp.hour == 21
    assert msgs[2].timestamp.hour == 0 and msgs[2].text == "Hello: world"


def test_day_month_order_is_decided_for_the_whole_file() -> None:
    # Only the last line proves day-first; the first must follow it.
    text = "01/02/21, 10:00 - A: one\n05/02/21, 10:00 - B: two\n25/02/21, 10:00 - A: three\n"
    stamps = [m.timestamp for m in parse_whatsapp(text).messages]
    assert [s.month for s in stamps] == [2, 2, 2]
    assert [s.day for s in stamps] == [1, 5, 25]


def test_ambiguous_order_prefers_chronology() -> None:
    text = "01/12/21, 10:00 - A: a\n02/12/21, 10:00 - A: b\n03/12/21, 10:00 - A: c\n"
    # Month-first would jump Jan -> Feb -> Mar: also chronological; day-first wins ties.
    assert [m.timestamp.month for m in parse_whatsapp(text).messages] == [12, 12, 12]
    text2 = "12/01/21, 10:00 - A: a\n12/02/21, 10:00 - A: b\n01/03/21, 10:00 - A: c\n"
    # Day-first would go Jan 12, Feb 12, Mar 1 (fine); month-first Dec 1, Dec 2, Jan 3 (backwards).
    assert [m.timestamp.month for m in parse_whatsapp(text2).messages] == [1, 2, 3]


def test_localised_clock_digits_and_calendars() -> None:
    arabic = "\u200f[\u0662\u0667/\u0663/\u0662\u0660\u0662\u0662\u060c \u0669:\u0664\u0661:\u0665\u0665 \u0645] A: hi\n"
    m = parse_whatsapp(arabic).messages[0]
    assert (m.timestamp.year, m.timestamp.month, m.timestamp.day, m.timestamp.hour) == (
        2022, 3, 27, 21,
    )  # fmt: skip
    buddhist = "[3/18/2565 BE, 14:56:01] A: hi\n"
    assert parse_whatsapp(buddhist).messages[0].timestamp.year == 2022
    japanese = "[3/18/R4, 14:56:01] A: hi\n"
    assert parse_whatsapp(japanese).messages[0].timestamp.year == 2022
    spanish = "01/30/2019, 08:49 p. m. - Jahn Doe: hola\n"
    assert parse_whatsapp(spanish).messages[0].timestamp.hour == 20
    dots = "[26/01/21 21.05.53] R: x\n"
    assert parse_whatsapp(dots).messages[0].timestamp == datetime(
        2021, 1, 26, 21, 5, 53, tzinfo=UTC
    )
    time_first = "[14:56:01, 3/18/22] Musk Elon: x\n"
    assert parse_whatsapp(time_first).messages[0].timestamp.day == 18


def test_telegram_entities_service_and_timezone() -> None:
    data = {
        "name": "Buyer",
        "type": "personal_chat",
        "id": 1,
        "messages": [
            {"id": 1, "type": "service", "date": "2023-05-01T10:00:00", "actor": "Li",
             "action": "invite_members", "members": ["Ana"], "text": ""},
            {"id": 2, "type": "message", "date": "2023-05-01T10:01:00",
             "date_unixtime": "1682935260", "from": "Li",
             "text": ["Price ", {"type": "bold", "text": "FOB"}, " please"]},
            {"id": 3, "type": "message", "date": "2023-05-01T10:02:00", "from": "Ana",
             "photo": "photos/p.jpg", "text": ""},
        ],
    }  # fmt: skip
    export = parse_telegram(json.dumps(data), tz="Asia/Shanghai")
    first, second, third = export.messages
    assert first.is_system and "invite members" in first.text and "Ana" in first.text
    assert second.text == "Price FOB please"
    assert second.timestamp == datetime.fromtimestamp(1682935260, UTC)
    assert second.timestamp.utcoffset() == timedelta(hours=8)
    assert third.media == "photos/p.jpg"
    assert export.summary.chat_name == "Buyer"
    assert detect_chat_format(json.dumps(data)) == "telegram_json"


def test_detect_rejects_other_text() -> None:
    assert detect_chat_format("Dear Sir,\nplease quote 500 pcs.\n") is None
    assert detect_chat_format('{"messages": [{"sender_name": "x", "timestamp_ms": 1}]}') is None
    with pytest.raises(ValueError):
        parse_chat("hello\nworld\n")


# --- every sample export in the corpus --------------------------------------------------------

_INVISIBLE = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def _simple_headers(path: Path) -> list[tuple[str, str | None]]:
    """Message starts counted WITHOUT the parser: a deliberately cruder line test.

    A line starts a message when (after removing direction marks) it begins with
    '[' or a digit/era letter and its first 48 characters hold a prefix closed by '] ' or
    ' - ' that contains a clock time (h:mm or h.mm), a three-part date and at most four
    letters (AM/PM, "BE", an era letter). The sender is whatever sits between
    that prefix and the first ': ' (None when there is no ': ').
    """
    out = []
    for raw in path.read_text(encoding="utf-8-sig", errors="replace").splitlines():
        line = _INVISIBLE.sub("", raw).translate(_ARABIC_DIGITS).replace("\u202f", " ")
        if not re.match(r"^\[?(?:\d|[RHST]\d)", line):
            continue
        head = line[:48]
        if not re.search(r"\d{1,2}[:.]\d{2}", head):
            continue
        cut = None
        for sep in ("] ", " - ", " – "):
            pos = head.find(sep)
            if (
                pos != -1
                and re.search(r"\d{1,2}[:.]\d{2}", head[:pos])
                and sum(c.isalpha() for c in head[:pos]) <= 4
                and re.search(
                    r"(?:\d{1,4}|[RHST]\d{1,2})[./-]\d{1,2}[./-](?:\d{1,4}|[RHST]\d)", head[:pos]
                )
            ):
                cut = pos + len(sep)
                break
        if cut is None:
            continue
        rest = line[cut:]
        sender = rest.split(": ", 1)[0] if ": " in rest else None
        out.append((line[:cut], sender))
    return out


def _whatsapp_files() -> list[Path]:
    if not CHATS.is_dir():
        return []
    return sorted(p for p in (CHATS / "whatsapp").rglob("*.txt"))


@pytest.mark.corpora
@pytest.mark.parametrize("path", _whatsapp_files(), ids=lambda p: p.name[:50])
def test_every_whatsapp_sample_counts_senders_timestamps(path: Path) -> None:
    expected = _simple_headers(path)
    export = parse_chat(path)
    assert export.summary.format == "whatsapp"
    msgs = export.messages
    assert len(msgs) == len(expected), "message count differs from the simple line count"
    simple_senders = {s.strip() for _, s in expected if s}
    parsed_senders = {m.sender for m in msgs if m.sender}
    assert parsed_senders <= simple_senders
    # Every timestamp reproduces the written day and month (in some order) and a sane year.
    for m, (prefix, _) in zip(msgs, expected, strict=True):
        nums = [int(n) for n in re.findall(r"\d+", prefix)]
        assert m.timestamp.tzinfo is not None
        assert 2009 <= m.timestamp.year <= 2030
        assert m.timestamp.day in nums and (m.timestamp.month in nums)
        assert m.timestamp.minute in nums


def _group_timeline(folder: str, names: list[str]) -> list[list[tuple]]:
    out = []
    for name in names:
        path = CHATS / "whatsapp" / "whats_json" / folder / name
        msgs = parse_chat(path).messages
        out.append([(m.timestamp.replace(second=0) - timedelta(seconds=0)).date() for m in msgs])
    return out


@pytest.mark.corpora
def test_same_chat_in_every_language_has_the_same_dates() -> None:
    folder = CHATS / "whatsapp" / "whats_json" / "languages"
    if not folder.is_dir():
        pytest.skip("chat_exports corpus absent")
    ios = sorted(p.name for p in folder.glob("*_ios.txt") if "media" not in p.name)
    android = sorted(p.name for p in folder.glob("*_android.txt"))
    for group in (ios, android):
        timelines = _group_timeline("languages", group)
        assert len(timelines) >= 2
        assert all(t == timelines[0] for t in timelines), group


@pytest.mark.corpora
def test_chat_miner_targets() -> None:
    base = CHATS / "whatsapp" / "chat_miner"
    if not base.is_dir():
        pytest.skip("chat_exports corpus absent")
    target = json.loads((base / "target.json").read_text())
    files = sorted(base.glob("*.txt"))
    assert files
    for path in files:
        got = {
            (m.timestamp.replace(tzinfo=None).isoformat(), m.sender, " ".join(m.text.split()))
            for m in parse_chat(path).messages
        }
        for item in target:
            key = (item["timestamp"], item["author"], " ".join(item["message"].split()))
            assert key in got, (path.name, key)
    tg = CHATS / "telegram" / "chat_miner"
    tg_target = json.loads((tg / "target.json").read_text())
    # chat_miner joins Telegram text entities with spaces; real exports carry their own
    # separators as plain strings, so text is compared with whitespace removed.
    for path in sorted(tg.glob("test_*.json")):
        got = {
            (m.timestamp.replace(tzinfo=None).isoformat(), m.sender, "".join(m.text.split()))
            for m in parse_chat(path).messages
        }
        for item in tg_target:
            key = (item["timestamp"], item["author"], "".join(item["message"].split()))
            assert key in got, path.name
