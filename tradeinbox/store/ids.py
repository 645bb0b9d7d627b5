"""Primary keys handed out in blocks, so a batch can be written with executemany.

Inside the importer's write transaction (IMMEDIATE on SQLite, so no other writer
runs) the next ids are read from SQLite's AUTOINCREMENT counter; on PostgreSQL a
block is drawn from the column's sequence. Unused ids leave gaps, never clashes.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection


def id_block(cursor, table: str, count: int) -> Iterator[int]:
    if count <= 0:
        return iter(())
    if connection.vendor == "postgresql":
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return iter([row[0] for row in cursor.fetchall()])
    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
    row = cursor.fetchone()
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
    start = max(row[0] if row else 0, cursor.fetchone()[0]) + 1
    return iter(range(start, start + count))
