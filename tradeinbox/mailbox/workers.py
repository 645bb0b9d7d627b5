"""The mailbox part of ``tradeinbox worker``: outbox, schedules, periodic sync, IDLE.

:class:`MailboxService` is ticked by the worker loop between jobs. Each tick sends what is
due in the outbox (scheduled messages included: ``send_at <= now``), then syncs at most
one account whose turn has come. An :class:`IdleWatcher` thread per account keeps an
IMAP IDLE (RFC 2177) on INBOX and marks the account due the moment the server reports a
change, so new mail shows within a few seconds. Watchers reconnect with backoff and are
stopped cleanly when the worker stops.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from tradeinbox.mailbox.connect import Endpoint

log = logging.getLogger(__name__)

IDLE_RENEW_SECONDS = 25 * 60  # RFC 2177: re-issue IDLE at least every 29 minutes
WATCHER_REFRESH_SECONDS = 15.0


class IdleWatcher(threading.Thread):
    """Holds IDLE on one account's INBOX and calls ``on_change(account_id)`` on news."""

    def __init__(self, account_id: int, endpoint: Endpoint, on_change, stopping: threading.Event):
        super().__init__(name=f"imap-idle-{account_id}", daemon=True)
        self.account_id = account_id
        self.endpoint = endpoint
        self.on_change = on_change
        self.stopping = stopping
        self.halt = threading.Event()
        self.supported = True
        self.client = None

    def stop(self) -> None:
        self.halt.set()

    def _should_run(self) -> bool:
        return not (self.halt.is_set() or self.stopping.is_set())

    def run(self) -> None:
        from tradeinbox.mailbox.connect import open_imap
        from tradeinbox.mailbox.sync import backoff_seconds

        failures = 0
        while self._should_run():
            try:
                self.client = open_imap(self.endpoint, timeout=60)
                if b"IDLE" not in self.client.capabilities():
                    self.supported = False
                    log.info("account %s: no IDLE, relying on periodic sync", self.account_id)
                    return
                self.client.select_folder("INBOX", readonly=True)
                # Anything that arrived while we were not listening is picked up by a sync.
                self.on_change(self.account_id)
                failures = 0
                self._idle_loop()
            except Exception as exc:  # noqa: BLE001 - reconnect with backoff
                failures += 1
                delay = backoff_seconds(failures)
                log.info(
                    "account %s: IDLE connection lost (%s); retry in %ss",
                    self.account_id,
                    exc,
                    delay,
                )
                self.halt.wait(min(delay, 60))
            finally:
                self._close()

    def _idle_loop(self) -> None:
        client = self.client
        while self._should_run():
            client.idle()
            started = time.monotonic()
            try:
                while self._should_run() and time.monotonic() - started < IDLE_RENEW_SECONDS:
                    responses = client.idle_check(timeout=1)
                    if any(
                        isinstance(r, tuple)
                        and len(r) > 1
                        and r[1] in (b"EXISTS", b"EXPUNGE", b"FETCH", b"VANISHED")
                        for r in responses
                    ):
                        self.on_change(self.account_id)
            finally:
                client.idle_done()

    def _close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # noqa: BLE001
            try:
                client.shutdown()
            except Exception:  # noqa: BLE001
                pass


class MailboxService:
    """Ticked by :class:`tradeinbox.worker.loop.Worker`; see the module docstring."""

    def __init__(self, worker) -> None:
        self.worker = worker
        self.name = worker.name
        self.watchers: dict[int, tuple[IdleWatcher, Endpoint]] = {}
        self._dirty: set[int] = set()
        self._lock = threading.Lock()
        self._refreshed = 0.0
        self.use_idle = not getattr(worker, "exit_when_idle", False)

    def mark_dirty(self, account_id: int) -> None:
        with self._lock:
            self._dirty.add(account_id)

    def tick(self) -> bool:
        from tradeinbox.mailbox import outbox
        from tradeinbox.mailbox.models import Account
        from tradeinbox.mailbox.sync import claim_due_account, sync_account

        busy = outbox.run_due(self.name, limit=10) > 0
        with self._lock:
            dirty, self._dirty = self._dirty, set()
        if dirty:
            Account.objects.filter(pk__in=dirty, sync_enabled=True).update(
                next_sync_at=datetime.now(UTC)
            )
        if self.use_idle and time.monotonic() - self._refreshed > WATCHER_REFRESH_SECONDS:
            self._refresh_watchers()
        account = claim_due_account(self.name)
        if account is not None:
            sync_account(account, worker_name=self.name, should_stop=self.worker.stopping.is_set)
            busy = True
        return busy

    def _refresh_watchers(self) -> None:
        from tradeinbox.mailbox.connect import imap_endpoint
        from tradeinbox.mailbox.crypto import KeyUnavailable
        from tradeinbox.mailbox.models import Account

        self._refreshed = time.monotonic()
        wanted: dict[int, Endpoint] = {}
        for account in Account.objects.filter(sync_enabled=True):
            try:
                wanted[account.pk] = imap_endpoint(account)
            except KeyUnavailable:
                continue
        for pk, (watcher, endpoint) in list(self.watchers.items()):
            if wanted.get(pk) != endpoint or not watcher.is_alive():
                watcher.stop()
                del self.watchers[pk]
                if not watcher.supported:
                    wanted.pop(pk, None)
                    self.watchers[pk] = (watcher, endpoint)  # remember: no IDLE there
        for pk, endpoint in wanted.items():
            if pk not in self.watchers:
                watcher = IdleWatcher(pk, endpoint, self.mark_dirty, self.worker.stopping)
                watcher.start()
                self.watchers[pk] = (watcher, endpoint)

    def stop(self) -> None:
        for watcher, _ in self.watchers.values():
            watcher.stop()
        for watcher, _ in self.watchers.values():
            watcher.join(timeout=5)
        self.watchers.clear()
