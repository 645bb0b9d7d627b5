"""Follow-up cadences: when to chase a buyer who has gone quiet, and when to stop.

Rules are data (:class:`CadenceRule`), chosen by the deal's grade and stage, first match wins:

* after a quotation: +3 days, then +1 week;
* after samples went out: +5 days, then +1 week;
* during negotiation: +3 days, then +1 week;
* a targeted (C) or key-account (D) inquiry we answered: +1 day, +3 days, +1 week;
* a browsing (B) inquiry: +2 days, +1 week, then monthly.

Each step's offset counts from the previous outbound touch. A step creates a scheduled
draft from a template, or a task. Template keys name built-in templates of
:mod:`tradeinbox.core.writing.templates` (``sample_followup``, ``negotiation_followup``) or
follow-up templates the app provides (``quotation_followup``, ``inquiry_followup``,
``browsing_followup``); ``FollowUp.step`` lets one template vary its wording per step.
When a rule's steps are all used up without an answer the cadence also ends with the
change-channel suggestion. The engine obeys three safety rules, each reported as
evidence:

1. **Stop on reply.** Any inbound message from the buyer, on any channel (e-mail or an
   imported WhatsApp/WeChat chat), stops the cadence: the ball is in our court and the
   reply deadline takes over. Our next substantive message restarts it.
2. **One a day.** Never more than one outbound message per person per calendar day (in the
   person's time zone), counting messages of other deals and drafts already scheduled.
3. **Change channel.** After ``max_unanswered`` follow-ups in a row without an answer
   (default 3) the cadence stops and suggests a call or WhatsApp instead of another mail.
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from tradeinbox.core.deals.business_hours import BusinessCalendar, next_business_moment
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.i18n import tr, tr_noop

__all__ = [
    "CadenceStep",
    "CadenceRule",
    "CadenceSettings",
    "Touch",
    "CadenceState",
    "FollowUp",
    "CadenceDecision",
    "DEFAULT_RULES",
    "match_rule",
    "next_action",
    "plan_followups",
]


@dataclass(frozen=True, slots=True)
class CadenceStep:
    """Wait ``days`` (+ ``months`` calendar months) after the previous outbound touch, then
    create a ``"draft"`` from ``template`` or a ``"task"``."""

    days: int = 0
    months: int = 0
    template: str = "quotation_followup"
    action: str = "draft"

    def __post_init__(self) -> None:
        if self.action not in ("draft", "task"):
            raise ValueError("step action is 'draft' or 'task'")
        if self.days < 0 or self.months < 0 or (self.days == 0 and self.months == 0):
            raise ValueError("a step waits a positive number of days or months")

    def label(self) -> str:
        parts = []
        if self.months == 1:
            parts.append(tr("+1 month"))
        elif self.months:
            parts.append(tr("+%(count)d months", count=self.months))
        if self.days:
            weeks, rest = divmod(self.days, 7)
            if rest:
                parts.append(tr("+%(count)d days", count=self.days))
            elif weeks == 1:
                parts.append(tr("+1 week"))
            else:
                parts.append(tr("+%(count)d weeks", count=weeks))
        return " ".join(parts)

    def due_from(self, moment: datetime, zone: ZoneInfo) -> datetime:
        """``moment`` plus this step's wait, in local wall-clock terms (DST-safe)."""
        local = moment.astimezone(zone)
        day = _add_months(local.date(), self.months) + timedelta(days=self.days)
        return datetime.combine(day, local.time(), zone)


def _add_months(day: date, months: int) -> date:
    if not months:
        return day
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


@dataclass(frozen=True, slots=True)
class CadenceRule:
    """``grades`` / ``stages``: where the rule applies (empty: any). ``repeat_last``: keep
    repeating the last step ("then monthly") until the unanswered limit stops it."""

    id: str
    steps: tuple[CadenceStep, ...]
    grades: frozenset[str] = frozenset()
    stages: frozenset[str] = frozenset()
    repeat_last: bool = False
    description: str = ""

    def matches(self, grade: str | None, stage: str) -> bool:
        if self.grades and (grade or "").upper() not in self.grades:
            return False
        return not self.stages or stage in self.stages


DEFAULT_RULES: tuple[CadenceRule, ...] = (
    CadenceRule(
        "after_quotation",
        (
            CadenceStep(3, template="quotation_followup"),
            CadenceStep(7, template="quotation_followup"),
        ),
        stages=frozenset({"quoted"}),
        description=tr_noop("after a quotation: +3 days, +1 week"),
    ),
    CadenceRule(
        "after_sample",
        (
            CadenceStep(5, template="sample_followup"),
            CadenceStep(7, template="sample_followup"),
        ),
        stages=frozenset({"sample"}),
        description=tr_noop("after samples: +5 days, +1 week"),
    ),
    CadenceRule(
        "negotiation",
        (
            CadenceStep(3, template="negotiation_followup"),
            CadenceStep(7, template="negotiation_followup"),
        ),
        stages=frozenset({"negotiation"}),
        description=tr_noop("during negotiation: +3 days, +1 week"),
    ),
    CadenceRule(
        "targeted_inquiry",
        (
            CadenceStep(1, template="inquiry_followup"),
            CadenceStep(3, template="inquiry_followup"),
            CadenceStep(7, template="inquiry_followup"),
        ),
        grades=frozenset({"C", "D"}),
        stages=frozenset({"cold", "inquiry"}),
        description=tr_noop("targeted / key-account inquiry: +1 day, +3 days, +1 week"),
    ),
    CadenceRule(
        "browsing",
        (
            CadenceStep(2, template="browsing_followup"),
            CadenceStep(7, template="browsing_followup"),
            CadenceStep(months=1, template="browsing_followup"),
        ),
        grades=frozenset({"B"}),
        stages=frozenset({"cold", "inquiry"}),
        repeat_last=True,
        description=tr_noop("browsing inquiry: +2 days, +1 week, then monthly"),
    ),
)


@dataclass(slots=True)
class CadenceSettings:
    """``calendar``: the seller's business hours (follow-ups are scheduled inside them);
    ``person_tz``: the buyer's zone for the one-a-day rule (default: the calendar's)."""

    rules: Sequence[CadenceRule] = DEFAULT_RULES
    max_unanswered: int = 3
    calendar: BusinessCalendar | None = None
    person_tz: str | None = None
    #: Preference order for the "change channel" suggestion.
    channel_preference: tuple[str, ...] = ("whatsapp", "wechat", "telegram", "mobile", "phone")


@dataclass(frozen=True, slots=True)
class Touch:
    """One message on the deal: ``direction`` ``"in"`` (buyer) / ``"out"`` (us); ``followup``
    marks our cadence follow-ups (as opposed to substantive messages such as a quotation)."""

    at: datetime
    direction: str
    channel: str = "email"
    followup: bool = False
    message_id: str | None = None


@dataclass(slots=True)
class CadenceState:
    """A deal's cadence inputs. ``other_outbound``: outbound messages to the same person
    outside this deal (other deals, scheduled drafts) for the one-a-day rule;
    ``person_channels``: the person's known channels ("whatsapp", "wechat", "phone" ...)."""

    deal: str
    person: str
    grade: str | None
    stage: str
    touches: Sequence[Touch] = ()
    other_outbound: Sequence[datetime] = ()
    person_channels: Sequence[str] = ()
    paused: bool = False


@dataclass(slots=True)
class FollowUp:
    """A planned follow-up. ``action``: ``"draft"``, ``"task"`` or ``"suggest_channel"``."""

    deal: str
    person: str
    due_at: datetime
    action: str
    rule: str | None
    step: int | None
    template: str | None
    channel: str = "email"
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def uid(self) -> str:
        """Stable identity (for calendar UIDs and de-duplication)."""
        return f"followup:{self.deal}:{self.person}:{self.rule}:{self.step}:{self.action}"


@dataclass(slots=True)
class CadenceDecision:
    """``action``: ``"send"`` (a draft is due now), ``"task"`` (a task is due now),
    ``"wait"`` (next follow-up in the future), ``"stop"`` or ``"suggest_channel"``."""

    action: str
    followup: FollowUp | None
    evidence: list[Evidence]

    @property
    def reason(self) -> str:
        return self.evidence[-1].detail if self.evidence else ""


def match_rule(grade: str | None, stage: str, rules: Sequence[CadenceRule]) -> CadenceRule | None:
    """The first rule for this grade and stage."""
    for rule in rules:
        if rule.matches(grade, stage):
            return rule
    return None


def _suggest_channel(state: CadenceState, settings: CadenceSettings) -> str:
    known = {c.lower() for c in state.person_channels}
    for ch in settings.channel_preference:
        if ch in known:
            return ch
    return "phone"


def _when(moment: datetime) -> str:
    """A moment in evidence text a person reads (not ISO 8601's "T...+00:00")."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _zone(state: CadenceState, settings: CadenceSettings) -> ZoneInfo:
    return ZoneInfo(settings.person_tz or (settings.calendar.tz if settings.calendar else "UTC"))


def _decide(state: CadenceState, now: datetime, settings: CadenceSettings) -> CadenceDecision:
    if now.tzinfo is None:
        raise ValueError("timezone-aware datetimes only")
    ev: list[Evidence] = []
    if state.paused:
        paused = Evidence("cadence.paused", 0.0, tr("paused by user"))
        return CadenceDecision("stop", None, [paused])
    rule = match_rule(state.grade, state.stage, settings.rules)
    if rule is None:
        detail = tr(
            "no cadence for grade %(grade)s at stage %(stage)s",
            grade=state.grade or "-",
            stage=state.stage,
        )
        return CadenceDecision("stop", None, [Evidence("cadence.no_rule", 0.0, detail)])
    # A user's own rule description is not in the catalog: tr() leaves it as written.
    ev.append(Evidence(f"cadence.rule.{rule.id}", 0.0, tr(rule.description) or rule.id))

    touches = sorted(state.touches, key=lambda t: t.at)
    last_in = max((i for i, t in enumerate(touches) if t.direction == "in"), default=-1)
    outs = [t for t in touches[last_in + 1 :] if t.direction == "out"]
    if not outs:
        if last_in >= 0:
            t = touches[last_in]
            detail = tr(
                "buyer replied by %(channel)s on %(at)s: answer them instead",
                channel=t.channel,
                at=_when(t.at),
            )
            ev.append(Evidence("cadence.stop.buyer_replied", 0.0, detail))
        else:
            ev.append(Evidence("cadence.stop.nothing_sent", 0.0, tr("nothing sent yet")))
        return CadenceDecision("stop", None, ev)
    if last_in >= 0:
        ev.append(
            Evidence(
                "cadence.since_reply",
                0.0,
                tr(
                    "last buyer message %(at)s (%(channel)s); %(count)d outbound since",
                    at=_when(touches[last_in].at),
                    channel=touches[last_in].channel,
                    count=len(outs),
                ),
            )
        )

    unanswered = sum(1 for t in outs if t.followup)
    anchor = max((i for i, t in enumerate(outs) if not t.followup), default=0)
    step_index = sum(1 for t in outs[anchor:] if t.followup)
    exhausted = step_index >= len(rule.steps) and not rule.repeat_last
    if unanswered >= settings.max_unanswered or exhausted:
        channel = _suggest_channel(state, settings)
        call = channel in ("phone", "mobile")
        if unanswered >= settings.max_unanswered:
            if call:
                detail = tr(
                    "%(count)d follow-ups in a row unanswered: call instead of another mail",
                    count=unanswered,
                )
            else:
                detail = tr(
                    "%(count)d follow-ups in a row unanswered: message on %(channel)s instead"
                    " of another mail",
                    count=unanswered,
                    channel=channel,
                )
            ev.append(Evidence("cadence.stop.unanswered", float(unanswered), detail))
        else:
            if call:
                detail = tr(
                    "all %(count)d steps done without an answer: call instead",
                    count=len(rule.steps),
                )
            else:
                detail = tr(
                    "all %(count)d steps done without an answer: message on %(channel)s instead",
                    count=len(rule.steps),
                    channel=channel,
                )
            ev.append(Evidence("cadence.stop.complete", float(unanswered), detail))
        # Due when the next mail would have gone: one more wait of the last step.
        zone = _zone(state, settings)
        due = rule.steps[min(step_index, len(rule.steps) - 1)].due_from(outs[-1].at, zone)
        if settings.calendar is not None:
            due = next_business_moment(due, settings.calendar)
        fu = FollowUp(
            state.deal,
            state.person,
            due,
            "suggest_channel",
            rule.id,
            None,
            None,
            channel,
            list(ev),
        )
        return CadenceDecision("suggest_channel", fu, ev)

    if step_index >= len(rule.steps):
        step = rule.steps[-1]
    else:
        step = rule.steps[step_index]

    zone = _zone(state, settings)
    last_out = outs[-1].at
    due = step.due_from(last_out, zone)
    ev.append(
        Evidence(
            f"cadence.step.{step_index + 1}",
            0.0,
            tr(
                "step %(step)d: %(wait)s after %(at)s",
                step=step_index + 1,
                wait=step.label(),
                at=_when(last_out),
            ),
        )
    )
    if settings.calendar is not None:
        moved = next_business_moment(due, settings.calendar)
        if moved != due:
            ev.append(
                Evidence(
                    "cadence.business_hours",
                    0.0,
                    tr("moved into business hours: %(at)s", at=str(moved)),
                )
            )
            due = moved

    # One outbound per person per day, counting other deals and scheduled drafts.
    days = {t.at.astimezone(zone).date() for t in touches if t.direction == "out"} | {
        t.astimezone(zone).date() for t in state.other_outbound
    }
    earliest = max(due, now)
    for _ in range(400):
        if earliest.astimezone(zone).date() not in days:
            break
        next_day = earliest.astimezone(zone).date() + timedelta(days=1)
        nxt = datetime.combine(next_day, due.astimezone(zone).time(), zone)
        if settings.calendar is not None:
            nxt = next_business_moment(nxt, settings.calendar)
        ev.append(
            Evidence(
                "cadence.one_per_day",
                0.0,
                tr(
                    "already an outbound message to %(person)s on %(day)s: moved to %(next)s",
                    person=state.person,
                    day=str(earliest.astimezone(zone).date()),
                    next=str(nxt.astimezone(zone).date()),
                ),
            )
        )
        earliest = nxt
    if earliest != max(due, now):
        due = earliest

    fu = FollowUp(
        state.deal,
        state.person,
        due,
        step.action,
        rule.id,
        step_index + 1,
        step.template,
        "email",
        list(ev),
    )
    if due <= now:
        return CadenceDecision("send" if step.action == "draft" else "task", fu, ev)
    return CadenceDecision("wait", fu, ev)


def next_action(
    state: CadenceState, now: datetime, settings: CadenceSettings | None = None
) -> CadenceDecision:
    """What to do for this deal and person now: send a due follow-up draft, create a due
    task, wait for the next one, stop, or suggest another channel. With evidence."""
    return _decide(state, now, settings or CadenceSettings())


def plan_followups(
    state: CadenceState, now: datetime, settings: CadenceSettings | None = None
) -> list[FollowUp]:
    """The follow-ups still to come if the buyer stays silent, in order, ending with the
    "call or WhatsApp instead" suggestion when the unanswered limit will be reached.

    Each planned follow-up is assumed sent at its due time (or ``now`` if overdue); the plan
    is recomputed whenever anything happens, so it never goes stale in the database.
    """
    settings = settings or CadenceSettings()
    plan: list[FollowUp] = []
    sim = replace(state, touches=list(state.touches))
    limit = settings.max_unanswered + 24  # monthly repeats stop at the unanswered limit anyway
    for _ in range(limit):
        decision = _decide(sim, now, settings)
        fu = decision.followup
        if fu is None:
            break
        plan.append(fu)
        if decision.action == "suggest_channel":
            break
        sent_at = max(fu.due_at, now)
        sim.touches = [*sim.touches, Touch(sent_at, "out", "email", True, None)]
        now = sent_at
    return plan
