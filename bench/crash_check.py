"""The state of one data folder, as JSON, for ``bench/crash_harness.py``.

Run as a script in the data folder's environment (``TRADEINBOX_DATA``): it prints one JSON
object describing the store, the mailbox locations, the outbox and the job queue, with
every consistency check the harness asserts already counted. Kept apart from the harness
so the harness process itself never loads Django (it holds the mail servers).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict


def sqlite_checks(cursor) -> dict:
    cursor.execute("PRAGMA integrity_check")
    integrity = [row[0] for row in cursor.fetchall()]
    cursor.execute("PRAGMA foreign_key_check")
    foreign = len(cursor.fetchall())
    from tradeinbox.store.search import FTS_TABLE

    try:  # FTS5's own check of its index structures
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES('integrity-check')")
        fts = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        fts = str(exc)
    cursor.execute(f"SELECT rowid FROM {FTS_TABLE}")
    return {
        "integrity": "ok" if integrity == ["ok"] else "; ".join(integrity[:5]),
        "foreign_key_violations": foreign,
        "fts_integrity": fts,
        "index_ids": [row[0] for row in cursor.fetchall()],
    }


def postgres_checks(cursor) -> dict:
    from tradeinbox.store.search import PG_TABLE

    cursor.execute(f"SELECT message_id FROM {PG_TABLE}")
    return {
        "integrity": "ok",  # PostgreSQL has no page-level check from SQL; constraints hold
        "foreign_key_violations": 0,
        "fts_integrity": "ok",
        "index_ids": [row[0] for row in cursor.fetchall()],
    }


def store_state(cursor) -> dict:
    from django.conf import settings
    from django.db import connection

    from tradeinbox.core.blobstore import BlobStore
    from tradeinbox.store.models import Attachment, Message, Quarantine, Thread, ThreadKey
    from tradeinbox.store.rawstore import raw_present

    state = (sqlite_checks if connection.vendor == "sqlite" else postgres_checks)(cursor)
    index_ids = state.pop("index_ids")
    rows = list(Message.objects.values_list("pk", "dedupe_key", "thread_id", "date", "raw_sha256"))
    pks = {pk for pk, *_ in rows}
    blobs = BlobStore(settings.TRADEINBOX["BLOB_DIR"])
    quarantine_blobs = BlobStore(settings.TRADEINBOX["QUARANTINE_DIR"])
    threads = {t.pk: t for t in Thread.objects.all()}
    members: dict[int, list] = defaultdict(list)
    for _pk, key, thread_id, date, _sha in rows:
        if thread_id is not None:
            members[thread_id].append((key, date))
    wrong_count = wrong_dates = 0
    for thread_id, thread in threads.items():
        mine = members.get(thread_id, [])
        wrong_count += thread.message_count != len(mine)
        if mine and (
            thread.first_date != min(d for _, d in mine)
            or thread.last_date != max(d for _, d in mine)
        ):
            wrong_dates += 1
    groups = sorted(sorted(k for k, _ in mine) for mine in members.values())
    quarantined = list(Quarantine.objects.values_list("raw_sha256", flat=True))
    state.update(
        messages=len(rows),
        keys=sorted(key for _, key, *_ in rows),
        quarantine=sorted(quarantined),
        quarantine_missing_blob=sum(not quarantine_blobs.exists(h) for h in quarantined),
        missing_raw=raw_present([(pk, sha) for pk, _k, _t, _d, sha in rows]).count(False),
        missing_attachment=sum(
            not blobs.exists(h) for h in Attachment.objects.values_list("sha256", flat=True)
        ),
        indexed=len(index_ids),
        index_duplicates=len(index_ids) - len(set(index_ids)),
        index_orphans=len(set(index_ids) - pks),
        not_indexed=len(pks - set(index_ids)),
        without_thread=sum(1 for row in rows if row[2] is None),
        dangling_thread=sum(1 for t in members if t not in threads),
        empty_threads=sum(1 for t in threads if t not in members),
        thread_count_wrong=wrong_count,
        thread_dates_wrong=wrong_dates,
        threadkey_dangling=ThreadKey.objects.exclude(thread_id__in=list(threads)).count(),
        thread_partition=hashlib.sha256(json.dumps(groups).encode()).hexdigest()[:16],
        threads=len(threads),
    )
    return state


def mailbox_state() -> dict:
    from tradeinbox.mailbox.models import Account, Folder, MessageLocation, OutboxMessage
    from tradeinbox.store.models import Message

    folders = {}
    pks = set(Message.objects.values_list("pk", flat=True))
    for folder in Folder.objects.all():
        locations = list(folder.locations.values_list("uid", "message_id"))
        folders[folder.name] = {
            "locations": len(locations),
            "uids": sorted(uid for uid, _ in locations),
            "quarantined": sum(1 for _, m in locations if m is None),
            "dangling": sum(1 for _, m in locations if m is not None and m not in pks),
            "last_uid": folder.last_uid,
            "synced_at": folder.last_synced_at.timestamp() if folder.last_synced_at else None,
        }
    accounts = [
        {
            "email": a.email_address,
            "last_sync_at": a.last_sync_at.isoformat() if a.last_sync_at else None,
            "locked_by": a.sync_locked_by,
            "lease_until": a.sync_lease_until.isoformat() if a.sync_lease_until else None,
            "last_error": a.last_error,
        }
        for a in Account.objects.all()
    ]
    outbox = list(OutboxMessage.objects.order_by("pk").values_list("message_id", "status", "phase"))
    return {
        "folders": folders,
        "accounts": accounts,
        "locations_total": MessageLocation.objects.count(),
        "outbox": [list(row) for row in outbox],
    }


def jobs_state() -> dict:
    from tradeinbox.worker.models import Job

    return {
        status: Job.objects.filter(status=status).count()
        for status in ("queued", "running", "done", "failed")
    }


# Each must be 0 in a consistent store.
STORE_CHECKS = (
    "foreign_key_violations",
    "quarantine_missing_blob",
    "missing_raw",
    "missing_attachment",
    "index_duplicates",
    "index_orphans",
    "not_indexed",
    "without_thread",
    "dangling_thread",
    "empty_threads",
    "thread_count_wrong",
    "thread_dates_wrong",
    "threadkey_dangling",
)


def problems(state: dict) -> list[str]:
    found = [f"{name}: {state[name]}" for name in STORE_CHECKS if state[name]]
    found += [f"{n}: {state[n]}" for n in ("integrity", "fts_integrity") if state[n] != "ok"]
    return found


def main() -> None:
    import tradeinbox

    tradeinbox.setup_django()
    from django.db import connection

    with connection.cursor() as cursor:
        state = store_state(cursor)
    state["store_problems"] = problems(state)
    state.update(mailbox_state())
    state["jobs"] = jobs_state()
    print(json.dumps(state, default=str))


if __name__ == "__main__":
    main()
