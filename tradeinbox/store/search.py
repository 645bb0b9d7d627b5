"""Full-text search over the store, on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

Both index the same tokens (:func:`tradeinbox.core.textindex.index_text`), so a
query behaves the same on either database. Fields are FTS5 columns on SQLite and
tsvector weights on PostgreSQL (A subject, B sender, C recipients, D body and
attachment names). PostgreSQL's row also carries the message's date and the sender
as a tsvector of its own (see ``store.MessageSearch``): ``from:`` is matched there,
and the search plans of :mod:`tradeinbox.store.pgsearch` order by that date.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection

from tradeinbox.core.search_query import SearchQuery
from tradeinbox.core.textindex import index_text, query_tokens

FTS_TABLE = "store_message_fts"
PG_TABLE = "store_message_search"

# FTS5 writes each transaction's terms as a new segment and merges a level's segments
# once ``automerge`` of them are there (default 4). Eight halves the merging an import
# does (a fifth less index CPU, the same index size) for a few more segments per query.
FTS_AUTOMERGE = 8
SQLITE_DDL = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "subject, sender, recipients, body, attachments, "
    "content='', tokenize='unicode61 remove_diacritics 2')",
    f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES ('automerge', {FTS_AUTOMERGE})",
]
PG_DDL = [
    # The table itself is the MessageSearch model; the GIN index is PostgreSQL-only.
    # (Migration 0003 runs this list: later indexes go in their own migration.)
    f"CREATE INDEX IF NOT EXISTS {PG_TABLE}_gin ON {PG_TABLE} USING gin(document)",
]
PG_SENDER_GIN = f"{PG_TABLE}_sender_gin"
_PG_WEIGHT = {"subject": "A", "sender": "B", "recipients": "C"}


@dataclass(frozen=True)
class IndexRow:
    """The searchable text of one message."""

    message_pk: int
    subject: str
    sender: str
    recipients: str
    body: str
    attachments: str

    def columns(self) -> tuple[str, str, str, str, str]:
        return (
            index_text(self.subject),
            index_text(self.sender),
            index_text(self.recipients),
            index_text(self.body),
            index_text(self.attachments),
        )


def sender_words(sender: str) -> str:
    """The sender split into words as FTS5's tokenizer splits it, for PostgreSQL.

    PostgreSQL's parser keeps ``john.smith@buyer.com`` as one word, so ``from:buyer.com``
    or ``from:john.smith@buyer.com`` (the phrase ``buyer com``, ``john smith buyer com``)
    would never match; split first, it matches as it does on SQLite.
    """
    return " ".join(query_tokens(sender))


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def index_rows(cursor, rows: Sequence[tuple[int, tuple[str, ...]]]) -> None:
    """Add ``(message pk, IndexRow.columns())`` pairs to the index, inside the caller's
    transaction (the importer computes the columns where it parses)."""
    if not rows:
        return
    if is_postgres():
        # The date and attachment count are the stored message's (its row is written
        # first, in the same transaction); the sender words come from the indexed
        # sender column (index_text is idempotent).
        cursor.executemany(
            f"INSERT INTO {PG_TABLE} (message_id, date, has_attachment, document, "
            "sender_document) SELECT m.id, m.date, m.attachment_count > 0, "
            "setweight(to_tsvector('simple', %s), 'A') || "
            "setweight(to_tsvector('simple', %s), 'B') || "
            "setweight(to_tsvector('simple', %s), 'C') || "
            "setweight(to_tsvector('simple', %s || ' ' || %s), 'D'), "
            "to_tsvector('simple', %s) FROM store_message m WHERE m.id = %s",
            [(*columns, sender_words(columns[1]), pk) for pk, columns in rows],
        )
    else:
        cursor.executemany(
            f"INSERT INTO {FTS_TABLE} (rowid, subject, sender, recipients, body, attachments) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [(pk, *columns) for pk, columns in rows],
        )


def unindex_rows(cursor, rows: Iterable[IndexRow]) -> None:
    """Remove rows; FTS5 contentless tables need the same values that were indexed."""
    rows = list(rows)
    if is_postgres():
        cursor.executemany(
            f"DELETE FROM {PG_TABLE} WHERE message_id = %s", [(r.message_pk,) for r in rows]
        )
        return
    cursor.executemany(
        f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, subject, sender, recipients, body, "
        "attachments) VALUES ('delete', %s, %s, %s, %s, %s, %s)",
        [(row.message_pk, *row.columns()) for row in rows],
    )


def _fts5_phrase(tokens: list[str], prefix: bool) -> str:
    body = " ".join(tokens).replace('"', '""')
    return f'"{body}"' + ("*" if prefix else "")


def fts_expression(query: SearchQuery) -> str:
    """The FTS5 MATCH expression for the query's phrases (all must match).

    The last token of a free-text phrase is a prefix ("quot" finds "quotation");
    field phrases too, so ``from:john`` finds ``john.smith``.
    """
    parts = []
    for column, tokens in query.phrases:
        phrase = _fts5_phrase(tokens, prefix=True)
        parts.append(f"{{{column}}} : {phrase}" if column else phrase)
    return " AND ".join(parts)


def _tsquery_phrase(tokens: list[str], weight: str = "") -> str:
    """One phrase for to_tsquery: tokens adjacent (``<->``), the last a prefix."""
    safe_tokens = [t for t in (re.sub(r"[^\w]", "", token) for token in tokens) if t]
    words = []
    for index, token in enumerate(safe_tokens):
        label = ("*" if index == len(safe_tokens) - 1 else "") + weight
        words.append(f"'{token}'" + (f":{label}" if label else ""))
    return "(" + " <-> ".join(words) + ")" if words else ""


def tsquery_expression(query: SearchQuery) -> str:
    """The PostgreSQL to_tsquery text for the query's phrases outside ``from:``.

    Tokens of a phrase are joined with ``<->`` (adjacent); the last is a prefix;
    ``subject:`` and ``to:`` become a weight label ("'offer':*A"). ``from:`` phrases
    are matched on ``sender_document`` instead (:func:`sender_tsquery_expression`).
    """
    parts = [
        _tsquery_phrase(tokens, _PG_WEIGHT.get(column or "", ""))
        for column, tokens in query.phrases
        if column != "sender"
    ]
    return " & ".join(p for p in parts if p)


def sender_tsquery_expression(query: SearchQuery) -> str:
    """The to_tsquery text for the ``from:`` phrases, matched on ``sender_document``."""
    parts = [_tsquery_phrase(tokens) for column, tokens in query.phrases if column == "sender"]
    return " & ".join(p for p in parts if p)


def pg_document_match(query: SearchQuery, alias: str) -> tuple[str, list[object]] | None:
    """PostgreSQL: "row ``alias`` of the search table has the words" (all but ``from:``)."""
    expression = tsquery_expression(query)
    if not expression:
        return None
    return f"{alias}.document @@ to_tsquery('simple', %s)", [expression]


def pg_sender_match(query: SearchQuery, alias: str) -> tuple[str, list[object]] | None:
    """PostgreSQL: "row ``alias`` has the ``from:`` phrases in its sender"."""
    expression = sender_tsquery_expression(query)
    if not expression:
        return None
    return f"{alias}.sender_document @@ to_tsquery('simple', %s)", [expression]


def pg_match_sql(query: SearchQuery, alias: str) -> tuple[str, list[object]] | None:
    """Both of the above; None if the query has no words (or only punctuation)."""
    parts = [
        part for part in (pg_document_match(query, alias), pg_sender_match(query, alias)) if part
    ]
    if not parts:
        return None
    return " AND ".join(sql for sql, _ in parts), [p for _, params in parts for p in params]


def matching_ids_sql(query: SearchQuery) -> tuple[str, list[object]] | None:
    """SQL selecting message ids that match the text part of ``query``; None if no text."""
    if not query.phrases:
        return None
    if is_postgres():
        match = pg_match_sql(query, "s")
        if match is None:
            return (f"SELECT message_id FROM {PG_TABLE} WHERE false", [])
        return (f"SELECT s.message_id FROM {PG_TABLE} s WHERE {match[0]}", match[1])
    return (f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [fts_expression(query)])


def pg_message_total() -> int:
    """About how many messages are stored: PostgreSQL's statistics (no count)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = 'store_message'::regclass"
        )
        row = cursor.fetchone()
    if row and row[0] and row[0] > 0:
        return int(row[0])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM store_message")
        return int(cursor.fetchone()[0])


def highlight_snippet(text: str, terms: Sequence[str], width: int = 160) -> str:
    """HTML-escaped snippet around the first match with ``<mark>`` around each term."""
    flat = " ".join((text or "").split())
    if not flat:
        return ""
    lowered = flat.lower()
    first = min((lowered.find(t) for t in terms if t and t in lowered), default=-1)
    start = max(0, first - width // 3) if first >= 0 else 0
    window = flat[start : start + width]
    escaped = html.escape(window)
    for term in sorted({t for t in terms if t}, key=len, reverse=True):
        escaped = re.sub(
            re.escape(html.escape(term)),
            lambda m: f"<mark>{m.group(0)}</mark>",
            escaped,
            flags=re.I,
        )
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(flat) else ""
    return prefix + escaped + suffix
