"""Reply deadlines, the "Due" list and real response times.

Every customer message that waits for an answer gets a deadline from its grade: targeted
(C) and key-account (D) inquiries within 2 business hours, browsing (B) within 24, irrelevant
(A) none (see :class:`~tradeinbox.core.inquiry.GradingSettings`, whose defaults these mirror).
Messages from existing customers that are not graded inquiries use ``ungraded_hours``.
All of it is settings. Hours count in the seller's business time
(:mod:`tradeinbox.core.deals.business_hours`).

A message does not wait for an answer when it is ours, internal, an auto-reply, a bounce, a
newsletter or other list mail, already answered (on any channel), or a bare "thank you /
noted / 收到 / recibido" that closes a loop.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tradeinbox.core.deals.business_hours import BusinessCalendar, business_duration, deadline
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.quotes import split_reply

__all__ = [
    "MessageFacts",
    "DeadlineSettings",
    "Deadline",
    "DueItem",
    "ResponseStats",
    "reply_deadline",
    "facts_from_parsed",
    "due_list",
    "response_stats",
    "is_closing_only",
]


@dataclass(frozen=True, slots=True)
class MessageFacts:
    """What the deadline rules need to know about one message.

    ``direction``: ``"in"`` or ``"out"``. ``from_customer``: the sender is a known customer
    or prospect (not a colleague, supplier, forwarder or system). ``answered_at``: when we
    first replied to it on any channel (None while unanswered). ``list_mail``: it carries
    List-Id / List-Unsubscribe / Precedence: bulk (a newsletter).
    """

    message_id: str
    received_at: datetime
    direction: str = "in"
    from_customer: bool = True
    is_autoreply: bool = False
    is_bounce: bool = False
    list_mail: bool = False
    answered_at: datetime | None = None
    text: str = ""
    subject: str = ""
    salesperson: str | None = None
    person: str | None = None
    deal: str | None = None


@dataclass(slots=True)
class DeadlineSettings:
    """Per-company policy. ``reply_hours`` by grade (None: no deadline);
    ``ungraded_hours`` for customer messages that are not graded inquiries."""

    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    reply_hours: dict[str, float | None] = field(
        default_factory=lambda: {"A": None, "B": 24.0, "C": 2.0, "D": 2.0}
    )
    ungraded_hours: float | None = 24.0
    skip_closing_only: bool = True


@dataclass(slots=True)
class Deadline:
    message_id: str
    received_at: datetime
    due_at: datetime
    hours: float
    grade: str | None
    answered_at: datetime | None = None
    salesperson: str | None = None
    person: str | None = None
    deal: str | None = None
    subject: str = ""
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def waiting(self) -> bool:
        """Still waits for an answer (answered deadlines are kept for response times)."""
        return self.answered_at is None

    def as_dict(self) -> dict[str, object]:
        return {
            "message_id": self.message_id,
            "received_at": self.received_at.isoformat(),
            "due_at": self.due_at.isoformat(),
            "hours": self.hours,
            "grade": self.grade,
            "answered_at": self.answered_at.isoformat() if self.answered_at else None,
            "evidence": [e.as_dict() for e in self.evidence],
        }


@dataclass(slots=True)
class DueItem:
    """A row of the "Due" list: ``remaining`` is negative once overdue."""

    deadline: Deadline
    overdue: bool
    remaining: timedelta

    @property
    def overdue_by(self) -> timedelta:
        return -self.remaining if self.overdue else timedelta(0)


_CLOSING = re.compile(
    r"^\W*(?:(?:many\s+|thanks?\s+a\s+lot\s*|ok(?:ay)?|noted|well\s+noted|received|got\s+it|"
    r"thank\s+you(?:\s+very\s+much)?|thanks?|thx|great|perfect|fine|good|cheers|"
    r"best\s+regards|regards|br|"
    r"收到|好的|谢谢|多谢|感谢|明白|知道了|"
    r"gracias|muchas\s+gracias|recibido|ok\s+gracias|perfecto|entendido|saludos|"
    r"obrigad[oa]|recebido|merci|danke)[\s,.!。！~，、；:：)(]*)+$",
    re.IGNORECASE,
)
_QUESTION = re.compile(r"[?？¿]")
_REQUEST = re.compile(
    r"\b(?:please|pls|kindly|can\s+you|could\s+you|would\s+you|send|need|want|let\s+me\s+know|"
    r"por\s+favor|necesit\w+|podr\w+|env[ií]e\w*|quisiera)\b|请|麻烦|需要|能否|可以吗",
    re.IGNORECASE,
)


def is_closing_only(text: str) -> bool:
    """True for a bare acknowledgement ("Thanks, noted!", "收到，谢谢", "Recibido, gracias")
    that does not ask anything. The signature block and quoted history are ignored."""
    parts = split_reply(text or "")
    new = parts.new_text if parts.new_text.strip() else (text or "")
    lines = [ln.strip() for ln in new.strip().splitlines() if ln.strip()]
    if not lines or _QUESTION.search(new) or _REQUEST.search(new):
        return False
    # The acknowledgement is the first line; what follows may only be a short signature
    # ("Thanks\nJohn Smith\nACME Ltd"), not more content.
    return bool(_CLOSING.match(lines[0])) and len(new) < 200 and len(lines) <= 6


def facts_from_parsed(
    msg: ParsedMessage,
    *,
    message_id: str,
    direction: str,
    from_customer: bool,
    received_at: datetime | None = None,
    answered_at: datetime | None = None,
    salesperson: str | None = None,
    person: str | None = None,
    deal: str | None = None,
) -> MessageFacts:
    """:class:`MessageFacts` for a parsed e-mail: auto-replies (RFC 3834 and vendor
    headers, :func:`~tradeinbox.core.autoreplies.detect_autoreply`), bounces and feedback
    reports (:func:`~tradeinbox.core.bounces.detect_bounce`) and list mail (RFC 2369
    ``List-*`` headers, ``Precedence: bulk/list``) are recognised here."""
    from tradeinbox.core.autoreplies import detect_autoreply
    from tradeinbox.core.bounces import detect_bounce

    at = received_at or msg.date
    if at is None:
        raise ValueError("the message has no date; pass received_at")
    headers = msg.headers
    precedence = (msg.header("precedence") or "").strip().lower()
    list_mail = bool(
        msg.list_headers.get("list-id")
        or msg.list_headers.get("list-unsubscribe")
        or any(k.lower() in ("list-id", "list-unsubscribe") for k in msg.list_headers)
        or precedence in ("bulk", "list", "junk")
    )
    bounce = detect_bounce(msg)
    return MessageFacts(
        message_id=message_id,
        received_at=at,
        direction=direction,
        from_customer=from_customer,
        is_autoreply=detect_autoreply(headers, msg.text or "") is not None
        or bounce.kind == "autoreply",
        is_bounce=bounce.kind in ("dsn", "bounce", "complaint"),
        list_mail=list_mail,
        answered_at=answered_at,
        text=msg.text or "",
        subject=msg.subject or "",
        salesperson=salesperson,
        person=person,
        deal=deal,
    )


def reply_deadline(
    facts: MessageFacts, grade: str | None, settings: DeadlineSettings | None = None
) -> Deadline | None:
    """The deadline for answering ``facts``, or None when it does not wait for an answer.

    ``grade`` is the inquiry grade (A/B/C/D) or None for an ordinary customer message.
    The returned :class:`Deadline` keeps ``answered_at`` so it can still be used for
    response-time statistics; :func:`due_list` leaves answered ones out.
    """
    settings = settings or DeadlineSettings()
    ev: list[Evidence] = []
    if facts.direction != "in":
        return None
    if not facts.from_customer:
        return None
    if facts.is_autoreply or facts.is_bounce or facts.list_mail:
        return None
    if settings.skip_closing_only and is_closing_only(facts.text):
        return None
    if grade is not None:
        key = grade.upper()
        if key not in settings.reply_hours:
            raise ValueError(f"unknown grade {grade!r}")
        hours = settings.reply_hours[key]
        if hours is None:
            return None
        ev.append(Evidence(f"deadline.grade_{key}", hours, f"grade {key}: {hours:g} business h"))
    else:
        hours = settings.ungraded_hours
        if hours is None:
            return None
        ev.append(Evidence("deadline.ungraded", hours, f"customer message: {hours:g} business h"))
    cal = settings.calendar
    due = deadline(facts.received_at, hours, cal)
    ev.append(
        Evidence(
            "deadline.business_hours",
            0.0,
            f"counted in business hours ({cal.tz}"
            + (f", holidays {cal.country}" if cal.country else "")
            + ")",
        )
    )
    if facts.answered_at is not None:
        late = facts.answered_at > due
        ev.append(
            Evidence(
                "deadline.answered_late" if late else "deadline.answered_on_time",
                -1.0 if late else 1.0,
                f"answered {facts.answered_at.isoformat()}",
            )
        )
    return Deadline(
        message_id=facts.message_id,
        received_at=facts.received_at,
        due_at=due,
        hours=float(hours),
        grade=grade.upper() if grade else None,
        answered_at=facts.answered_at,
        salesperson=facts.salesperson,
        person=facts.person,
        deal=facts.deal,
        subject=facts.subject,
        evidence=ev,
    )


def due_list(items: Iterable[Deadline], now: datetime) -> list[DueItem]:
    """Unanswered deadlines, soonest first (overdue ones lead), each marked overdue or not.

    Ties keep grade priority (D before C before B) and then arrival order, so the list is
    stable between page loads.
    """
    if now.tzinfo is None:
        raise ValueError("timezone-aware datetimes only")
    order = {"D": 0, "C": 1, "B": 2, "A": 3}
    now = now.astimezone(UTC)  # same-zone subtraction is wall clock in Python; use UTC
    rows = [
        DueItem(d, d.due_at < now, d.due_at.astimezone(UTC) - now)
        for d in items
        if d.answered_at is None
    ]
    rows.sort(
        key=lambda r: (
            r.deadline.due_at,
            order.get(r.deadline.grade or "", 4),
            r.deadline.received_at,
            r.deadline.message_id,
        )
    )
    return rows


@dataclass(slots=True)
class ResponseStats:
    """Real response times of one salesperson, in business hours."""

    salesperson: str
    answered: int
    on_time: int
    open_overdue: int
    median_hours: float | None
    mean_hours: float | None
    p90_hours: float | None
    median_deadline_hours: float | None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.answered if self.answered else None

    def as_dict(self) -> dict[str, object]:
        return {
            "salesperson": self.salesperson,
            "answered": self.answered,
            "on_time": self.on_time,
            "on_time_rate": self.on_time_rate,
            "open_overdue": self.open_overdue,
            "median_hours": self.median_hours,
            "mean_hours": self.mean_hours,
            "p90_hours": self.p90_hours,
            "median_deadline_hours": self.median_deadline_hours,
        }


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    # Nearest-rank percentile: an actual observed value, easy to explain on a dashboard.
    index = max(0, -(-9 * len(ordered) // 10) - 1)
    return ordered[index]


def response_stats(
    items: Iterable[Deadline], calendar: BusinessCalendar, now: datetime
) -> list[ResponseStats]:
    """Per salesperson: answered count, on-time count, overdue still open, and median /
    mean / 90th-percentile response time in business hours (the same clock as the
    deadlines). Sorted by salesperson."""
    groups: dict[str, list[Deadline]] = {}
    for d in items:
        groups.setdefault(d.salesperson or "", []).append(d)
    out: list[ResponseStats] = []
    for who in sorted(groups):
        rows = groups[who]
        times = [
            business_duration(d.received_at, d.answered_at, calendar).total_seconds() / 3600
            for d in rows
            if d.answered_at is not None
        ]
        answered = [d for d in rows if d.answered_at is not None]
        on_time = sum(1 for d in answered if d.answered_at <= d.due_at)
        overdue = sum(1 for d in rows if d.answered_at is None and d.due_at < now)
        out.append(
            ResponseStats(
                salesperson=who,
                answered=len(answered),
                on_time=on_time,
                open_overdue=overdue,
                median_hours=round(statistics.median(times), 2) if times else None,
                mean_hours=round(statistics.fmean(times), 2) if times else None,
                p90_hours=round(_p90(times), 2) if times else None,
                median_deadline_hours=(
                    round(statistics.median(d.hours for d in rows), 2) if rows else None
                ),
            )
        )
    return out
