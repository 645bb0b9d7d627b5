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

from tradeinbox.core.access import message_addresses
from tradeinbox.users.models import MessageAddress

BATCH = 2000


def addresses_of(from_email: str, recipients: dict | None) -> set[str]:
    """Lower-cased addresses of the sender and every To/Cc/Bcc; {""} when none."""
    return set(message_addresses(from_email, recipients))


def index_messages(message_ids: Iterable[int]) -> int:
    """Index the addresses of ``message_ids`` (idempotent); returns rows offered."""
    from tradeinbox.store.models import Message

    ids = list(message_ids)
    offered = 0
    for start in range(0, len(ids), BATCH):
        part = ids[start : start + BATCH]
        offered += index_addresses(
            {
                pk: message_addresses(sender, recipients)
                for pk, sender, recipients in Message.objects.filter(pk__in=part).values_list(
                    "pk", "from_email", "recipients"
                )
            }
        )
    return offered


def index_addresses(addresses: dict[int, Iterable[str]]) -> int:
    """Index messages from their ``{pk: addresses}`` (:func:`message_addresses`).

    The importer computes the addresses where it parses and hands them over with each
    batch; :func:`index_messages` reads them back. One INSERT per row through the
    cursor, no model instances (a sync stores tens of thousands of messages a minute).
    """
    rows = [(pk, address) for pk, found in addresses.items() for address in found]
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
