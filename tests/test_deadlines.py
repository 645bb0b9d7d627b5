"""Reply deadlines by grade, the Due list, and response-time statistics."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tradeinbox.core.deals.business_hours import BusinessCalendar
from tradeinbox.core.deals.deadlines import (
    DeadlineSettings,
    MessageFacts,
    due_list,
    is_closing_only,
    reply_deadline,
    response_stats,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = BusinessCalendar.standard("Asia/Shanghai", lunch=(time(12), time(13)), country="CN")
SETTINGS = DeadlineSettings(calendar=CAL)


def facts(mid="m1", at=datetime(2026, 3, 10, 10, 0, tzinfo=SH), **kw):
    kw.setdefault("text", "Please send your price for 500 pcs of model LP-600.")
    return MessageFacts(mid, at, **kw)


@pytest.mark.parametrize(
    ("grade", "due"),
    [
        ("C", datetime(2026, 3, 10, 12, 0, tzinfo=SH)),  # 10:00 + 2 h, up to lunch
        ("D", datetime(2026, 3, 10, 12, 0, tzinfo=SH)),
        ("B", datetime(2026, 3, 13, 10, 0, tzinfo=SH)),  # 24 business hours of 8 a day
    ],
)
def test_deadline_by_grade(grade, due):
    d = reply_deadline(facts(), grade, SETTINGS)
    assert d is not None
    assert d.due_at == due
    assert d.grade == grade
    assert any(e.rule == f"deadline.grade_{grade}" for e in d.evidence)


def test_grade_a_and_non_waiting_messages_get_none():
    assert reply_deadline(facts(), "A", SETTINGS) is None
    assert reply_deadline(facts(direction="out"), "C", SETTINGS) is None
    assert reply_deadline(facts(from_customer=False), "C", SETTINGS) is None
    assert reply_deadline(facts(is_autoreply=True), "C", SETTINGS) is None
    assert reply_deadline(facts(is_bounce=True), "C", SETTINGS) is None
    assert reply_deadline(facts(list_mail=True), "C", SETTINGS) is None
    assert reply_deadline(facts(text="Thanks, well noted!\n\nJohn"), None, SETTINGS) is None
    assert reply_deadline(facts(text="收到，谢谢"), None, SETTINGS) is None


def test_settings_change_hours_and_ungraded_messages():
    custom = DeadlineSettings(
        calendar=CAL, reply_hours={"A": None, "B": 8.0, "C": 1.0, "D": 0.5}, ungraded_hours=4.0
    )
    assert reply_deadline(facts(), "D", custom).due_at == datetime(2026, 3, 10, 10, 30, tzinfo=SH)
    assert reply_deadline(facts(), None, custom).due_at == datetime(2026, 3, 10, 15, 0, tzinfo=SH)
    assert reply_deadline(facts(), None, DeadlineSettings(CAL, ungraded_hours=None)) is None
    with pytest.raises(ValueError):
        reply_deadline(facts(), "Z", SETTINGS)


def test_closing_only_detection():
    assert is_closing_only("Thank you very much!")
    assert is_closing_only("Recibido, gracias.\n\nCarlos Pérez\nImportadora SA")
    assert is_closing_only("OK thanks\n\nOn Mon, 9 Mar 2026 Anna wrote:\n> price list attached")
    assert not is_closing_only("Thanks. Can you send the price for 2000 pcs?")
    assert not is_closing_only("Thanks\nPlease quote 500 pcs LP-600 CIF Durban")
    assert not is_closing_only("谢谢，请报价500件")
    assert not is_closing_only("")


def test_answered_deadline_records_on_time_or_late():
    on_time = reply_deadline(
        facts(answered_at=datetime(2026, 3, 10, 11, 0, tzinfo=SH)), "C", SETTINGS
    )
    late = reply_deadline(facts(answered_at=datetime(2026, 3, 11, 9, 0, tzinfo=SH)), "C", SETTINGS)
    assert on_time.evidence[-1].rule == "deadline.answered_on_time"
    assert late.evidence[-1].rule == "deadline.answered_late"


def test_due_list_sorted_with_overdue_flags():
    now = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai
    d1 = reply_deadline(facts("b", text="catalogue please"), "B", SETTINGS)
    d2 = reply_deadline(facts("c", at=datetime(2026, 3, 10, 9, 0, tzinfo=SH)), "C", SETTINGS)
    d3 = reply_deadline(facts("d", at=datetime(2026, 3, 10, 13, 30, tzinfo=SH)), "D", SETTINGS)
    d4 = reply_deadline(
        facts("done", answered_at=datetime(2026, 3, 10, 10, 5, tzinfo=SH)), "C", SETTINGS
    )
    rows = due_list([d1, d3, d4, d2], now)
    assert [r.deadline.message_id for r in rows] == ["c", "d", "b"]
    assert [r.overdue for r in rows] == [True, False, False]
    assert rows[0].overdue_by == timedelta(hours=3)  # due 11:00, now 14:00
    assert rows[1].remaining == timedelta(hours=1, minutes=30)
    assert rows[2].overdue_by == timedelta(0)
    with pytest.raises(ValueError):
        due_list([d1], datetime(2026, 3, 10, 6, 0))  # noqa: DTZ001


def test_due_list_ties_prefer_key_accounts():
    at = datetime(2026, 3, 10, 10, 0, tzinfo=SH)
    c = reply_deadline(facts("c", at=at), "C", SETTINGS)
    d = reply_deadline(facts("d", at=at), "D", SETTINGS)
    rows = due_list([c, d], at)
    assert [r.deadline.message_id for r in rows] == ["d", "c"]


def test_response_stats_per_salesperson():
    base = datetime(2026, 3, 10, 9, 0, tzinfo=SH)
    items = []
    for i, minutes in enumerate([30, 60, 90, 300]):  # Li answers 0.5, 1, 1.5, 4 h
        items.append(
            reply_deadline(
                facts(f"li{i}", at=base, salesperson="li",
                      answered_at=base + timedelta(minutes=minutes)),
                "C", SETTINGS,
            )
        )  # fmt: skip
    # Ana answers the Friday 17:30 message on Monday 09:30: 1 business hour, on time.
    fri = datetime(2026, 3, 13, 17, 30, tzinfo=SH)
    items.append(
        reply_deadline(
            facts("ana1", at=fri, salesperson="ana",
                  answered_at=datetime(2026, 3, 16, 9, 30, tzinfo=SH)),
            "C", SETTINGS,
        )
    )  # fmt: skip
    items.append(reply_deadline(facts("ana2", at=base, salesperson="ana"), "C", SETTINGS))
    stats = {s.salesperson: s for s in response_stats(items, CAL, datetime(2026, 3, 17, tzinfo=SH))}
    li, ana = stats["li"], stats["ana"]
    assert li.answered == 4 and li.median_hours == 1.25
    assert li.p90_hours == 4.0  # 09:00 -> 14:00 is 4 business hours (lunch)
    # 5 h after 09:00 crosses lunch: answered 14:00 but due at 12:00 -> late.
    assert li.on_time == 3 and li.on_time_rate == 0.75
    assert ana.answered == 1 and ana.median_hours == 1.0 and ana.on_time == 1
    assert ana.open_overdue == 1


def _raw(
    extra: str = "", subject: str = "RFQ LED panels", body: str = "Price for 500 pcs?"
) -> bytes:
    return (
        "From: Hans <hans@mueller.de>\r\nTo: anna@bright.cn\r\n"
        f"Subject: {subject}\r\nDate: Tue, 10 Mar 2026 02:00:00 +0000\r\n"
        f"Message-ID: <x1@mueller.de>\r\n{extra}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body}\r\n"
    ).encode()


def test_facts_from_parsed_messages():
    from tradeinbox.core.deals.deadlines import facts_from_parsed
    from tradeinbox.core.parse import parse_message

    def facts_of(raw: bytes) -> MessageFacts:
        return facts_from_parsed(
            parse_message(raw), message_id="x1", direction="in", from_customer=True
        )

    plain = facts_of(_raw())
    assert plain.received_at == datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    assert not (plain.is_autoreply or plain.is_bounce or plain.list_mail)
    assert reply_deadline(plain, "C", SETTINGS).due_at == datetime(2026, 3, 10, 12, 0, tzinfo=SH)
    auto = facts_of(_raw("Auto-Submitted: auto-replied\r\n", "Out of office", "I am away."))
    assert auto.is_autoreply and reply_deadline(auto, "C", SETTINGS) is None
    news = facts_of(_raw("List-Unsubscribe: <mailto:u@mueller.de>\r\nPrecedence: bulk\r\n"))
    assert news.list_mail and reply_deadline(news, None, SETTINGS) is None
