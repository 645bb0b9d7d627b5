"""What a user does to a deal: set the stage, edit it, pause its cadence, handle a
follow-up, send the consolidation mail, merge two deals, open a deal from a thread.
Each is one function the views call; each leaves the cadence re-planned."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from tradeinbox.core.deals.consolidation import (
    ConsolidationMessage,
    DealFacts,
    Draft,
    draft_consolidation,
)
from tradeinbox.core.evidence import Evidence
from tradeinbox.customers.models import EmailAddress
from tradeinbox.deals import followups, ingest, parties
from tradeinbox.deals.models import (
    CLOSED_STAGES,
    Deal,
    DealChat,
    DealMessage,
    DealReference,
    DealThread,
    FollowUp,
    ReplyClock,
    Stage,
    StageChange,
)
from tradeinbox.store.models import Thread


def _now() -> datetime:
    return datetime.now(UTC)


@transaction.atomic
def set_stage(
    deal: Deal, stage: str, user, *, accepted: bool = False, now: datetime | None = None
) -> Deal:
    """Move the deal to ``stage`` (by hand, or accepting the suggestion) with history."""
    if stage not in Stage.values:
        raise ValueError(f"unknown stage {stage!r}")
    if stage == deal.stage:
        return deal
    evidence = deal.suggestion.get("evidence", []) if accepted else []
    StageChange.objects.create(
        deal=deal,
        from_stage=deal.stage,
        to_stage=stage,
        source=StageChange.Source.SUGGESTION if accepted else StageChange.Source.USER,
        by=user if getattr(user, "is_authenticated", False) else None,
        evidence=evidence,
        at=_now(),
    )
    deal.stage = stage
    # Suggestions read only what arrives after this decision: the messages the user saw
    # when choosing the stage must not propose it again (mail dates, not the wall clock,
    # because imported history is older than today).
    deal.stage_set_at = deal.last_message_at or _now()
    deal.closed_at = _now() if stage in CLOSED_STAGES else None
    deal.suggested_stage, deal.suggestion = "", {}
    deal.save()
    ingest.refresh_deal(deal)
    followups.update_cadence(deal, now=now)
    return deal


def update_details(
    deal: Deal,
    *,
    title: str,
    amount: Decimal | None,
    currency: str,
    formal_address: str,
    owner=None,
    change_owner: bool = False,
) -> Deal:
    deal.title = title.strip()[:255] or deal.title
    deal.amount = amount
    deal.currency = currency.strip().upper()[:3]
    deal.formal_address = formal_address.strip().lower()[:320]
    if change_owner:
        deal.owner = owner
    deal.save()
    return deal


def set_paused(deal: Deal, paused: bool, *, now: datetime | None = None) -> Deal:
    deal.cadence_paused = paused
    deal.save(update_fields=["cadence_paused"])
    followups.update_cadence(deal, now=now)
    return deal


# -- follow-ups ------------------------------------------------------------------------


def followup_send(fu: FollowUp, user, *, now: datetime | None = None) -> FollowUp:
    """Put a reviewed draft into the outbox (at its due time, or now if that passed)."""
    if fu.status != FollowUp.Status.PLANNED:
        raise ValueError(_("Only a draft waiting for review can be sent."))
    account = followups.sending_account(
        fu.deal, followups.cadence_inputs(fu.deal, _now(), ingest.environment())
    )
    if account is None:
        raise ValueError(_("Connect a mailbox first."))
    if not fu.to.strip():
        raise ValueError(_("The follow-up has no recipient."))
    return followups.schedule(fu, account, send_at=max(fu.due_at, now or _now()), user=user)


def followup_save(fu: FollowUp, user, *, subject: str, body: str) -> FollowUp:
    """Edit a draft; a scheduled one is taken out of the outbox and put back with the
    new text (if the outbox has not taken it yet)."""
    if fu.status not in (FollowUp.Status.PLANNED, FollowUp.Status.SCHEDULED):
        raise ValueError(_("This follow-up can no longer be changed."))
    if not subject.strip() or not body.strip():
        raise ValueError(_("Subject and text must not be empty."))
    with transaction.atomic():
        was_scheduled = fu.status == FollowUp.Status.SCHEDULED
        if was_scheduled and not followups._outbox().cancel(fu.outbox_id):
            raise ValueError(_("The outbox has already taken this message."))
        fu.subject, fu.body = subject.strip(), body.replace("\r\n", "\n")
        fu.status, fu.outbox = FollowUp.Status.PLANNED, None
        fu.save()
        if was_scheduled:
            followup_send(fu, user)
    return fu


def followup_done(fu: FollowUp, user) -> FollowUp:
    if fu.status != FollowUp.Status.OPEN:
        raise ValueError(_("Only an open task can be marked done."))
    fu.status = FollowUp.Status.DONE
    fu.finished_at = _now()
    fu.finished_by = user if getattr(user, "is_authenticated", False) else None
    fu.save()
    return fu


def followup_cancel(fu: FollowUp, user) -> FollowUp:
    if not fu.active:
        raise ValueError(_("This follow-up is no longer active."))
    followups.stop(fu, "user", "stopped by hand", user)
    return fu


# -- consolidation ---------------------------------------------------------------------


def trusted_messages(deal: Deal):
    """The deal's messages without the mail the guard flagged (phishing, spam): a lookalike
    sender quoting the PO joins the deal's timeline, never its addresses or summary."""
    flagged = ReplyClock.objects.filter(message__deal_link__deal=deal).exclude(
        threat__in=("", "ham")
    )
    return (
        deal.deal_messages.select_related("message")
        .exclude(message_id__in=flagged.values("message_id"))
        .order_by("at", "id")
    )


def buyer_addresses(deal: Deal, env: ingest.Env | None = None) -> list[str]:
    """Every customer address in the deal's mail (senders, To and Cc), first seen first;
    not a service provider's (the forwarder we asked for a booking, see :mod:`.parties`)."""
    env = env or ingest.environment()
    rows = list(trusted_messages(deal))
    sides = parties.parties(dm.message for dm in rows if dm.direction == "in")
    out: list[str] = []
    for dm in rows:
        msg = dm.message
        rec = msg.recipients or {}
        named = [(msg.from_name, msg.from_email)] + [
            (n, e) for key in ("to", "cc") for n, e in rec.get(key, [])
        ]
        for name, address in named:
            address = (address or "").lower()
            if not address or env.is_own(address) or address in out:
                continue
            if not sides.is_provider(address, name or ""):
                out.append(address)
    return out


def buyer_messages(deal: Deal, limit: int | None = None):
    """:func:`trusted_messages` (the first ``limit``) without service providers' mail: what
    the buyer and we agreed (a forwarder's freight rates are not the deal's prices)."""
    rows = trusted_messages(deal)
    rows = rows[:limit] if limit is not None else rows
    return [dm for dm in rows if dm.direction == "out" or not parties.provider_of(dm.message)]


def consolidation(deal: Deal, *, link_template: str = "/messages/{message_id}/") -> Draft | None:
    """The summary mail for a deal whose buyer used two or more addresses, else None."""
    env = ingest.environment()
    addresses = buyer_addresses(deal, env)
    if len({a.lower() for a in addresses}) < 2:
        return None
    messages = [
        ConsolidationMessage(
            id=str(dm.message_id),
            sender=dm.message.from_email.lower(),
            direction=dm.direction,
            text=dm.message.body_text or "",
            sent_at=dm.at,
            subject=dm.message.subject or "",
        )
        for dm in buyer_messages(deal)
    ]
    formal = deal.formal_address or next(
        iter(
            EmailAddress.objects.filter(address__in=addresses, is_formal=True)
            .order_by("-messages_from")
            .values_list("address", flat=True)
        ),
        None,
    )
    inputs = followups.cadence_inputs(deal, _now(), env)
    account = followups.sending_account(deal, inputs)
    person = ingest.resolve(deal.person)
    facts = DealFacts(
        title=deal.title,
        buyer_addresses=addresses,
        messages=messages,
        buyer_name=person.name if person is not None else "",
        seller_name=account.sender_name if account else "",
        seller_company=account.company if account else "",
        formal_address=formal if formal in addresses else None,
        own_domains=tuple(sorted(env.own_domains)),
    )
    return draft_consolidation(facts, deal.language, link_template=link_template)


def send_consolidation(deal: Deal, user, *, to: str, cc: str, subject: str, body: str):
    """Send the (edited) summary through the outbox from the deal's mailbox."""
    from tradeinbox.mailbox import outbox

    inputs = followups.cadence_inputs(deal, _now(), ingest.environment())
    account = followups.sending_account(deal, inputs)
    if account is None:
        raise ValueError(_("Connect a mailbox first."))
    row = outbox.compose(account, to=to, cc=cc, subject=subject, body=body, user=user)
    deal.link_evidence = deal.link_evidence + [
        Evidence("deal.consolidation.sent", 0.0, f"summary mail {row.message_id} to {to}").as_dict()
    ]
    deal.save(update_fields=["link_evidence"])
    return row


# -- merge and create ------------------------------------------------------------------


@transaction.atomic
def merge(target: Deal, source: Deal, user) -> Deal:
    """Move everything of ``source`` into ``target`` and delete ``source``."""
    if target.pk == source.pk:
        raise ValueError("a deal cannot be merged into itself")
    DealMessage.objects.filter(deal=source).update(deal=target)
    DealChat.objects.filter(deal=source).update(deal=target)
    DealThread.objects.filter(deal=source).update(deal=target)
    ReplyClock.objects.filter(deal=source).update(deal=target)
    for fu in FollowUp.objects.filter(deal=source, status__in=FollowUp.ACTIVE):
        followups.stop(fu, "replaced", f"merged into deal {target.pk}")
    for fu in FollowUp.objects.filter(deal=source):
        clash = FollowUp.objects.filter(
            deal=target, rule=fu.rule, step=fu.step, action=fu.action, anchor_at=fu.anchor_at
        )
        if clash.exists():
            fu.delete()  # the same step of the same touch: the target's row tells it
        else:
            fu.deal = target
            fu.save(update_fields=["deal"])
    for ref in DealReference.objects.filter(deal=source):
        if DealReference.objects.filter(deal=target, group=ref.group, value=ref.value).exists():
            ref.delete()
        else:
            ref.deal = target
            ref.save(update_fields=["deal"])
    target.opened_at = min(target.opened_at, source.opened_at)
    target.link_evidence = [
        e for e in target.link_evidence if f"deal {source.pk}" not in str(e.get("detail", ""))
    ] + [Evidence("deal.merged", 0.0, f"deal {source.pk} ({source.title}) merged in").as_dict()]
    target.save()
    source.delete()
    ingest.refresh_deal(target)
    followups.update_cadence(target)
    return target


@transaction.atomic
def deal_from_thread(thread: Thread, user) -> Deal:
    """Open a deal by hand from a conversation (cold outreach, an old thread ...)."""
    existing = DealThread.objects.filter(thread=thread).select_related("deal").first()
    if existing is not None:
        return existing.deal
    env = ingest.environment()
    messages = list(thread.messages.order_by("date", "id"))
    if not messages:
        raise ValueError(_("The conversation has no messages."))
    first = messages[0]
    outbound = env.is_own(first.from_email)
    buyer = ingest.buyer_side(first, outbound, env)
    evidence = [Evidence("deal.create.user", 1.0, "opened by hand from a conversation").as_dict()]
    deal = ingest.create_deal(first, buyer, None, evidence)
    if outbound:
        deal.stage = Stage.COLD
        deal.stage_changes.update(to_stage=Stage.COLD)
    deal.owner = deal.owner or (user if getattr(user, "is_authenticated", False) else None)
    deal.save()
    DealThread.objects.create(deal=deal, thread=thread)
    ingest.adopt_thread(deal, thread.pk, env)
    ingest.refresh_deal(deal)
    followups.update_cadence(deal)
    return deal
