"""Incremental IMAP sync of every folder of an account into the store.

Per folder (RFC 3501 UIDs, RFC 7162 CONDSTORE/QRESYNC where offered):

1. ``STATUS`` first: with CONDSTORE, a folder whose UIDVALIDITY, UIDNEXT, message count
   and HIGHESTMODSEQ are unchanged is skipped without even selecting it.
2. A changed UIDVALIDITY means the server renumbered the folder: its locations are dropped
   and the folder is read again. Messages are stored once (the importer deduplicates by
   Message-ID + body), so nothing is duplicated; only the locations are rebuilt.
3. Flag changes of known UIDs: ``CHANGEDSINCE`` (plus ``VANISHED`` with QRESYNC) when the
   server has CONDSTORE, else every UID's flags.
4. New UIDs (``> last_uid``) go through the same pipeline as a file import: a thread
   fetches batches of ``BODY.PEEK[]`` (read without IMAPClient's token parser, see
   ``imapfetch``) a few batches ahead; the importer's fork pool parses and compresses the
   next batches while this process stores the current one (``Importer.import_items``).
   The importer's ``on_batch`` hook records the batch's locations and advances the
   folder's ``last_uid`` checkpoint inside the batch's transaction, and new messages get
   their IMAP flags with the row (``flags_of``): a ``kill -9`` loses at most the batches
   in flight, and the next sync fetches exactly those again.
5. Expunges: when our count differs from the server's, ``UID SEARCH ALL`` tells which
   UIDs are gone. A message that ends up in no folder of any account (deleted on the
   server) is removed from the store if it came from IMAP; a move is a new location in
   the target folder plus a removal in the source, so the message itself stays.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from imapclient import IMAPClient

from tradeinbox.core.sources import RawMessage
from tradeinbox.mailbox.connect import imap_endpoint, open_imap
from tradeinbox.mailbox.folders import imap_url_prefix, special_use_of
from tradeinbox.mailbox.imapfetch import fetch_bodies, uid_fetch
from tradeinbox.mailbox.models import Account, Folder, MessageLocation
from tradeinbox.mailbox.removal import purge_orphans
from tradeinbox.store.importer import Flags, Importer, StoredItem, parse_processes
from tradeinbox.store.models import Message

log = logging.getLogger(__name__)

FETCH_BATCH = int(os.environ.get("TRADEINBOX_SYNC_BATCH", "1000"))  # UIDs per FETCH of BODY[]
FETCH_BYTES = 24 * 1024 * 1024  # and at most this many message bytes per FETCH
PARALLEL_FROM = 600  # below this many new messages, parse in-process (no pool start-up)


class SyncAborted(RuntimeError):
    """The worker is stopping; the sync ends at a batch boundary."""


@dataclass
class FolderReport:
    name: str
    new: int = 0
    flag_changes: int = 0
    removed: int = 0
    uidvalidity_reset: bool = False
    skipped: bool = False


@dataclass
class SyncReport:
    account: str
    folders: list[FolderReport] = field(default_factory=list)
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    purged: int = 0
    new_message_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def new(self) -> int:
        return sum(f.new for f in self.folders)

    def as_dict(self) -> dict:
        return {
            "account": self.account,
            "new": self.new,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "purged": self.purged,
            "flag_changes": sum(f.flag_changes for f in self.folders),
            "removed": sum(f.removed for f in self.folders),
            "uidvalidity_resets": [f.name for f in self.folders if f.uidvalidity_reset],
            "seconds": round(self.seconds, 3),
        }


def _flag_names(flags: Iterable[bytes]) -> list[str]:
    # \Recent belongs to one IMAP session (RFC 3501 2.3.2): kept, it would read as a
    # change on every later sync.
    names = (f.decode("utf-8", "replace") if isinstance(f, bytes) else str(f) for f in flags)
    return sorted(name for name in names if name.lower() != "\\recent")


class _LocationRecorder:
    """The importer's batch hook: where each stored message sits, and the resume checkpoint.

    Called inside the importer's batch transaction, so messages, their locations and the
    folder's ``last_uid`` commit together or not at all (a ``kill -9`` loses at most the
    batch in flight, and the next sync fetches it again).
    """

    def __init__(
        self, sync: AccountSync, folder: Folder, uid_of: dict[str, int], flags: dict[int, list[str]]
    ) -> None:
        self.sync = sync
        self.folder = folder
        self.uid_of = uid_of  # source -> UID
        self.flags = flags  # UID -> IMAP flags
        self.recorded = 0
        self._flags_field = MessageLocation._meta.get_field("flags")
        self._prepared: dict[tuple[str, ...], object] = {}

    def flags_of(self, source: str) -> Flags:
        """The flags a new message is stored with (no second write of the row)."""
        flags = self.flags.get(self.uid_of[source], ())
        return Flags("\\Seen" in flags, "\\Answered" in flags, "\\Flagged" in flags)

    def _json(self, flags: list[str]) -> object:
        # A few distinct flag lists in a whole mailbox: prepare each once.
        key = tuple(flags)
        if key not in self._prepared:
            self._prepared[key] = self._flags_field.get_db_prep_save(flags, connection)
        return self._prepared[key]

    def __call__(self, items: list[StoredItem]) -> None:
        if not items:
            return
        folder, flags_of = self.folder, self.flags
        handed = [(self.uid_of[item.source], item) for item in items]
        rows = [
            (item.message_pk, folder.pk, uid, self._json(flags_of.get(uid, [])))
            for uid, item in handed
        ]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {MessageLocation._meta.db_table} (message_id, folder_id, uid, flags) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT (folder_id, uid) DO NOTHING",
                rows,
            )
        # New messages got their flags with the row; an earlier copy takes this folder's.
        self.sync.apply_flags_to_messages(
            [
                (item.message_pk, flags_of.get(uid, []))
                for uid, item in handed
                if item.outcome == "duplicate"
            ]
        )
        folder.last_uid = max(folder.last_uid, max(uid for uid, _ in handed))
        folder.message_count = MessageLocation.objects.filter(folder=folder).count()
        Folder.objects.filter(pk=folder.pk).update(
            last_uid=folder.last_uid, message_count=folder.message_count
        )
        self.recorded += len(handed)
        self.sync.renew_lease()


class AccountSync:
    """One sync pass over one account. Not thread-safe; one per worker thread."""

    def __init__(
        self,
        account: Account,
        *,
        batch_size: int | None = None,
        parallel: bool | None = None,
        should_stop: Callable[[], bool] | None = None,
        lease: Callable[[], None] | None = None,
        ignore_extensions: Iterable[str] = (),
    ) -> None:
        self.account = account
        self.batch_size = batch_size or FETCH_BATCH
        self.parallel = parallel
        self.should_stop = should_stop or (lambda: False)
        self.lease = lease
        self.report = SyncReport(account.email_address)
        self.capabilities: set[str] = set()
        self.orphans: set[int] = set()
        self._last_lease = 0.0
        self._url_prefixes: dict[tuple, str] = {}
        # Troubleshooting (and tests): behave as if the server lacked these extensions.
        self.ignore_extensions = {e.upper() for e in ignore_extensions}

    # -- hooks used by the importer ----------------------------------------------------

    def source_of(self, folder: Folder, uid: int) -> str:
        # Called twice per fetched message: quote the folder's part once.
        key = (folder.pk, folder.name, folder.uidvalidity)
        prefix = self._url_prefixes.get(key)
        if prefix is None:
            prefix = self._url_prefixes[key] = imap_url_prefix(self.account, folder)
        return f"{prefix}{uid}"

    def renew_lease(self) -> None:
        if self.lease and time.monotonic() - self._last_lease > 30:
            self._last_lease = time.monotonic()
            self.lease()

    def check_stop(self) -> None:
        if self.should_stop():
            raise SyncAborted("stopping")

    def apply_flags_to_messages(self, pairs: list[tuple[int, list[str]]]) -> None:
        """Copy IMAP flags onto the stored messages (the last folder seen wins)."""
        groups: dict[tuple[bool, bool, bool], list[int]] = {}
        for pk, flags in pairs:
            state = ("\\Seen" in flags, "\\Answered" in flags, "\\Flagged" in flags)
            groups.setdefault(state, []).append(pk)
        for (seen, answered, flagged), pks in groups.items():
            for start in range(0, len(pks), 500):
                # Only rows that differ: an UPDATE rewrites the whole row, body included.
                Message.objects.filter(pk__in=pks[start : start + 500]).exclude(
                    is_seen=seen, is_answered=answered, is_flagged=flagged
                ).update(is_seen=seen, is_answered=answered, is_flagged=flagged)

    # -- the pass ------------------------------------------------------------------------

    def run(self, client: IMAPClient | None = None) -> SyncReport:
        started = time.perf_counter()
        own = client is None
        client = client or open_imap(imap_endpoint(self.account))
        try:
            self.capabilities = {
                c.decode().upper() if isinstance(c, bytes) else c.upper()
                for c in client.capabilities()
            } - self.ignore_extensions
            if "QRESYNC" in self.capabilities and "ENABLE" in self.capabilities:
                client.enable("QRESYNC")
            elif "CONDSTORE" in self.capabilities and "ENABLE" in self.capabilities:
                client.enable("CONDSTORE")
            Account.objects.filter(pk=self.account.pk).update(
                capabilities=" ".join(sorted(self.capabilities))
            )
            for folder in self.discover_folders(client):
                self.check_stop()
                self.report.folders.append(self.sync_folder(client, folder))
        finally:
            if own:
                try:
                    client.logout()
                except Exception:  # noqa: BLE001 - the connection may already be gone
                    pass
        self.report.purged = purge_orphans(self.orphans)
        self.report.seconds = time.perf_counter() - started
        return self.report

    def discover_folders(self, client: IMAPClient) -> list[Folder]:
        listed = client.list_folders()
        known = {f.name: f for f in self.account.folders.all()}
        seen: list[Folder] = []
        for flags, delimiter, name in listed:
            lowered = {f.lower() for f in flags}
            if b"\\noselect" in lowered or b"\\nonexistent" in lowered:
                continue
            use = special_use_of(name, flags)
            delim = delimiter.decode() if isinstance(delimiter, bytes) else (delimiter or "")
            folder = known.pop(name, None)
            if folder is None:
                folder = Folder.objects.create(
                    account=self.account, name=name, delimiter=delim, special_use=use
                )
            elif folder.special_use != use or not folder.exists_on_server:
                folder.special_use, folder.exists_on_server = use, True
                folder.save(update_fields=["special_use", "exists_on_server"])
            seen.append(folder)
        for gone in known.values():  # deleted or renamed on the server
            if gone.exists_on_server:
                self._drop_locations(gone, gone.locations.all())
                Folder.objects.filter(pk=gone.pk).update(
                    exists_on_server=False, last_uid=0, uidvalidity=None
                )
        order = {Folder.SpecialUse.INBOX: 0, Folder.SpecialUse.SENT: 1}
        seen.sort(key=lambda f: (order.get(f.special_use, 2), f.name))
        return seen

    def _drop_locations(self, folder: Folder, locations) -> int:
        with transaction.atomic():
            pks = [pk for pk in locations.values_list("message_id", flat=True) if pk]
            count, _ = locations.delete()
            self.orphans.update(pks)
            Folder.objects.filter(pk=folder.pk).update(
                message_count=MessageLocation.objects.filter(folder=folder).count()
            )
        return count

    # -- one folder ----------------------------------------------------------------------

    def sync_folder(self, client: IMAPClient, folder: Folder) -> FolderReport:
        report = FolderReport(folder.name)
        condstore = "CONDSTORE" in self.capabilities or "QRESYNC" in self.capabilities
        items = ["MESSAGES", "UIDNEXT", "UIDVALIDITY"] + (["HIGHESTMODSEQ"] if condstore else [])
        status = {
            k.decode().upper(): v for k, v in client.folder_status(folder.name, items).items()
        }
        if (
            condstore
            and folder.uidvalidity == status.get("UIDVALIDITY")
            and folder.uidnext == status.get("UIDNEXT")
            and folder.highestmodseq is not None
            and folder.highestmodseq == status.get("HIGHESTMODSEQ")
            and folder.message_count == status.get("MESSAGES")
        ):
            report.skipped = True
            return report
        selected = client.select_folder(folder.name, readonly=True)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        uidnext = selected.get(b"UIDNEXT")
        exists = int(selected.get(b"EXISTS", 0))
        modseq = selected.get(b"HIGHESTMODSEQ")
        if folder.uidvalidity is not None and folder.uidvalidity != uidvalidity:
            log.warning("%s: UIDVALIDITY changed, reading the folder again", folder)
            report.uidvalidity_reset = True
            self._drop_locations(folder, folder.locations.all())
            folder.last_uid = 0
            folder.highestmodseq = None
            folder.message_count = 0
        if folder.uidvalidity != uidvalidity:
            folder.uidvalidity = uidvalidity
            Folder.objects.filter(pk=folder.pk).update(
                uidvalidity=uidvalidity, last_uid=folder.last_uid, highestmodseq=None, uidnext=None
            )
        if folder.last_uid > 0:
            self._sync_known(client, folder, report, bool(modseq))
        self._fetch_new(client, folder, report)
        known = MessageLocation.objects.filter(folder=folder).count()
        if known != exists:
            self._reconcile_expunges(client, folder, report)
        folder.uidnext = uidnext
        folder.highestmodseq = modseq
        folder.message_count = MessageLocation.objects.filter(folder=folder).count()
        folder.last_synced_at = datetime.now(UTC)
        Folder.objects.filter(pk=folder.pk).update(
            uidnext=folder.uidnext,
            highestmodseq=folder.highestmodseq,
            message_count=folder.message_count,
            last_synced_at=folder.last_synced_at,
        )
        return report

    def _sync_known(
        self, client: IMAPClient, folder: Folder, report: FolderReport, has_modseq: bool
    ) -> None:
        """Flags (and, with QRESYNC, expunges) of the UIDs we already have."""
        modifiers = None
        if has_modseq and folder.highestmodseq:
            modifiers = [f"CHANGEDSINCE {folder.highestmodseq}"]
            if "QRESYNC" in self.capabilities:
                modifiers = [f"CHANGEDSINCE {folder.highestmodseq} VANISHED"]
        untagged = client._imap.untagged_responses
        untagged.pop("VANISHED", None)
        fetched = uid_fetch(client, f"1:{folder.last_uid}", ["FLAGS"], modifiers)
        vanished_raw = untagged.pop("VANISHED", [])
        changes: dict[int, list[str]] = {
            uid: _flag_names(data.get(b"FLAGS", ()))
            for uid, data in fetched.items()
            if uid <= folder.last_uid
        }
        if changes:
            report.flag_changes = self._apply_flag_changes(folder, changes)
        gone = set()
        for line in vanished_raw:
            text = line.decode() if isinstance(line, bytes) else str(line)
            text = text.replace("(EARLIER)", "").strip()
            for part in text.split(","):
                if ":" in part:
                    low, high = sorted(int(x) for x in part.split(":"))
                    gone.update(range(low, high + 1))
                elif part.strip().isdigit():
                    gone.add(int(part))
        if gone:
            report.removed += self._drop_locations(
                folder, MessageLocation.objects.filter(folder=folder, uid__in=sorted(gone))
            )

    def _apply_flag_changes(self, folder: Folder, changes: dict[int, list[str]]) -> int:
        changed = 0
        uids = sorted(changes)
        with transaction.atomic():
            for start in range(0, len(uids), 500):
                chunk = uids[start : start + 500]
                rows = MessageLocation.objects.filter(folder=folder, uid__in=chunk)
                updates, pairs = [], []
                for row in rows:
                    flags = changes[row.uid]
                    if sorted(row.flags) != flags:
                        row.flags = flags
                        updates.append(row)
                        if row.message_id:
                            pairs.append((row.message_id, flags))
                MessageLocation.objects.bulk_update(updates, ["flags"], batch_size=500)
                self.apply_flags_to_messages(pairs)
                changed += len(updates)
        return changed

    def _reconcile_expunges(self, client: IMAPClient, folder: Folder, report: FolderReport) -> None:
        on_server = set(client.search(["UID", f"1:{max(folder.last_uid, 1)}"]))
        ours = set(MessageLocation.objects.filter(folder=folder).values_list("uid", flat=True))
        gone = sorted(uid for uid in ours - on_server)
        if gone:
            report.removed += self._drop_locations(
                folder, MessageLocation.objects.filter(folder=folder, uid__in=gone)
            )

    # -- new messages ------------------------------------------------------------------

    def _fetch_new(self, client: IMAPClient, folder: Folder, report: FolderReport) -> None:
        first = folder.last_uid + 1
        listing = uid_fetch(client, f"{first}:*", ["FLAGS", "RFC822.SIZE"])
        # "N:*" also returns the highest UID when it is below N (RFC 3501 6.4.8).
        new = sorted(uid for uid in listing if uid >= first)
        if not new:
            return
        uid_of = {self.source_of(folder, uid): uid for uid in new}
        flags = {uid: _flag_names(listing[uid].get(b"FLAGS", ())) for uid in new}
        sizes = {uid: int(listing[uid].get(b"RFC822.SIZE", 0)) for uid in new}
        recorder = _LocationRecorder(self, folder, uid_of, flags)
        importer = Importer(
            batch_size=self.batch_size,
            on_batch=recorder,
            flags_of=recorder.flags_of,
            # Called after each committed batch: a stop never undoes a stored batch.
            on_progress=lambda _summary: self.check_stop(),
        )
        parallel = self.parallel
        if parallel is None:
            parallel = len(new) >= PARALLEL_FROM and parse_processes() >= 2
        stream = self._stream(client, folder, new, sizes)
        try:
            importer.import_items(stream, processes=max(2, parse_processes()) if parallel else 0)
        finally:
            stream.close()
        summary = importer.summary
        report.new = recorder.recorded
        self.report.stored += summary.imported
        self.report.duplicates += summary.duplicates
        self.report.quarantined += summary.quarantined
        self.report.new_message_ids.extend(summary.new_message_ids)

    def _batches(self, uids: list[int], sizes: dict[int, int]) -> Iterator[list[int]]:
        batch: list[int] = []
        total = 0
        for uid in uids:
            if batch and (len(batch) >= self.batch_size or total + sizes[uid] > FETCH_BYTES):
                yield batch
                batch, total = [], 0
            batch.append(uid)
            total += sizes[uid]
        if batch:
            yield batch

    def _stream(self, client: IMAPClient, folder: Folder, uids: list[int], sizes: dict[int, int]):
        """Raw messages in UID order; a thread fetches the next batch while this one is stored."""
        batches = list(self._batches(uids, sizes))
        out: queue.Queue = queue.Queue(maxsize=3)
        stop = threading.Event()

        def produce() -> None:
            try:
                for batch in batches:
                    if stop.is_set():
                        return
                    data = fetch_bodies(client, batch)
                    items = []
                    for uid in batch:
                        body = data.get(uid)
                        if body is not None:  # expunged meanwhile: the next sync drops it
                            items.append(RawMessage(self.source_of(folder, uid), body))
                    while not stop.is_set():
                        try:
                            out.put(items, timeout=0.5)
                            break
                        except queue.Full:
                            continue
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer
                out.put(exc)
                return
            out.put(None)

        thread = threading.Thread(target=produce, name=f"imap-fetch-{folder.pk}", daemon=True)

        def consume() -> Iterator[RawMessage]:
            # Started on the first item, i.e. after the importer forked its parse pool:
            # forking while this thread holds a lock could leave a child stuck on it.
            thread.start()
            try:
                while True:
                    got = out.get()
                    if got is None:
                        return
                    if isinstance(got, BaseException):
                        raise got
                    yield from got
            finally:
                stop.set()
                while thread.is_alive():  # drain so a blocked put() sees the stop
                    try:
                        out.get(timeout=0.1)
                    except queue.Empty:
                        pass
                thread.join(timeout=1)

        return consume()


# -- running a sync for the worker ----------------------------------------------------------

LEASE = timedelta(minutes=5)


def backoff_seconds(failures: int) -> int:
    """5 s, 10 s, 20 s ... capped at 10 minutes: quick after a blip, gentle when down."""
    return min(600, 5 * 2 ** max(0, failures - 1))


def claim_due_account(worker_name: str, *, account_id: int | None = None) -> Account | None:
    """Take one account whose sync is due (SKIP LOCKED: two workers never take the same)."""
    now = datetime.now(UTC)
    from django.db.models import Q

    from tradeinbox.worker.jobs import owner_is_dead

    # A worker killed mid-sync leaves its lease behind: when its process is gone from
    # this machine, resume now instead of waiting the lease out.
    orphaned = [
        pk
        for pk, locked_by in Account.objects.filter(sync_enabled=True, sync_lease_until__gte=now)
        .exclude(sync_locked_by="")
        .values_list("pk", "sync_locked_by")
        if owner_is_dead(locked_by)
    ]
    with transaction.atomic():
        query = (
            Account.objects.select_for_update(skip_locked=True)
            .filter(sync_enabled=True)
            .filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now))
            .filter(
                Q(sync_lease_until__isnull=True) | Q(sync_lease_until__lt=now) | Q(pk__in=orphaned)
            )
        )
        if account_id is not None:
            query = query.filter(pk=account_id)
        account = query.order_by("next_sync_at", "id").first()
        if account is None:
            return None
        account.sync_locked_by = worker_name
        account.sync_lease_until = now + LEASE
        account.save(update_fields=["sync_locked_by", "sync_lease_until"])
        return account


def sync_account(
    account: Account,
    *,
    worker_name: str = "",
    should_stop: Callable[[], bool] | None = None,
    parallel: bool | None = None,
) -> SyncReport | None:
    """Sync a claimed account and record the outcome; errors become backoff, not crashes."""
    from tradeinbox.mailbox.errors import describe

    def lease() -> None:
        Account.objects.filter(pk=account.pk).update(sync_lease_until=datetime.now(UTC) + LEASE)

    started = datetime.now(UTC)
    try:
        report = AccountSync(account, should_stop=should_stop, parallel=parallel, lease=lease).run()
    except SyncAborted:
        Account.objects.filter(pk=account.pk).update(
            sync_lease_until=None, sync_locked_by="", next_sync_at=datetime.now(UTC)
        )
        return None
    except Exception as exc:  # noqa: BLE001 - a broken server must not stop the worker
        failures = account.sync_failures + 1
        log.warning("sync of %s failed (%s): %s", account, failures, exc)
        Account.objects.filter(pk=account.pk).update(
            sync_failures=failures,
            last_error=describe(exc),
            next_sync_at=datetime.now(UTC) + timedelta(seconds=backoff_seconds(failures)),
            sync_lease_until=None,
            sync_locked_by="",
        )
        return None
    Account.objects.filter(pk=account.pk).update(
        sync_failures=0,
        last_error="",
        last_sync_at=started,
        initial_sync_done=True,
        next_sync_at=datetime.now(UTC) + timedelta(seconds=account.sync_interval_seconds),
        sync_lease_until=None,
        sync_locked_by="",
    )
    return report
