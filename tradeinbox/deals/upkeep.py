"""The minute-by-minute upkeep of deals (the ``deals.tick`` job).

1. Chat lines imported since the last tick join the deal whose document number they
   mention (same rules as mail, never opening a deal on their own); a line of ours
   answers the person's open reply clocks.
2. Reply clocks still waiting follow grade corrections made in triage.
3. Deals whose buyer was not known yet when their first mail arrived get their person and
   company (the customers analysis may run after the deals job).
4. Every open deal's cadence is re-planned: due steps become scheduled drafts or tasks.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.db import transaction

from tradeinbox.core.deals.deadlines import facts_from_parsed
from tradeinbox.core.deals.linking import LinkMessage, link_keys, link_message
from tradeinbox.core.references import extract_references
from tradeinbox.customers.models import ChatMessage
from tradeinbox.deals import followups, grades
from tradeinbox.deals.ingest import (
    BuyerSide,
    Env,
    clock_grade,
    compute_deadline,
    customer_reason,
    environment,
    known_deal,
    parse_stored,
    refresh_deal,
    resolve,
)
from tradeinbox.deals.models import Deal, DealChat, DealReference, DealSettings, ReplyClock

log = logging.getLogger(__name__)
CHAT_BATCH = 2000


def tick(*, now: datetime | None = None) -> dict:
    now = now or datetime.now(UTC)
    env = environment()
    stats: Counter = Counter()
    stats["chats"] = link_chats(env)
    stats["regraded"] = follow_triage_corrections(env)
    for deal in Deal.objects.filter(person__isnull=True) | Deal.objects.filter(
        company__isnull=True
    ):
        refresh_deal(deal)
    stats["cadences"] = followups.update_cadences(None, now=now)
    return dict(stats)


def link_chats(env: Env) -> int:
    """Place chat lines imported since the last tick (see the module doc)."""
    settings = DealSettings.load()
    lines = list(
        ChatMessage.objects.filter(pk__gt=settings.chat_cursor, is_system=False)
        .select_related("person")
        .order_by("id")[:CHAT_BATCH]
    )
    linked = 0
    touched: set[int] = set()
    for chat in lines:
        with transaction.atomic():
            deal = _place_chat(chat)
            if deal is not None:
                linked += 1
                touched.add(deal.pk)
            if not chat.from_customer:
                person = resolve(chat.person)
                # A line of ours on WhatsApp answers the person's waiting mail too.
                ReplyClock.objects.filter(
                    person=person, answered_at=None, received_at__lt=chat.timestamp
                ).update(answered_at=chat.timestamp, answered_channel=chat.channel)
    if lines:
        DealSettings.objects.filter(pk=settings.pk).update(chat_cursor=lines[-1].pk)
    for deal in Deal.objects.filter(pk__in=touched):
        refresh_deal(deal)
    return linked


def _place_chat(chat: ChatMessage) -> Deal | None:
    refs = extract_references(chat.text or "")
    keys = link_keys(refs)
    if not keys:
        return None
    person = resolve(chat.person)
    by_key: dict = {}
    rows = DealReference.objects.filter(
        group__in=[k.group for k in keys], value__in=[k.value for k in keys]
    ).select_related("deal")
    for row in rows.order_by("-deal_id"):
        for key in keys:
            if (key.group, key.value) == (row.group, row.value):
                by_key.setdefault(key, []).append(known_deal(row.deal))
    message = LinkMessage(
        id=f"chat{chat.pk}",
        direction="in" if chat.from_customer else "out",
        references=tuple(refs),
        people=frozenset({str(person.pk)} if person else set()),
        companies=frozenset({str(person.company_id)} if person and person.company_id else set()),
    )
    decision = link_message(message, thread_deal=None, deals_by_key=by_key)
    if decision.action != "join":
        return None  # a chat line never opens a deal by itself
    deal = Deal.objects.get(pk=int(decision.deal))
    DealChat.objects.get_or_create(
        chat=chat, defaults={"deal": deal, "evidence": [e.as_dict() for e in decision.evidence]}
    )
    return deal


def recompute_clocks(clocks: Iterable[ReplyClock], env: Env | None = None) -> int:
    """Recompute deadlines of waiting clocks (after a settings change or a regrade)."""
    env = env or environment()
    changed = 0
    for clock in clocks:
        parsed, _raw = parse_stored(clock.message)
        if parsed is None:
            continue
        buyer = BuyerSide([clock.sender], [clock.person] if clock.person else [], set(), set())
        verdict = grades.Verdict(
            clock.grade or None, clock.is_inquiry, clock.threat or "ham", clock.grade_source
        )
        reason = customer_reason(clock.message, clock.deal, buyer, verdict)
        facts = facts_from_parsed(
            parsed,
            message_id=str(clock.message_id),
            direction="in",
            from_customer=reason is not None,
            received_at=clock.received_at,
        )
        before = (clock.due_at, clock.hours)
        keep = [e for e in clock.evidence if not str(e.get("rule", "")).startswith("deadline.")]
        compute_deadline(clock, facts, clock.grade or None, env)
        clock.evidence = keep + clock.evidence
        if (clock.due_at, clock.hours) != before:
            changed += 1
        clock.save(
            update_fields=[
                "due_at",
                "hours",
                "evidence",
                "grade",
                "grade_source",
                "threat",
                "is_inquiry",
            ]
        )
    return changed


def follow_triage_corrections(env: Env) -> int:
    """Waiting clocks whose triage grade or verdict was corrected by a user."""
    waiting = list(
        ReplyClock.objects.filter(answered_at=None, grade_source__in=["triage", "core", ""])
        .exclude(threat="")
        .select_related("message", "deal", "person")[:5000]
    )
    stored = grades.stored_verdicts([c.message_id for c in waiting])
    stale = []
    for clock in waiting:
        verdict = stored.get(clock.message_id)
        if verdict is None:
            continue
        grade, source = clock_grade(verdict, clock.deal)
        if (grade or "", verdict.threat) != (clock.grade, clock.threat):
            clock.grade, clock.grade_source, clock.threat = grade or "", source, verdict.threat
            clock.is_inquiry = verdict.is_inquiry
            stale.append(clock)
    return recompute_clocks(stale, env) if stale else 0


def recompute_after_settings(*, now: datetime | None = None, days: int = 90) -> dict:
    now = now or datetime.now(UTC)
    env = environment()
    clocks = (
        ReplyClock.objects.filter(answered_at=None, received_at__gte=now - timedelta(days=days))
        .exclude(threat__in=["spam", "phish"])
        .select_related("message", "deal", "person")
    )
    changed = recompute_clocks(clocks.iterator(), env)
    return {
        "deadlines_changed": changed,
        "triage_deadlines_changed": _recompute_triage_deadlines(now - timedelta(days=days)),
        "cadences": followups.update_cadences(None, now=now),
    }


def _recompute_triage_deadlines(since: datetime) -> int:
    """The inbox badges come from the triage app's stored deadlines, computed with the
    same policy: recount the waiting ones so both lists agree after a settings change."""
    from tradeinbox.triage.models import TriageResult
    from tradeinbox.triage.services import regrade_deadline

    rows = TriageResult.objects.filter(
        due_at__isnull=False, answered_at=None, message__date__gte=since
    ).select_related("message")
    changed = 0
    for row in rows.iterator():
        before = row.due_at
        regrade_deadline(row)
        if row.due_at != before:
            row.save(update_fields=["due_at", "deadline_hours", "evidence"])
            changed += 1
    return changed
