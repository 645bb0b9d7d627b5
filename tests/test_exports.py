"""iCalendar feed (RFC 5545), vCard 4.0 (RFC 6350) and injection-safe CSV exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from tradeinbox.core.deals.exports import (
    CONTACT_COLUMNS,
    DEAL_COLUMNS,
    CalendarItem,
    VCardPerson,
    calendar_items,
    contacts_csv,
    csv_safe,
    deals_csv,
    fold_line,
    ical_feed,
    new_feed_token,
    token_matches,
    vcard,
)

NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
SH = ZoneInfo("Asia/Shanghai")


# --- a strict reader, written from the RFCs, independent of the writer -------------------------


def unfold(data: str) -> list[str]:
    assert data.endswith("\r\n"), "content ends with CRLF"
    physical = data[:-2].split("\r\n")
    for line in physical:
        assert "\n" not in line and "\r" not in line, "bare CR or LF"
        assert len(line.encode("utf-8")) <= 75, f"line longer than 75 octets: {line!r}"
        line.encode("utf-8")  # valid UTF-8 on every physical line (no split sequence)
    logical: list[str] = []
    for line in physical:
        if line.startswith((" ", "\t")):
            assert logical, "continuation without a line"
            logical[-1] += line[1:]
        else:
            logical.append(line)
    return logical


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            nxt = value[i + 1]
            assert nxt in "\\;,nN", f"bad escape \\{nxt}"
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
            continue
        assert ch not in ";," or False, f"unescaped {ch!r} in TEXT"
        out.append(ch)
        i += 1
    return "".join(out)


_NAME = re.compile(r"^([A-Za-z0-9-]+)((?:;[A-Za-z0-9-]+=(?:\"[^\"]*\"|[^\";:,]*))*):(.*)$")


def parse(data: str) -> list[dict[str, list[tuple[dict[str, str], str]]]]:
    """Components as {name: [(params, raw value)]}; checks nesting."""
    stack: list[str] = []
    comps: list[dict] = []
    current: dict | None = None
    for line in unfold(data):
        m = _NAME.match(line)
        assert m, f"malformed content line {line!r}"
        name, params_raw, value = m.group(1).upper(), m.group(2), m.group(3)
        params = dict(
            (p.split("=", 1)[0].upper(), p.split("=", 1)[1].strip('"'))
            for p in params_raw.split(";")[1:]
        )
        if name == "BEGIN":
            stack.append(value)
            if value in ("VEVENT", "VCARD"):
                current = {}
            continue
        if name == "END":
            assert stack and stack.pop() == value, "unbalanced BEGIN/END"
            if value in ("VEVENT", "VCARD"):
                comps.append(current)
                current = None
            continue
        if current is not None and stack[-1] in ("VEVENT", "VCARD"):
            current.setdefault(name, []).append((params, value))
    assert not stack
    return comps


# --- iCalendar ------------------------------------------------------------------------------

ITEMS = [
    CalendarItem(
        "msg-<abc@example.com>",
        "reply",
        "Reply to Müller GmbH; RFQ 2026-17, LED panels",
        datetime(2026, 3, 10, 12, 0, tzinfo=SH),
        description='Grade C inquiry\nfrom hans@mueller.de: "need 500 pcs" \\ urgent',
        url="https://crm.example.com/m/42/",
        overdue=True,
    ),
    CalendarItem(
        "followup:deal1:anna:after_quotation:1:draft",
        "followup",
        "跟进报价 - 宁波客户 " * 6,
        datetime(2026, 3, 13, 10, 0, tzinfo=SH),
    ),
]


def test_ical_round_trip():
    data = ical_feed(ITEMS, name="Anna's due list", domain="crm.example.com", now=NOW)
    assert data.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n")
    events = parse(data)
    assert len(events) == 2
    first, second = events
    assert unescape(first["SUMMARY"][0][1]) == "[overdue] " + ITEMS[0].title
    assert unescape(first["DESCRIPTION"][0][1]) == ITEMS[0].description
    assert first["URL"][0][1] == ITEMS[0].url
    assert first["DTSTART"][0][1] == "20260310T040000Z"  # 12:00 Shanghai
    assert first["DTSTAMP"][0][1] == "20260310T080000Z"
    assert unescape(second["SUMMARY"][0][1]) == ITEMS[1].title  # long CJK line folded safely
    for ev in events:
        assert re.fullmatch(r"\d{8}T\d{6}Z", ev["DTSTAMP"][0][1])
        assert ev["UID"][0][1].endswith("@crm.example.com")
    assert "BEGIN:VALARM" in data


def test_uids_are_stable_and_distinct():
    a = parse(ical_feed(ITEMS, now=NOW))
    b = parse(ical_feed(list(reversed(ITEMS)), now=NOW + timedelta(hours=1)))
    assert {e["UID"][0][1] for e in a} == {e["UID"][0][1] for e in b}
    assert len({e["UID"][0][1] for e in a}) == 2


def test_naive_datetimes_refused():
    bad = CalendarItem("k", "reply", "t", datetime(2026, 3, 10, 12, 0))  # noqa: DTZ001
    try:
        ical_feed([bad], now=NOW)
    except ValueError:
        return
    raise AssertionError("naive datetime accepted")


@settings(max_examples=150, deadline=None)
@given(st.text(min_size=0, max_size=300))
def test_any_text_survives_folding_and_escaping(text):
    item = CalendarItem("k", "reply", text, NOW, description=text)
    ev = parse(ical_feed([item], now=NOW))[0]
    # Lone CR becomes a newline: RFC 5545 has only one line-break escape.
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    expected = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", expected)  # CONTROL is not TEXT
    assert unescape(ev["SUMMARY"][0][1]) == expected
    if text:
        assert unescape(ev["DESCRIPTION"][0][1]) == expected
    else:
        assert "DESCRIPTION" not in ev


def test_fold_line_counts_octets():
    line = "SUMMARY:" + "é" * 100
    folded = fold_line(line)
    assert all(len(p.encode()) <= 75 for p in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_feed_tokens():
    t = new_feed_token()
    assert len(t) >= 40 and t != new_feed_token()
    assert token_matches(t, t) and not token_matches(t[:-1] + "x", t)
    assert not token_matches("", "")


# --- vCard ----------------------------------------------------------------------------------


def test_vcard_round_trip():
    person = VCardPerson(
        uid="7c9e6679-7425-40de-944b-e07fc1f90ae7",
        full_name='Li, Wei; "Sales"',
        family_name="Li",
        given_name="Wei",
        org="Ningbo Bright Lighting Co., Ltd.",
        title="Purchasing Manager",
        emails=[("wei.li@bright.cn", "work"), ("liwei88@163.com", "home")],
        phones=[("+86 138-0013-8000", "mobile"), ("0086 574 8765 4321", "work")],
        messengers=[
            ("whatsapp", "+86 138 0013 8000"),
            ("wechat", "liwei_88"),
            ("telegram", "@li_wei"),
            ("skype", "live:li.wei"),
        ],
        country="China",
        note="Met at Canton Fair\nprefers WeChat",
        updated=NOW,
    )
    data = vcard(person)
    cards = parse(data)
    assert len(cards) == 1
    card = cards[0]
    assert data.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n")
    assert unescape(card["FN"][0][1]) == person.full_name
    assert card["N"][0][1] == "Li;Wei;;;"
    assert unescape(card["ORG"][0][1]) == person.org
    assert [v for _, v in card["EMAIL"]] == ["wei.li@bright.cn", "liwei88@163.com"]
    assert card["EMAIL"][0][0] == {"TYPE": "work", "PREF": "1"}
    assert [v for _, v in card["TEL"]] == ["tel:+8613800138000", "tel:+865748765432" + "1"]
    assert card["TEL"][0][0]["TYPE"] == "cell" and card["TEL"][0][0]["VALUE"] == "uri"
    impp = {p["X-SERVICE-TYPE"]: v for p, v in card["IMPP"]}
    assert impp == {
        "WhatsApp": "https://wa.me/8613800138000",
        "WeChat": "weixin://dl/chat?liwei_88",
        "Telegram": "https://t.me/li_wei",
        "Skype": "skype:live:li.wei?chat",
    }
    assert unescape(card["NOTE"][0][1]) == person.note
    assert card["UID"][0][1] == "urn:uuid:7c9e6679-7425-40de-944b-e07fc1f90ae7"
    assert card["REV"][0][1] == "20260310T080000Z"


# --- CSV ------------------------------------------------------------------------------------


def read_csv(data: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.lstrip("\ufeff"), newline="")))


def test_csv_injection_is_neutralised():
    evil = [
        '=HYPERLINK("http://evil.example","click")',
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1+1)",
        "\t=1+1",
        "\r=1+1",
    ]
    rows = [
        {"id": i, "title": v, "company": v, "amount": Decimal("-12.50")} for i, v in enumerate(evil)
    ]
    data = deals_csv(rows)
    assert data.startswith("\ufeff")
    parsed = read_csv(data)
    assert parsed[0] == list(DEAL_COLUMNS)
    for row, value in zip(parsed[1:], evil, strict=True):
        assert row[1] == "'" + value
        assert row[1][0] not in "=+-@\t\r"
        assert row[5] == "-12.50"  # numbers stay numbers


def test_contacts_csv_lists_and_unicode():
    data = contacts_csv(
        [{"id": 1, "name": "王伟", "emails": ["w@a.cn", "w@b.com"], "phones": ("+86 1",)}],
        bom=False,
    )
    parsed = read_csv(data)
    assert parsed[0] == list(CONTACT_COLUMNS)
    assert parsed[1][1] == "王伟"
    assert parsed[1][4] == "w@a.cn; w@b.com"
    assert parsed[1][5] == "'+86 1"
    assert data.endswith("\r\n")


def test_csv_safe_values():
    assert csv_safe(None) == ""
    assert csv_safe(True) == "true"
    assert csv_safe(-5) == "-5"
    assert csv_safe(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00+00:00"
    assert csv_safe("plain, text") == "plain, text"
    assert csv_safe("=1") == "'=1"


def test_calendar_items_from_due_list_and_followups():
    from tradeinbox.core.deals.business_hours import BusinessCalendar
    from tradeinbox.core.deals.cadence import CadenceSettings, CadenceState, Touch, plan_followups
    from tradeinbox.core.deals.deadlines import (
        DeadlineSettings,
        MessageFacts,
        due_list,
        reply_deadline,
    )

    cal = BusinessCalendar("Asia/Shanghai")
    at = datetime(2026, 3, 10, 10, 0, tzinfo=SH)
    d = reply_deadline(
        MessageFacts("<m1@x>", at, text="Price for 500 pcs?", subject="RFQ; LED, panels"),
        "C",
        DeadlineSettings(calendar=cal),
    )
    plan = plan_followups(
        CadenceState("deal7", "anna", "C", "quoted", [Touch(at, "out")]),
        at,
        CadenceSettings(calendar=cal),
    )
    items = calendar_items(
        due_list([d], at + timedelta(hours=3)),
        plan,
        url_for=lambda kind, key: f"https://crm.example.com/{kind}/{key}",
    )
    events = parse(ical_feed(items, now=NOW))
    assert len(events) == 1 + len(plan)
    reply = next(e for e in events if "reply" in e["CATEGORIES"][0][1])
    assert unescape(reply["SUMMARY"][0][1]) == "[overdue] Reply: RFQ; LED, panels"
    assert reply["URL"][0][1] == "https://crm.example.com/reply/<m1@x>"
    # Re-planning gives the same UIDs (calendar clients update, not duplicate).
    again = parse(ical_feed(calendar_items((), plan), now=NOW))
    assert {e["UID"][0][1] for e in again} <= {e["UID"][0][1] for e in events}
