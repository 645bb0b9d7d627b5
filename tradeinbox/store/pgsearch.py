"""Search plans on PostgreSQL: the newest matches without reading every match.

The search table (``store.MessageSearch``) carries each message's date, indexed with
its id as ``search_newest_first`` (date, id) INCLUDE (sender words), next to the GIN
indexes of the words and of the sender. A page of results is the newest ``stop``
matches among the user's mail; three plans find them, each cheap where the others
are not (figures at 500,000 messages):

* **walk** (words the planner's statistics call frequent): the user's newest rows,
  about four pages' worth of expected matches and :data:`WALK` at most, are read from
  the date index and each is checked on its own. A word frequent in recent mail ends
  here; its GIN bitmap would hold hundreds of thousands of rows (70-90 ms for a word
  in 60% of the messages, before any sort).
* **windows** (everyone's mail, or a large share of it: an admin, a team manager;
  words in at least :data:`WINDOWS_FROM` of the messages, else every match is read):
  the GIN bitmap of the words ANDed with a bitmap of the newest N rows of the date
  index (N from :data:`WINDOWS`, then all), and only rows in both read and sorted.
  A word common overall but absent from recent mail (``enron`` here: 63,000
  matches, none among the newest 32,000 messages) costs a few bitmaps, not a read
  and sort of every match (1-1.5 s before the date was on the search row).
* **ids** (a small share: a salesperson): the GIN bitmap ANDed with a bitmap of the
  user's message ids; the rows in both are sorted by the date they carry.

For windows and ids the planner is told to use bitmaps (index scans and sequential
scans off, for that one query): left alone it walks the date index and reads each
document on its way (0.4 s for a word absent from the newest 50,000 messages), as
it cannot know that the word is rare among recent rows. ``from:`` alone needs no
such help: the sender words are in the date index itself, so walking it reads no
table rows, and the planner's statistics on the sender GIN pick the walk or the
bitmap well.
"""

from __future__ import annotations

import json
import math
import time
from datetime import datetime
from typing import Protocol

from django.db import connection, transaction

from tradeinbox.core.search_query import SearchQuery
from tradeinbox.store.search import PG_TABLE, pg_document_match, pg_sender_match

#: The walk checks at most this many of the user's newest messages; it is tried when
#: the words' estimated share promises four pages among them (a walk that falls
#: short costs as much as the bitmap plan after it).
WALK = 2000
#: Window sizes (newest rows of the search table) tried before all of it, for words
#: in at least this share of the messages (below it, reading every match is cheap).
WINDOWS = (20_000, 160_000)
WINDOWS_FROM = 0.01
#: A web process reuses a window's lower date for this long (mail arrives slowly; a
#: stale bound only makes a window a little larger or smaller, never a result wrong).
BOUND_TTL = 60.0

_bounds: dict[tuple, tuple[datetime | None, float]] = {}


class Scope(Protocol):
    """One user's mail (``tradeinbox.users.mailscope.MailScope``)."""

    share: float  # about how much of the store it is

    @property
    def dense(self) -> bool: ...

    def row_sql(self, id_expression: str) -> tuple[str, list]: ...

    def ids(self) -> list[int]: ...


class _Where:
    """AND-ed SQL conditions with their parameters, in order."""

    def __init__(self) -> None:
        self.sql: list[str] = []
        self.params: list = []

    def add(self, part: tuple[str, list] | None) -> None:
        if part is not None:
            self.sql.append(part[0])
            self.params.extend(part[1])

    def text(self) -> str:
        return " AND ".join(self.sql) or "true"


def _dates(query: SearchQuery, alias: str, since: datetime | None = None) -> _Where:
    where = _Where()
    if query.before is not None:
        where.add((f"{alias}.date < %s", [query.before]))
    if query.after is not None:
        where.add((f"{alias}.date >= %s", [query.after]))
    if since is not None:
        where.add((f"{alias}.date >= %s", [since]))
    return where


def _attachment(query: SearchQuery, alias: str) -> tuple[str, list] | None:
    return (f"{alias}.has_attachment", []) if query.has_attachment else None


def _fetch(sql: str, params: list, bitmaps: bool = False) -> list[int]:
    if not bitmaps:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]
    # SET LOCAL ends with the transaction (or the savepoint, on an error); the explicit
    # DEFAULT afterwards keeps a caller's outer transaction unaffected.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("SET LOCAL enable_indexscan TO DEFAULT")
        cursor.execute("SET LOCAL enable_seqscan TO DEFAULT")
    return ids


def _estimated_share(query: SearchQuery) -> float:
    """The planner's estimate of the share of messages that match (its statistics of
    the most common words, a word outside them counting as rare, and of the dates and
    attachment flags). No rows are read."""
    where = _dates(query, "s")
    where.add(pg_document_match(query, "s"))
    where.add(pg_sender_match(query, "s"))
    where.add(_attachment(query, "s"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {PG_TABLE} s WHERE {where.text()}",
            where.params,
        )
        plan = cursor.fetchone()[0]
        cursor.execute(f"SELECT reltuples FROM pg_class WHERE oid = '{PG_TABLE}'::regclass")
        total = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return min(1.0, plan[0]["Plan"]["Plan Rows"] / max(1.0, total or 0.0))


def _bound(rows: int) -> datetime | None:
    """The date of the ``rows``-th newest row of the search table (None: fewer rows).

    An index-only walk of the date index (about 15 ms for 160,000 rows), kept for
    :data:`BOUND_TTL` seconds.
    """
    key = (connection.settings_dict.get("NAME"), rows)
    cached = _bounds.get(key)
    if cached is not None and time.monotonic() - cached[1] < BOUND_TTL:
        return cached[0]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT date FROM {PG_TABLE} ORDER BY date DESC, message_id DESC OFFSET %s LIMIT 1",
            [rows - 1],
        )
        row = cursor.fetchone()
    value = row[0] if row else None
    if len(_bounds) > 1000:
        _bounds.clear()
    _bounds[key] = (value, time.monotonic())
    return value


def _ordered(
    query: SearchQuery,
    stop: int,
    since: datetime | None = None,
    condition: tuple[str, list] | None = None,
    per_row: tuple[str, list] | None = None,
) -> tuple[str, list]:
    """Every condition on the search row ``s``, newest first: the bitmap plans' query.

    ``condition`` (such as a salesperson's id list) joins the others; ``per_row`` (on
    ``c.message_id``: a manager's mail, checked row by row) is checked on the sorted
    matches from the newest on, behind ``OFFSET 0``, so only as many rows are checked
    as it takes to fill the page, not every match (with index scans off, each check
    costs a few bitmap lookups).
    """
    where = _Where()
    where.add(pg_document_match(query, "s"))
    where.add(pg_sender_match(query, "s"))
    dates = _dates(query, "s", since)
    where.sql += dates.sql
    where.params += dates.params
    where.add(_attachment(query, "s"))
    where.add(condition)
    order = "ORDER BY s.date DESC, s.message_id DESC"
    if per_row is None:
        return (
            f"SELECT s.message_id FROM {PG_TABLE} s WHERE {where.text()} {order} LIMIT %s",
            [*where.params, stop],
        )
    return (
        f"SELECT c.message_id FROM (SELECT s.message_id, s.date FROM {PG_TABLE} s "
        f"WHERE {where.text()} {order} OFFSET 0) c WHERE {per_row[0]} "
        "ORDER BY c.date DESC, c.message_id DESC LIMIT %s",
        [*where.params, *per_row[1], stop],
    )


def _walk(
    query: SearchQuery, scope_sql: tuple[str, list] | None, rows: int, stop: int
) -> list[int]:
    """The newest ``stop`` matches among the user's newest ``rows`` messages.

    The inner walk reads the date index only (the sender words are in it; the user's
    ids are a hashed list or a per-row check); ``OFFSET 0`` keeps each document check
    per row instead of a hash of every match built before the first row.
    """
    inner = _dates(query, "s")
    inner.add(pg_sender_match(query, "s"))
    inner.add(scope_sql)
    checks = _Where()
    checks.add(pg_document_match(query, "t"))
    checks.add(_attachment(query, "t"))
    sql = (
        f"SELECT c.message_id FROM (SELECT s.message_id, s.date FROM {PG_TABLE} s "
        f"WHERE {inner.text()} ORDER BY s.date DESC, s.message_id DESC LIMIT %s) c "
        f"WHERE EXISTS (SELECT 1 FROM {PG_TABLE} t WHERE t.message_id = c.message_id "
        f"AND {checks.text()} OFFSET 0) ORDER BY c.date DESC, c.message_id DESC LIMIT %s"
    )
    return _fetch(sql, [*inner.params, rows, *checks.params, stop])


def search_ids(query: SearchQuery, start: int, stop: int, scope: Scope | None) -> list[int]:
    """Ids of the matches ``[start:stop]``, newest first, among ``scope``'s mail (None:
    everyone's). ``query`` must have words (phrases)."""
    if pg_document_match(query, "s") is None and pg_sender_match(query, "s") is None:
        return []  # only punctuation: nothing to match
    mine: list[int] | None = None
    rows_scope = per_row = None
    if scope is None:
        walk_scope = None
    elif scope.dense:
        walk_scope = scope.row_sql("s.message_id")
        per_row = scope.row_sql("c.message_id")
    else:
        mine = scope.ids()
        if not mine:
            return []
        # One array literal: psycopg quotes a list element by element (20 ms of CPU for
        # 10,000 ids), a string at once. bigint[] like the column: the list is hashed
        # only for an operator of one type (int8 = int4 compares it element by element,
        # seconds for 10,000 ids). "+ 0": a filter checked against the list while the
        # date index is walked, not an index condition (one index scan per id).
        literal = "{" + ",".join(str(pk) for pk in mine if pk is not None) + "}"
        walk_scope = ("(s.message_id + 0) = ANY(%s::bigint[])", [literal])
        rows_scope = ("s.message_id = ANY(%s::bigint[])", [literal])

    if pg_document_match(query, "s") is None:
        # from: alone: the sender words are in the date index, the planner's choice
        # (walk it, or the sender GIN for a rare sender) is the right one.
        return _fetch(*_ordered(query, stop, condition=walk_scope))[start:stop]

    share = _estimated_share(query)
    if share * WALK >= 4 * stop:
        # Frequent enough that the user's newest rows should hold a page: walk as many
        # as should hold four pages' worth of matches (WALK at most).
        ids = _walk(query, walk_scope, min(WALK, math.ceil(4 * stop / share)), stop)
        if len(ids) >= stop:
            return ids[start:stop]
    if mine is None and share >= WINDOWS_FROM:
        mail_share = 1.0 if scope is None else scope.share
        for rows in WINDOWS:
            if rows * share * mail_share < stop:
                continue  # too few matches expected in this window to fill the page
            since = _bound(rows)
            if since is None or (query.after is not None and since <= query.after):
                break  # the window is all of the mail (or no narrower than after:)
            if query.before is not None and since >= query.before:
                continue  # nothing in this window is older than before:
            ids = _fetch(*_ordered(query, stop, since, per_row=per_row), bitmaps=True)
            if len(ids) >= stop:
                return ids[start:stop]
    found = _ordered(query, stop, condition=rows_scope, per_row=per_row)
    return _fetch(*found, bitmaps=True)[start:stop]
