"""What a bulk import changes about its process while it runs.

:func:`fewer_collections` runs Python's cyclic garbage collector less often, and
:class:`BackgroundCheckpoints` moves SQLite's WAL checkpoints off the storing thread.
Both used to stall the storing process, the one part of an import that cannot run
in parallel.

Checkpoints:

In WAL mode (see settings) every commit appends pages to the ``-wal`` file and, once
it holds ``wal_autocheckpoint`` pages, the committing connection copies them into the
database file and waits for the disk (``synchronous=NORMAL`` syncs at checkpoints).
During an initial sync that is the storing thread, the one part of the import that
cannot run in parallel: its checkpoints cost 1-2 s per 20,000 messages.

While :class:`BackgroundCheckpoints` is active the importing connection does not
checkpoint; a thread with its own connection runs PASSIVE checkpoints (they never
block the writer, https://www.sqlite.org/c3ref/wal_checkpoint_v2.html) every
``interval`` seconds. Durability is unchanged:
committed transactions are in the WAL either way, and a crash at any point leaves a
database SQLite recovers on the next open.
"""

from __future__ import annotations

import gc
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

log = logging.getLogger(__name__)


class BackgroundCheckpoints:
    """Context manager: checkpoint the SQLite WAL from a background thread meanwhile.

    Does nothing on PostgreSQL, on in-memory databases, when the database is not in
    WAL mode, or inside another one (the outer one keeps checkpointing).
    """

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._restore = 0  # the importing connection's wal_autocheckpoint
        self._path = ""

    def __enter__(self) -> BackgroundCheckpoints:
        if connection.vendor != "sqlite":
            return self
        path = str(connection.settings_dict["NAME"])
        if not path or path == ":memory:" or "mode=memory" in path:
            return self
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            if str(cursor.fetchone()[0]).lower() != "wal":
                return self
            cursor.execute("PRAGMA wal_autocheckpoint")
            current = int(cursor.fetchone()[0])
            if current == 0:  # an enclosing import already does this (or nobody wants it)
                return self
            self._restore = current
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        self._path = path
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        # What the thread had no time for, the next commit past the limit copies.
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(self._restore)}")

    def _run(self) -> None:
        try:
            checkpointer = sqlite3.connect(self._path, timeout=0, check_same_thread=False)
        except sqlite3.Error as exc:
            # The WAL then grows until the import ends; the first commit after it
            # (autocheckpoint restored) copies it into the database.
            log.warning("background checkpoints unavailable: %s", exc)
            return
        try:
            while not self._stop.wait(self.interval):
                try:
                    checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # busy or locked: the next round tries again
                    log.debug("checkpoint skipped: %s", exc)
        finally:
            checkpointer.close()


@contextmanager
def fewer_collections(young: int = 50_000) -> Iterator[None]:
    """Run the cyclic garbage collector less often while importing.

    An import allocates millions of short-lived objects (every unpickled row, every
    parsed header) and next to none of them form cycles, yet with the default
    threshold of 700 allocations CPython collects over a thousand times per 20,000
    messages, each pass also walking the long-lived heap: a second of the storing
    process's CPU. Collected 70 times less often, the same garbage goes away at a
    quarter of the cost. The pool processes forked inside inherit the setting.
    """
    before = gc.get_threshold()
    gc.set_threshold(max(young, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
