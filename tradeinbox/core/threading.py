"""Conversation threading keys (after Jamie Zawinski's algorithm, jwz.org/doc/threading.html).

A message joins the thread of any message it references (In-Reply-To,
References) or that references it; threads that one message links are merged.
For clients that drop those headers we fall back to the normalised subject,
but only for replies ("Re:"), only between the same people and only within a
time window, so two different "Quotation" mails never collapse into one thread.
"""

from __future__ import annotations

import re

from tradeinbox.core.message import ParsedMessage

# Reply/forward prefixes in the languages our users meet, incl. "Re[2]:", "回复：".
_PREFIX = re.compile(
    r"^\s*(?:\[[^\]]{0,40}\]\s*)?"
    r"(?:re|fw|fwd|aw|wg|sv|vs|rv|enc|tr|odp|ynt|antw|r|res|回复|回覆|答复|转发|轉寄|転送)"
    r"\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")


def normalise_subject(subject: str) -> tuple[str, bool]:
    """Subject without reply/forward prefixes, lower-cased; and whether any were found."""
    text = subject or ""
    had_prefix = False
    while True:
        stripped = _PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        had_prefix = True
        text = stripped
    return _SPACES.sub(" ", text).strip().lower()[:255], had_prefix


def linked_ids(message: ParsedMessage) -> list[str]:
    """Message-IDs this message points at, nearest parent first, without duplicates."""
    ordered: list[str] = []
    if message.in_reply_to:
        ordered.append(message.in_reply_to)
    ordered.extend(reversed(message.references))
    seen: set[str] = set()
    result = []
    for mid in ordered:
        mid = mid[:255]
        if mid and mid not in seen and mid != message.message_id:
            seen.add(mid)
            result.append(mid)
    return result


def participants(message: ParsedMessage) -> frozenset[str]:
    return frozenset(a.email for a in (*message.from_, *message.to, *message.cc))
