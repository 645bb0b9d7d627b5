"""After a reply goes out, the message it answers is marked \\Answered, here and on the server.

Mail clients show the "replied" arrow from the IMAP ``\\Answered`` flag (RFC 3501 2.3.2),
so a reply sent from tradeinbox must set it where the salesperson's phone and desktop
client will see it too. When the server accepts a reply, the outbox queues a
``mailbox.mark_answered`` job (a row: a worker restart does not lose it, a server that
is down is tried again with the job queue's backoff). The job

1. marks the stored original(s) answered at once (the app shows it without waiting), and
2. where the sync knows the original's location in the sending account (folder, UID,
   UIDVALIDITY), sends ``UID STORE +FLAGS (\\Answered)`` there and records the flag on
   the location, so the next sync sees nothing to change.

A folder whose UIDVALIDITY changed since the location was recorded is skipped: its UIDs
name other messages now, and the next sync rebuilds the locations from the server.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from tradeinbox.core.parse import parse_message
from tradeinbox.mailbox.connect import imap_endpoint, open_imap
from tradeinbox.mailbox.models import Account, Folder, MessageLocation, OutboxMessage
from tradeinbox.store.models import Message
from tradeinbox.store.rawstore import blob_store

log = logging.getLogger(__name__)

ANSWERED = "\\Answered"
JOB_KIND = "mailbox.mark_answered"


def replied_message_id(raw: bytes) -> str | None:
    """The Message-ID a message answers (In-Reply-To), as the store keeps it (no brackets)."""
    try:
        return parse_message(raw).in_reply_to or None
    except Exception:  # noqa: BLE001 - our own composed mail; unreadable means "not a reply"
        return None


def queue_after_send(row: OutboxMessage) -> None:
    """The server took ``row``: if it is a reply, queue flagging the original answered."""
    from tradeinbox.worker.jobs import enqueue

    try:
        original = replied_message_id(blob_store().get(row.raw_sha256))
        if original:
            enqueue(JOB_KIND, {"account": row.account_id, "message_id": original})
    except Exception:  # noqa: BLE001 - the message is sent; a missing flag must not undo that
        log.exception("could not queue marking the original of %s answered", row.message_id)


def mark_answered(account: Account, message_id: str) -> dict[str, int]:
    """Flag the stored message(s) with ``message_id`` answered, locally and on the server.

    Raises on IMAP trouble (the job is retried); the local flag is already set by then.
    """
    pks = list(Message.objects.filter(message_id=message_id).values_list("pk", flat=True))
    local = Message.objects.filter(pk__in=pks, is_answered=False).update(is_answered=True)
    locations = list(
        MessageLocation.objects.filter(
            message_id__in=pks, folder__account=account, folder__exists_on_server=True
        ).select_related("folder")
    )
    by_folder: dict[int, list[MessageLocation]] = defaultdict(list)
    folders: dict[int, Folder] = {}
    for location in locations:
        if ANSWERED not in location.flags:
            by_folder[location.folder_id].append(location)
            folders[location.folder_id] = location.folder
    stored = skipped = 0
    if by_folder:
        with open_imap(imap_endpoint(account)) as client:
            for folder_id, wanted in by_folder.items():
                folder = folders[folder_id]
                selected = client.select_folder(folder.name)  # read-write: STORE needs it
                if int(selected[b"UIDVALIDITY"]) != folder.uidvalidity:
                    log.info("%s: UIDVALIDITY changed; the next sync rebuilds it", folder)
                    skipped += len(wanted)
                    continue
                client.add_flags([loc.uid for loc in wanted], [ANSWERED.encode()], silent=True)
                for location in wanted:
                    location.flags = sorted({*location.flags, ANSWERED})
                MessageLocation.objects.bulk_update(wanted, ["flags"])
                stored += len(wanted)
    return {"messages": len(pks), "marked_locally": local, "stored": stored, "skipped": skipped}
