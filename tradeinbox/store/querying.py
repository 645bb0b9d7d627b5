"""Reading the store: search hits and the newest-first message list.

Both the web app and the ``tradeinbox search`` command call :func:`search_messages`,
so a query finds the same messages wherever it is typed. The full-text part comes
from :func:`tradeinbox.store.search.matching_ids_sql`; the structured operators
(``has:attachment``, ``before:``, ``after:``) become ordinary column filters. On
PostgreSQL a query with words is answered from the search rows alone, which carry
the date and attachment flag (:mod:`tradeinbox.store.pgsearch`).

The inbox list uses keyset pagination on ``(date, id)`` (the ``message_newest_first``
index) rather than OFFSET, so page 2,000 of a 100k-message store costs the same as
page 1 and no page ever runs ``COUNT(*)`` over the whole table.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.dateparse import parse_datetime

from tradeinbox.core.search_query import SearchQuery, SearchSyntaxError, parse_query
from tradeinbox.core.textindex import is_cjk
from tradeinbox.store import pgsearch
from tradeinbox.store.models import Message
from tradeinbox.store.search import highlight_snippet, matching_ids_sql

__all__ = [
    "SearchHit",
    "SearchPage",
    "SearchSyntaxError",
    "InboxPage",
    "highlight_terms",
    "inbox_page",
    "search_messages",
    "search_page",
    "search_slice",
    "searched_queryset",
]

# Columns a list row needs; the full body is only read where a snippet is cut from it.
LIST_FIELDS = (
    "id",
    "subject",
    "from_name",
    "from_email",
    "date",
    "snippet",
    "attachment_count",
    "thread_id",
    "thread__message_count",
    "is_seen",
    "has_html",
)


@dataclass(frozen=True)
class SearchHit:
    """One matching message and an HTML-escaped snippet with ``<mark>`` around the terms."""

    message: Message
    snippet_html: str


@dataclass(frozen=True)
class SearchPage:
    hits: list[SearchHit]
    has_next: bool
    query: SearchQuery


def highlight_terms(query: SearchQuery) -> list[str]:
    """Terms to mark in a snippet.

    CJK text is indexed as overlapping bigrams, so ``报价单`` is parsed into
    ``报价`` + ``价单``. Marking those one by one would break the word apart;
    a chain of bigrams is joined back into the word the user typed.
    """
    terms: list[str] = []
    for _, tokens in query.phrases:
        run: list[str] = []
        for token in tokens:
            if is_cjk(token) and len(token) == 2 and run and run[-1][-1] == token[0]:
                run.append(token)
                continue
            if run:
                terms.append(run[0] + "".join(t[1:] for t in run[1:]))
            run = [token]
        if run:
            terms.append(run[0] + "".join(t[1:] for t in run[1:]))
    return [t for t in dict.fromkeys(terms) if t]


class MailFilter(Protocol):
    """Narrows lists to one user's mail (``tradeinbox.users.mailscope.MailScope``)."""

    share: float

    def per_row(self, qs: QuerySet) -> QuerySet: ...

    def as_set(self, qs: QuerySet) -> QuerySet: ...

    def best(self, qs: QuerySet) -> QuerySet: ...

    def ids(self) -> list[int]: ...

    def row_sql(self, id_expression: str) -> tuple[str, list]: ...

    @property
    def dense(self) -> bool: ...


def searched_queryset(query: SearchQuery, base: QuerySet | None = None) -> QuerySet[Message]:
    """Messages matching every part of ``query``, newest first (not yet sliced).

    ``base`` narrows the search to one user's mail (``MailFilter.best``).
    """
    queryset = (Message.objects.all() if base is None else base).select_related("thread")
    found = matching_ids_sql(query)
    if found is not None:
        sql, params = found
        queryset = queryset.filter(id__in=RawSQL(sql, params))
    if query.has_attachment:
        queryset = queryset.filter(attachment_count__gt=0)
    if query.before is not None:
        queryset = queryset.filter(date__lt=query.before)
    if query.after is not None:
        # after:2026-03-01 includes the whole of March 1st, like Gmail's operator.
        queryset = queryset.filter(date__gte=query.after)
    return queryset.order_by("-date", "-id")


# Above this many full-text matches, walking the newest-first index and probing
# the match set beats sorting every match by date (SQLite only; PostgreSQL: see
# tradeinbox.store.pgsearch).
DENSE_MATCHES = 2000


def _dense_ids_sqlite(
    query: SearchQuery, match_sql: str, match_params: list, start: int, stop: int
):
    """Ids in date order for a common term, walking ``message_newest_first``.

    SQLite would otherwise look up every matching row and sort them all by date:
    half a second for a word found in 100k messages, against milliseconds here.
    """
    where = [f"m.id IN ({match_sql})"]
    params: list = list(match_params)
    adapt = connection.ops.adapt_datetimefield_value
    if query.has_attachment:
        where.append("m.attachment_count > 0")
    if query.before is not None:
        where.append("m.date < %s")
        params.append(adapt(query.before))
    if query.after is not None:
        where.append("m.date >= %s")
        params.append(adapt(query.after))
    sql = (
        f"SELECT m.id FROM {Message._meta.db_table} AS m INDEXED BY message_newest_first "
        f"WHERE {' AND '.join(where)} ORDER BY m.date DESC, m.id DESC LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, stop - start, start])
        return [row[0] for row in cursor.fetchall()]


def _is_dense(match_sql: str, match_params: list) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM ({match_sql} LIMIT {DENSE_MATCHES})", list(match_params)
        )
        return cursor.fetchone()[0] >= DENSE_MATCHES


def search_slice(
    query: SearchQuery, start: int, stop: int, scope: MailFilter | None = None
) -> list[Message]:
    """Matching messages ``[start:stop]`` in newest-first order.

    Ids are found first (narrow rows, the cheap plan for the match density), then
    the messages are loaded by primary key.
    """
    if stop <= start:
        return []
    found = matching_ids_sql(query)
    sqlite_dense = scope is None and found is not None and connection.vendor == "sqlite"
    if sqlite_dense and _is_dense(*found):
        ids = _dense_ids_sqlite(query, found[0], found[1], start, stop)
    elif found is not None and connection.vendor == "postgresql":
        # The search row carries the date: matches are found and ordered there
        # (tradeinbox.store.pgsearch), without reading store_message.
        ids = pgsearch.search_ids(query, start, stop, scope)
    else:
        base = scope.best(Message.objects.all()) if scope is not None else None
        ids = list(searched_queryset(query, base).values_list("id", flat=True)[start:stop])
    by_id = Message.objects.select_related("thread").in_bulk(ids)
    return [by_id[pk] for pk in ids if pk in by_id]


def _snippet_for(message: Message, terms: list[str]) -> str:
    text = message.body_text or message.snippet
    if terms:
        lowered = text.lower()
        if not any(term.lower() in lowered for term in terms):
            # The match was in the subject, sender or an attachment name: show
            # the start of the body, still escaped and marked where it can be.
            text = message.snippet or text
    return highlight_snippet(text, [t.lower() for t in terms])


def _hits(messages: list[Message], query: SearchQuery) -> list[SearchHit]:
    terms = highlight_terms(query)
    return [SearchHit(message=m, snippet_html=_snippet_for(m, terms)) for m in messages]


def search_messages(text: str, limit: int = 50, offset: int = 0) -> list[SearchHit]:
    """Messages matching the search box text ``text``, newest first.

    Raises :class:`SearchSyntaxError` (a ``ValueError``) for a malformed
    ``before:``/``after:`` date. An empty query matches nothing.
    """
    query = parse_query(text)
    if query.is_empty:
        return []
    limit = max(0, int(limit))
    offset = max(0, int(offset))
    return _hits(search_slice(query, offset, offset + limit), query)


def search_page(
    text: str, *, page: int = 1, page_size: int = 50, scope: MailFilter | None = None
) -> SearchPage:
    """One page of search results for the web list; ``has_next`` without counting all hits."""
    query = parse_query(text)
    if query.is_empty:
        return SearchPage(hits=[], has_next=False, query=query)
    page = max(1, int(page))
    start = (page - 1) * page_size
    messages = search_slice(query, start, start + page_size + 1, scope)
    return SearchPage(
        hits=_hits(messages[:page_size], query), has_next=len(messages) > page_size, query=query
    )


# -- the inbox list -------------------------------------------------------------------


@dataclass(frozen=True)
class InboxPage:
    messages: list[Message]
    next_cursor: str | None
    prev_cursor: str | None


def encode_cursor(message: Message, direction: str) -> str:
    """An opaque, URL-safe position in the newest-first list (``a`` after, ``b`` before)."""
    raw = f"{direction}|{message.date.isoformat()}|{message.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_CURSOR = re.compile(r"^(a|b)\|(.+)\|(\d{1,19})$")


def decode_cursor(cursor: str) -> tuple[str, datetime, int] | None:
    """The cursor's direction, date and id; None for anything malformed (start over)."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
    except (ValueError, UnicodeError):
        return None
    match = _CURSOR.match(raw)
    if not match:
        return None
    moment = parse_datetime(match.group(2))
    if moment is None or moment.tzinfo is None:
        return None
    return match.group(1), moment, int(match.group(3))


def inbox_page(
    cursor: str | None = None, page_size: int = 50, scope: MailFilter | None = None
) -> InboxPage:
    """One page of the newest-first list, starting after (or before) ``cursor``.

    ``WHERE (date, id) < (d, i) ORDER BY date DESC, id DESC LIMIT n`` walks the
    ``message_newest_first`` index from the cursor: constant cost per page.
    """
    base = Message.objects.all() if scope is None else scope.best(Message.objects.all())
    position = decode_cursor(cursor) if cursor else None
    newer_first = True
    if position is not None:
        direction, moment, pk = position
        if direction == "a":
            # date <= d bounds the index range; the OR only settles ties on date.
            base = base.filter(Q(date__lte=moment) & (Q(date__lt=moment) | Q(id__lt=pk)))
        else:
            base = base.filter(Q(date__gte=moment) & (Q(date__gt=moment) | Q(id__gt=pk)))
            newer_first = False
    ordered = base.order_by("-date", "-id") if newer_first else base.order_by("date", "id")
    if scope is None:
        rows = list(ordered.select_related("thread").only(*LIST_FIELDS)[: page_size + 1])
    else:
        # Ids first: the walk then reads the newest-first index only, not the rows it
        # skips; the page's rows are fetched by primary key afterwards.
        ids = list(ordered.values_list("id", flat=True)[: page_size + 1])
        found = Message.objects.select_related("thread").only(*LIST_FIELDS).in_bulk(ids)
        rows = [found[i] for i in ids if i in found]
    more = len(rows) > page_size
    rows = rows[:page_size]
    if newer_first:
        has_older, has_newer = more, position is not None
    else:
        rows = rows[::-1]
        has_older, has_newer = True, more
    next_cursor = encode_cursor(rows[-1], "a") if rows and has_older else None
    prev_cursor = encode_cursor(rows[0], "b") if rows and has_newer else None
    return InboxPage(messages=rows, next_cursor=next_cursor, prev_cursor=prev_cursor)
