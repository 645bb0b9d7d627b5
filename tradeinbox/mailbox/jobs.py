"""Worker integration of the mailbox app (autodiscovered by :mod:`tradeinbox.worker.jobs`).

The outbox, scheduled sends and periodic/IDLE sync run in :class:`MailboxService`, ticked
by every ``tradeinbox worker`` between jobs. The ``mailbox_sync`` job asks for one
account's sync now (the web's "Sync now" button); the service does the work.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tradeinbox.worker.jobs import job_kind
from tradeinbox.worker.loop import register_service


@register_service
def mailbox_service(worker):
    from tradeinbox.mailbox.workers import MailboxService

    return MailboxService(worker)


@job_kind("mailbox_sync")
def mailbox_sync(payload: dict) -> dict:
    """Mark an account (``{"account": pk}``) or all accounts due for sync now."""
    from tradeinbox.mailbox.models import Account

    accounts = Account.objects.filter(sync_enabled=True)
    if payload.get("account"):
        accounts = accounts.filter(pk=payload["account"])
    return {"marked": accounts.update(next_sync_at=datetime.now(UTC))}


@job_kind("mailbox.mark_answered")
def mailbox_mark_answered(payload: dict) -> dict:
    """A reply went out: flag its original \\Answered here and on the server (see answered)."""
    from tradeinbox.mailbox.answered import mark_answered
    from tradeinbox.mailbox.models import Account

    account = Account.objects.filter(pk=payload["account"]).first()
    if account is None:  # removed since: nothing left to flag on a server
        return {"skipped": "account removed"}
    return mark_answered(account, payload["message_id"])
