"""Read side of the deal pages: the Due list, the deal timeline, the dashboard figures.

Each function loads rows and hands plain dataclasses to one core function
(:func:`~tradeinbox.core.deals.deadlines.due_list`,
:func:`~tradeinbox.core.deals.deadlines.response_stats`, the chart functions of
:mod:`tradeinbox.core.deals.charts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Q
from django.utils.translation import gettext as _

from tradeinbox.core.deals import charts
from tradeinbox.core.deals.consolidation import ConsolidationMessage, Terms, agreed_terms
from tradeinbox.core.deals.deadlines import Deadline, DueItem, due_list, response_stats
from tradeinbox.core.deals.stages import STAGE_ORDER
from tradeinbox.customers.models import ChatMessage
from tradeinbox.deals.models import (
    Deal,
    DealSettings,
    FollowUp,
    ReplyClock,
    Stage,
    StageChange,
)
from tradeinbox.users.roles import scope

DUE_LIMIT = 500
FOLLOWUP_HORIZON = timedelta(days=7)


def visible_clocks(user):
    """Clocks of deals the user sees, and of other mail the user may see (the roles
    API's message rule: their mailboxes, their scope's customers, the public pool)."""
    from tradeinbox.users.roles import visible_messages

    sc = scope(user)
    if sc is None:
        return ReplyClock.objects.none()
    if sc.everything:
        return ReplyClock.objects.all()
    return ReplyClock.objects.filter(
        Q(deal__in=Deal.objects.visible_to(user))
        | Q(deal__isnull=True, message__in=visible_messages(user).values("pk"))
    )


def _deadline(clock: ReplyClock) -> Deadline:
    who = clock.salesperson or (clock.deal.owner if clock.deal else None)
    return Deadline(
        message_id=str(clock.message_id),
        received_at=clock.received_at,
        due_at=clock.due_at,
        hours=float(clock.hours or 0.0),
        grade=clock.grade or None,
        answered_at=clock.answered_at,
        salesperson=(who.get_username() if who else clock.answered_from) or "",
        subject=clock.message.subject,
    )


@dataclass(slots=True)
class DueRow:
    item: DueItem
    clock: ReplyClock

    @property
    def overdue_hours(self) -> float:
        return round(self.item.overdue_by.total_seconds() / 3600, 1)

    @property
    def remaining_hours(self) -> float:
        return round(self.item.remaining.total_seconds() / 3600, 1)

    @property
    def overdue_days(self) -> int:
        """Whole days, for waits long enough that hours stop meaning much (two days on)."""
        return int(self.item.overdue_by.total_seconds() // 86400)

    @property
    def remaining_days(self) -> int:
        return int(self.item.remaining.total_seconds() // 86400)


@dataclass(slots=True)
class DuePage:
    replies: list[DueRow]
    followups: list[FollowUp]
    scheduled: list[FollowUp]
    overdue: int = 0


def due_page(user, now: datetime, *, mine: bool = False) -> DuePage:
    """Unanswered customer mail by deadline (overdue first), and follow-ups to do."""
    clocks = (
        visible_clocks(user)
        .filter(due_at__isnull=False, answered_at__isnull=True)
        .select_related("message", "deal", "deal__owner", "person", "salesperson")
        .order_by("due_at")[:DUE_LIMIT]
    )
    if mine:
        clocks = [c for c in clocks if c.deal is None or c.deal.owner_id in (None, user.pk)]
    by_id = {str(c.message_id): c for c in clocks}
    items = due_list([_deadline(c) for c in by_id.values()], now)
    rows = [DueRow(i, by_id[i.deadline.message_id]) for i in items]
    deals = Deal.objects.visible_to(user)
    if mine:
        deals = deals.filter(Q(owner=user) | Q(owner__isnull=True))
    active = FollowUp.objects.filter(deal__in=deals).select_related("deal", "person", "outbox")
    todo = list(
        active.filter(
            status__in=[FollowUp.Status.PLANNED, FollowUp.Status.OPEN],
            due_at__lte=now + FOLLOWUP_HORIZON,
        ).order_by("due_at")[:DUE_LIMIT]
    )
    scheduled = list(active.filter(status=FollowUp.Status.SCHEDULED).order_by("due_at")[:100])
    return DuePage(rows, todo, scheduled, sum(1 for r in rows if r.item.overdue))


# -- the deal page ---------------------------------------------------------------------


@dataclass(slots=True)
class TimelineEntry:
    when: datetime
    kind: str  # email | chat
    direction: str  # in | out
    message: object = None
    chat: ChatMessage | None = None
    clock: ReplyClock | None = None
    evidence: list = field(default_factory=list)


def deal_timeline(deal: Deal) -> list[TimelineEntry]:
    clocks = {c.message_id: c for c in deal.clocks.all()}
    out = [
        TimelineEntry(
            dm.at, "email", dm.direction, dm.message, None, clocks.get(dm.message_id), dm.evidence
        )
        for dm in deal.deal_messages.select_related("message").order_by("at", "id")
    ]
    out += [
        TimelineEntry(
            dc.chat.timestamp,
            "chat",
            "in" if dc.chat.from_customer else "out",
            None,
            dc.chat,
            None,
            dc.evidence,
        )
        for dc in deal.deal_chats.select_related("chat")
    ]
    out.sort(key=lambda e: e.when)
    return out


def agreed(deal: Deal) -> Terms:
    """The latest statement of items, prices, Incoterm, lead time and payment terms."""
    # Not the phisher's "new terms", nor a forwarder's freight rates.
    from tradeinbox.deals.actions import buyer_messages

    messages = [
        ConsolidationMessage(
            str(dm.message_id),
            dm.message.from_email.lower(),
            dm.direction,
            dm.message.body_text or "",
            dm.at,
            dm.message.subject or "",
        )
        for dm in buyer_messages(deal, 300)
    ]
    return agreed_terms(messages)


def stage_steps(deal: Deal) -> list[dict]:
    """The pipeline with the deal's position, for the stage bar."""
    current = STAGE_ORDER.index(deal.stage) if deal.stage in Stage.values else 0
    labels = dict(Stage.choices)
    steps = []
    for i, stage in enumerate(STAGE_ORDER):
        if stage.value == Stage.CLOSED_LOST and deal.stage != Stage.CLOSED_LOST:
            continue
        if stage.value == Stage.CLOSED_WON and deal.stage == Stage.CLOSED_LOST:
            continue
        steps.append(
            {
                "value": stage.value,
                "label": labels[stage.value],
                "state": "done" if i < current else ("current" if i == current else "todo"),
            }
        )
    return steps


# -- the dashboard ---------------------------------------------------------------------


@dataclass(slots=True)
class Dashboard:
    inquiries_svg: str
    response_svg: str
    funnel_svg: str
    followups_svg: str
    stats: list
    funnel: list[tuple[str, int]]
    lost: int
    weeks: dict
    followup_rows: list[tuple[str, int, int]]


def funnel_rows(deals) -> tuple[list[tuple[str, int]], int]:
    """Deals that reached each stage (a lost deal counts up to the furthest stage its
    history shows), and the number of lost deals."""
    rank = {s.value: i for i, s in enumerate(STAGE_ORDER)}
    furthest: dict[int, str] = {}
    history = StageChange.objects.filter(deal__in=deals).values_list("deal_id", "to_stage")
    for deal_id, stage in history:
        if stage == Stage.CLOSED_LOST:
            continue
        if rank.get(stage, -1) > rank.get(furthest.get(deal_id, ""), -1):
            furthest[deal_id] = stage
    reached, lost = [], 0
    for deal_id, stage in deals.values_list("pk", "stage"):
        if stage == Stage.CLOSED_LOST:
            lost += 1
            stage = furthest.get(deal_id, Stage.INQUIRY)
        reached.append(stage)
    order = [s.value for s in STAGE_ORDER if s.value != Stage.CLOSED_LOST]
    labels = dict(Stage.choices)
    return [(str(labels[s]), n) for s, n in charts.funnel_counts(reached, order)], lost


def dashboard(user, now: datetime, *, weeks: int = 12) -> Dashboard:
    settings = DealSettings.load()
    tz = settings.time_zone or "UTC"
    since = now - timedelta(weeks=weeks)
    clocks = list(
        visible_clocks(user)
        .filter(received_at__gte=since)
        .select_related("message", "deal__owner", "salesperson")
    )
    inquiries = [(c.received_at, c.grade or "A") for c in clocks if c.is_inquiry]
    by_week = charts.count_by_week(inquiries, tz=tz, end=now, weeks=weeks)
    deadlines = [_deadline(c) for c in clocks if c.due_at is not None]
    stats = response_stats(deadlines, settings.calendar(), now)
    deals = Deal.objects.visible_to(user)
    funnel, lost = funnel_rows(deals)
    followups = FollowUp.objects.filter(deal__in=deals, due_at__gte=since, due_at__lte=now)
    per_week: dict[str, list[int]] = {}
    for label in by_week or charts.count_by_week([], tz=tz, end=now, weeks=weeks):
        per_week[label] = [0, 0]
    for fu in followups.exclude(stop_code="replaced"):
        label = charts.week_label(fu.due_at, tz)
        if label not in per_week:
            continue
        per_week[label][1] += 1
        if fu.status in (FollowUp.Status.SENT, FollowUp.Status.DONE):
            per_week[label][0] += 1
    followup_rows = [(label, done, due) for label, (done, due) in per_week.items()]
    return Dashboard(
        inquiries_svg=charts.inquiries_by_week(by_week, title=_("Inquiries per week by grade")),
        response_svg=charts.response_vs_deadline(
            [charts.ResponseRow.from_stats(s) for s in stats],
            title=_("Response time against deadline (business hours)"),
        ),
        funnel_svg=charts.deal_funnel(funnel, title=_("Deals by stage")),
        followups_svg=charts.followups_done_vs_due(
            [r for r in followup_rows if r[2]] or [], title=_("Follow-ups done vs due")
        ),
        stats=stats,
        funnel=funnel,
        lost=lost,
        weeks=by_week,
        followup_rows=followup_rows,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)
