"""Business-hours arithmetic: deadlines and durations in the seller's working time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeinbox.core.deals.business_hours import (
    BusinessCalendar,
    add_business_days,
    business_duration,
    deadline,
    is_business_time,
    next_business_moment,
)

SH = ZoneInfo("Asia/Shanghai")
BER = ZoneInfo("Europe/Berlin")
NY = ZoneInfo("America/New_York")

NINGBO = BusinessCalendar.standard("Asia/Shanghai", lunch=(time(12), time(13, 30)), country="CN")
BERLIN = BusinessCalendar.standard("Europe/Berlin", start=time(8), end=time(17), country="DE")
NEWYORK = BusinessCalendar.standard("America/New_York", country="US")
PLAIN = BusinessCalendar("UTC")


def test_within_the_same_morning():
    got = deadline(datetime(2026, 3, 10, 9, 30, tzinfo=SH), 2, NINGBO)
    assert got == datetime(2026, 3, 10, 11, 30, tzinfo=SH)


def test_lunch_break_is_skipped():
    got = deadline(datetime(2026, 3, 10, 11, 0, tzinfo=SH), 2, NINGBO)
    # 1 h before lunch, lunch 12:00-13:30, then 1 h more.
    assert got == datetime(2026, 3, 10, 14, 30, tzinfo=SH)


def test_friday_evening_rolls_to_monday():
    got = deadline(datetime(2026, 3, 13, 17, 30, tzinfo=SH), 2, NINGBO)  # Friday
    assert got == datetime(2026, 3, 16, 10, 30, tzinfo=SH)


def test_received_at_night_in_another_zone():
    # 02:00 UTC on Tuesday is 10:00 in Shanghai: counting starts at once.
    got = deadline(datetime(2026, 3, 10, 2, 0, tzinfo=UTC), 1, NINGBO)
    assert got == datetime(2026, 3, 10, 11, 0, tzinfo=SH)


def test_24_business_hours_span_three_days():
    got = deadline(datetime(2026, 3, 10, 9, 0, tzinfo=SH), 24, NINGBO)
    # 7.5 business hours a day: Tue 7.5, Wed 7.5, Thu 7.5 = 22.5, Fri +1.5 -> 10:30.
    assert got == datetime(2026, 3, 13, 10, 30, tzinfo=SH)


def test_deadline_at_closing_stays_at_closing():
    got = deadline(datetime(2026, 3, 10, 16, 0, tzinfo=SH), 2, NINGBO)
    assert got == datetime(2026, 3, 10, 18, 0, tzinfo=SH)


def test_chinese_national_day_and_adjusted_saturday():
    # 2025: 1-8 October off; Saturday 11 October is an official working day (调休).
    got = deadline(datetime(2025, 9, 30, 17, 0, tzinfo=SH), 2, NINGBO)
    assert got == datetime(2025, 10, 9, 10, 0, tzinfo=SH)
    assert NINGBO.day_status(date(2025, 10, 11)) == (True, "adjusted working day")
    got = deadline(datetime(2025, 10, 10, 17, 0, tzinfo=SH), 2, NINGBO)  # Friday
    assert got == datetime(2025, 10, 11, 10, 0, tzinfo=SH)
    no_adjust = BusinessCalendar.standard("Asia/Shanghai", country="CN", adjusted_workdays=False)
    assert not no_adjust.is_working_day(date(2025, 10, 11))


def test_public_holiday_and_company_days():
    # Good Friday 2026-04-03 and Easter Monday 2026-04-06 in Germany.
    got = deadline(datetime(2026, 4, 2, 16, 0, tzinfo=BER), 2, BERLIN)
    assert got == datetime(2026, 4, 7, 9, 0, tzinfo=BER)
    company = BusinessCalendar.standard(
        "Europe/Berlin", start=time(8), end=time(17), country="DE",
        extra_holidays=frozenset({date(2026, 4, 7)}),
    )  # fmt: skip
    assert deadline(datetime(2026, 4, 2, 16, 0, tzinfo=BER), 2, company) == datetime(
        2026, 4, 8, 9, 0, tzinfo=BER
    )
    ops = BusinessCalendar("UTC", extra_workdays=frozenset({date(2026, 3, 14)}))
    assert deadline(datetime(2026, 3, 13, 17, 0, tzinfo=UTC), 2, ops) == datetime(
        2026, 3, 14, 10, 0, tzinfo=UTC
    )


def test_weekend_follows_country_custom():
    riyadh = BusinessCalendar.standard("Asia/Riyadh", country="SA")
    assert riyadh.workdays == frozenset({6, 0, 1, 2, 3})


def test_dst_spring_forward_new_york():
    # 2026-03-08 is the US spring-forward Sunday; Friday 17:00 + 2 h -> Monday 10:00 EDT.
    got = deadline(datetime(2026, 3, 6, 17, 0, tzinfo=NY), 2, NEWYORK)
    assert got == datetime(2026, 3, 9, 10, 0, tzinfo=NY)
    assert got.utcoffset() == timedelta(hours=-4)


def test_dst_transition_inside_business_hours():
    # A 24-hour office in Berlin: on 2026-03-29 the clocks jump 02:00 -> 03:00.
    always = BusinessCalendar("Europe/Berlin", frozenset(range(7)), ((time(0), time(23, 59)),))
    start = datetime(2026, 3, 29, 1, 0, tzinfo=BER)
    got = deadline(start, 2, always)
    # Real elapsed time, not wall clock (same-zone subtraction in Python is wall clock).
    assert got.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=2)
    assert got == datetime(2026, 3, 29, 4, 0, tzinfo=BER)
    # Fall back 2026-10-25 03:00 -> 02:00: that day has 25 real hours.
    day = business_duration(
        datetime(2026, 10, 25, 0, 0, tzinfo=BER), datetime(2026, 10, 25, 23, 59, tzinfo=BER), always
    )
    assert day == timedelta(hours=24, minutes=59)


def test_business_duration_matches_deadline():
    start = datetime(2026, 3, 13, 16, 0, tzinfo=SH)
    end = deadline(start, 5, NINGBO)
    assert business_duration(start, end, NINGBO) == timedelta(hours=5)
    assert business_duration(end, start, NINGBO) == -timedelta(hours=5)


def test_next_business_moment_and_add_days():
    sat = datetime(2026, 3, 14, 15, 0, tzinfo=SH)
    assert next_business_moment(sat, NINGBO) == datetime(2026, 3, 16, 9, 0, tzinfo=SH)
    fri = datetime(2026, 3, 13, 10, 0, tzinfo=SH)
    assert add_business_days(fri, 2, NINGBO) == datetime(2026, 3, 17, 10, 0, tzinfo=SH)


def test_naive_datetimes_and_bad_calendars_are_refused():
    with pytest.raises(ValueError):
        deadline(datetime(2026, 3, 10, 9, 0), 2, PLAIN)  # noqa: DTZ001
    with pytest.raises(ValueError):
        BusinessCalendar("UTC", hours=((time(18), time(9)),))
    with pytest.raises(ValueError):
        deadline(datetime(2026, 3, 10, 9, 0, tzinfo=UTC), 2, BusinessCalendar("UTC", frozenset()))


# --- properties -----------------------------------------------------------------------------

CALENDARS = [NINGBO, BERLIN, NEWYORK, PLAIN]
moments = st.datetimes(
    # hypothesis takes naive bounds and attaches the zone itself
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@settings(max_examples=120, deadline=None)
@given(moments, st.floats(min_value=0, max_value=60), st.sampled_from(CALENDARS))
def test_deadline_is_inside_business_time_and_counts_exactly(start, hours, cal):
    hours = round(hours, 2)
    due = deadline(start, hours, cal)
    assert due.tzinfo is not None
    assert is_business_time(due, cal)
    assert due >= start
    measured = business_duration(start, due, cal)
    assert abs(measured - timedelta(hours=hours)) < timedelta(seconds=1)


@settings(max_examples=80, deadline=None)
@given(moments, moments, st.floats(min_value=0, max_value=40), st.sampled_from(CALENDARS))
def test_deadline_is_monotone_in_start(a, b, hours, cal):
    a, b = min(a, b), max(a, b)
    assert deadline(a, hours, cal) <= deadline(b, hours, cal)


@settings(max_examples=80, deadline=None)
@given(moments, st.floats(0, 30), st.floats(0, 30), st.sampled_from(CALENDARS))
def test_deadline_is_monotone_in_hours(start, h1, h2, cal):
    lo, hi = min(h1, h2), max(h1, h2)
    assert deadline(start, lo, cal) <= deadline(start, hi, cal)


DST_DAYS = [
    (BERLIN, datetime(2026, 3, 27, tzinfo=UTC)),
    (BERLIN, datetime(2026, 10, 23, tzinfo=UTC)),
    (NEWYORK, datetime(2026, 3, 6, tzinfo=UTC)),
    (NEWYORK, datetime(2026, 10, 30, tzinfo=UTC)),
]


@settings(max_examples=80, deadline=None)
@given(st.sampled_from(DST_DAYS), st.integers(0, 4 * 24 * 60), st.floats(0, 20))
def test_around_dst_transitions(case, minutes, hours):
    cal, base = case
    start = base + timedelta(minutes=minutes)
    due = deadline(start, hours, cal)
    assert is_business_time(due, cal)
    local = due.astimezone(cal.zone)
    assert time(8) <= local.time() <= time(18)
    assert abs(business_duration(start, due, cal) - timedelta(hours=hours)) < timedelta(seconds=1)


def test_opening_time_skipped_by_spring_forward_starts_at_the_jump():
    # Hours 02:30-05:00: on 2026-03-29 02:30 does not exist in Berlin; the day opens at 03:00.
    night = BusinessCalendar("Europe/Berlin", frozenset(range(7)), ((time(2, 30), time(5)),))
    ((start, end),) = night.intervals(date(2026, 3, 29))
    assert start.astimezone(BER) == datetime(2026, 3, 29, 3, 0, tzinfo=BER)
    assert end - start == timedelta(hours=2)
    # On the fall-back day 02:30 happens twice; the first occurrence opens the office.
    ((start, end),) = night.intervals(date(2026, 10, 25))
    assert end - start == timedelta(hours=3, minutes=30)
