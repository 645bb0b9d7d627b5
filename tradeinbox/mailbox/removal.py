"""Removing messages that were deleted on the server.

A message synced over IMAP whose last location disappears (expunged in every folder of
every account) is gone from the mailbox, so it goes from the store too: row, attachments,
search-index entry, and its thread's counts. Messages imported from files (mbox, Maildir)
are never removed this way: their source is not an IMAP URL. Blobs stay on disk; they are
content-addressed and may be shared, and a stray blob is harmless.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import connection, transaction

from tradeinbox.core.parse import parse_message
from tradeinbox.store import search
from tradeinbox.store.importer import index_row_for
from tradeinbox.store.models import Message, Thread
from tradeinbox.store.rawstore import raw_bytes

log = logging.getLogger(__name__)


def _index_row(message: Message) -> search.IndexRow:
    """The exact values that were indexed (FTS5 contentless tables need them to delete)."""
    try:
        return index_row_for(message.pk, parse_message(raw_bytes(message)))
    except Exception:  # noqa: BLE001 - blob gone: rebuild from the row, as close as we can
        people = [*message.recipients.get("to", []), *message.recipients.get("cc", [])]
        return search.IndexRow(
            message_pk=message.pk,
            subject=message.subject,
            sender=f"{message.from_name} {message.from_email}",
            recipients=" ".join(f"{n} {e}" for n, e in people),
            body=message.body_text[:200_000],
            attachments=" ".join(message.attachment_names.split("\n")),
        )


def purge_orphans(candidates: Iterable[int]) -> int:
    """Delete the candidates that no longer sit in any IMAP folder; returns how many."""
    pks = sorted(set(candidates))
    if not pks:
        return 0
    removed = 0
    for start in range(0, len(pks), 200):
        chunk = pks[start : start + 200]
        with transaction.atomic():
            doomed = list(
                Message.objects.select_for_update(of=("self",))
                .filter(pk__in=chunk, source__startswith="imap://", locations__isnull=True)
                .only(
                    "id",
                    "raw_sha256",
                    "thread_id",
                    "subject",
                    "from_name",
                    "from_email",
                    "recipients",
                    "body_text",
                    "attachment_names",
                )
            )
            if not doomed:
                continue
            rows = [_index_row(m) for m in doomed]
            with connection.cursor() as cursor:
                search.unindex_rows(cursor, rows)
            threads = {m.thread_id for m in doomed if m.thread_id}
            Message.objects.filter(pk__in=[m.pk for m in doomed]).delete()
            _refresh_threads(threads)
            removed += len(doomed)
    if removed:
        log.info("removed %d messages deleted on the server", removed)
    return removed


def _refresh_threads(thread_ids: set[int]) -> None:
    from django.db.models import Count, Max, Min

    for thread in Thread.objects.filter(pk__in=thread_ids).annotate(
        n=Count("messages"), first=Min("messages__date"), last=Max("messages__date")
    ):
        if thread.n == 0:
            thread.delete()
        else:
            Thread.objects.filter(pk=thread.pk).update(
                message_count=thread.n, first_date=thread.first, last_date=thread.last
            )
