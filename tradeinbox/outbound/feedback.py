"""Incoming mail that answers our sending: bounces, complaints (ARF), replies to campaigns.

:func:`read_feedback` runs in the worker for every batch of newly stored messages (the
``messages_stored`` signal queues it). Bounce and complaint reports become
:class:`~.models.DeliveryEvent` rows and, for hard bounces and complaints, suppressions;
a reply to a campaign message marks that recipient as replied.

Hard bounces found in *mail* are also marked ``former`` by the customers app (it reads the
same reports); refusals at SMTP time have no mail, so :func:`record_action` marks those.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.db import IntegrityError, transaction

from tradeinbox.core import feedback as fb
from tradeinbox.core.bounces import detect_bounce
from tradeinbox.outbound import consent as consents
from tradeinbox.outbound.models import CampaignRecipient, DeliveryEvent, Suppression
from tradeinbox.store.models import Message
from tradeinbox.store.rawstore import raw_bytes

# Cheap pre-filter: only these messages are read again from storage and parsed fully.
_MAYBE_REPORT = re.compile(
    r"mailer-daemon|postmaster|bounce|undeliver|delivery|failure|failed|returned|"
    r"abuse|complaint|feedback-type|feedback report|退信|系统退信|投诉",
    re.I,
)
_SUPPRESS_REASON = {
    fb.HARD: Suppression.Reason.HARD_BOUNCE,
    fb.COMPLAINT: Suppression.Reason.COMPLAINT,
}


def record_action(
    action: fb.FeedbackAction,
    *,
    source: str,
    message_key: str,
    original_message_id: str = "",
    at: datetime | None = None,
) -> bool:
    """Store one bounce/complaint and apply it. False when it was recorded before."""
    now = at or datetime.now(UTC)
    retry_after = None
    if action.kind == fb.SOFT:
        recent = DeliveryEvent.objects.filter(
            address=action.address, kind=fb.SOFT, at__gt=now - fb.SOFT_BOUNCE_WINDOW
        ).count()
        retry_after = fb.soft_retry_after(now, recent + 1)
    try:
        with transaction.atomic():
            DeliveryEvent.objects.create(
                address=action.address,
                kind=action.kind,
                reason=action.reason[:64],
                diagnostic=action.diagnostic[:2000],
                source=source,
                message_key=message_key[:255],
                original_message_id=original_message_id[:255],
                retry_after=retry_after,
                evidence=[e.as_dict() for e in action.evidence],
                at=now,
            )
    except IntegrityError:
        return False  # the same report read twice: nothing new
    evidence = [e.as_dict() for e in action.evidence]
    if action.suppress:
        consents.suppress(
            action.address,
            _SUPPRESS_REASON[action.kind],
            evidence=evidence,
            source_message_id=original_message_id or message_key,
        )
        if action.kind == fb.HARD and source == "smtp":
            _mark_former(action)
    elif action.kind == fb.SOFT:
        recent = DeliveryEvent.objects.filter(
            address=action.address, kind=fb.SOFT, at__gt=now - fb.SOFT_BOUNCE_WINDOW
        ).count()
        exhausted = fb.soft_bounces_exhausted(recent)
        if exhausted is not None:
            consents.suppress(
                action.address,
                Suppression.Reason.SOFT_BOUNCES,
                evidence=[*evidence, exhausted.as_dict()],
                source_message_id=original_message_id or message_key,
            )
    return True


def _mark_former(action: fb.FeedbackAction) -> None:
    """Add the refusal as former-evidence to the customer address and classify it again."""
    from tradeinbox.core.addresses import classify_address
    from tradeinbox.core.evidence import Evidence
    from tradeinbox.customers.models import EmailAddress

    row = EmailAddress.objects.filter(address=action.address).first()
    if row is None:
        return
    item = {
        "rule": "former.hard_bounce",
        "weight": 1.0,
        "detail": f"refused by the server: {action.reason} ({action.diagnostic[:160]})",
    }
    if item in row.former_evidence:
        return
    row.former_evidence = [*row.former_evidence, item]
    evidence = [Evidence(e["rule"], float(e["weight"]), e["detail"]) for e in row.former_evidence]
    try:
        verdict = classify_address(row.address, former_evidence=evidence)
    except ValueError:
        row.save(update_fields=["former_evidence"])
        return
    row.kind = verdict.kind
    row.kind_evidence = [e.as_dict() for e in verdict.evidence]
    row.save(update_fields=["former_evidence", "kind", "kind_evidence"])


def _angle(message_id: str | None) -> str:
    """Message-IDs as stored by the outbox: ``<id@host>`` (reports often drop the brackets)."""
    value = (message_id or "").strip().strip("<>").strip()
    return f"<{value}>" if value else ""


def _mark_bounced(addresses: list[str], original_message_id: str, reason: str) -> None:
    rows = CampaignRecipient.objects.filter(address__in=addresses)
    if original_message_id:
        rows = rows.filter(message_id=original_message_id)
    else:
        rows = rows.filter(status=CampaignRecipient.Status.SENT)
    rows.filter(status=CampaignRecipient.Status.SENT).update(
        status=CampaignRecipient.Status.BOUNCED, reason=reason[:32]
    )


def read_feedback(message_ids: list[int]) -> dict:
    """Bounces, complaints and replies among newly stored messages."""
    stats = {"messages": 0, "reports": 0, "suppressed": 0, "soft": 0, "replies": 0}
    messages = list(Message.objects.filter(pk__in=message_ids).order_by("date", "id"))
    stats["messages"] = len(messages)
    stats["replies"] = _replies(messages)
    for msg in messages:
        probe = f"{msg.from_email} {msg.subject} {msg.body_text[:3000]}"
        if not _MAYBE_REPORT.search(probe):
            continue
        try:
            report = detect_bounce(raw_bytes(msg))
        except OSError:
            continue
        actions = fb.actions_from_report(report)
        if not actions:
            continue
        stats["reports"] += 1
        key = msg.message_id or f"message:{msg.pk}"
        original = _angle(report.original_message_id)
        for action in actions:
            if not record_action(
                action,
                source="report",
                message_key=key,
                original_message_id=original,
                at=msg.date,
            ):
                continue
            if action.suppress:
                stats["suppressed"] += 1
                if action.kind == fb.HARD:
                    _mark_bounced([action.address], original, action.reason)
            else:
                stats["soft"] += 1
    return stats


def _replies(messages: list[Message]) -> int:
    """Mark campaign recipients whose message was answered (In-Reply-To / References)."""
    # The store keeps Message-IDs without angle brackets; the outbox keeps them with.
    wanted: dict[str, datetime] = {}
    for msg in messages:
        for ref in [msg.in_reply_to, *(msg.references or [])]:
            if ref:
                ref = _angle(ref)
                wanted[ref] = min(wanted.get(ref, msg.date), msg.date)
    if not wanted:
        return 0
    found = 0
    rows = CampaignRecipient.objects.filter(message_id__in=list(wanted), replied_at__isnull=True)
    if not rows.exists():
        return 0
    # Bounces and auto-replies (vacation notices) may reference our message too: not replies.
    machine: set[str] = set()
    for msg in messages:
        refs = {_angle(r) for r in [msg.in_reply_to, *(msg.references or [])] if r}
        if refs & set(wanted):
            try:
                kind = detect_bounce(raw_bytes(msg)).kind
            except OSError:
                kind = None
            if kind is not None:
                machine |= refs
    for row in rows:
        if row.message_id in machine:
            continue
        CampaignRecipient.objects.filter(pk=row.pk).update(replied_at=wanted[row.message_id])
        found += 1
    return found
