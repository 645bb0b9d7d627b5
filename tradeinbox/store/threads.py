"""Putting stored messages into conversations, one import batch at a time.

The rules are in :mod:`tradeinbox.core.threading`; this module applies them to
the database. A batch is planned in memory (which message joins which thread,
which threads merge) and written with a handful of executemany statements.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import connection

from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.threading import linked_ids, normalise_subject

SUBJECT_FALLBACK_WINDOW = timedelta(days=60)
_CACHE_LIMIT = 400_000


class ThreadFacts(NamedTuple):
    """What threading reads of a message: small, so it travels cheaply from a parse process."""

    message_id: str  # its own Message-ID (at most 255 characters), or ""
    links: tuple[str, ...]  # the Message-IDs it points at, nearest parent first
    subject: str
    people: frozenset[str]  # From, To and Cc addresses
    has_sender: bool

    @classmethod
    def of(cls, parsed: ParsedMessage) -> ThreadFacts:
        return cls(
            (parsed.message_id or "")[:255],
            tuple(linked_ids(parsed)),
            parsed.subject,
            frozenset(a.email for a in (*parsed.from_, *parsed.to, *parsed.cc)),
            bool(parsed.from_),
        )


@dataclass
class _Stats:
    count: int = 0
    first: datetime | None = None
    last: datetime | None = None
    first_subject: str = ""

    def add(self, date: datetime, subject: str) -> None:
        self.count += 1
        is_root = not normalise_subject(subject)[1]
        earlier = self.first is None or date < self.first
        # On equal dates, a subject without "Re:" is the better thread title.
        tie_better = date == self.first and is_root and normalise_subject(self.first_subject)[1]
        if earlier or tie_better:
            self.first, self.first_subject = date, subject
        if self.last is None or date > self.last:
            self.last = date


@dataclass
class _Batch:
    new_threads: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> subject, key
    keys: dict[str, int] = field(default_factory=dict)
    stats: dict[int, _Stats] = field(default_factory=dict)
    merged_targets: set[int] = field(default_factory=set)
    # Replies in this batch, for the subject fallback before they reach the database.
    recent: dict[str, list[tuple[int, frozenset[str], datetime]]] = field(default_factory=dict)


class ThreadAssigner:
    """Keeps a Message-ID -> thread cache across the batches of one import run."""

    def __init__(self) -> None:
        self._thread_of_key: dict[str, int] = {}
        self._merged: dict[int, int] = {}
        self._batch = _Batch()
        self._ids: Iterator[int] = iter(())

    def resolve(self, thread_id: int) -> int:
        while thread_id in self._merged:
            thread_id = self._merged[thread_id]
        return thread_id

    # -- planning ----------------------------------------------------------------

    def begin(self, cursor, messages: list[ThreadFacts], ids: Iterator[int]) -> None:
        """Start a batch: load the thread links its messages mention."""
        if len(self._thread_of_key) > _CACHE_LIMIT:
            self._thread_of_key.clear()
        self._batch = _Batch()
        self._ids = ids
        wanted: set[str] = set()
        for facts in messages:
            if facts.message_id:
                wanted.add(facts.message_id)
            wanted.update(facts.links)
        keys = sorted(wanted - self._thread_of_key.keys())
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT key, thread_id FROM store_threadkey WHERE key IN ({marks})", chunk
            )
            self._thread_of_key.update(cursor.fetchall())

    def assign(self, cursor, facts: ThreadFacts, date: datetime) -> int:
        """The thread for one message of the batch (resolve it again before writing)."""
        batch = self._batch
        own, links, subject, people = facts.message_id, facts.links, facts.subject, facts.people
        keys = ([own] if own else []) + list(links)
        threads = {self.resolve(self._thread_of_key[k]) for k in keys if k in self._thread_of_key}
        subject_key, is_reply = normalise_subject(subject)
        if not threads and not links and is_reply and subject_key:
            found = self._by_subject(cursor, subject_key, people, date)
            if found:
                threads.add(found)
        if threads:
            target = min(threads)
            others = sorted(threads - {target})
            if others:
                self._merge(cursor, target, others)
        else:
            target = next(self._ids)
            batch.new_threads[target] = (subject[:1000], subject_key)
        for key in keys:
            self._thread_of_key[key] = target
            batch.keys[key] = target
        batch.stats.setdefault(target, _Stats()).add(date, subject[:1000])
        if subject_key and facts.has_sender:
            batch.recent.setdefault(subject_key, []).append((target, people, date))
        return target

    def _by_subject(
        self, cursor, subject_key: str, people: frozenset[str], date: datetime
    ) -> int | None:
        """A recent thread with this subject that one of these people wrote in."""
        if not people:
            return None
        since = date - SUBJECT_FALLBACK_WINDOW
        for thread_id, their_people, when in reversed(self._batch.recent.get(subject_key, [])):
            if when >= since and people & their_people:
                return self.resolve(thread_id)
        senders = sorted(people)[:50]
        marks = ",".join(["%s"] * len(senders))
        cursor.execute(
            "SELECT t.id FROM store_thread t JOIN store_message m ON m.thread_id = t.id "
            f"WHERE t.subject_key = %s AND m.from_email IN ({marks}) AND m.date >= %s "
            "ORDER BY m.date DESC LIMIT 1",
            [subject_key, *senders, connection.ops.adapt_datetimefield_value(since)],
        )
        row = cursor.fetchone()
        return self.resolve(row[0]) if row else None

    def _merge(self, cursor, target: int, others: list[int]) -> None:
        marks = ",".join(["%s"] * len(others))
        cursor.execute(
            f"UPDATE store_message SET thread_id = %s WHERE thread_id IN ({marks})",
            [target, *others],
        )
        cursor.execute(
            f"UPDATE store_threadkey SET thread_id = %s WHERE thread_id IN ({marks})",
            [target, *others],
        )
        cursor.execute(f"DELETE FROM store_thread WHERE id IN ({marks})", others)
        batch = self._batch
        for other in others:
            self._merged[other] = target
            batch.new_threads.pop(other, None)
            moved = batch.stats.pop(other, None)
            if moved and moved.count:
                stats = batch.stats.setdefault(target, _Stats())
                stats.count += moved.count
                for date in (moved.first, moved.last):
                    if date is not None:
                        stats.first = min(stats.first or date, date)
                        stats.last = max(stats.last or date, date)
        batch.merged_targets.add(target)

    # -- writing -----------------------------------------------------------------

    def write_threads(self, cursor) -> None:
        """Insert this batch's new threads (before the messages that point at them)."""
        adapt = connection.ops.adapt_datetimefield_value
        rows = []
        for thread_id, (subject, key) in self._batch.new_threads.items():
            stats = self._batch.stats.get(thread_id, _Stats())
            rows.append(
                (
                    thread_id,
                    stats.first_subject or subject,
                    key,
                    adapt(stats.first),
                    adapt(stats.last),
                    stats.count,
                )
            )
        if rows:
            cursor.executemany(
                "INSERT INTO store_thread (id, subject, subject_key, first_date, last_date, "
                "message_count) VALUES (%s, %s, %s, %s, %s, %s)",
                rows,
            )

    def write_links(self, cursor) -> None:
        """Record thread keys and bring existing threads' counts and dates up to date."""
        batch = self._batch
        if batch.keys:
            cursor.executemany(
                "INSERT INTO store_threadkey (key, thread_id) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET thread_id = excluded.thread_id",
                [(key, self.resolve(thread_id)) for key, thread_id in batch.keys.items()],
            )
        adapt = connection.ops.adapt_datetimefield_value
        existing = [
            tid
            for tid in batch.stats
            if tid not in batch.new_threads and tid not in batch.merged_targets
        ]
        if existing:
            cursor.executemany(
                "UPDATE store_thread SET message_count = message_count + %s, "
                "subject = CASE WHEN first_date IS NULL OR %s < first_date THEN %s ELSE subject END, "
                "first_date = CASE WHEN first_date IS NULL OR %s < first_date THEN %s "
                "ELSE first_date END, "
                "last_date = CASE WHEN last_date IS NULL OR %s > last_date THEN %s "
                "ELSE last_date END WHERE id = %s",
                [
                    (
                        s.count,
                        adapt(s.first),
                        s.first_subject,
                        adapt(s.first),
                        adapt(s.first),
                        adapt(s.last),
                        adapt(s.last),
                        tid,
                    )
                    for tid, s in ((tid, batch.stats[tid]) for tid in existing)
                ],
            )
        recount(cursor, {self.resolve(t) for t in batch.merged_targets})


def recount(cursor, thread_ids: Iterable[int]) -> None:
    """Recompute threads' counts, dates and subject from their messages."""
    ids = sorted(set(thread_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join(["%s"] * len(chunk))
        cursor.execute(
            "UPDATE store_thread SET "
            "message_count = (SELECT COUNT(*) FROM store_message m "
            "WHERE m.thread_id = store_thread.id), "
            "first_date = (SELECT MIN(m.date) FROM store_message m "
            "WHERE m.thread_id = store_thread.id), "
            "last_date = (SELECT MAX(m.date) FROM store_message m "
            "WHERE m.thread_id = store_thread.id), "
            "subject = COALESCE((SELECT m.subject FROM store_message m "
            "WHERE m.thread_id = store_thread.id "
            "ORDER BY m.date, CASE WHEN m.in_reply_to = '' THEN 0 ELSE 1 END, m.id LIMIT 1), "
            f"subject) WHERE id IN ({marks})",
            chunk,
        )
