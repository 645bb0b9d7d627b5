"""Consent and suppression: sign-up with double opt-in, confirmation, withdrawal, suppression.

Every change writes a :class:`~.models.ConsentEvent` (when, how, evidence), so the record
of why an address receives mail, or stopped receiving it, is complete. Unsubscribing and
suppressing also cancel campaign messages still waiting in the outbox for that address.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from tradeinbox.core import consent as rules
from tradeinbox.mailbox import outbox
from tradeinbox.mailbox.models import OutboxMessage
from tradeinbox.outbound import conf, mail
from tradeinbox.outbound.models import (
    CampaignRecipient,
    Consent,
    ConsentEvent,
    NewsletterList,
    Suppression,
)

UNSUBSCRIBE, CONFIRM = "unsubscribe", "confirm"
RESEND_AFTER = timedelta(minutes=15)  # at most one confirmation mail per address in this time


# -- links ----------------------------------------------------------------------------------


def unsubscribe_token(consent_id: int, recipient_id: int = 0) -> str:
    return rules.sign_token(conf.token_secret(), UNSUBSCRIBE, f"{consent_id}.{recipient_id}")


def confirm_token(consent_id: int) -> str:
    return rules.sign_token(conf.token_secret(), CONFIRM, str(consent_id))


def read_unsubscribe(token: str) -> tuple[Consent, CampaignRecipient | None]:
    """The consent (and campaign recipient) a link names; BadToken or DoesNotExist otherwise."""
    payload = rules.read_token(conf.token_secret(), UNSUBSCRIBE, token)
    consent_id, _, recipient_id = payload.partition(".")
    consent = Consent.objects.select_related("newsletter").get(pk=int(consent_id))
    recipient = None
    if recipient_id.isdigit() and int(recipient_id):
        recipient = CampaignRecipient.objects.filter(
            pk=int(recipient_id), address=consent.address
        ).first()
    return consent, recipient


def read_confirm(token: str) -> Consent:
    days = timedelta(days=conf.optin_link_days())
    payload = rules.read_token(conf.token_secret(), CONFIRM, token, max_age=days)
    return Consent.objects.select_related("newsletter").get(pk=int(payload))


def link(base: str, path: str) -> str:
    base = (conf.public_url() or base).rstrip("/")
    if not base:
        raise ValueError(
            _("Set TRADEINBOX_PUBLIC_URL to the address recipients can reach this app at.")
        )
    return base + path


# -- sign-up and confirmation ------------------------------------------------------------


def _event(consent: Consent, kind: str, how: str = "", evidence: dict | None = None) -> None:
    ConsentEvent.objects.create(
        consent=consent, kind=kind, at=datetime.now(UTC), how=how[:200], evidence=evidence or {}
    )


@transaction.atomic
def request_signup(
    newsletter: NewsletterList,
    address: str,
    *,
    how: str,
    evidence: str = "",
    link_base: str = "",
    user=None,
) -> Consent | None:
    """Record a sign-up and queue the confirmation mail (double opt-in).

    Returns None when the address is already confirmed (nothing to do). A withdrawn
    consent starts over as pending: only a new confirmation brings it back.
    """
    address = rules.normalise_address(address)
    now = datetime.now(UTC)
    consent, created = Consent.objects.select_for_update().get_or_create(
        newsletter=newsletter,
        address=address,
        defaults={
            "how": how[:200],
            "evidence": evidence,
            "requested_at": now,
            "requested_by": user,
        },
    )
    if not created and consent.status == Consent.Status.CONFIRMED:
        return None
    if (
        not created
        and consent.status == Consent.Status.PENDING
        and consent.confirmation_sent_at
        and now - consent.confirmation_sent_at < RESEND_AFTER
    ):
        return consent  # a form sent twice, or someone mail-bombing a stranger: one mail
    if not created:
        consent.status = Consent.Status.PENDING
        consent.how, consent.evidence = how[:200], evidence
        consent.requested_at, consent.requested_by = now, user
        consent.save(update_fields=["status", "how", "evidence", "requested_at", "requested_by"])
    _event(consent, ConsentEvent.Kind.REQUESTED, how, {"evidence": evidence[:1000]})
    send_confirmation(consent, link_base=link_base)
    return consent


def send_confirmation(consent: Consent, *, link_base: str = "") -> OutboxMessage:
    newsletter = consent.newsletter
    url = link(link_base, f"/outbound/confirm/{confirm_token(consent.pk)}/")
    with translation.override(conf.django_language(newsletter.language)):
        subject = _("Please confirm: %(list)s") % {"list": newsletter.name}
        body = _(
            "Hello,\n\nsomeone, probably you, asked to receive “%(list)s” from "
            "%(sender)s at this address.\n\nTo confirm, open this link and press "
            "“Confirm”:\n%(url)s\n\nIf you did not ask for it, ignore this "
            "message: you will not receive anything else. The link works for %(days)s days."
            "\n\n%(sender)s\n"
        ) % {
            "list": newsletter.name,
            "sender": newsletter.account.display_name,
            "url": url,
            "days": conf.optin_link_days(),
        }
    row = mail.queue(newsletter.account, to=consent.address, subject=subject, body=body)
    Consent.objects.filter(pk=consent.pk).update(confirmation_sent_at=datetime.now(UTC))
    _event(consent, ConsentEvent.Kind.CONFIRMATION_SENT, "", {"message_id": row.message_id})
    return row


@transaction.atomic
def confirm(consent: Consent, *, ip: str = "", user_agent: str = "") -> bool:
    """The recipient pressed Confirm. False if it was already confirmed."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.status == Consent.Status.CONFIRMED:
        return False
    now = datetime.now(UTC)
    evidence = {"at": now.isoformat(), "ip": ip[:64], "user_agent": user_agent[:300]}
    consent.status = Consent.Status.CONFIRMED
    consent.confirmed_at = now
    consent.confirm_evidence = evidence
    consent.withdrawn_at = None
    consent.withdrawn_how = ""
    consent.save()
    # An earlier unsubscribe from this list is superseded by the new, confirmed opt-in.
    Suppression.objects.filter(
        address=consent.address,
        newsletter=consent.newsletter,
        reason=Suppression.Reason.UNSUBSCRIBED,
    ).delete()
    _event(consent, ConsentEvent.Kind.CONFIRMED, "confirmation link", evidence)
    return True


# -- withdrawal and suppression -----------------------------------------------------------


@transaction.atomic
def withdraw(
    consent: Consent,
    *,
    how: str,
    evidence: dict | None = None,
    recipient: CampaignRecipient | None = None,
) -> bool:
    """Unsubscribe: consent withdrawn, address suppressed for the list. Idempotent."""
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    now = datetime.now(UTC)
    changed = consent.status != Consent.Status.WITHDRAWN
    if changed:
        consent.status = Consent.Status.WITHDRAWN
        consent.withdrawn_at = now
        consent.withdrawn_how = how[:200]
        consent.save(update_fields=["status", "withdrawn_at", "withdrawn_how"])
        _event(consent, ConsentEvent.Kind.WITHDRAWN, how, evidence)
    suppress(
        consent.address,
        Suppression.Reason.UNSUBSCRIBED,
        newsletter=consent.newsletter,
        evidence=[{"rule": "consent.withdrawn", "weight": -1.0, "detail": how}],
    )
    if recipient is not None and recipient.unsubscribed_at is None:
        CampaignRecipient.objects.filter(pk=recipient.pk).update(unsubscribed_at=now)
    return changed


def suppress(
    address: str,
    reason: str,
    *,
    newsletter: NewsletterList | None = None,
    evidence: list[dict] | None = None,
    source_message_id: str = "",
    user=None,
) -> Suppression:
    """Add (or keep) a suppression and cancel campaign mail still waiting for the address."""
    address = address.strip().lower()
    with transaction.atomic():
        row = Suppression.objects.filter(
            address=address, newsletter=newsletter, reason=reason
        ).first()
        if row is None:
            row = Suppression.objects.create(
                address=address,
                newsletter=newsletter,
                reason=reason,
                evidence=evidence or [],
                source_message_id=source_message_id[:255],
                created_by=user,
            )
        _stop_waiting_mail(address, newsletter, reason)
    return row


def _stop_waiting_mail(address: str, newsletter: NewsletterList | None, reason: str) -> None:
    waiting = CampaignRecipient.objects.filter(
        address=address,
        status__in=[CampaignRecipient.Status.PENDING, CampaignRecipient.Status.QUEUED],
    )
    if newsletter is not None:
        waiting = waiting.filter(campaign__newsletter=newsletter)
    for row in waiting.select_related("outbox"):
        if row.status == CampaignRecipient.Status.QUEUED:
            if row.outbox_id is None or not outbox.cancel(row.outbox_id):
                continue  # already on its way: the outcome sync records it
        CampaignRecipient.objects.filter(pk=row.pk).update(
            status=CampaignRecipient.Status.SKIPPED,
            reason=reason,
            evidence=[{"rule": f"suppressed.{reason}", "weight": -1.0,
                       "detail": f"{address} was suppressed before this message went"}],
        )  # fmt: skip


def unsuppress(row: Suppression) -> None:
    row.delete()


# -- eligibility for many addresses --------------------------------------------------------


def verdicts(newsletter: NewsletterList, addresses: list[str]) -> dict[str, rules.Verdict]:
    """:func:`tradeinbox.core.consent.eligibility` for each address, with two queries."""
    consents = {
        c.address: rules.ConsentFacts(c.status, c.how, c.confirmed_at, c.withdrawn_at)
        for c in Consent.objects.filter(newsletter=newsletter, address__in=addresses)
    }
    suppressions: dict[str, list[rules.SuppressionFacts]] = {}
    rows = Suppression.objects.filter(address__in=addresses).filter(
        Q(newsletter__isnull=True) | Q(newsletter=newsletter)
    )
    for s in rows:
        suppressions.setdefault(s.address, []).append(
            rules.SuppressionFacts(
                s.reason,
                s.newsletter_id,
                s.created_at,
                "; ".join(str(e.get("detail", "")) for e in s.evidence[:2]),
            )
        )
    return {
        a: rules.eligibility(
            a,
            list_key=newsletter.pk,
            consent=consents.get(a),
            suppressions=suppressions.get(a, []),
        )
        for a in addresses
    }
