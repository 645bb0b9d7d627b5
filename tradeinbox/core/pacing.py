"""Campaign pacing: how many messages a mailbox may hand to its server now, and to whom.

Bulk mail from an ordinary company mailbox gets the mailbox blocked (providers cap
hundreds a day, and a burst to one receiving domain looks like spam to that domain). So a
campaign goes out in small batches:

* at most ``per_hour`` messages per sending mailbox in any rolling hour (one *send*),
* at most ``per_day`` in any rolling 24 hours,
* per recipient domain at most ``per_domain_per_hour`` in an hour and at least
  ``domain_gap_seconds`` between two messages to the same domain (the batch fills
  round-robin over domains, so one big buyer domain does not go first).

:func:`plan_batch` is pure: it gets the candidates in campaign order, the mailbox's sends
of the last day and the time, and returns who goes now, why the others wait, and when
the next batch can start.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tradeinbox.core.evidence import Evidence

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Caps:
    per_hour: int = 30
    per_day: int = 120
    per_domain_per_hour: int = 10
    domain_gap_seconds: int = 0

    def __post_init__(self) -> None:
        for name in ("per_hour", "per_day", "per_domain_per_hour"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.domain_gap_seconds < 0:
            raise ValueError("domain_gap_seconds must not be negative")


@dataclass(frozen=True, slots=True)
class Candidate:
    key: int
    address: str

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2].lower()


@dataclass(frozen=True, slots=True)
class PastSend:
    """One message the mailbox already handed over (any campaign), with its domain."""

    at: datetime
    domain: str


@dataclass(slots=True)
class Plan:
    chosen: list[int] = field(default_factory=list)
    waiting: int = 0
    next_run_at: datetime | None = None  # None: nothing is waiting
    evidence: list[Evidence] = field(default_factory=list)


def plan_batch(
    candidates: list[Candidate], history: list[PastSend], caps: Caps, now: datetime
) -> Plan:
    """Who may be sent now. ``now`` and history times must be timezone-aware."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    plan = Plan()
    hour = sorted(s.at for s in history if s.at > now - HOUR)
    day = sorted(s.at for s in history if s.at > now - DAY)
    room_hour = caps.per_hour - len(hour)
    room_day = caps.per_day - len(day)
    room = max(0, min(room_hour, room_day))
    by_domain_hour = Counter(s.domain for s in history if s.at > now - HOUR)
    last_at: dict[str, datetime] = {}
    for s in history:
        if s.domain not in last_at or s.at > last_at[s.domain]:
            last_at[s.domain] = s.at
    plan.evidence.append(
        Evidence(
            "pacing.window",
            0.0,
            f"mailbox sent {len(hour)}/{caps.per_hour} in the last hour and "
            f"{len(day)}/{caps.per_day} in the last 24 hours: room for {room}",
        )
    )
    queues: dict[str, deque[Candidate]] = defaultdict(deque)
    for c in candidates:
        queues[c.domain].append(c)
    order = list(queues)  # domains in order of their first candidate
    gap = timedelta(seconds=caps.domain_gap_seconds)
    blocked_until: dict[str, datetime] = {}
    progress = True
    while room > 0 and progress:
        progress = False
        for domain in order:
            queue = queues[domain]
            if not queue or room <= 0:
                continue
            if by_domain_hour[domain] >= caps.per_domain_per_hour:
                recent = sorted(s.at for s in history if s.domain == domain and s.at > now - HOUR)
                if recent:
                    blocked_until[domain] = recent[0] + HOUR
                else:  # chosen in this batch: the earliest is "now"
                    blocked_until[domain] = now + HOUR
                continue
            if gap and domain in last_at and now - last_at[domain] < gap:
                blocked_until[domain] = last_at[domain] + gap
                continue
            chosen = queue.popleft()
            plan.chosen.append(chosen.key)
            by_domain_hour[domain] += 1
            room -= 1
            progress = True
            if gap:
                last_at[domain] = now  # the next one to this domain waits a full gap
    plan.waiting = sum(len(q) for q in queues.values())
    if blocked_until:
        plan.evidence.append(
            Evidence(
                "pacing.domain",
                0.0,
                "paced per recipient domain: "
                + ", ".join(f"{d} until {t:%H:%M}" for d, t in sorted(blocked_until.items())[:5]),
            )
        )
    if not plan.waiting:
        return plan
    # When can the next batch start? When the mailbox has room again (both rolling
    # windows) and at least one waiting domain is no longer paced.
    sent_now = [now] * len(plan.chosen)
    hour_all = sorted(hour + sent_now)
    day_all = sorted(day + sent_now)
    mailbox_free = now
    if len(hour_all) >= caps.per_hour:
        mailbox_free = max(mailbox_free, hour_all[len(hour_all) - caps.per_hour] + HOUR)
        plan.evidence.append(
            Evidence("pacing.cap.hour", 0.0, f"hourly cap {caps.per_hour} reached")
        )
    if len(day_all) >= caps.per_day:
        mailbox_free = max(mailbox_free, day_all[len(day_all) - caps.per_day] + DAY)
        plan.evidence.append(Evidence("pacing.cap.day", 0.0, f"daily cap {caps.per_day} reached"))
    waiting_domains = [d for d, q in queues.items() if q]
    domain_free = min(blocked_until.get(d, now) for d in waiting_domains)
    plan.next_run_at = max(mailbox_free, domain_free)
    return plan
