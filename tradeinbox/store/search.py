"""Full-text search over the store, on SQLite (FTS5) and PostgreSQL (tsvector + GIN).

Both index the same tokens (:func:`tradeinbox.core.textindex.index_text`), so a
query behaves the same on either database. Fields are FTS5 columns on SQLite and
tsvector weights on PostgreSQL (A subject, B sender, C recipients, D body and
attachment names).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection

from tradeinbox.core.search_query import SearchQuery
from tradeinbox.core.textindex import index_text

FTS_TABLE = "store_message_fts"
PG_TABLE = "store_message_search"

SQLITE_DDL = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "subject, sender, recipients, body, attachments, "
    "content='', tokenize='unicode61 remove_diacritics 2')"
]
PG_DDL = [
    # The table itself is the MessageSearch model; the GIN index is PostgreSQL-only.
    f"CREATE INDEX IF NOT EXISTS {PG_TABLE}_gin ON {PG_TABLE} USING gin(document)",
]
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


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def index_rows(cursor, rows: Sequence[IndexRow]) -> None:
    """Add rows to the index, inside the caller's transaction."""
    if not rows:
        return
    if is_postgres():
        cursor.executemany(
            f"INSERT INTO {PG_TABLE} (message_id, document) VALUES (%s, "
            "setweight(to_tsvector('simple', %s), 'A') || "
            "setweight(to_tsvector('simple', %s), 'B') || "
            "setweight(to_tsvector('simple', %s), 'C') || "
            "setweight(to_tsvector('simple', %s || ' ' || %s), 'D'))",
            [(row.message_pk, *row.columns()) for row in rows],
        )
    else:
        cursor.executemany(
            f"INSERT INTO {FTS_TABLE} (rowid, subject, sender, recipients, body, attachments) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [(row.message_pk, *row.columns()) for row in rows],
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


def tsquery_expression(query: SearchQuery) -> str:
    """The PostgreSQL to_tsquery text for the query's phrases.

    Tokens of a phrase are joined with ``<->`` (adjacent); the last is a prefix;
    a field becomes a weight label ("'john':*B").
    """
    parts = []
    for column, tokens in query.phrases:
        weight = _PG_WEIGHT.get(column or "", "")
        safe_tokens = [t for t in (re.sub(r"[^\w]", "", token) for token in tokens) if t]
        words = []
        for index, token in enumerate(safe_tokens):
            label = ("*" if index == len(safe_tokens) - 1 else "") + weight
            words.append(f"'{token}'" + (f":{label}" if label else ""))
        if words:
            parts.append("(" + " <-> ".join(words) + ")")
    return " & ".join(parts)


def matching_ids_sql(query: SearchQuery) -> tuple[str, list[object]] | None:
    """SQL selecting message ids that match the text part of ``query``; None if no text."""
    if not query.phrases:
        return None
    if is_postgres():
        return (
            f"SELECT message_id FROM {PG_TABLE} WHERE document @@ to_tsquery('simple', %s)",
            [tsquery_expression(query)],
        )
    return (f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [fts_expression(query)])


def per_row_match_sql(query: SearchQuery, id_expression: str) -> tuple[str, list[object]]:
    """PostgreSQL: "this message matches", checked for one message at a time.

    ``OFFSET 0`` keeps the planner from turning it into a hash of every matching id
    (built in full before the first row: the slow plan for a common word with
    ``ORDER BY date LIMIT n``); the caller walks the newest-first index instead.
    """
    return (
        f"EXISTS (SELECT 1 FROM {PG_TABLE} s WHERE s.message_id = {id_expression} "
        "AND s.document @@ to_tsquery('simple', %s) OFFSET 0)",
        [tsquery_expression(query)],
    )


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
