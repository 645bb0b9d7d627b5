"""Campaigns: personalised mail to consented addresses, paced by the worker.

Life of a campaign:

1. :func:`start` lists the audience (everyone with a consent row on the list, plus any
   extra addresses typed in) and checks each address once with
   :func:`tradeinbox.core.consent.eligibility`; the others are recorded as *not sent*
   with the reason (no consent, pending, withdrawn, suppressed).
2. The worker calls :func:`run_due`. Each :func:`step` takes the account's row lock (so
   two workers, or two campaigns of one mailbox, never exceed the caps together), asks
   :func:`tradeinbox.core.pacing.plan_batch` who may go now, checks consent and
   suppression *again* for exactly those addresses, renders each message through the
   writing templates and puts it in the outbox with List-Unsubscribe headers.
3. :func:`sync_outcomes` copies the outbox result back: sent, or refused by the server
   (classified hard/soft: a hard refusal suppresses the address and marks it former).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import translation
from django.utils.translation import gettext as _

from tradeinbox.core import consent as rules
from tradeinbox.core import feedback as fb
from tradeinbox.core.pacing import Candidate, PastSend, plan_batch
from tradeinbox.core.writing import context as ctx
from tradeinbox.core.writing.templates import TemplateProblem, check_template, render_template
from tradeinbox.mailbox import outbox
from tradeinbox.mailbox.models import Account, OutboxMessage
from tradeinbox.outbound import conf, mail
from tradeinbox.outbound import consent as consents
from tradeinbox.outbound.models import Campaign, CampaignRecipient, Consent, DeliveryEvent

log = logging.getLogger(__name__)
R = CampaignRecipient.Status
C = Campaign.Status
_DAY = timedelta(days=1)


class CampaignProblem(ValueError):
    """A campaign cannot start or be saved; the message says what to change."""


def template_problems(subject: str, body: str) -> list[str]:
    """Syntax errors, unknown variables and unsafe access in a campaign's templates."""
    return [
        f"{i.part}: {i.message}" + (f" (line {i.line})" if i.line else "")
        for i in check_template(subject, body)
    ]


def parse_addresses(text: str) -> tuple[list[str], list[str]]:
    """Addresses from text (one per line, or comma/semicolon separated) and the bad ones."""
    good, bad = [], []
    for part in text.replace(";", "\n").replace(",", "\n").splitlines():
        part = part.strip()
        if not part:
            continue
        if "<" in part and part.endswith(">"):
            part = part.rsplit("<", 1)[1]
        try:
            good.append(rules.normalise_address(part))
        except ValueError:
            bad.append(part)
    return list(dict.fromkeys(good)), bad


@transaction.atomic
def start(campaign: Campaign, *, link_base: str = "") -> dict:
    """Build the recipient rows and let the worker begin. Returns counts by reason."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != C.DRAFT:
        raise CampaignProblem(_("Only a draft campaign can be started."))
    problems = template_problems(campaign.subject_template, campaign.body_template)
    if problems:
        raise CampaignProblem("; ".join(problems))
    base = conf.public_url() or link_base.rstrip("/")
    if not base:
        raise CampaignProblem(
            _("Set TRADEINBOX_PUBLIC_URL to the address recipients can reach this app at.")
        )
    listed = list(
        Consent.objects.filter(newsletter=campaign.newsletter).values_list("address", flat=True)
    )
    extra, _bad = parse_addresses(campaign.extra_addresses)
    audience = list(dict.fromkeys(listed + extra))
    found = consents.verdicts(campaign.newsletter, audience)
    rows, counts = [], Counter()
    for address in audience:
        verdict = found[address]
        counts[verdict.reason] += 1
        rows.append(
            CampaignRecipient(
                campaign=campaign,
                address=address,
                domain=address.rpartition("@")[2],
                status=R.PENDING if verdict.send else R.SKIPPED,
                reason="" if verdict.send else verdict.reason,
                evidence=[e.as_dict() for e in verdict.evidence],
            )
        )
    CampaignRecipient.objects.bulk_create(rows, batch_size=500)
    now = datetime.now(UTC)
    campaign.status = C.RUNNING
    campaign.started_at = now
    campaign.next_run_at = now
    campaign.link_base = base
    campaign.save(update_fields=["status", "started_at", "next_run_at", "link_base"])
    return dict(counts)


def pause(campaign: Campaign) -> bool:
    return bool(Campaign.objects.filter(pk=campaign.pk, status=C.RUNNING).update(status=C.PAUSED))


def resume(campaign: Campaign) -> bool:
    return bool(
        Campaign.objects.filter(pk=campaign.pk, status=C.PAUSED).update(
            status=C.RUNNING, next_run_at=datetime.now(UTC)
        )
    )


@transaction.atomic
def cancel(campaign: Campaign) -> int:
    """Stop a campaign: nothing more is queued; waiting outbox messages are cancelled."""
    Campaign.objects.filter(pk=campaign.pk, status__in=[C.DRAFT, C.RUNNING, C.PAUSED]).update(
        status=C.CANCELLED, finished_at=datetime.now(UTC), next_run_at=None
    )
    stopped = campaign.recipients.filter(status=R.PENDING).update(
        status=R.SKIPPED, reason="cancelled"
    )
    for row in campaign.recipients.filter(status=R.QUEUED, outbox__isnull=False):
        if outbox.cancel(row.outbox_id):
            CampaignRecipient.objects.filter(pk=row.pk).update(status=R.SKIPPED, reason="cancelled")
            stopped += 1
    return stopped


# -- the worker side ------------------------------------------------------------------------


def _sender(account: Account) -> ctx.SenderInfo:
    first, _, last = account.sender_name.strip().partition(" ")
    return ctx.SenderInfo(
        first_name=first,
        last_name=last,
        email=account.email_address,
        company=ctx.Company(name=account.company),
    )


def _people(addresses: list[str]) -> dict[str, tuple[ctx.Person, ctx.Company]]:
    """What the customer records know about each address, for personalisation."""
    from tradeinbox.customers.models import EmailAddress

    out = {}
    rows = EmailAddress.objects.filter(address__in=addresses).select_related("person__company")
    for row in rows:
        person, company = ctx.Person(email=row.address), ctx.Company()
        if row.person is not None:
            name = row.person.name.strip()
            first, _, last = name.partition(" ")
            person = ctx.Person(first_name=first, last_name=last, email=row.address)
            if row.person.company is not None:
                company = ctx.Company(
                    name=row.person.company.name, country=row.person.company.country
                )
        out[row.address] = (person, company)
    return out


def _footer(campaign: Campaign, consent: Consent | None, url: str) -> str:
    with translation.override(conf.django_language(campaign.language)):
        why = _("You receive this because you subscribed to “%(list)s”.") % {
            "list": campaign.newsletter.name
        }
        if consent is not None and consent.confirmed_at:
            why = _(
                "You receive this because you subscribed to “%(list)s” and confirmed on %(date)s."
            ) % {"list": campaign.newsletter.name, "date": consent.confirmed_at.date().isoformat()}
        leave = _("Unsubscribe with one click: %(url)s") % {"url": url}
    return f"\n\n-- \n{why}\n{leave}\n"


def _queue_one(
    campaign: Campaign, row: CampaignRecipient, consent: Consent, people: dict, now: datetime
) -> None:
    token = consents.unsubscribe_token(consent.pk, row.pk)
    url = f"{campaign.link_base}/outbound/unsubscribe/{token}/"
    person, company = people.get(row.address, (ctx.Person(email=row.address), ctx.Company()))
    context = ctx.RenderContext(
        person=person,
        company=company,
        sender=_sender(campaign.account),
        language=campaign.language,
        today=now.date(),
        extra={"unsubscribe_url": url, "list_name": campaign.newsletter.name},
    )
    try:
        rendered = render_template(campaign.subject_template, campaign.body_template, context)
    except TemplateProblem as exc:
        CampaignRecipient.objects.filter(pk=row.pk).update(
            status=R.SKIPPED, reason="template", error=str(exc)[:1000]
        )
        return
    domain = campaign.account.email_address.rpartition("@")[2]
    headers = [
        *rules.unsubscribe_headers(url),
        ("List-Id", f"<{campaign.newsletter.slug}.{domain}>"),
    ]
    message = mail.queue(
        campaign.account,
        to=row.address,
        subject=rendered.subject,
        body=rendered.body + _footer(campaign, consent, url),
        headers=headers,
        user=campaign.created_by,
    )
    CampaignRecipient.objects.filter(pk=row.pk).update(
        status=R.QUEUED, outbox=message, message_id=message.message_id, queued_at=now
    )


def step(campaign_id: int, now: datetime | None = None) -> dict:
    """Queue the next batch the caps allow; returns what happened."""
    sync_outcomes(campaign_id)
    now = now or datetime.now(UTC)
    with transaction.atomic():
        campaign = Campaign.objects.select_related("account", "newsletter").get(pk=campaign_id)
        # The mailbox's row lock serialises every campaign of this mailbox: caps hold.
        Account.objects.select_for_update().filter(pk=campaign.account_id).first()
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status != C.RUNNING:
            return {"status": campaign.status, "queued": 0}
        pending = list(campaign.recipients.filter(status=R.PENDING).order_by("id"))
        if not pending:
            if not campaign.recipients.filter(status=R.QUEUED).exists():
                campaign.status, campaign.finished_at, campaign.next_run_at = C.DONE, now, None
                campaign.save(update_fields=["status", "finished_at", "next_run_at"])
            else:  # messages still in the outbox: look again next tick
                campaign.next_run_at = now
                campaign.save(update_fields=["next_run_at"])
            return {"status": campaign.status, "queued": 0}
        deferred = dict(
            DeliveryEvent.objects.filter(
                address__in=[r.address for r in pending],
                kind=DeliveryEvent.Kind.SOFT,
                retry_after__gt=now,
            ).values_list("address", "retry_after")
        )
        ready = [r for r in pending if r.address not in deferred]
        history = [
            PastSend(at, domain)
            for at, domain in CampaignRecipient.objects.filter(
                campaign__account_id=campaign.account_id, queued_at__gt=now - _DAY
            ).values_list("queued_at", "domain")
        ]
        plan = plan_batch(
            [Candidate(r.pk, r.address) for r in ready], history, conf.default_caps(), now
        )
        chosen = {r.pk: r for r in ready if r.pk in set(plan.chosen)}
        rows = [chosen[k] for k in plan.chosen]
        # Consent and suppression checked again, right before the message is queued.
        fresh = consents.verdicts(campaign.newsletter, [r.address for r in rows])
        by_address = {
            c.address: c
            for c in Consent.objects.filter(
                newsletter=campaign.newsletter, address__in=[r.address for r in rows]
            )
        }
        people = _people([r.address for r in rows])
        queued = 0
        for row in rows:
            verdict = fresh[row.address]
            if not verdict.send:
                CampaignRecipient.objects.filter(pk=row.pk).update(
                    status=R.SKIPPED,
                    reason=verdict.reason,
                    evidence=[e.as_dict() for e in verdict.evidence],
                )
                continue
            _queue_one(campaign, row, by_address[row.address], people, now)
            queued += 1
        next_times = [plan.next_run_at] if plan.next_run_at else []
        if deferred:
            next_times.append(min(deferred.values()))
        # Nothing left to plan: come back on the next tick to record outcomes and finish.
        campaign.next_run_at = min(next_times) if next_times else now
        campaign.pacing_note = "; ".join(e.detail for e in plan.evidence)[:2000]
        campaign.save(update_fields=["next_run_at", "pacing_note"])
    return {"status": campaign.status, "queued": queued, "waiting": plan.waiting}


def sync_outcomes(campaign_id: int | None = None, limit: int = 500) -> int:
    """Record what the outbox did with queued campaign messages. Returns rows updated."""
    final = [
        OutboxMessage.Status.SENT,
        OutboxMessage.Status.ACCEPTED,
        OutboxMessage.Status.FAILED,
        OutboxMessage.Status.CANCELLED,
        OutboxMessage.Status.UNCERTAIN,
    ]
    rows = CampaignRecipient.objects.filter(status=R.QUEUED, outbox__status__in=final)
    if campaign_id is not None:
        rows = rows.filter(campaign_id=campaign_id)
    done = 0
    for row in rows.select_related("outbox")[:limit]:
        message = row.outbox
        if message.status in (OutboxMessage.Status.SENT, OutboxMessage.Status.ACCEPTED):
            _set(row, status=R.SENT, sent_at=message.sent_at or datetime.now(UTC))
        elif message.status == OutboxMessage.Status.CANCELLED:
            _set(row, status=R.SKIPPED, reason=row.reason or "cancelled")
        elif message.status == OutboxMessage.Status.UNCERTAIN:
            _set(row, status=R.FAILED, reason="uncertain", error=message.last_error[:1000])
        else:
            _refused(row, message)
        done += 1
    return done


def _set(row: CampaignRecipient, **fields) -> None:
    CampaignRecipient.objects.filter(pk=row.pk).update(**fields)


def _refused(row: CampaignRecipient, message: OutboxMessage) -> None:
    """The server refused the message: hard -> bounced + suppressed; soft -> failed, retry info."""
    from tradeinbox.outbound.feedback import record_action

    words = message.refused.get(row.address) or message.last_error or "refused"
    action = fb.action_from_refusal(row.address, words)
    record_action(action, source="smtp", message_key=f"outbox:{message.pk}",
                  original_message_id=message.message_id)  # fmt: skip
    if action.suppress:
        _set(row, status=R.BOUNCED, reason=action.reason, error=words[:1000],
             evidence=[e.as_dict() for e in action.evidence])  # fmt: skip
    else:
        _set(row, status=R.FAILED, reason=action.reason, error=words[:1000],
             evidence=[e.as_dict() for e in action.evidence])  # fmt: skip


def run_due(now: datetime | None = None) -> int:
    """The worker's tick: outcomes, then every running campaign whose time has come."""
    now = now or datetime.now(UTC)
    busy = sync_outcomes()
    due = Campaign.objects.filter(status=C.RUNNING).filter(
        Q(next_run_at__lte=now) | Q(next_run_at__isnull=True)
    )
    for campaign_id in due.values_list("pk", flat=True):
        try:
            busy += step(campaign_id, now)["queued"]
        except Exception:  # noqa: BLE001 - one broken campaign must not stop the others
            log.exception("campaign %s: step failed", campaign_id)
    return busy


def results(campaign: Campaign) -> dict:
    """Sent, bounced, replied, unsubscribed, and the rest, for the campaign page."""
    rows = campaign.recipients
    by_status = dict(rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    skipped = dict(
        rows.filter(status=R.SKIPPED).values_list("reason").annotate(n=Count("id"))
        .values_list("reason", "n")
    )  # fmt: skip
    return {
        "audience": sum(by_status.values()),
        "sent": rows.filter(sent_at__isnull=False).count(),
        "bounced": by_status.get(R.BOUNCED, 0),
        "failed": by_status.get(R.FAILED, 0),
        "replied": rows.filter(replied_at__isnull=False).count(),
        "unsubscribed": rows.filter(unsubscribed_at__isnull=False).count(),
        "waiting": by_status.get(R.PENDING, 0) + by_status.get(R.QUEUED, 0),
        "skipped": by_status.get(R.SKIPPED, 0),
        "skipped_by_reason": skipped,
    }
