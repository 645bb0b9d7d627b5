"""Exports: an iCalendar feed of due replies and follow-ups, vCards, CSV of deals and contacts.

* **iCalendar** (RFC 5545): one ``VEVENT`` per due reply or follow-up, so that subscribed
  calendars (which mostly ignore ``VTODO``) show them. Content lines end in CRLF and are
  folded at 75 octets without splitting a UTF-8 sequence (section 3.1); TEXT values escape
  backslash, semicolon, comma and newline (section 3.3.11); ``DTSTAMP`` is UTC (3.8.7.2);
  ``UID`` is derived from the item's identity so re-fetching the feed updates events instead
  of duplicating them (3.8.4.7). The feed URL carries a per-user secret token
  (:func:`new_feed_token`, :func:`token_matches`).
* **vCard 4.0** (RFC 6350): ``FN``/``N``/``ORG``/``TITLE``, several ``EMAIL`` and ``TEL`` with
  ``PREF``, ``IMPP`` for WhatsApp/WeChat/Telegram/Skype as URIs (with Apple's
  ``X-SERVICE-TYPE`` so Contacts shows the service), the same folding and escaping.
* **CSV** (RFC 4180) with formula-injection protection: a text cell starting with ``=``,
  ``+``, ``-``, ``@``, tab or carriage return is prefixed with ``'`` (OWASP "CSV Injection"),
  so Excel/LibreOffice show it as text instead of evaluating it.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tradeinbox.core.deals.cadence import FollowUp
from tradeinbox.core.deals.deadlines import DueItem

__all__ = [
    "CalendarItem",
    "VCardPerson",
    "ical_escape",
    "fold_line",
    "ical_feed",
    "calendar_items",
    "vcard",
    "vcards",
    "csv_safe",
    "to_csv",
    "deals_csv",
    "contacts_csv",
    "DEAL_COLUMNS",
    "CONTACT_COLUMNS",
    "new_feed_token",
    "token_matches",
]

CRLF = "\r\n"


# --- content lines (shared by iCalendar and vCard) ------------------------------------------


def fold_line(line: str, limit: int = 75) -> str:
    """Fold one content line: at most ``limit`` octets per physical line, continuation
    lines start with a single space (RFC 5545 3.1, RFC 6350 3.2), never inside a UTF-8
    character. Returns the folded line without the final CRLF."""
    out: list[str] = []
    current = ""
    size = 0
    room = limit
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > room:
            out.append(current)
            current, size, room = "", 0, limit - 1  # the leading space takes one octet
        current += ch
        size += n
    out.append(current)
    return (CRLF + " ").join(out)


_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def ical_escape(value: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11; the same rules as RFC 6350 3.4)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")
    # CONTROL characters other than HTAB are not allowed in TEXT (RFC 5545 3.3.11 TSAFE-CHAR).
    return _CONTROL.sub("", value)


def _param(value: str) -> str:
    """A parameter value: quoted when it holds ``:;,`` (RFC 5545 3.1); DQUOTE and control
    characters are not allowed inside, so they are dropped."""
    value = re.sub(r'[\x00-\x1f\x7f"]', "", value)
    return f'"{value}"' if re.search(r"[:;,]", value) else value


def _uri(value: str) -> str:
    """URI values are not TEXT (no escaping) but must not break the content line."""
    return re.sub(r"[\x00-\x20\x7f]", "", value)


def _lines(lines: Iterable[str]) -> str:
    return "".join(fold_line(line) + CRLF for line in lines)


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("timezone-aware datetimes only")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


# --- iCalendar ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalendarItem:
    """A due reply (``kind="reply"``) or follow-up (``kind="followup"``) for the feed.
    ``key`` identifies the item across feed refreshes (message id, follow-up uid)."""

    key: str
    kind: str
    title: str
    due_at: datetime
    description: str = ""
    url: str = ""
    overdue: bool = False
    duration_minutes: int = 15
    categories: tuple[str, ...] = ()


def _uid(item: CalendarItem, domain: str) -> str:
    digest = hashlib.sha256(f"{item.kind}\x00{item.key}".encode()).hexdigest()[:32]
    return f"{item.kind}-{digest}@{domain}"


def ical_feed(
    items: Sequence[CalendarItem],
    *,
    name: str = "tradeinbox",
    domain: str = "tradeinbox.invalid",
    now: datetime | None = None,
    alarm_minutes: int | None = 15,
) -> str:
    """An RFC 5545 ``VCALENDAR`` with one ``VEVENT`` per item, times in UTC.

    ``now`` is the ``DTSTAMP`` (the feed's generation time, UTC). ``alarm_minutes`` adds a
    display alarm before each event (None: no alarm).
    """
    stamp = _utc(now or datetime.now(UTC))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//tradeinbox//Deals 1.0//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ical_escape(name)}",
        f"NAME:{ical_escape(name)}",
        "REFRESH-INTERVAL;VALUE=DURATION:PT15M",
        "X-PUBLISHED-TTL:PT15M",
    ]
    for item in sorted(items, key=lambda i: (i.due_at, i.kind, i.key)):
        start = item.due_at
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_uid(item, domain)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_utc(start)}",
            f"DTEND:{_utc(start + timedelta(minutes=max(1, item.duration_minutes)))}",
            f"SUMMARY:{ical_escape(('[overdue] ' if item.overdue else '') + item.title)}",
        ]
        if item.description:
            lines.append(f"DESCRIPTION:{ical_escape(item.description)}")
        if item.url:
            # URI values are not TEXT: no escaping, but no line breaks either.
            lines.append(f"URL:{_uri(item.url)}")
        cats = [item.kind, *item.categories]
        lines.append("CATEGORIES:" + ",".join(ical_escape(c) for c in cats))
        lines.append("TRANSP:TRANSPARENT")
        if alarm_minutes is not None:
            lines += [
                "BEGIN:VALARM",
                "ACTION:DISPLAY",
                f"DESCRIPTION:{ical_escape(item.title)}",
                f"TRIGGER:-PT{int(alarm_minutes)}M",
                "END:VALARM",
            ]
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return _lines(lines)


def calendar_items(
    due: Iterable[DueItem] = (),
    followups: Iterable[FollowUp] = (),
    *,
    url_for: Callable[[str, str], str] | None = None,
    title_for: Callable[[str, object], str] | None = None,
) -> list[CalendarItem]:
    """Feed items from the Due list and planned follow-ups.

    ``url_for(kind, key)`` builds the link to the message or deal; ``title_for(kind, obj)``
    a custom summary (default: "Reply: <subject>" / "Follow up <deal> (step n)").
    """
    items: list[CalendarItem] = []
    for row in due:
        d = row.deadline
        title = title_for("reply", d) if title_for else f"Reply: {d.subject or d.message_id}"
        grade = f"grade {d.grade}, " if d.grade else ""
        items.append(
            CalendarItem(
                key=d.message_id,
                kind="reply",
                title=title,
                due_at=d.due_at,
                description=f"{grade}{d.hours:g} business hours; received {d.received_at.isoformat()}",
                url=url_for("reply", d.message_id) if url_for else "",
                overdue=row.overdue,
                categories=(f"grade-{d.grade}",) if d.grade else (),
            )
        )
    for f in followups:
        if f.action == "suggest_channel":
            default = f"Call or message {f.person} on {f.channel} ({f.deal})"
        else:
            default = f"Follow up {f.deal} with {f.person} (step {f.step})"
        title = title_for("followup", f) if title_for else default
        detail = "\n".join(e.detail for e in f.evidence)
        items.append(
            CalendarItem(
                key=f.uid,
                kind="followup",
                title=title,
                due_at=f.due_at,
                description=detail,
                url=url_for("followup", f.deal) if url_for else "",
                categories=(f.action,),
            )
        )
    return items


def new_feed_token() -> str:
    """A fresh secret for a user's feed URL (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_matches(given: str, stored: str) -> bool:
    """Constant-time token comparison (no timing oracle on the feed URL)."""
    return bool(given) and bool(stored) and hmac.compare_digest(given.encode(), stored.encode())


# --- vCard ----------------------------------------------------------------------------------


@dataclass(slots=True)
class VCardPerson:
    """A person to export. ``emails`` / ``phones``: ``(value, type)`` pairs, first preferred
    (type e.g. ``"work"``, ``"home"``, ``"cell"``). ``messengers``: ``(service, handle)``
    with service ``whatsapp``, ``wechat``, ``telegram``, ``skype`` (others: ``x-<name>``)."""

    uid: str
    full_name: str
    family_name: str = ""
    given_name: str = ""
    org: str = ""
    title: str = ""
    emails: Sequence[tuple[str, str]] = ()
    phones: Sequence[tuple[str, str]] = ()
    messengers: Sequence[tuple[str, str]] = ()
    country: str = ""
    note: str = ""
    url: str = ""
    categories: Sequence[str] = field(default_factory=tuple)
    updated: datetime | None = None


_SERVICE_NAMES = {
    "whatsapp": "WhatsApp",
    "wechat": "WeChat",
    "telegram": "Telegram",
    "skype": "Skype",
}


def _impp_uri(service: str, handle: str) -> str:
    """A URI for a messenger handle. WhatsApp and Telegram have official https links;
    Skype's ``skype:`` scheme is widely registered; WeChat's ``weixin://`` scheme opens the
    app (no public per-user link exists)."""
    service = service.lower()
    handle = handle.strip()
    if service == "whatsapp":
        return "https://wa.me/" + re.sub(r"\D", "", handle)
    if service == "telegram":
        h = handle.lstrip("@")
        if re.fullmatch(r"\+?\d[\d\s-]+", h):
            return "https://t.me/+" + re.sub(r"\D", "", h)
        return "https://t.me/" + re.sub(r"[^A-Za-z0-9_]", "", h)
    if service == "skype":
        return "skype:" + re.sub(r"[^A-Za-z0-9_.:,@-]", "", handle) + "?chat"
    if service == "wechat":
        return "weixin://dl/chat?" + re.sub(r"[^A-Za-z0-9_-]", "", handle)
    scheme = re.sub(r"[^a-z0-9+.-]", "", service) or "x-im"
    return f"{scheme}:{re.sub(r'[^A-Za-z0-9_.@+-]', '', handle)}"


def _tel_uri(number: str) -> str:
    """``tel:`` URI (RFC 3966): global numbers keep + and digits, others get a phone-context-less
    local form with visual separators as dashes."""
    n = number.strip()
    if n.startswith("00"):
        n = "+" + n[2:]
    digits = re.sub(r"[^\d+]", "", n)
    return "tel:" + digits


def vcard(person: VCardPerson) -> str:
    """One RFC 6350 vCard 4.0 (CRLF lines, folded, escaped)."""
    name = person.full_name.strip() or (person.emails[0][0] if person.emails else "")
    lines = ["BEGIN:VCARD", "VERSION:4.0", f"FN:{ical_escape(name)}"]
    if person.family_name or person.given_name:
        lines.append(f"N:{ical_escape(person.family_name)};{ical_escape(person.given_name)};;;")
    lines.append(f"UID:{_uid_uri(person.uid)}")
    if person.org:
        lines.append(f"ORG:{ical_escape(person.org)}")
    if person.title:
        lines.append(f"TITLE:{ical_escape(person.title)}")
    for i, (email, kind) in enumerate(person.emails):
        params = (f";TYPE={_param(kind)}" if kind else "") + (";PREF=1" if i == 0 else "")
        lines.append(f"EMAIL{params}:{ical_escape(email.strip())}")
    for i, (number, kind) in enumerate(person.phones):
        types = {"mobile": "cell", "cell": "cell", "work": "work", "home": "home", "fax": "fax"}
        t = types.get(kind.lower(), "voice") if kind else "voice"
        pref = ";PREF=1" if i == 0 else ""
        lines.append(f"TEL;VALUE=uri;TYPE={t}{pref}:{_tel_uri(number)}")
    for i, (service, handle) in enumerate(person.messengers):
        label = _SERVICE_NAMES.get(service.lower(), service)
        pref = ";PREF=1" if i == 0 else ""
        lines.append(f"IMPP;X-SERVICE-TYPE={_param(label)}{pref}:{_impp_uri(service, handle)}")
    if person.country:
        lines.append(f"ADR;TYPE=work:;;;;;;{ical_escape(person.country)}")
    if person.url:
        lines.append(f"URL:{_uri(person.url)}")
    if person.categories:
        lines.append("CATEGORIES:" + ",".join(ical_escape(c) for c in person.categories))
    if person.note:
        lines.append(f"NOTE:{ical_escape(person.note)}")
    if person.updated:
        lines.append(f"REV:{_utc(person.updated)}")
    lines.append("END:VCARD")
    return _lines(lines)


def _uid_uri(uid: str) -> str:
    # RFC 6350 6.7.6 recommends a URI; a urn:uuid when the id is a UUID, else a urn: of ours.
    if re.fullmatch(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", uid):
        return f"urn:uuid:{uid.lower()}"
    return "urn:tradeinbox:person:" + re.sub(r"[^A-Za-z0-9._-]", "-", uid)


def vcards(people: Iterable[VCardPerson]) -> str:
    """Several vCards in one ``text/vcard`` file."""
    return "".join(vcard(p) for p in people)


# --- CSV ------------------------------------------------------------------------------------

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A cell value that spreadsheets will not evaluate. Numbers, dates and booleans are
    written plainly (a negative amount stays a number); any text starting with a formula
    trigger gets a leading ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(_DANGEROUS):
        return "'" + text
    return text


def to_csv(rows: Iterable[dict[str, object]], columns: Sequence[str], *, bom: bool = False) -> str:
    """RFC 4180 CSV (CRLF, quoted as needed) with a header row; ``bom`` prepends U+FEFF so
    Excel opens UTF-8 (Chinese names, accents) correctly."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([csv_safe(c) for c in columns])
    for row in rows:
        writer.writerow([csv_safe(row.get(c)) for c in columns])
    return ("\ufeff" if bom else "") + buf.getvalue()


DEAL_COLUMNS = (
    "id",
    "title",
    "company",
    "contact",
    "stage",
    "amount",
    "currency",
    "incoterm",
    "grade",
    "owner",
    "created",
    "updated",
    "next_followup",
)
CONTACT_COLUMNS = (
    "id",
    "name",
    "company",
    "title",
    "emails",
    "phones",
    "whatsapp",
    "wechat",
    "telegram",
    "skype",
    "country",
    "grade",
    "owner",
)


def deals_csv(deals: Iterable[dict[str, object]], *, bom: bool = True) -> str:
    """Deals as CSV with :data:`DEAL_COLUMNS` (missing keys are empty)."""
    return to_csv(deals, DEAL_COLUMNS, bom=bom)


def contacts_csv(contacts: Iterable[dict[str, object]], *, bom: bool = True) -> str:
    """Contacts as CSV with :data:`CONTACT_COLUMNS`; list values are joined with ``; ``."""

    def flat(row: dict[str, object]) -> dict[str, object]:
        return {
            k: "; ".join(str(x) for x in v) if isinstance(v, (list, tuple, set)) else v
            for k, v in row.items()
        }

    return to_csv((flat(c) for c in contacts), CONTACT_COLUMNS, bom=bom)
