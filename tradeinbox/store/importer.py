"""Storing messages: parse, deduplicate, keep bytes, index, thread.

Work is done in batches. For each batch the blobs (raw message, attachments) are
written first, then one database transaction adds the rows, the search index
entries and the thread links. A crash (even ``kill -9``) between batches loses
nothing: blobs are content-addressed and re-importing skips what was committed.
A crash inside a batch rolls that batch back; its blobs are harmless orphans.
"""

from __future__ import annotations

import gc
import json
import logging
import multiprocessing
import os
import signal
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction

from tradeinbox.core.access import message_addresses
from tradeinbox.core.blobstore import BlobStore
from tradeinbox.core.dedupe import dedupe_key
from tradeinbox.core.message import Address, ParsedMessage
from tradeinbox.core.parse import NotAnEmail, parse_message
from tradeinbox.core.sources import RawMessage, SkippedFile, iter_path
from tradeinbox.crashpoints import crash_point
from tradeinbox.store import search
from tradeinbox.store.bulkwrite import BackgroundCheckpoints, fewer_collections
from tradeinbox.store.ids import id_block
from tradeinbox.store.rawstore import pack
from tradeinbox.store.signals import messages_stored
from tradeinbox.store.threads import ThreadAssigner, ThreadFacts

log = logging.getLogger(__name__)


@dataclass
class ImportSummary:
    seen: int = 0
    imported: int = 0
    duplicates: int = 0
    quarantined: int = 0
    skipped_files: int = 0
    reasons: Counter = field(default_factory=Counter)
    new_message_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {
            "seen": self.seen,
            "imported": self.imported,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
        }


class Flags(NamedTuple):
    """A message's state as its mail server keeps it (IMAP \\Seen, \\Answered, \\Flagged)."""

    seen: bool = False
    answered: bool = False
    flagged: bool = False


NO_FLAGS = Flags()


@dataclass(frozen=True)
class StoredItem:
    """What became of one message handed to the importer.

    ``message_pk`` is the stored message: the new row, or the earlier copy a duplicate
    matched (its flags are not changed); None when the message was quarantined.
    """

    source: str
    message_pk: int | None
    outcome: str  # "imported", "duplicate" or "quarantined"


# Called with every message of a batch inside the batch's transaction, so whatever the
# caller records there (IMAP locations, a resume checkpoint) commits with the messages.
BatchHook = Callable[[list[StoredItem]], None]


@dataclass
class _Prepared:
    """A message's row values computed where it was parsed (a pool process, or here).

    Everything that needs only the message goes here, so the storing process, the one
    that cannot run in parallel, is left with the SQL: ids, thread, flags and source
    are added when the batch is stored.
    """

    columns: tuple  # _MESSAGE_COLUMNS, in order
    index: tuple[str, ...]  # the full-text columns (search.IndexRow.columns())
    date: datetime  # the stored date (Date header, else the time of parsing)
    # For messages_stored: who may see the message is decided by these. A tuple of
    # strings, not the recipients dict: the storing process unpickles it cheaply.
    addresses: tuple[str, ...]
    thread: ThreadFacts
    attachments: list[tuple]  # store_attachment values after message_id and position


@dataclass
class _Pending:
    parsed: ParsedMessage | None  # None when a pool process parsed it (and wrote its blobs)
    raw: bytes
    source: str
    key: str
    blobs_written: bool = False
    packed: bytes | None = None  # compressed raw kept in the database; None: a blob
    prepared: _Prepared | None = None


def _quarantine_reason(exc: Exception) -> str:
    if isinstance(exc, NotAnEmail):
        return "not an email message: no header block"
    return f"could not be parsed ({type(exc).__name__}: {str(exc)[:200]})"


def _prepare(raw: bytes, max_bytes: int) -> tuple[ParsedMessage | None, str]:
    """Parse one message: ``(parsed, dedupe key)`` or ``(None, quarantine reason)``."""
    if len(raw) > max_bytes:
        return None, f"larger than the {max_bytes} byte limit"
    try:
        parsed = parse_message(raw, all_headers=False)  # the store reads none of the rest
    except Exception as exc:  # noqa: BLE001 - bad input is quarantined, never fatal
        return None, _quarantine_reason(exc)
    return parsed, dedupe_key(raw, parsed.message_id)


def _prepare_row(parsed: ParsedMessage, key: str) -> _Prepared:
    """The row values of one parsed message (see :class:`_Prepared`)."""
    date = stored_date(parsed, datetime.now(UTC))
    sender = parsed.from_address or Address("", "")
    recipients = {
        "to": [[a.name, a.email] for a in parsed.to],
        "cc": [[a.name, a.email] for a in parsed.cc],
        "reply_to": [[a.name, a.email] for a in parsed.reply_to],
    }
    columns = (
        key,
        (parsed.message_id or "")[:255],
        parsed.sha256,
        parsed.raw_size,
        parsed.subject,
        sender.name[:255],
        sender.email[:320],
        json.dumps(recipients),  # what JSONField stores; PostgreSQL casts it to jsonb
        connection.ops.adapt_datetimefield_value(date),  # no query: pure conversion
        parsed.date is not None,
        parsed.utc_offset_minutes,
        (parsed.in_reply_to or "")[:255],
        json.dumps(parsed.references[-50:]),
        parsed.text[:1_000_000],
        parsed.html is not None,
        make_snippet(parsed.text),
        min(count_real_attachments(parsed), 32767),
        "\n".join(a.filename for a in parsed.attachments),
        json.dumps(parsed.defects[:50]),
    )
    index = index_row_for(0, parsed).columns()
    attachments = [
        (
            att.filename[:255],
            att.declared_type[:127],
            att.sniffed_type[:127],
            att.size,
            att.sha256,
            att.disposition,
            (att.content_id or "")[:255],
        )
        for att in parsed.attachments
    ]
    return _Prepared(
        columns,
        index,
        date,
        message_addresses(sender.email, recipients),
        ThreadFacts.of(parsed),
        attachments,
    )


_worker_blobs: BlobStore | None = None


def _prepare_in_pool(
    task: tuple[bytes, int, str],
) -> tuple[str, bytes | None, _Prepared | None]:
    """Pool side: parse, compress the raw message, write blobs; metadata travels back.

    Blobs are content-addressed, so writing them before the database decides
    whether the message is new is harmless: a duplicate rewrites nothing.
    """
    global _worker_blobs
    raw, max_bytes, blob_dir = task
    if _worker_blobs is None:
        _worker_blobs = BlobStore(blob_dir)
    parsed, key_or_reason = _prepare(raw, max_bytes)
    packed = prepared = None
    if parsed is not None:
        packed = pack(raw)
        if packed is None:
            _worker_blobs.put(raw, parsed.sha256)
        for attachment in parsed.attachments:
            _worker_blobs.put(attachment.data, attachment.sha256)
        # Plain values only: every object sent back is unpickled in the storing process,
        # and a ParsedMessage costs it more than all the text.
        prepared = _prepare_row(parsed, key_or_reason)
    return key_or_reason, packed, prepared


def _pool_initializer() -> None:
    # Forked from a worker, a pool process inherits its SIGTERM handler, which only
    # sets a flag; the pool must stay killable by terminate(). Ctrl+C goes to the parent.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The storing process is the one that cannot run in parallel: when cores are
    # short, it goes first and the parsers use what is left (they work ahead anyway).
    os.nice(POOL_NICENESS)


POOL_NICENESS = 15


# Raw bytes per batch at most (a batch also ends at ``batch_size`` messages).
WINDOW_BYTES = 48 * 1024 * 1024


def parse_processes() -> int:
    """Processes to parse with: the cores beyond the one storing, at least one."""
    configured = os.environ.get("TRADEINBOX_IMPORT_PROCESSES")
    if configured:
        return max(0, int(configured))
    return min(4, os.cpu_count() or 1)


class Importer:
    """Adds raw messages to the store. One instance per import run or sync session.

    ``on_batch`` (optional) is told what became of every message of a batch, inside the
    batch's transaction; ``flags_of`` (optional) gives the flags a new message is stored
    with, by its source. IMAP sync uses both to record where each message sits and to
    advance its resume checkpoint in the same commit as the messages.
    """

    def __init__(
        self,
        *,
        batch_size: int = 400,
        on_progress: Callable[[ImportSummary], None] | None = None,
        on_batch: BatchHook | None = None,
        flags_of: Callable[[str], Flags] | None = None,
    ) -> None:
        config = settings.TRADEINBOX
        self.blobs = BlobStore(config["BLOB_DIR"])
        self.quarantine_blobs = BlobStore(config["QUARANTINE_DIR"])
        self.max_bytes = config["MAX_MESSAGE_BYTES"]
        self.batch_size = batch_size
        self._pending_bytes = 0
        self.on_progress = on_progress
        self.on_batch = on_batch
        self.flags_of = flags_of
        self.summary = ImportSummary()
        self._pending: list[_Pending] = []
        self._quarantined: list[StoredItem] = []  # reported with the next batch
        self.threads = ThreadAssigner()

    # -- entry points -------------------------------------------------------------

    def import_paths(self, paths: Iterable[Path | str]) -> ImportSummary:
        """Import every message under ``paths``; parsing runs in a process pool."""
        return self.import_items(self._raw_items(paths), processes=parse_processes())

    def import_items(self, items: Iterable[RawMessage], *, processes: int = 0) -> ImportSummary:
        """Import raw messages from any source, in order, and flush the last batch.

        With ``processes`` >= 2 a fork pool parses and compresses while this process
        stores (start-up costs ~0.1 s: worth it from a few hundred messages). ``items``
        may be a generator that does I/O (an IMAP fetch): it is consumed in this thread.
        """
        with fewer_collections(), BackgroundCheckpoints():
            if processes < 2:
                for item in items:
                    self.add(item)
            else:
                self._import_parallel(items, processes)
            self.flush()
        return self.summary

    def _raw_items(self, paths: Iterable[Path | str]):
        for path in paths:
            for item in iter_path(path):
                if isinstance(item, SkippedFile):
                    self.summary.skipped_files += 1
                    log.info("skipped %s: %s", item.source, item.reason)
                    continue
                yield item

    def _import_parallel(self, items, processes: int, ahead: int = 2) -> None:
        # While this process stores window k, the pool parses windows k+1 .. k+ahead:
        # parsing and storing overlap, and a window that parses slowly (a few big
        # messages) does not leave the pool idle. At most ahead+1 windows are in memory.
        window_size = self.batch_size
        blob_dir = str(self.blobs.root)
        context = multiprocessing.get_context("fork")
        # Objects that exist at the fork are shared copy-on-write with the pool; a
        # collection touching them would copy their pages. Frozen, collections skip
        # them until the pool is gone (unless the process froze its objects itself).
        frozen_before = gc.get_freeze_count()
        gc.freeze()
        try:
            with context.Pool(processes, initializer=_pool_initializer) as pool:
                in_flight: deque[tuple[list[RawMessage], object]] = deque()
                window: list[RawMessage] = []
                window_bytes = 0

                def submit(batch: list[RawMessage]) -> None:
                    tasks = [(item.data, self.max_bytes, blob_dir) for item in batch]
                    in_flight.append((batch, pool.map_async(_prepare_in_pool, tasks, chunksize=16)))

                for item in items:
                    window.append(item)
                    window_bytes += len(item.data)
                    # A window also ends at WINDOW_BYTES: 400 mails with 20 MB catalogues
                    # attached must not all sit in memory at once (times ahead+1).
                    if len(window) >= window_size or window_bytes >= WINDOW_BYTES:
                        submit(window)
                        window, window_bytes = [], 0
                        if len(in_flight) > ahead:
                            self._consume(*in_flight.popleft())
                if window:
                    submit(window)
                while in_flight:
                    self._consume(*in_flight.popleft())
                pool.close()
                pool.join()
        finally:
            if not frozen_before:
                gc.unfreeze()

    def _consume(self, batch: list[RawMessage], result) -> None:
        for item, (key_or_reason, packed, prepared) in zip(batch, result.get(), strict=True):
            self.summary.seen += 1
            if prepared is None:
                self._quarantine(item.data, item.source, key_or_reason)
            else:
                self._pending.append(
                    _Pending(None, item.data, item.source, key_or_reason, True, packed, prepared)
                )
        self.flush()

    def add(self, item: RawMessage) -> None:
        """Queue one raw message (parsed here); stores when the batch is full."""
        self.summary.seen += 1
        parsed, key_or_reason = _prepare(item.data, self.max_bytes)
        if parsed is None:
            self._quarantine(item.data, item.source, key_or_reason)
        else:
            self._pending.append(
                _Pending(
                    parsed,
                    item.data,
                    item.source,
                    key_or_reason,
                    False,
                    pack(item.data),
                    _prepare_row(parsed, key_or_reason),
                )
            )
        self._pending_bytes += len(item.data)
        if (
            len(self._pending) + len(self._quarantined) >= self.batch_size
            or self._pending_bytes >= WINDOW_BYTES
        ):
            self.flush()
        elif self.on_progress and self.summary.seen % 100 == 0:
            self.on_progress(self.summary)

    def flush(self) -> None:
        """Store the queued messages (one transaction) and report them to ``on_batch``."""
        pending, self._pending = self._pending, []
        quarantined, self._quarantined = self._quarantined, []
        self._pending_bytes = 0
        if pending or quarantined:
            self._store_batch(pending, quarantined)
        if self.on_progress:
            self.on_progress(self.summary)

    # -- quarantine ------------------------------------------------------------

    def _quarantine(self, raw: bytes, source: str, reason: str) -> None:
        digest = self.quarantine_blobs.put(raw)
        crash_point("store.quarantine.after_blob")
        now = datetime.now(UTC)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO store_quarantine (raw_sha256, size, source, reason, created_at) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (raw_sha256) DO NOTHING",
                [
                    digest,
                    len(raw),
                    nul_free(source),
                    nul_free(reason),
                    connection.ops.adapt_datetimefield_value(now),
                ],
            )
        self.summary.quarantined += 1
        self.summary.reasons[reason.split(" (")[0]] += 1
        if self.on_batch is not None:
            self._quarantined.append(StoredItem(source, None, "quarantined"))
        log.warning("quarantined %s: %s", source, reason)

    # -- storing -----------------------------------------------------------------

    def _existing_keys(self, keys: list[str]) -> dict[str, int]:
        """Dedupe key -> pk of the messages already stored."""
        found: dict[str, int] = {}
        with connection.cursor() as cursor:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join(["%s"] * len(chunk))
                cursor.execute(
                    f"SELECT dedupe_key, id FROM store_message WHERE dedupe_key IN ({marks})",
                    chunk,
                )
                found.update(cursor.fetchall())
        return found

    def _store_batch(
        self, pending: list[_Pending], quarantined: list[StoredItem] | None = None
    ) -> None:
        existing = self._existing_keys(sorted({p.key for p in pending}))
        fresh: list[_Pending] = []
        first_copy: dict[str, _Pending] = {}  # a second copy within this batch
        for item in pending:
            if item.key in existing or item.key in first_copy:
                self.summary.duplicates += 1
                continue
            first_copy[item.key] = item
            fresh.append(item)
        if not fresh:
            if self.on_batch is not None:
                with transaction.atomic():
                    self.on_batch(self._outcomes(pending, existing, {}, quarantined))
            return
        for item in fresh:
            if item.blobs_written:
                continue
            if item.packed is None:
                self.blobs.put(item.raw, item.parsed.sha256)  # parsed here: see _Pending
            for attachment in item.parsed.attachments:
                self.blobs.put(attachment.data, attachment.sha256)
        crash_point("store.batch.blobs_written")
        now = datetime.now(UTC)
        with transaction.atomic(), connection.cursor() as cursor:
            message_ids = list(id_block(cursor, "store_message", len(fresh)))
            self.threads.begin(
                cursor,
                [p.prepared.thread for p in fresh],
                id_block(cursor, "store_thread", len(fresh)),
            )
            planned = [
                self.threads.assign(cursor, item.prepared.thread, item.prepared.date)
                for item in fresh
            ]
            self.threads.write_threads(cursor)
            rows, index_rows, attachment_rows = [], [], []
            imported_at = connection.ops.adapt_datetimefield_value(now)  # once per batch
            flags_of = self.flags_of
            resolve = self.threads.resolve
            for pk, item, thread_id in zip(message_ids, fresh, planned, strict=True):
                flags = flags_of(item.source) if flags_of is not None else NO_FLAGS
                rows.append(
                    (pk, resolve(thread_id), item.source[:2000], *flags, imported_at)
                    + item.prepared.columns
                )
                index_rows.append((pk, item.prepared.index))
                for position, values in enumerate(item.prepared.attachments):
                    attachment_rows.append((pk, position, *values))
            cursor.executemany(_INSERT_MESSAGE, rows)
            cursor.executemany(
                "INSERT INTO store_messageraw (message_id, data) VALUES (%s, %s)",
                [
                    (pk, item.packed)
                    for pk, item in zip(message_ids, fresh, strict=True)
                    if item.packed is not None
                ],
            )
            if attachment_rows:
                cursor.executemany(
                    "INSERT INTO store_attachment (message_id, position, filename, declared_type, "
                    "sniffed_type, size, sha256, disposition, content_id) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    attachment_rows,
                )
            search.index_rows(cursor, index_rows)
            self.threads.write_links(cursor)
            if self.on_batch is not None:
                new_pks = {item.key: pk for pk, item in zip(message_ids, fresh, strict=True)}
                self.on_batch(self._outcomes(pending, existing, new_pks, quarantined))
            # In the batch's transaction: the receivers' rows (visibility index, queued
            # jobs) commit with the messages, in one commit instead of one each.
            messages_stored.send(
                sender=Importer,
                message_ids=message_ids,
                addresses={
                    pk: item.prepared.addresses for pk, item in zip(message_ids, fresh, strict=True)
                },
            )
            crash_point("store.batch.before_commit")
        crash_point("store.batch.after_commit")
        self.summary.imported += len(fresh)
        self.summary.new_message_ids.extend(message_ids)

    @staticmethod
    def _outcomes(
        pending: list[_Pending],
        existing: dict[str, int],
        new_pks: dict[str, int],
        quarantined: list[StoredItem] | None,
    ) -> list[StoredItem]:
        items = list(quarantined or ())
        for item in pending:
            # A key stored by this batch counts once as new; later copies are duplicates.
            pk = new_pks.pop(item.key, None)
            if pk is not None:
                items.append(StoredItem(item.source, pk, "imported"))
                existing[item.key] = pk
            else:
                items.append(StoredItem(item.source, existing[item.key], "duplicate"))
        return items


# The values computed where the message was parsed (``_prepare_row``), in this order.
_MESSAGE_COLUMNS = (
    "dedupe_key, message_id, raw_sha256, raw_size, subject, from_name, from_email, "
    'recipients, date, date_header_valid, utc_offset_minutes, in_reply_to, "references", '
    "body_text, has_html, snippet, attachment_count, attachment_names, defects"
)
_INSERT_MESSAGE = (
    "INSERT INTO store_message (id, thread_id, source, is_seen, is_answered, is_flagged, "
    f"imported_at, {_MESSAGE_COLUMNS}) VALUES (" + ", ".join(["%s"] * 26) + ")"
)


def nul_free(text: str) -> str:
    """PostgreSQL text refuses NUL; parsed mail is already free of it (see core.parse)."""
    return text.replace("\x00", "\ufffd")


def stored_date(parsed: ParsedMessage, fallback: datetime) -> datetime:
    """The message date in UTC (the sender's offset is kept in its own column).

    PostgreSQL rejects offsets beyond +-15:59, which real Date headers do carry.
    """
    return parsed.date.astimezone(UTC) if parsed.date else fallback


def count_real_attachments(parsed: ParsedMessage) -> int:
    """Files the sender attached; inline images of an HTML body (cid:) do not count."""
    return sum(1 for a in parsed.attachments if not (a.disposition == "inline" and a.content_id))


def make_snippet(text: str, length: int = 200) -> str:
    return " ".join(text[: length * 4].split())[:length]


def _address_text(addresses: Iterable[Address]) -> str:
    return " ".join(f"{a.name} {a.email}" for a in addresses)


def index_row_for(pk: int, parsed: ParsedMessage) -> search.IndexRow:
    return search.IndexRow(
        message_pk=pk,
        subject=parsed.subject,
        sender=_address_text(parsed.from_),
        recipients=_address_text([*parsed.to, *parsed.cc]),
        body=parsed.text[:200_000],
        attachments=" ".join(a.filename for a in parsed.attachments),
    )
