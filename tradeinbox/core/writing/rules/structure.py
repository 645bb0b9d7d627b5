"""Structure: salutation, signature, a call to action in the closing, paragraph length.

* ``structure.no_salutation``: a first mail without "Dear ..." reads as a mass mailing
  (warning); in a running thread it is only a hint (info).
* ``structure.no_signature`` (warning): without a sign-off and signature the buyer cannot
  see who writes and how to call back.
* ``structure.no_call_to_action`` (info): the last lines should ask for something (a
  question, "please confirm ...") so the buyer knows what to answer. Short notes are exempt.
* ``structure.long_paragraph`` (info): paragraphs over ~120 words (about 240 characters of
  Chinese) are skimmed, often on a phone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tradeinbox.core.i18n import tr
from tradeinbox.core.writing.lint import Draft, DraftText, Finding, LintContext
from tradeinbox.core.writing.salutation import find_salutation

MAX_WORDS = 120
MAX_CJK_CHARS = 240
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_CJK = re.compile(r"[\u3400-\u9fff\u3040-\u30ff\uac00-\ud7af]")
_CTA = re.compile(
    r"\?|？|"
    r"\b(?:please|pls|kindly)\s+(?:\w+\s+){0,2}(?:let\s+me\s+know|confirm|advise|reply|respond|"
    r"call|send|review|check|sign|return|approve|give|tell|contact|share|forward|provide|feel|"
    r"see|note|find|schedule|arrange|update|get\s+back|come|join|attend|submit)\b|"
    r"\blet\s+(?:me|us)\s+know\b|\b(?:call|ring|contact|email|text)\s+me\b|\bget\s+back\s+to\s+me\b|"
    r"\blooking\s+forward\s+to\s+(?:your|hearing|receiving|seeing|meeting)\b|\bawait(?:ing)?\s+your\b|"
    r"\b(?:i|we)(?:'d|\s+would)\s+(?:like|appreciate|love)\b|\bi\s+need\b|\bneed\s+(?:your|you\s+to)\b|"
    r"\b(?:por\s+favor|le\s+ruego|quedo\s+(?:a\s+la\s+espera|atento)|espero\s+(?:su|tu)|confírm\w+|avís\w+)\b|"
    r"\b(?:bitte|merci\s+de|veuillez|n'hésitez)\b|"
    r"请|盼复|期待|烦请|麻烦|恭候|敬请|回复",
    re.IGNORECASE,
)
_SHORT_NOTE_WORDS = 40


def _word_count(text: str) -> int:
    return len(_WORD.findall(_CJK.sub(" ", text))) + len(_CJK.findall(text)) // 2


def check(draft: Draft, text: DraftText, ctx: LintContext) -> Iterator[Finding]:
    own = text.own_text
    if not own.strip():
        return
    # A forwarding note ("FYI", "see below") above a forwarded or quoted message needs no
    # salutation, signature or question of its own.
    if text.own[1] < len(text.body.rstrip()) and _word_count(own) <= 5:
        return
    is_reply = bool(draft.in_reply_to) or (draft.subject or "").lower().startswith(
        ("re:", "aw:", "sv:", "回复", "答复", "rv:", "r:")
    )
    if find_salutation(own) is None:
        yield Finding(
            "structure.no_salutation",
            "info" if is_reply else "warning",
            text.own[0],
            text.own[0],
            tr("The mail does not open with a salutation."),
            tr("Start with 'Dear Ms. <last name>,' or 'Dear <first name>,'."),
        )
    if text.signature is None:
        end = text.own[1]
        yield Finding(
            "structure.no_signature",
            "warning",
            end,
            end,
            tr("The mail has no sign-off or signature."),
            tr(
                "End with 'Best regards,' and a signature: name, title, company,"
                " phone with country code."
            ),
        )

    content = text.content_text
    words = _word_count(content)
    if words >= _SHORT_NOTE_WORDS:
        # The closing: the last two non-empty paragraphs (or last 3 lines) before the sign-off.
        paragraphs = [p for p in re.split(r"\n\s*\n", content.strip()) if p.strip()]
        closing = "\n".join(paragraphs[-2:])
        lines = closing.strip().splitlines()
        closing = "\n".join(lines[-4:])
        if not _CTA.search(closing):
            start, end = text.content_span
            tail_start = text.body.rfind(closing.strip(), start, end)
            if tail_start < 0:
                tail_start = start
            yield Finding(
                "structure.no_call_to_action",
                "info",
                tail_start,
                tail_start + len(closing.strip()),
                tr("The closing asks for nothing; the buyer may not know what to reply."),
                tr("End with one clear question, e.g. 'Could you confirm the quantity by Friday?'"),
            )

    start, _ = text.content_span
    for match in re.finditer(r"(?:[^\n]+\n?)+", content):
        paragraph = match.group(0)
        count_words = len(_WORD.findall(_CJK.sub(" ", paragraph)))
        count_cjk = len(_CJK.findall(paragraph))
        if (
            count_words > MAX_WORDS
            or count_cjk > MAX_CJK_CHARS
            or (count_words + count_cjk // 2 > MAX_WORDS)
        ):
            # A block of short lines (a list, a table, a wrapped address block) is not one
            # paragraph for a reader; only prose is flagged.
            lines = [line for line in paragraph.splitlines() if line.strip()]
            if len(lines) > 3 and sum(len(line) < 45 for line in lines) > len(lines) / 2:
                continue
            yield Finding(
                "structure.long_paragraph",
                "info",
                start + match.start(),
                start + match.start() + len(paragraph.rstrip()),
                tr(
                    "This paragraph has about %(count)d words.",
                    count=count_words + count_cjk // 2,
                ),
                tr("Split it into short paragraphs or a bulleted list."),
            )
