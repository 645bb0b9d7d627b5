"""Follow-up cadences run by the worker: plan, schedule, stop.

For every open deal :func:`update_cadence` builds the cadence inputs from the stored mail,
chats and outbox (every touch with the buyer, on any channel and any of their addresses),
asks :func:`tradeinbox.core.deals.cadence.next_action` what comes next and makes the rows
match:

* a **draft** step becomes a :class:`~.models.FollowUp` with a rendered mail. In the
  default *schedule* mode it goes straight into the outbox with ``send_at`` = its due time
  (a scheduled draft the user can still edit or cancel there); in *review* mode it waits on
  the Due list for a click;
* a **task** or the **"call or WhatsApp instead"** suggestion is a to-do on the Due list;
* when the core says stop (the buyer answered, the deal closed, nothing to chase) every
  active follow-up is stopped and a queued outbox row is cancelled, so nothing goes out
  after the buyer replied.

It runs after every batch of new mail (for the deals it touched) and from ``deals.tick``
for all open deals. Idempotent: re-running it with nothing new changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db import transaction
from django.db.models import Q

from tradeinbox.core.deals.cadence import CadenceDecision, CadenceState, Touch, next_action
from tradeinbox.core.i18n import english
from tradeinbox.core.writing.context import Company as WCompany
from tradeinbox.core.writing.context import Deal as WDeal
from tradeinbox.core.writing.context import Person as WPerson
from tradeinbox.core.writing.context import RenderContext, SenderInfo
from tradeinbox.core.writing.templates import TemplateProblem, render_template
from tradeinbox.customers.models import Channel, ChatMessage, EmailAddress
from tradeinbox.deals.ingest import Env, environment, resolve
from tradeinbox.deals.models import Deal, DealMessage, FollowUp, ReplyClock

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent / "followup_templates"
Status = FollowUp.Status
RECENT = timedelta(days=2)  # outbound mail older than this cannot clash with a new follow-up


def _outbox():
    from tradeinbox.mailbox import outbox

    return outbox


@dataclass(slots=True)
class CadenceInputs:
    state: CadenceState
    addresses: list[str]
    anchor: datetime | None  # the last outbound touch
    last_out: DealMessage | None  # our last mail in the deal (the follow-up replies to it)


def buyer_addresses(deal: Deal) -> list[str]:
    """Every address the buyer side used in the deal, plus the main person's others."""
    senders = list(
        DealMessage.objects.filter(deal=deal, direction="in")
        .values_list("message__from_email", flat=True)
        .distinct()[:50]
    )
    out = [s.lower() for s in senders if s]
    person = resolve(deal.person)
    if person is not None:
        out += [a.lower() for a in person.addresses.values_list("address", flat=True)]
    return list(dict.fromkeys(out))


def _people(addresses: list[str], deal: Deal) -> list:
    people = []
    for row in EmailAddress.objects.filter(address__in=addresses).exclude(person=None):
        p = resolve(row.person)
        if p is not None and p not in people:
            people.append(p)
    main = resolve(deal.person)
    if main is not None and main not in people:
        people.insert(0, main)
    return people


def cadence_inputs(deal: Deal, now: datetime, env: Env) -> CadenceInputs:
    """Every touch with the buyer on every channel, and outbound mail that could clash."""
    addresses = buyer_addresses(deal)
    people = _people(addresses, deal)
    followup_ids = set(
        FollowUp.objects.filter(deal=deal)
        .exclude(outbox=None)
        .values_list("outbox__message_id", flat=True)
    )
    auto = set(
        ReplyClock.objects.filter(deal=deal)
        .filter(Q(auto=True) | Q(threat__in=["spam", "phish"]))
        .values_list("message_id", flat=True)
    )
    touches: list[Touch] = []
    last_out: DealMessage | None = None
    seen_ids: set[str] = set()
    for dm in DealMessage.objects.filter(deal=deal).select_related("message").order_by("at", "id"):
        if dm.direction == "in":
            if dm.message_id not in auto:
                touches.append(Touch(dm.at, "in", "email", False, dm.message.message_id))
            continue
        is_followup = dm.message.message_id in followup_ids
        touches.append(Touch(dm.at, "out", "email", is_followup, dm.message.message_id))
        seen_ids.add(dm.message.message_id)
        last_out = dm
    # The buyer's latest mail outside the deal also means "they answered" (any address).
    latest = (
        ReplyClock.objects.filter(sender__in=addresses, auto=False)
        .exclude(threat__in=["spam", "phish"])
        .exclude(deal=deal)
        .order_by("-received_at")
        .first()
    )
    if latest is not None:
        touches.append(Touch(latest.received_at, "in", "email", False, None))
    # Chats: WhatsApp / Telegram lines of the deal's people since the deal opened.
    for chat in ChatMessage.objects.filter(
        person__in=people, is_system=False, timestamp__gte=deal.opened_at
    ).order_by("timestamp")[:500]:
        touches.append(Touch(chat.timestamp, "in" if chat.from_customer else "out", chat.channel))
    # Follow-ups the outbox sent whose Sent copy is not stored yet.
    for fu in FollowUp.objects.filter(deal=deal).exclude(outbox=None).select_related("outbox"):
        row = fu.outbox
        if row.status in ("accepted", "sent") and row.message_id not in seen_ids:
            touches.append(
                Touch(row.sent_at or row.updated_at, "out", "email", True, row.message_id)
            )
    touches.sort(key=lambda t: t.at)
    outs = [t.at for t in touches if t.direction == "out"]
    other = _other_outbound(deal, addresses, now, env)
    channels = list(Channel.objects.filter(person__in=people).values_list("kind", flat=True))
    state = CadenceState(
        deal=str(deal.pk),
        person=str(people[0].pk) if people else (addresses[0] if addresses else ""),
        grade=deal.grade or None,
        stage=deal.stage,
        touches=touches,
        other_outbound=other,
        person_channels=channels,
        paused=deal.cadence_paused,
    )
    return CadenceInputs(state, addresses, max(outs) if outs else None, last_out)


def _other_outbound(deal: Deal, addresses: list[str], now: datetime, env: Env) -> list[datetime]:
    """Our mail to the same people outside this deal, sent lately or queued (one a day)."""
    from tradeinbox.mailbox.models import OutboxMessage

    if not addresses:
        return []
    own_rows = set(
        FollowUp.objects.filter(deal=deal).exclude(outbox=None).values_list("outbox_id", flat=True)
    )
    cond = Q()
    for a in addresses[:50]:
        cond |= Q(recipients__icontains=f'"{a}"')
    out: list[datetime] = []
    queued = OutboxMessage.objects.filter(cond, status__in=["queued", "sending"]).exclude(
        pk__in=own_rows
    )
    out += [row.send_at for row in queued]
    deal_msgs = set(DealMessage.objects.filter(deal=deal).values_list("message_id", flat=True))
    from tradeinbox.store.models import Message

    for msg in Message.objects.filter(cond, date__gte=now - RECENT).only("from_email", "date"):
        if msg.pk not in deal_msgs and env.is_own(msg.from_email):
            out.append(msg.date)
    return out


def update_cadences(deal_ids: Iterable[int] | None = None, *, now: datetime | None = None) -> int:
    """Re-plan the cadence of the given deals (default: every open deal)."""
    now = now or datetime.now(UTC)
    env = environment()
    deals = Deal.objects.all() if deal_ids is not None else Deal.objects.open()
    if deal_ids is not None:
        deals = deals.filter(pk__in=list(deal_ids))
    count = 0
    for deal in deals.select_related("person", "company", "owner"):
        try:
            update_cadence(deal, now=now, env=env)
            count += 1
        except Exception:  # noqa: BLE001 - one broken deal must not stop the others
            log.exception("cadence of deal %s failed", deal.pk)
    return count


def stop(fu: FollowUp, code: str, reason: str, user=None) -> None:
    """Stop an active follow-up; its outbox row is cancelled while still queued."""
    if fu.outbox_id and fu.status == Status.SCHEDULED:
        if not _outbox().cancel(fu.outbox_id):
            fu.outbox.refresh_from_db()
            if fu.outbox.status in ("accepted", "sent", "sending"):
                fu.status = Status.SENT  # too late: it is on its way
                fu.save(update_fields=["status"])
                return
    fu.status = Status.CANCELLED
    fu.stop_code = code
    fu.reason = reason[:1000]
    fu.finished_at = datetime.now(UTC)
    fu.finished_by = user if getattr(user, "is_authenticated", False) else None
    fu.save(update_fields=["status", "stop_code", "reason", "finished_at", "finished_by"])


def _sync_outbox_states(deal: Deal) -> None:
    for fu in deal.followups.filter(status=Status.SCHEDULED).select_related("outbox"):
        row = fu.outbox
        if row is None:
            fu.status = Status.PLANNED
        elif row.status in ("accepted", "sent"):
            fu.status, fu.finished_at = Status.SENT, row.sent_at
        elif row.status == "cancelled":
            fu.status, fu.stop_code = Status.CANCELLED, "outbox"
            fu.reason, fu.finished_at = "cancelled in the outbox", datetime.now(UTC)
        else:
            continue
        fu.save()


def update_cadence(
    deal: Deal, *, now: datetime | None = None, env: Env | None = None
) -> CadenceDecision | None:
    """See the module doc. Returns the core's decision (None for a closed deal)."""
    now = now or datetime.now(UTC)
    env = env or environment()
    with transaction.atomic():
        deal = Deal.objects.select_for_update().get(pk=deal.pk)
        _sync_outbox_states(deal)
        active = list(deal.followups.filter(status__in=FollowUp.ACTIVE))
        if deal.is_closed:
            for fu in active:
                stop(fu, "closed", "the deal is closed")
            deal.cadence = {"action": "stop", "reason": "closed"}
            deal.save(update_fields=["cadence"])
            return None
        inputs = cadence_inputs(deal, now, env)
        with english():  # stored in the row: the page translates it when shown
            decision = next_action(inputs.state, now, env.settings.cadence_settings())
        deal.cadence = {
            "action": decision.action,
            "reason": decision.reason,
            "evidence": [e.as_dict() for e in decision.evidence],
            "due_at": decision.followup.due_at.isoformat() if decision.followup else None,
        }
        deal.save(update_fields=["cadence"])
        fu = decision.followup
        if fu is None or inputs.anchor is None:
            code = _stop_code(decision)
            for row in active:
                stop(row, code, decision.reason)
            return decision
        key = (fu.rule or "", fu.step or 0, fu.action, inputs.anchor)
        keep = None
        for row in active:
            if (row.rule, row.step, row.action, row.anchor_at) == key and keep is None:
                keep = row
            else:
                stop(row, "replaced", "the cadence changed: " + decision.reason)
        if keep is not None:
            _move(keep, fu)
            return decision
        earlier = FollowUp.objects.filter(
            deal=deal, rule=key[0], step=key[1], action=key[2], anchor_at=key[3]
        ).first()
        if earlier is not None:
            if earlier.stop_code in ("user", "outbox") or earlier.status in (
                Status.SENT,
                Status.DONE,
            ):
                return decision  # the user said no to this step, or it is done
            earlier.delete()  # stopped by the system earlier and wanted again: plan afresh
        create_followup(deal, fu, inputs, env, now)
    return decision


def _stop_code(decision: CadenceDecision) -> str:
    rules = [e.rule for e in decision.evidence]
    for rule, code in (
        ("cadence.stop.buyer_replied", "buyer_replied"),
        ("cadence.paused", "paused"),
        ("cadence.no_rule", "no_rule"),
    ):
        if rule in rules:
            return code
    return "stopped"


def _move(row: FollowUp, plan) -> None:
    """Keep a planned step on its re-computed due time (another mail to the same person
    was scheduled that day, the business hours changed ...), with the new reasons."""
    if row.due_at == plan.due_at:
        return
    if row.status == Status.SCHEDULED and row.outbox_id:
        if not _outbox().reschedule(row.outbox_id, plan.due_at):
            return  # the outbox has it already
    row.due_at = plan.due_at
    row.evidence = [e.as_dict() for e in plan.evidence]
    row.save(update_fields=["due_at", "evidence"])


def create_followup(deal: Deal, plan, inputs: CadenceInputs, env: Env, now: datetime) -> FollowUp:
    person = resolve(deal.person)
    row = FollowUp(
        deal=deal,
        person=person,
        rule=plan.rule or "",
        step=plan.step or 0,
        action=plan.action,
        template=plan.template or "",
        channel=plan.channel,
        anchor_at=inputs.anchor,
        due_at=plan.due_at,
        evidence=[e.as_dict() for e in plan.evidence],
    )
    if plan.action != "draft":
        row.status = Status.OPEN
        row.save()
        return row
    to, cc, in_reply_to, references, thread_subject = _recipients(deal, inputs)
    account = sending_account(deal, inputs)
    subject, body = render_followup(deal, plan.template, plan.step or 1, account, person)
    row.to, row.cc = ", ".join(to), ", ".join(cc)
    row.subject = thread_subject or subject
    row.body, row.in_reply_to, row.references = body, in_reply_to, references
    row.status = Status.PLANNED
    row.save()
    if env.settings.followup_mode == env.settings.FollowUpMode.SCHEDULE and account and to:
        schedule(row, account, send_at=max(plan.due_at, now))
    return row


def schedule(row: FollowUp, account, *, send_at: datetime, user=None) -> FollowUp:
    """Put a follow-up draft into the outbox, to go at ``send_at``."""
    out = _outbox().compose(
        account,
        to=row.to,
        cc=row.cc,
        subject=row.subject,
        body=row.body,
        send_at=send_at,
        in_reply_to=row.in_reply_to,
        references=row.references,
        user=user,
    )
    row.outbox, row.status = out, Status.SCHEDULED
    row.save(update_fields=["outbox", "status"])
    return row


def _recipients(deal: Deal, inputs: CadenceInputs) -> tuple[list[str], list[str], str, str, str]:
    """Reply to our last mail in the deal (same people, same thread); else write to the
    formal address, else to the buyer's latest address."""
    last = inputs.last_out
    if last is not None:
        msg = last.message
        rec = msg.recipients or {}
        to = [e.lower() for _n, e in rec.get("to", []) if e and e.lower() in inputs.addresses]
        cc = [e.lower() for _n, e in rec.get("cc", []) if e and e.lower() in inputs.addresses]
        if to or cc:
            subject = msg.subject or ""
            if not subject.lower().startswith("re:"):
                subject = f"Re: {subject}"
            refs = " ".join(msg.references or [])
            return to or cc[:1], cc if to else cc[1:], msg.message_id, refs, subject
    formal = deal.formal_address or next(
        (
            a
            for a in EmailAddress.objects.filter(
                address__in=inputs.addresses, is_formal=True
            ).values_list("address", flat=True)
        ),
        "",
    )
    target = formal or (inputs.addresses[0] if inputs.addresses else "")
    return ([target] if target else []), [], "", "", ""


def sending_account(deal: Deal, inputs: CadenceInputs):
    from tradeinbox.mailbox.models import Account

    if inputs.last_out is not None:
        account = Account.objects.filter(
            email_address__iexact=inputs.last_out.message.from_email
        ).first()
        if account:
            return account
    if deal.owner_id:
        account = Account.objects.filter(owner_id=deal.owner_id).order_by("id").first()
        if account:
            return account
    return Account.objects.order_by("id").first()


def _template(key: str, language: str) -> tuple[str, str]:
    lang = language if (TEMPLATES / language).is_dir() else "en"
    path = TEMPLATES / lang / f"{key}.txt"
    if not path.is_file():
        path = TEMPLATES / lang / "quotation_followup.txt"
    head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
    return head.removeprefix("Subject:").strip(), body.strip() + "\n"


def split_name(name: str) -> tuple[str, str]:
    """``(first, last)`` as written: "Carlos Méndez", "Méndez, Carlos"; a CJK name
    without spaces (王伟) is kept whole as the last name, as salutations use it."""
    name = " ".join((name or "").split())
    if not name:
        return "", ""
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip(), last.strip()
    parts = name.split(" ")
    if len(parts) == 1:
        cjk = any("\u3040" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7af" for c in name)
        return ("", name) if cjk else (name, "")
    return parts[0], parts[-1]


def render_context(deal: Deal, account, person, step: int = 1) -> RenderContext:
    first, last = split_name(person.name if person is not None else "")
    refs = {r.group: r.shown for r in deal.references.all()}
    s_first, s_last = split_name(account.sender_name if account else "")
    return RenderContext(
        person=WPerson(
            first_name=first,
            last_name=last,
            job_title=person.title if person is not None else "",
        ),
        company=WCompany(name=deal.company.name if deal.company else ""),
        deal=WDeal(
            product=deal.title,
            rfq_no=refs.get("rfq", ""),
            quote_no=refs.get("quotation", ""),
            pi_no=refs.get("pi", ""),
            po_no=refs.get("po", ""),
            currency=deal.currency,
            amount=str(deal.amount) if deal.amount is not None else "",
        ),
        sender=SenderInfo(
            first_name=s_first,
            last_name=s_last,
            email=account.email_address if account else "",
            company=WCompany(name=account.company if account else ""),
        ),
        language=deal.language if deal.language in ("en", "zh", "es") else "en",
        extra={"step": step},
    )


def render_followup(deal: Deal, key: str, step: int, account, person) -> tuple[str, str]:
    context = render_context(deal, account, person, step)
    subject, body = _template(key or "quotation_followup", context.language)
    try:
        rendered = render_template(subject, body, context)
    except TemplateProblem as exc:  # a template bug: say so in the draft, never send a gap
        log.warning("follow-up template %s: %s", key, exc)
        return subject, f"(template {key} could not be filled: {exc})\n"
    return rendered.subject, rendered.body
