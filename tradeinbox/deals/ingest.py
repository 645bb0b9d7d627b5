"""Stored messages into deals: the ``deals.process_messages`` job.

For each new message, oldest first:

1. its document numbers (subject, new body text, attachment names) and its buyer side
   (the sender of an inbound mail, the customer recipients of ours);
2. :func:`tradeinbox.core.deals.linking.link_message` places it: joins the deal of its
   thread or of a shared reference, opens a deal for a new inquiry or PO, or leaves it;
3. an inbound customer message starts a :class:`~.models.ReplyClock`: grade (from triage),
   deadline in business hours (:func:`tradeinbox.core.deals.deadlines.reply_deadline`);
4. a message of ours answers every clock of the people it is addressed to, and of its
   thread and deal.

Then the touched deals get a fresh stage suggestion and their cadence is re-planned (a
buyer's reply stops it at once). Safe to run twice on the same messages.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from tradeinbox.core.addresses import company_domain
from tradeinbox.core.deals.deadlines import facts_from_parsed, reply_deadline
from tradeinbox.core.deals.linking import (
    KnownDeal,
    LinkMessage,
    link_key,
    link_keys,
    link_message,
)
from tradeinbox.core.deals.stages import DealMessage as StageMessage
from tradeinbox.core.deals.stages import Stage as CoreStage
from tradeinbox.core.deals.stages import suggest_stage
from tradeinbox.core.evidence import Evidence
from tradeinbox.core.i18n import english
from tradeinbox.core.language import detect_language
from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.parse import parse_message
from tradeinbox.core.quotes import split_reply
from tradeinbox.core.references import Reference, extract_references
from tradeinbox.customers.models import EmailAddress, Person
from tradeinbox.customers.services import own_addresses, own_domains
from tradeinbox.deals import grades, parties, references
from tradeinbox.deals.models import (
    Deal,
    DealMessage,
    DealReference,
    DealSettings,
    DealThread,
    ReplyClock,
    Stage,
    StageChange,
)
from tradeinbox.store.models import Message
from tradeinbox.store.rawstore import raw_bytes

log = logging.getLogger(__name__)
BATCH = 200
GRADE_ORDER = {"D": 0, "C": 1, "B": 2}
STAGE_LIMIT = 300  # messages read for a stage suggestion (the newest)
_LANGS = {"zh": "zh", "es": "es", "pt": "es"}  # follow-up template languages


@dataclass(slots=True)
class Env:
    """What every message of a batch is judged against."""

    own: set[str]
    own_domains: set[str]
    settings: DealSettings
    users: dict[str, object] = field(default_factory=dict)  # own address -> user

    def is_own(self, address: str) -> bool:
        address = (address or "").lower()
        return bool(address) and (
            address in self.own or (company_domain(address) or "") in self.own_domains
        )

    def user_for(self, address: str):
        return self.users.get((address or "").lower())


def environment() -> Env:
    own = own_addresses()
    env = Env(own, own_domains(own), DealSettings.load())
    for user in get_user_model().objects.exclude(email=""):
        env.users[user.email.lower()] = user
    try:
        from tradeinbox.mailbox.models import Account

        for account in Account.objects.exclude(owner=None).select_related("owner"):
            env.users[account.email_address.lower()] = account.owner
    except Exception:  # noqa: BLE001 - the mailbox app may not be migrated in some setups
        pass
    return env


def resolve(person: Person | None) -> Person | None:
    """The person a merged person now lives in."""
    seen: set[int] = set()
    while person is not None and person.merged_into_id and person.pk not in seen:
        seen.add(person.pk)
        person = person.merged_into
    return person


def message_references(msg: Message) -> list[Reference]:
    """Document numbers of a stored message: subject, new body text, attachment names
    (quoted history is skipped: its numbers belong to older mails)."""
    body = msg.body_text or ""
    new = split_reply(body).new_text if body else ""
    names = [n for n in (msg.attachment_names or "").split("\n") if n]
    return extract_references(f"{msg.subject or ''}\n{new}", attachment_names=names)


@dataclass(slots=True)
class BuyerSide:
    addresses: list[str]
    people: list[Person]
    companies: set[int]
    domains: set[str]


def buyer_side(msg: Message, outbound: bool, env: Env) -> BuyerSide:
    if outbound:
        rec = msg.recipients or {}
        candidates = [e.lower() for key in ("to", "cc") for _n, e in rec.get(key, []) if e]
    else:
        candidates = [(msg.from_email or "").lower()]
    addresses = [a for a in dict.fromkeys(candidates) if a and not env.is_own(a)]
    people: list[Person] = []
    companies: set[int] = set()
    for row in EmailAddress.objects.filter(address__in=addresses).select_related("person"):
        person = resolve(row.person)
        if person is not None and person not in people:
            people.append(person)
            if person.company_id:
                companies.add(person.company_id)
    domains = {d for d in (company_domain(a) for a in addresses) if d}
    return BuyerSide(addresses, people, companies, domains)


def known_deal(deal: Deal) -> KnownDeal:
    people = {str(deal.person_id)} if deal.person_id else set()
    rows = DealMessage.objects.filter(deal=deal, direction="in").select_related("message")
    inbound = [dm.message for dm in rows[:50]]
    # A forwarder's mail in the deal does not make the forwarder one of the buyer's people.
    senders = parties.parties(inbound).buyers
    for row in EmailAddress.objects.filter(address__in=senders).exclude(person=None):
        people.add(str(row.person_id))
    return KnownDeal(
        str(deal.pk),
        frozenset(people),
        frozenset({str(deal.company_id)} if deal.company_id else set()),
        frozenset(d for d in (company_domain(s) for s in senders) if d),
        deal.is_closed,
    )


def parse_stored(msg: Message) -> tuple[ParsedMessage | None, bytes | None]:
    try:
        raw = raw_bytes(msg)
        return parse_message(raw), raw
    except Exception as exc:  # noqa: BLE001 - a missing blob must not stop the batch
        log.warning("deals: message %s unreadable: %s", msg.pk, exc)
        return None, None


def process_messages(message_ids: Iterable[int], *, now: datetime | None = None) -> dict:
    """See the module doc. Returns counts for the job result."""
    from tradeinbox.deals import followups

    ids = sorted({int(i) for i in message_ids})
    stats: Counter = Counter()
    if not ids:
        return {"messages": 0}
    env = environment()
    touched: set[int] = set()
    for start in range(0, len(ids), BATCH):
        part = ids[start : start + BATCH]
        verdicts = grades.stored_verdicts(part)
        for msg in Message.objects.filter(pk__in=part).order_by("date", "id"):
            with transaction.atomic():
                deal_id = process_one(msg, env, verdicts.get(msg.pk), stats)
            if deal_id:
                touched.add(deal_id)
    for deal in Deal.objects.filter(pk__in=touched):
        refresh_deal(deal)
    stats["cadences"] = followups.update_cadences(touched, now=now)
    stats["messages"] = len(ids)
    return dict(stats)


def process_one(
    msg: Message, env: Env, verdict: grades.Verdict | None, stats: Counter
) -> int | None:
    """Place one message, start or answer reply clocks; returns the deal's pk or None."""
    outbound = env.is_own(msg.from_email)
    buyer = buyer_side(msg, outbound, env)
    facts = None
    not_buyer: list[Evidence] = []
    if not outbound:
        parsed, raw = parse_stored(msg)
        if verdict is None:
            verdict = (
                grades.computed_verdict(parsed, raw, env.own_domains)
                if parsed is not None
                else grades.Verdict(None, False, "ham", "none")
            )
        if parsed is not None:
            # Auto-replies, bounces and newsletters: known before linking, because they
            # must never open a deal (a newsletter reads like an inquiry surprisingly often).
            facts = facts_from_parsed(
                parsed,
                message_id=str(msg.pk),
                direction="in",
                from_customer=True,
                received_at=msg.date,
            )
        # Bulk mail without List headers and service providers' mail: not a buyer's.
        not_buyer = parties.not_buyer_evidence(msg, parsed)
    existing = DealMessage.objects.filter(message=msg).select_related("deal").first()
    deal = existing.deal if existing else None
    if deal is None and buyer.addresses:
        bulk = facts is not None and (facts.is_autoreply or facts.is_bounce or facts.list_mail)
        deal = _link(msg, outbound, buyer, verdict, env, stats, bulk=bulk, not_buyer=not_buyer)
    if outbound:
        stats["answers"] += answer_clocks(msg, buyer, deal, env)
    elif buyer.addresses and not ReplyClock.objects.filter(message=msg).exists():
        start_clock(msg, deal, buyer, verdict, facts, env)
        stats["clocks"] += 1
    return deal.pk if deal else None


def known_contact(buyer: BuyerSide) -> bool:
    """We have written to one of these addresses, or to their company, before."""
    rows = EmailAddress.objects.filter(address__in=buyer.addresses).select_related(
        "person__company"
    )
    for row in rows:
        company = row.person.company if row.person else None
        if row.messages_to > 0 or (company is not None and company.last_outbound_at):
            return True
    return False


def _link(
    msg,
    outbound,
    buyer: BuyerSide,
    verdict,
    env: Env,
    stats: Counter,
    *,
    bulk: bool = False,
    not_buyer: list[Evidence] | None = None,
) -> Deal | None:
    refs = message_references(msg)
    keys = link_keys(refs)
    by_key: dict = {}
    by_number = references.deals_by_number(keys, known_deal)
    if keys:
        cond = Q()
        for k in keys:
            cond |= Q(group=k.group, value=k.value)
        rows = DealReference.objects.filter(cond).select_related("deal").order_by("-deal_id")
        cache: dict[int, KnownDeal] = {}
        for row in rows:
            known = cache.get(row.deal_id) or known_deal(row.deal)
            cache[row.deal_id] = known
            key = next(k for k in keys if (k.group, k.value) == (row.group, row.value))
            by_key.setdefault(key, []).append(known)
    thread_deal = None
    if msg.thread_id:
        thread_deal = (
            DealThread.objects.filter(thread_id=msg.thread_id)
            .values_list("deal_id", flat=True)
            .first()
        )
    link = LinkMessage(
        id=str(msg.pk),
        direction="out" if outbound else "in",
        thread=str(msg.thread_id) if msg.thread_id else None,
        references=tuple(refs),
        people=frozenset(str(p.pk) for p in buyer.people),
        companies=frozenset(str(c) for c in buyer.companies),
        domains=frozenset(buyer.domains),
        grade=verdict.grade if verdict else None,
        is_inquiry=bool(verdict and verdict.is_inquiry),
        from_customer=not outbound and not bulk and verdict is not None and not verdict.is_threat,
        known_contact=not outbound and known_contact(buyer),
        not_buyer=tuple(not_buyer or ()),
    )
    decision = link_message(
        link,
        thread_deal=str(thread_deal) if thread_deal else None,
        deals_by_key=by_key,
        deals_by_number=by_number,
    )
    evidence = [e.as_dict() for e in decision.evidence]
    if decision.action == "skip":
        return None
    if decision.action == "create":
        deal = create_deal(msg, buyer, verdict, evidence)
        stats["deals_new"] += 1
    else:
        deal = Deal.objects.get(pk=int(decision.deal))
        stats["joined"] += 1
        if decision.conflicts:
            known = {e.get("detail") for e in deal.link_evidence}
            new = [
                e
                for e in evidence
                if e["rule"] == "deal.link.conflict" and e["detail"] not in known
            ]
            if new:
                deal.link_evidence = deal.link_evidence + new
                deal.save(update_fields=["link_evidence"])
    DealMessage.objects.get_or_create(
        message=msg,
        defaults={
            "deal": deal,
            "direction": "out" if outbound else "in",
            "at": msg.date,
            "evidence": evidence,
        },
    )
    if msg.thread_id:
        _link_row, created = DealThread.objects.get_or_create(
            thread_id=msg.thread_id, defaults={"deal": deal}
        )
        if created:
            adopt_thread(deal, msg.thread_id, env)
    add_references(deal, msg, refs)
    return deal


def adopt_thread(deal: Deal, thread_id: int, env: Env) -> int:
    """Earlier messages of a thread that just joined the deal (stored before the deal
    existed: our Sent copy synced before the inquiry, or history imported first)."""
    thread_ev = [Evidence("deal.link.thread", 1.0, "same conversation (thread) as the deal")]
    adopted = 0
    for other in Message.objects.filter(thread_id=thread_id, deal_link__isnull=True):
        out = env.is_own(other.from_email)
        provider = [] if out else parties.provider_of(other)
        DealMessage.objects.create(
            deal=deal,
            message=other,
            direction="out" if out else "in",
            at=other.date,
            evidence=[e.as_dict() for e in thread_ev + provider],
        )
        add_references(deal, other, message_references(other))
        ReplyClock.objects.filter(message=other, deal__isnull=True).update(deal=deal)
        adopted += 1
    return adopted


def add_references(deal: Deal, msg: Message, refs: list[Reference]) -> None:
    for ref in refs:
        key = link_key(ref)
        if key.value:
            DealReference.objects.get_or_create(
                deal=deal,
                group=key.group,
                value=key.value[:64],
                defaults={"kind": ref.kind, "shown": ref.value[:64], "message": msg},
            )


def deal_title(msg: Message) -> str:
    import re

    subject = re.sub(
        r"^(?:\s*(?:re|fw|fwd|aw|wg|sv|回复|答复|转发|rv|res|enc)\s*[:：]\s*)+",
        "",
        msg.subject or "",
        flags=re.I,
    )
    return (subject.strip() or msg.from_email or "deal")[:255]


def stage_message(msg: Message, direction: str) -> StageMessage:
    names = tuple(n for n in (msg.attachment_names or "").split("\n") if n)
    return StageMessage(
        str(msg.pk), direction, msg.body_text or "", msg.date, msg.subject or "", names
    )


def create_deal(msg: Message, buyer: BuyerSide, verdict, evidence: list[dict]) -> Deal:
    person = buyer.people[0] if buyer.people else None
    company = person.company if person is not None else None
    with english():  # stored evidence stays English; pages translate it when shown
        first = suggest_stage([stage_message(msg, "in")], current=CoreStage.COLD)
    stage = first.stage.value if first.changed and not first.stage.closed else Stage.INQUIRY
    grade = verdict.grade if verdict and verdict.grade in GRADE_ORDER else ""
    lang = detect_language(f"{msg.subject}\n{(msg.body_text or '')[:2000]}") or "en"
    deal = Deal.objects.create(
        title=deal_title(msg),
        company=company,
        person=person,
        owner=company.owner if company is not None else None,
        stage=stage,
        grade=grade,
        language=_LANGS.get(lang, "en"),
        opened_at=msg.date,
        last_message_at=msg.date,
        link_evidence=evidence,
    )
    StageChange.objects.create(
        deal=deal,
        to_stage=stage,
        source=StageChange.Source.CREATED,
        evidence=[e.as_dict() for e in first.evidence],
        at=msg.date,
    )
    return deal


# -- reply clocks -----------------------------------------------------------------------


def customer_reason(msg: Message, deal: Deal | None, buyer: BuyerSide, verdict) -> str | None:
    """Why this inbound mail is a customer's (the deadline rules only apply to those)."""
    if verdict is not None and verdict.is_threat:
        return None
    if deal is not None:
        return f"part of deal {deal.pk}"
    if verdict is not None and verdict.grade in GRADE_ORDER:
        return f"inquiry, grade {verdict.grade}"
    if known_contact(buyer):
        return "a contact we have written to"
    return None


def _answered_before(msg: Message, deal: Deal | None, env: Env) -> Message | None:
    """An outbound message already stored that answers ``msg`` (import order can put our
    reply first: Sent synced before INBOX)."""
    candidates = []
    if msg.thread_id:
        candidates += list(Message.objects.filter(thread_id=msg.thread_id, date__gt=msg.date)[:200])
    if deal is not None:
        candidates += [
            dm.message
            for dm in DealMessage.objects.filter(
                deal=deal, direction="out", at__gt=msg.date
            ).select_related("message")[:200]
        ]
    ours = [m for m in candidates if env.is_own(m.from_email)]
    return min(ours, key=lambda m: (m.date, m.pk), default=None)


def clock_grade(verdict, deal: Deal | None) -> tuple[str | None, str]:
    """The grade a message's deadline uses: its own inquiry grade, else the deal's (a
    key account's negotiation mail is as urgent as its inquiry), else none."""
    if verdict is not None and verdict.grade:
        return verdict.grade, verdict.source
    if deal is not None and deal.grade:
        return deal.grade, "deal"
    return None, ""


def start_clock(msg, deal, buyer: BuyerSide, verdict, facts, env: Env) -> ReplyClock:
    """``facts``: :func:`facts_from_parsed` of the message (None when it is unreadable)."""
    person = buyer.people[0] if buyer.people else None
    reason = customer_reason(msg, deal, buyer, verdict)
    answer = _answered_before(msg, deal, env)
    grade, source = clock_grade(verdict, deal)
    clock = ReplyClock(
        message=msg,
        deal=deal,
        person=person,
        sender=(msg.from_email or "").lower()[:320],
        received_at=msg.date,
        grade=grade or "",
        grade_source=source,
        is_inquiry=bool(verdict and verdict.is_inquiry),
        threat=verdict.threat if verdict else "",
    )
    if answer is not None:
        clock.answered_at, clock.answered_by, clock.answered_channel = answer.date, answer, "email"
        clock.answered_from = answer.from_email.lower()
        clock.salesperson = env.user_for(answer.from_email)
    evidence: list[dict] = list(verdict.evidence) if verdict else []
    if facts is not None:
        facts = replace(facts, from_customer=reason is not None, answered_at=clock.answered_at)
        clock.auto = facts.is_autoreply or facts.is_bounce or facts.list_mail
        compute_deadline(clock, facts, grade, env)
        if reason:
            evidence.append(Evidence("deadline.customer", 0.0, reason).as_dict())
        evidence += clock.evidence
    clock.evidence = evidence
    clock.save()
    return clock


def compute_deadline(clock: ReplyClock, facts, grade: str | None, env: Env) -> None:
    """Set ``clock.due_at``/``hours``/``evidence`` from the settings (None: no deadline)."""
    result = reply_deadline(
        facts, grade if grade in ("A", "B", "C", "D") else None, env.settings.deadline_settings()
    )
    if result is None:
        clock.due_at = clock.hours = None
        clock.evidence = [Evidence("deadline.none", 0.0, "does not wait for an answer").as_dict()]
        return
    clock.due_at, clock.hours = result.due_at, result.hours
    clock.evidence = [e.as_dict() for e in result.evidence]


def answer_clocks(
    msg: Message, buyer: BuyerSide, deal: Deal | None, env: Env, channel: str = "email"
) -> int:
    """Our message answers the open clocks of its recipients, its thread and its deal."""
    cond = Q(sender__in=buyer.addresses) | Q(person__in=buyer.people)
    if msg.thread_id:
        cond |= Q(message__thread_id=msg.thread_id)
    if deal is not None:
        cond |= Q(deal=deal)
    return ReplyClock.objects.filter(cond, answered_at=None, received_at__lt=msg.date).update(
        answered_at=msg.date,
        answered_by=msg,
        answered_channel=channel,
        answered_from=(msg.from_email or "").lower()[:320],
        salesperson=env.user_for(msg.from_email),
    )


# -- the deal after new messages --------------------------------------------------------


def refresh_deal(deal: Deal) -> Deal:
    """Stage suggestion, grade, last activity, buyer and owner from the deal's messages."""
    rows = list(
        DealMessage.objects.filter(deal=deal)
        .select_related("message")
        .order_by("-at", "-id")[:STAGE_LIMIT]
    )
    msgs = [stage_message(r.message, r.direction) for r in reversed(rows)]
    for dc in deal.deal_chats.select_related("chat").order_by("chat__timestamp")[:STAGE_LIMIT]:
        c = dc.chat
        msgs.append(
            StageMessage(
                f"chat{c.pk}",
                "in" if c.from_customer else "out",
                c.text,
                c.timestamp,
                "",
                (),
                c.channel,
            )
        )
    with english():
        suggestion = suggest_stage(msgs, current=deal.stage, since=deal.stage_set_at)
    if suggestion.changed:
        deal.suggested_stage = suggestion.stage.value
        deal.suggestion = suggestion.as_dict()
    else:
        deal.suggested_stage, deal.suggestion = "", {}
    grades_seen = [
        g
        for g in deal.clocks.exclude(grade_source="deal").values_list("grade", flat=True)
        if g in GRADE_ORDER
    ]
    if grades_seen:
        deal.grade = min(grades_seen, key=GRADE_ORDER.get)
    if rows:
        deal.last_message_at = max(deal.last_message_at or rows[0].at, rows[0].at)
    if deal.person_id is None or deal.company_id is None:
        senders = list(parties.parties(r.message for r in rows if r.direction == "in").buyers)
        for row in EmailAddress.objects.filter(address__in=senders).exclude(person=None):
            person = resolve(row.person)
            deal.person = deal.person or person
            if deal.company_id is None and person.company_id:
                deal.company_id = person.company_id
    if deal.owner_id is None and deal.company_id and deal.company.owner_id:
        deal.owner_id = deal.company.owner_id
    deal.save()
    return deal


def now_utc() -> datetime:
    return datetime.now(UTC)
