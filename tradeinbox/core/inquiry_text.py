"""Reading a message for inquiry detection and grading.

:mod:`tradeinbox.core.inquiry` and :mod:`tradeinbox.core.inquiry_grading` look at the
same text - the subject and the newly written text, quoted history cut off - and share
the compiled scam rules and a few helpers, kept here so that grading does not have to
import the detection module (which re-exports grading).
"""

from __future__ import annotations

import re

from tradeinbox.core.addresses import registrable_domain
from tradeinbox.core.fastmatch import Anchored, Prepared
from tradeinbox.core.inquiry_lexicon import SCAM, compile_lexicon
from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.references import reply_parts

__all__ = [
    "TEXT_LIMIT",
    "SCAM_RULES",
    "anchored_rules",
    "message_texts",
    "first_match",
    "email_domain",
]

#: Characters of subject + new text that rules and language detection look at: inquiries
#: say what they want early; long tails are signatures, disclaimers and quoted history.
TEXT_LIMIT = 6000


def anchored_rules(lex: dict[str, tuple[float, list[str]]]) -> list[tuple[str, float, Anchored]]:
    # Anchored: the same regexes, tried only where one of their words occurs (fastmatch).
    return [(name, weight, Anchored(rx)) for name, weight, rx in compile_lexicon(lex)]


SCAM_RULES = anchored_rules(SCAM)

# A quoted header block ("From: ... Subject: ...") or separator in the body: the message
# carries history even when the reply parser found no "On ... wrote:" line.
_EMBEDDED_HEADERS = re.compile(
    r"^[ \t>]*(?:-{3,}\s*Original Message\s*-{3,}|-{3,}\s*Forwarded by|"
    r"(?:From|De|Von|发件人|От|Van|Da)\s*:[^\n]*\n(?:[^\n]*\n){0,5}?[ \t>]*"
    r"(?:Subject|Asunto|Assunto|Betreff|Objet|主题|Тема|Onderwerp|Oggetto)\s*:|"
    # Lotus Notes history: "To: ...", optional "cc:", then "Subject:".
    r"To\s*:[^\n]*\n(?:[ \t>]*cc\s*:[^\n]*\n)?[ \t>]*Subject\s*:)",
    re.IGNORECASE | re.MULTILINE,
)


def message_texts(msg: ParsedMessage) -> tuple[str, str, bool]:
    """``(subject, new_text, has_quote)``; quoted history is cut off by split_reply."""
    body = msg.text or ""
    parts = reply_parts(body)
    new_text = parts.new_text if parts.new_text.strip() else body
    has_quote = parts.has_quote or bool(_EMBEDDED_HEADERS.search(body))
    return msg.subject or "", new_text[:TEXT_LIMIT], has_quote


def first_match(pattern: re.Pattern[str] | Anchored, text: str | Prepared) -> str | None:
    if isinstance(text, Prepared) and not isinstance(pattern, Anchored):
        text = text.text
    m = pattern.search(text)
    return m.group(0).strip()[:60] if m else None


def email_domain(email: str | None) -> str:
    if not email or "@" not in email:
        return ""
    return registrable_domain(email.rpartition("@")[2])
