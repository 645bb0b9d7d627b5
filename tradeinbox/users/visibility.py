"""The message-address index behind message visibility (:class:`MessageAddress`).

Written right after a batch of messages is stored (the ``messages_stored`` signal, in
the importing process, so a new message is visible to its customer's owner at once)
and caught up by :func:`backfill` (a periodic worker job), which covers a crash between
the store's commit and the signal.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Exists, OuterRef

from tradeinbox.users.models import MessageAddress

BATCH = 2000


def addresses_of(from_email: str, recipients: dict | None) -> set[str]:
    """Lower-cased addresses of the sender and every To/Cc/Bcc; {""} when none."""
    found = {from_email.strip().lower()} if from_email and "@" in from_email else set()
    for key in ("to", "cc", "bcc"):
        for pair in (recipients or {}).get(key, []) or []:
            email = pair[1] if isinstance(pair, (list, tuple)) and len(pair) > 1 else ""
            if email and "@" in email:
                found.add(email.strip().lower()[:320])
    return found or {""}


def index_messages(message_ids: Iterable[int]) -> int:
    """Index the addresses of ``message_ids`` (idempotent); returns rows offered."""
    from tradeinbox.store.models import Message

    ids = list(message_ids)
    offered = 0
    for start in range(0, len(ids), BATCH):
        part = ids[start : start + BATCH]
        offered += index_parties(
            {
                pk: (sender, recipients)
                for pk, sender, recipients in Message.objects.filter(pk__in=part).values_list(
                    "pk", "from_email", "recipients"
                )
            }
        )
    return offered


def index_parties(parties: dict[int, tuple[str, dict | None]]) -> int:
    """Index messages from their ``{pk: (sender address, recipients)}``; returns rows offered.

    The importer hands these over with each batch; :func:`index_messages` reads them
    back. One INSERT per row through the cursor, no model instances (a sync stores
    tens of thousands of messages a minute).
    """
    rows = [
        (pk, address)
        for pk, (from_email, recipients) in parties.items()
        for address in sorted(addresses_of(from_email, recipients))
    ]
    table = MessageAddress._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} (message_id, address) VALUES (%s, %s) "
            "ON CONFLICT (message_id, address) DO NOTHING",
            rows,
        )
    return len(rows)


def backfill(limit: int = 50_000) -> int:
    """Index up to ``limit`` messages that have no index rows yet; returns how many."""
    from tradeinbox.store.models import Message

    missing = list(
        Message.objects.filter(~Exists(MessageAddress.objects.filter(message_id=OuterRef("pk"))))
        .order_by("-id")
        .values_list("pk", flat=True)[:limit]
    )
    index_messages(missing)
    return len(missing)
