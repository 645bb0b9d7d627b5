"""Send-time suggestion: time zone sources in order, weekends by country, holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeinbox.core.writing.sendtime import (
    RecipientFacts,
    cctld_country,
    day_off,
    off_hours,
    recipient_timezone,
    suggest_send_time,
    weekend_days,
)


def test_timezone_sources_in_order():
    assert (
        recipient_timezone(RecipientFacts(timezone="Asia/Dubai", phone="+8613800138000"))[0]
        == "Asia/Dubai"
    )
    tz, reason = recipient_timezone(RecipientFacts(phone="+8613800138000", country="US"))
    assert tz == "Asia/Shanghai" and "phone" in reason
    assert recipient_timezone(RecipientFacts(phone="+1 212 555 0123"))[0] == "America/New_York"
    assert recipient_timezone(RecipientFacts(phone="+1 415 555 0123"))[0] == "America/Los_Angeles"
    assert recipient_timezone(RecipientFacts(country="SA", email="a@x.de"))[0] == "Asia/Riyadh"
    tz, reason = recipient_timezone(RecipientFacts(email="buyer@firma.com.br"))
    assert tz == "America/Sao_Paulo" and "country domain" in reason
    tz, reason = recipient_timezone(
        RecipientFacts(email="a@startup.io", past_utc_offsets=[330, 330, 0])
    )
    assert tz == "UTC+05:30" and "past messages" in reason
    assert recipient_timezone(RecipientFacts(email="a@x.com"))[0] == ""


def test_multi_zone_country_narrowed_by_past_offsets():
    tz, _ = recipient_timezone(RecipientFacts(country="US", past_utc_offsets=[-420, -480, -480]))
    assert tz in ("America/Los_Angeles", "America/Vancouver") or tz.startswith("America/")
    assert tz != "America/New_York"
    assert recipient_timezone(RecipientFacts(country="US"))[0] == "America/New_York"


def test_cctld():
    assert cctld_country("a@b.co.uk") == "GB"
    assert cctld_country("a@b.io") == "" and cctld_country("a@b.com") == ""


def test_weekends_follow_local_custom():
    assert weekend_days("SA") == {4, 5}  # Friday-Saturday
    assert weekend_days("AE") == {5, 6}  # Saturday-Sunday since 2022
    assert weekend_days("IL") == {4, 5}
    assert weekend_days("DE") == {5, 6}
    assert weekend_days("") == {5, 6}


def test_skips_weekend_and_holiday_with_reasons():
    # Friday 2025-03-07 08:00 UTC: weekend in Riyadh -> Sunday 09:00 local (06:00 UTC).
    s = suggest_send_time(RecipientFacts(country="SA"), datetime(2025, 3, 7, 8, 0, tzinfo=UTC))
    assert s.local_time.strftime("%a %H:%M") == "Sun 09:00" and s.send_at_utc.hour == 6
    assert any("weekend" in r for r in s.reasons)
    # 2025-10-01 is China's National Day (holiday through 10-03; 10-04/05 weekend).
    s = suggest_send_time(
        RecipientFacts(phone="+8613800138000"), datetime(2025, 9, 30, 4, 0, tzinfo=UTC)
    )
    assert (
        s.local_time.date().isoformat() >= "2025-10-06"
        or s.local_time.date().isoformat() == "2025-09-30"
    )
    assert day_off(date(2025, 10, 1), "CN")


def test_inside_window_sends_now_and_after_window_next_day():
    now = datetime(2025, 3, 4, 9, 30, tzinfo=UTC)  # Tue 10:30 in Berlin
    s = suggest_send_time(RecipientFacts(country="DE"), now)
    assert s.send_at_utc == now and any("inside" in r for r in s.reasons)
    later = suggest_send_time(RecipientFacts(country="DE"), datetime(2025, 3, 4, 14, 0, tzinfo=UTC))
    assert later.local_time.strftime("%a %H:%M") == "Wed 09:00"


def test_off_hours_reasons():
    facts = RecipientFacts(country="DE")
    assert any("night" in r for r in off_hours(datetime(2025, 3, 4, 1, 0, tzinfo=UTC), facts))
    assert any("holiday" in r for r in off_hours(datetime(2025, 12, 25, 10, 0, tzinfo=UTC), facts))
    assert off_hours(datetime(2025, 3, 4, 9, 0, tzinfo=UTC), facts) == []
    assert off_hours(datetime(2025, 3, 4, 1, 0, tzinfo=UTC), RecipientFacts(email="x@y.com")) == []


def test_naive_now_is_rejected():
    with pytest.raises(ValueError):
        suggest_send_time(RecipientFacts(), datetime(2025, 1, 1))  # noqa: DTZ001


@settings(max_examples=80, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
        max_value=datetime(2027, 12, 31),  # noqa: DTZ001
        timezones=st.just(UTC),
    ),
    st.sampled_from(["SA", "AE", "CN", "US", "DE", "BR", "IL", "IN", ""]),
)
def test_suggestion_is_always_a_working_morning_in_the_future(now, country):
    s = suggest_send_time(RecipientFacts(country=country), now)
    assert s.send_at_utc >= now.replace(second=0, microsecond=0)
    assert s.send_at_utc - now < timedelta(days=22)
    assert 9 <= s.local_time.hour < 11
    if country:
        assert day_off(s.local_time.date(), country) == ""
