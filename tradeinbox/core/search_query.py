"""The search box language, parsed into a plain structure the stores translate.

Supported (Gmail-like): free words, "quoted phrases", ``from:``, ``to:``,
``subject:``, ``has:attachment``, ``before:YYYY-MM-DD``, ``after:YYYY-MM-DD``.
Unknown operators are searched as words, so nothing the user typed is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from tradeinbox.core.textindex import query_tokens

_TOKEN = re.compile(r'(?:(\w+):)?("([^"]*)"?|\S+)')
_FIELDS = {"from": "sender", "to": "recipients", "subject": "subject", "cc": "recipients"}


class SearchSyntaxError(ValueError):
    """A date operator with a value that is not a date."""


@dataclass
class SearchQuery:
    """``phrases`` are (field or None, tokens) pairs; every phrase must match."""

    phrases: list[tuple[str | None, list[str]]] = field(default_factory=list)
    has_attachment: bool = False
    before: datetime | None = None
    after: datetime | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.phrases or self.has_attachment or self.before or self.after)

    @property
    def highlight_terms(self) -> list[str]:
        return [token for _, tokens in self.phrases for token in tokens]


def _parse_day(value: str, operator: str) -> datetime:
    try:
        day = date.fromisoformat(value.replace("/", "-"))
    except ValueError as exc:
        raise SearchSyntaxError(f"{operator}: needs a date like 2026-03-31, not {value!r}") from exc
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def parse_query(text: str) -> SearchQuery:
    query = SearchQuery()
    for match in _TOKEN.finditer(text or ""):
        operator = (match.group(1) or "").lower()
        quoted = match.group(3)
        value = quoted if quoted is not None else match.group(2)
        if operator == "has" and value.lower() in {"attachment", "attachments", "file"}:
            query.has_attachment = True
            continue
        if operator in {"before", "after"}:
            moment = _parse_day(value, operator)
            setattr(query, operator, moment)
            continue
        column = _FIELDS.get(operator)
        if operator and column is None:
            value = match.group(0)  # not an operator we know: search the text as typed
        tokens = query_tokens(value)
        if tokens:
            query.phrases.append((column, tokens))
    return query
