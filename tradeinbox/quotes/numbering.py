"""Gap-free document numbers per kind and year (Q-2026-0001, PI-2026-0001 ...).

:func:`allocate` must run inside the transaction that saves the numbered row: the counter
is raised with an ``UPDATE ... SET last = last + 1``, which takes the row lock
(PostgreSQL) or the database write lock (SQLite, whose transactions here are
``IMMEDIATE``) until that transaction ends. A second request waits, then counts on from
the committed value; a transaction that fails gives its number back by rolling back. So
numbers are unique and consecutive, with no gap, however many requests run at once.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F

from tradeinbox.core.documents import document_number
from tradeinbox.quotes.models import DocumentSequence


def allocate(kind: str, year: int) -> int:
    """The next number of ``kind`` in ``year``; call inside the saving transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate() must run inside the transaction that uses the number")
    rows = DocumentSequence.objects.filter(kind=kind, year=year)
    if not rows.update(last=F("last") + 1):
        try:
            with transaction.atomic():  # a savepoint: the first number of the year
                DocumentSequence.objects.create(kind=kind, year=year, last=1)
                return 1
        except IntegrityError:  # another request created it first: count on from its row
            rows.update(last=F("last") + 1)
    return rows.values_list("last", flat=True).get()


def next_number(kind: str, pattern: str, date: dt.date) -> tuple[str, int]:
    """``(number text, sequence)`` for a document of ``kind`` dated ``date``."""
    seq = allocate(kind, date.year)
    return document_number(pattern, seq, date), seq
