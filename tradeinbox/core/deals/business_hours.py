"""Counting time in the seller's business hours.

A "reply within 2 hours" promise is kept in the seller's working time: a buyer who writes on
Friday at 17:30 in Ningbo is answered on time on Monday at 10:30 when the office works
9:00-18:00 with a lunch break. :class:`BusinessCalendar` holds the seller's time zone (IANA,
via :mod:`zoneinfo` so DST transitions are exact), working days, daily opening hours with
optional breaks, the public holidays of the seller's country from the ``holidays`` package,
and *adjusted working days*: China (and a few others) move weekend days into working days
around Spring Festival and National Day (调休); ``holidays`` lists them as
``weekend_workdays``, and they are honoured here.

All arithmetic happens in UTC between the UTC instants of each local opening interval, so a
day with a DST jump simply has one hour more or less of wall clock, never a wrong deadline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as holidays_lib

__all__ = [
    "BusinessCalendar",
    "deadline",
    "business_duration",
    "is_business_time",
    "next_business_moment",
    "add_business_days",
]

#: Safety bound for calendars with (almost) no working time.
_MAX_DAYS = 3 * 366


@lru_cache(maxsize=256)
def _country_holidays(country: str, subdiv: str | None, year: int):
    return holidays_lib.country_holidays(country, subdiv=subdiv, years=year)


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """The seller's working time.

    ``workdays``: ISO-less Python weekday numbers (Monday 0 .. Sunday 6). ``hours``: opening
    intervals of a working day in local wall-clock time, e.g. ``((9:00, 12:00), (13:00,
    18:00))`` for a lunch break; build it with :meth:`standard`. ``country`` / ``subdiv``:
    ISO 3166 codes for public holidays (None: no holidays). ``adjusted_workdays``: honour
    the country's official weekend working days (China's 调休). ``extra_holidays`` and
    ``extra_workdays`` are the company's own closures and make-up days; they win over the
    country data.
    """

    tz: str = "UTC"
    workdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    hours: tuple[tuple[time, time], ...] = ((time(9), time(18)),)
    country: str | None = None
    subdiv: str | None = None
    adjusted_workdays: bool = True
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        ZoneInfo(self.tz)  # raises ZoneInfoNotFoundError for a bad name
        last = time(0)
        for i, (start, end) in enumerate(self.hours):
            if not start < end:
                raise ValueError(f"business interval {start}-{end} is empty or crosses midnight")
            if i and start < last:
                raise ValueError("business intervals must be sorted and not overlap")
            last = end
        if any(d not in range(7) for d in self.workdays):
            raise ValueError("workdays are weekday numbers 0 (Monday) .. 6 (Sunday)")

    @classmethod
    def standard(
        cls,
        tz: str,
        *,
        start: time = time(9),
        end: time = time(18),
        lunch: tuple[time, time] | None = None,
        workdays: frozenset[int] | None = None,
        country: str | None = None,
        subdiv: str | None = None,
        **kwargs,
    ) -> BusinessCalendar:
        """A calendar with one opening interval per day, optionally split by ``lunch``.

        ``workdays`` defaults to the country's custom (Sunday-Thursday in Saudi Arabia ...)
        when ``country`` is given, else Monday to Friday.
        """
        if lunch and start < lunch[0] < lunch[1] < end:
            hours = ((start, lunch[0]), (lunch[1], end))
        else:
            hours = ((start, end),)
        if workdays is None:
            workdays = frozenset({0, 1, 2, 3, 4})
            if country:
                try:
                    weekend = _country_holidays(country, subdiv, 2024).weekend
                    workdays = frozenset(set(range(7)) - set(weekend))
                except NotImplementedError:
                    pass
        return cls(tz, workdays, hours, country, subdiv, **kwargs)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    def day_status(self, day: date) -> tuple[bool, str]:
        """``(is a working day, why)`` for ``day`` (local date)."""
        if day in self.extra_holidays:
            return False, "company holiday"
        if day in self.extra_workdays:
            return True, "company working day"
        if self.country:
            try:
                hol = _country_holidays(self.country, self.subdiv, day.year)
            except NotImplementedError:
                hol = None
            if hol is not None:
                name = hol.get(day)
                if name:
                    return False, f"public holiday: {name}"
                if self.adjusted_workdays and day in getattr(hol, "weekend_workdays", ()):
                    return True, "adjusted working day"
        if day.weekday() in self.workdays:
            return True, "working day"
        return False, "weekend"

    def is_working_day(self, day: date) -> bool:
        return self.day_status(day)[0]

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The UTC ``(start, end)`` opening intervals of local ``day`` (empty on days off)."""
        if not self.is_working_day(day):
            return []
        zone = self.zone
        out: list[tuple[datetime, datetime]] = []
        for start, end in self.hours:
            a = _to_utc(datetime.combine(day, start, zone))
            b = _to_utc(datetime.combine(day, end, zone))
            if out and a < out[-1][1]:
                a = out[-1][1]  # a DST fall-back can fold the end of one into the next
            if a < b:
                out.append((a, b))
        return out

    def local(self, moment: datetime) -> datetime:
        return _aware(moment).astimezone(self.zone)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("timezone-aware datetimes only")
    return moment


def _to_utc(local: datetime) -> datetime:
    """UTC instant of a local wall-clock time. A time skipped by a spring-forward jump maps
    to the instant the clocks jumped to (the first valid local time after it)."""
    utc = local.astimezone(UTC)
    back = utc.astimezone(local.tzinfo)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        # Non-existent wall time: zoneinfo used the pre-transition offset (fold=0), which
        # lands after the gap; use the gap's end instead so intervals never start late.
        utc = local.replace(fold=1).astimezone(UTC)
        utc = min(utc, local.astimezone(UTC))
        gap_end = utc
        while gap_end.astimezone(local.tzinfo).replace(tzinfo=None) < local.replace(tzinfo=None):
            gap_end += timedelta(minutes=15)
        return gap_end
    return utc


def _days_from(moment: datetime, cal: BusinessCalendar):
    day = cal.local(moment).date()
    # Start one day early: an interval of the previous local day can still be open in UTC
    # terms only if hours crossed midnight, which is refused; one day back is cheap insurance.
    day -= timedelta(days=1)
    for _ in range(_MAX_DAYS):
        yield day
        day += timedelta(days=1)


def deadline(received_at: datetime, hours: float, calendar: BusinessCalendar) -> datetime:
    """The moment ``hours`` business hours after ``received_at``, in the calendar's zone.

    A message received outside business time starts counting at the next opening; a
    deadline that falls exactly at closing time stays there (the day's last minute counts).
    ``hours`` of 0 gives the next business moment.
    """
    start = _aware(received_at).astimezone(UTC)
    if hours < 0:
        raise ValueError("hours must not be negative")
    remaining = timedelta(hours=hours)
    for day in _days_from(start, calendar):
        for a, b in calendar.intervals(day):
            if b <= start and not (remaining == timedelta(0) and b == start):
                continue
            s = max(a, start)
            if remaining <= b - s:
                return (s + remaining).astimezone(calendar.zone)
            remaining -= b - s
    raise ValueError("the calendar has no business time in the next three years")


def business_duration(start: datetime, end: datetime, calendar: BusinessCalendar) -> timedelta:
    """Business time between two instants (negative when ``end`` is before ``start``):
    the real response time of a reply, measured the way its deadline was."""
    a = _aware(start).astimezone(UTC)
    b = _aware(end).astimezone(UTC)
    if b < a:
        return -business_duration(b, a, calendar)
    total = timedelta(0)
    day = calendar.local(a).date() - timedelta(days=1)
    last = calendar.local(b).date() + timedelta(days=1)
    while day <= last:
        for x, y in calendar.intervals(day):
            lo, hi = max(x, a), min(y, b)
            if lo < hi:
                total += hi - lo
        day += timedelta(days=1)
    return total


def is_business_time(moment: datetime, calendar: BusinessCalendar) -> bool:
    """True when ``moment`` lies inside an opening interval (start and end included)."""
    t = _aware(moment).astimezone(UTC)
    day = calendar.local(t).date()
    return any(a <= t <= b for a, b in calendar.intervals(day))


def next_business_moment(moment: datetime, calendar: BusinessCalendar) -> datetime:
    """``moment`` itself when inside business time, else the next opening."""
    return deadline(moment, 0, calendar)


def add_business_days(moment: datetime, days: int, calendar: BusinessCalendar) -> datetime:
    """The same local wall-clock time ``days`` working days later (clamped into business
    time): how a follow-up "+2 days" is scheduled without landing on a Sunday."""
    local = calendar.local(moment)
    day = local.date()
    count = 0
    for _ in range(_MAX_DAYS):
        if count >= days:
            break
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            count += 1
    else:
        raise ValueError("the calendar has no working days")
    target = _to_utc(datetime.combine(day, local.timetz().replace(tzinfo=None), calendar.zone))
    return next_business_moment(target, calendar)
