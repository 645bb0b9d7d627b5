"""When to send: the recipient's time zone, working days, public holidays.

A mail that arrives at 03:00 or on the buyer's weekend sinks under the morning's pile.
Export sellers therefore time their mails for the start of the buyer's working day.

The recipient's time zone comes from, in order of reliability:

1. the person's own setting (``RecipientFacts.timezone``, IANA name);
2. their phone number (libphonenumber's prefix-to-zone data, exact for most countries and
   for US/CA area codes);
3. their company's country;
4. the country-code TLD of their e-mail domain (``.de``, ``.com.br``; generic ccTLDs such
   as ``.io`` or ``.co`` are skipped);
5. the UTC offsets in the Date headers of their past messages (RFC 5322 section 3.3),
   the most common one.

A multi-zone country is narrowed with the past offsets when there are some, else its
business capital's zone is used. Weekends follow the country's custom (Friday-Saturday in
SA, EG, IL, QA, KW ...; Saturday-Sunday in the UAE since 2022; Friday only in IR) as
recorded by the ``holidays`` package, and so do public holidays.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import timezone as phone_timezone

from tradeinbox.core.i18n import tr, tr_noop

DEFAULT_WINDOW = (time(9, 0), time(11, 0))
NIGHT_START = time(21, 0)
NIGHT_END = time(7, 0)

# The zone most business happens in, for countries spanning several.
MAIN_ZONE = {
    "US": "America/New_York", "CA": "America/Toronto", "BR": "America/Sao_Paulo",
    "RU": "Europe/Moscow", "AU": "Australia/Sydney", "MX": "America/Mexico_City",
    "CN": "Asia/Shanghai", "ID": "Asia/Jakarta", "KZ": "Asia/Almaty",
    "AR": "America/Argentina/Buenos_Aires", "CL": "America/Santiago", "ES": "Europe/Madrid",
    "PT": "Europe/Lisbon", "EC": "America/Guayaquil", "DE": "Europe/Berlin",
    "MN": "Asia/Ulaanbaatar", "NZ": "Pacific/Auckland", "UA": "Europe/Kyiv",
    "MY": "Asia/Kuala_Lumpur", "CD": "Africa/Kinshasa", "UZ": "Asia/Tashkent",
    "PG": "Pacific/Port_Moresby", "FR": "Europe/Paris", "GB": "Europe/London",
    "NL": "Europe/Amsterdam", "DK": "Europe/Copenhagen", "CY": "Asia/Nicosia",
    "PS": "Asia/Gaza", "VN": "Asia/Ho_Chi_Minh", "KI": "Pacific/Tarawa",
}  # fmt: skip
# ccTLDs sold as generic names; they say nothing about where the company is.
GENERIC_CCTLDS = frozenset(
    "io co me tv ai ws cc fm am to ly gg la nu sh ac vc tk ml ga cf gq".split()
)
# TLDs that are not the ISO code of their country.
TLD_COUNTRY = {"uk": "GB", "su": "RU"}


@dataclass(slots=True)
class RecipientFacts:
    """What we know about where a recipient is. Every field is optional."""

    email: str = ""
    timezone: str = ""
    phone: str = ""
    country: str = ""  # the company's country, ISO 3166-1 alpha-2
    past_utc_offsets: list[int] = field(default_factory=list)  # minutes east of UTC
    subdivision: str = ""  # state/province for regional holidays, when known


@dataclass(frozen=True, slots=True)
class Suggestion:
    send_at_utc: datetime
    local_time: datetime
    tz: str
    reasons: list[str]


def _zone(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _fixed(minutes: int) -> tzinfo:
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return timezone(timedelta(minutes=minutes), f"UTC{sign}{hours:02d}:{mins:02d}")


@lru_cache(maxsize=512)
def _country_zones(country: str) -> tuple[str, ...]:
    from babel.core import get_global

    return tuple(get_global("territory_zones").get(country.upper(), ()))


def _zone_country(name: str) -> str:
    from babel.core import get_global

    return get_global("zone_territories").get(name, "") or ""


def _offset_now(name: str, at: datetime) -> int | None:
    zone = _zone(name)
    if zone is None:
        return None
    offset = at.astimezone(zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else None


def _pick(zones: list[str] | tuple[str, ...], country: str, offsets: list[int]) -> tuple[str, str]:
    """One zone out of several: the one matching the past offsets, else the country's main one."""
    zones = [z for z in zones if _zone(z) is not None]
    if not zones:
        return "", ""
    if len(zones) == 1:
        return zones[0], ""
    if offsets:
        common = Counter(offsets).most_common(1)[0][0]
        now = datetime.now(UTC)
        # Past offsets may be summer or winter time: accept a match in either half of the year.
        probes = [now, now - timedelta(days=182)]
        matching = [z for z in zones if any(_offset_now(z, p) == common for p in probes)]
        if matching:
            main = MAIN_ZONE.get(country)
            chosen = main if main in matching else matching[0]
            offset = _fixed(common).tzname(None)
            return chosen, tr("(narrowed by past UTC offset %(offset)s)", offset=offset)
    main = MAIN_ZONE.get(country)
    if main in zones:
        return main, tr("(main zone of %(country)s)", country=country)
    return zones[0], tr("(one of %(count)d zones)", count=len(zones))


def _phone_region(phone: str, country: str) -> tuple[phonenumbers.PhoneNumber | None, str]:
    try:
        number = phonenumbers.parse(phone, country.upper() or None)
    except phonenumbers.NumberParseException:
        return None, ""
    if not phonenumbers.is_possible_number(number):
        return None, ""
    return number, phonenumbers.region_code_for_number(number) or ""


def cctld_country(email: str) -> str:
    """The country of an address's ccTLD ("x@buyer.com.br" -> "BR"), or ""."""
    domain = email.rpartition("@")[2].lower().strip(".")
    tld = domain.rpartition(".")[2]
    if len(tld) != 2 or tld in GENERIC_CCTLDS:
        return ""
    return TLD_COUNTRY.get(tld, tld.upper())


def recipient_country(facts: RecipientFacts) -> str:
    """The recipient's country for weekends and holidays: company country, phone, ccTLD, zone."""
    if facts.country:
        return facts.country.upper()
    if facts.phone:
        _, region = _phone_region(facts.phone, "")
        if region and region != "001":
            return region
    if facts.email and cctld_country(facts.email):
        return cctld_country(facts.email)
    if facts.timezone:
        return _zone_country(facts.timezone)
    return ""


def _with_note(reason: str, note: str) -> str:
    # Kept as two messages joined by a space, so a stored reason can be mapped back to both.
    return f"{reason} {note}" if note else reason


def recipient_timezone(facts: RecipientFacts) -> tuple[str, str]:
    """``(zone name, reason)``; the name is an IANA zone or "UTC+hh:mm"; ("", reason) if unknown."""
    if facts.timezone and _zone(facts.timezone):
        return facts.timezone, tr("time zone %(zone)s set for this contact", zone=facts.timezone)
    offsets = list(facts.past_utc_offsets)
    if facts.phone:
        number, region = _phone_region(facts.phone, facts.country)
        if number is not None:
            zones = [z for z in phone_timezone.time_zones_for_number(number) if z != "Etc/Unknown"]
            name, note = _pick(zones, region, offsets)
            if name:
                why = tr(
                    "time zone %(zone)s from the phone number %(phone)s",
                    zone=name,
                    phone=facts.phone,
                )
                return name, _with_note(why, note)
    if facts.country:
        country = facts.country.upper()
        name, note = _pick(_country_zones(country), country, offsets)
        if name:
            why = tr(
                "time zone %(zone)s from the company's country %(country)s",
                zone=name,
                country=country,
            )
            return name, _with_note(why, note)
    if facts.email:
        country = cctld_country(facts.email)
        if country:
            name, note = _pick(_country_zones(country), country, offsets)
            if name:
                domain = facts.email.rpartition("@")[2]
                why = tr(
                    "time zone %(zone)s from the country domain of %(domain)s",
                    zone=name,
                    domain=domain,
                )
                return name, _with_note(why, note)
    if offsets:
        common, count = Counter(offsets).most_common(1)[0]
        fixed = _fixed(common).tzname(None) or "UTC"
        return fixed, tr(
            "UTC offset %(offset)s seen in %(count)d of their past messages",
            offset=fixed,
            count=count,
        )
    return "", tr("the recipient's time zone is unknown")


def tzinfo_for(name: str) -> tzinfo:
    """A tzinfo for a name returned by :func:`recipient_timezone` ("" means UTC)."""
    if not name:
        return UTC
    if name.startswith("UTC") and len(name) == 9:
        sign = 1 if name[3] == "+" else -1
        return _fixed(sign * (int(name[4:6]) * 60 + int(name[7:9])))
    return _zone(name) or UTC


@lru_cache(maxsize=256)
def _holidays(country: str, year: int, subdivision: str = ""):
    import holidays

    try:
        return holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    except (NotImplementedError, KeyError, ValueError, AttributeError):
        return None


def weekend_days(country: str) -> frozenset[int]:
    """Weekday numbers (Monday = 0) of the country's weekend; Saturday-Sunday when unknown."""
    table = _holidays(country, 2024) if country else None
    weekend = getattr(table, "weekend", None)
    return frozenset(weekend) if weekend else frozenset({5, 6})


def day_off(day: date, country: str, subdivision: str = "") -> str:
    """Why ``day`` is not a working day in ``country`` ("weekend", the holiday's name) or ""."""
    if day.weekday() in weekend_days(country):
        return "weekend"
    table = _holidays(country, day.year, subdivision) if country else None
    if table is not None and day in table:
        return str(table.get(day))
    return ""


# Day names go through tr() so a page shows them in the reader's language; strftime's
# %a/%A would follow the process locale instead.
_WEEKDAYS = (
    tr_noop("Monday"), tr_noop("Tuesday"), tr_noop("Wednesday"), tr_noop("Thursday"),
    tr_noop("Friday"), tr_noop("Saturday"), tr_noop("Sunday"),
)  # fmt: skip
_WEEKDAYS_SHORT = (
    tr_noop("Mon"), tr_noop("Tue"), tr_noop("Wed"), tr_noop("Thu"), tr_noop("Fri"),
    tr_noop("Sat"), tr_noop("Sun"),
)  # fmt: skip


def weekday_name(day: date, short: bool = False) -> str:
    """The day's name ("Sunday", or "Sun" with ``short``) in the installed language."""
    return tr((_WEEKDAYS_SHORT if short else _WEEKDAYS)[day.weekday()])


def _skipped(day: date, why: str, country: str) -> str:
    """The reason a day was skipped: "skipped Sat 2024-06-01 (weekend in DE)"."""
    # The day name is a placeholder of its own: a stored reason then shows it translated.
    when = {"weekday": weekday_name(day, short=True), "date": f"{day:%Y-%m-%d}"}
    if why == "weekend":
        if country:
            return tr(
                "skipped %(weekday)s %(date)s (weekend in %(country)s)", **when, country=country
            )
        return tr("skipped %(weekday)s %(date)s (weekend)", **when)
    if country:
        return tr(
            "skipped %(weekday)s %(date)s (public holiday: %(holiday)s in %(country)s)",
            **when,
            holiday=why,
            country=country,
        )
    return tr("skipped %(weekday)s %(date)s (public holiday: %(holiday)s)", **when, holiday=why)


def off_hours(send_at: datetime, facts: RecipientFacts) -> list[str]:
    """Reasons ``send_at`` is a bad moment for the recipient (night, weekend, holiday)."""
    name, _ = recipient_timezone(facts)
    if not name:
        return []
    local = send_at.astimezone(tzinfo_for(name))
    country = recipient_country(facts)
    reasons = []
    if local.time() >= NIGHT_START or local.time() < NIGHT_END:
        reasons.append(
            tr(
                "it is %(time)s at night for the recipient (%(zone)s)",
                time=f"{local:%H:%M}",
                zone=name,
            )
        )
    why = day_off(local.date(), country, facts.subdivision)
    if why == "weekend":
        day = weekday_name(local)
        if country:
            reasons.append(tr("%(day)s is a weekend day in %(country)s", day=day, country=country))
        else:
            reasons.append(tr("%(day)s is a weekend day in their country", day=day))
    elif why:
        reasons.append(
            tr(
                "%(date)s is a public holiday in %(country)s: %(holiday)s",
                date=f"{local:%Y-%m-%d}",
                country=country,
                holiday=why,
            )
        )
    return reasons


def suggest_send_time(
    facts: RecipientFacts,
    now: datetime,
    window: tuple[time, time] = DEFAULT_WINDOW,
    max_days: int = 21,
) -> Suggestion:
    """The next moment inside the recipient's business window (default 09:00-11:00 local)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    name, reason = recipient_timezone(facts)
    tz = tzinfo_for(name)
    reasons = [reason]
    if not name:
        reasons.append(
            tr("using UTC; set the contact's time zone or phone number for a better time")
        )
    country = recipient_country(facts)
    local_now = now.astimezone(tz)
    start, end = window
    for offset in range(max_days):
        day = local_now.date() + timedelta(days=offset)
        why = (
            day_off(day, country, facts.subdivision)
            if country
            else ("weekend" if day.weekday() >= 5 else "")
        )
        if why:
            reasons.append(_skipped(day, why, country))
            continue
        window_start = datetime.combine(day, start, tzinfo=tz)
        window_end = datetime.combine(day, end, tzinfo=tz)
        if offset == 0 and local_now >= window_end:
            reasons.append(
                tr(
                    "today's window %(start)s-%(end)s has passed",
                    start=f"{start:%H:%M}",
                    end=f"{end:%H:%M}",
                )
            )
            continue
        local = max(window_start, local_now.replace(second=0, microsecond=0))
        if local == local_now.replace(second=0, microsecond=0) and local_now > window_start:
            reasons.append(
                tr(
                    "now is inside the %(start)s-%(end)s window",
                    start=f"{start:%H:%M}",
                    end=f"{end:%H:%M}",
                )
            )
        else:
            reasons.append(
                tr(
                    "start of the %(start)s-%(end)s business window",
                    start=f"{start:%H:%M}",
                    end=f"{end:%H:%M}",
                )
            )
        return Suggestion(local.astimezone(UTC), local, name or "UTC", reasons)
    local = datetime.combine(local_now.date() + timedelta(days=1), start, tzinfo=tz)
    reasons.append(tr("no working day found in %(days)d days", days=max_days))
    return Suggestion(local.astimezone(UTC), local, name or "UTC", reasons)
