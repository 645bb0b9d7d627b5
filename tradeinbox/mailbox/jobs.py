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
