"""Subject rules: empty or vague subjects, and a stale subject after unanswered follow-ups.

* ``subject.empty`` (warning) and ``subject.vague`` (warning for a new mail, info in a
  reply, where the buyer chose the subject): see :mod:`tradeinbox.core.writing.subject`.
* ``subject.stale`` (info): from the second unanswered follow-up on, suggest a fresh subject.
"""

from __future__ import annotations

from collections.abc import Iterator

from tradeinbox.core.i18n import tr
from tradeinbox.core.writing.lint import Draft, DraftText, Finding, LintContext
from tradeinbox.core.writing.subject import check_subject, strip_prefixes, suggest_fresh_subject


def check(draft: Draft, text: DraftText, ctx: LintContext) -> Iterator[Finding]:
    subject = draft.subject or ""
    is_reply = bool(draft.in_reply_to) or strip_prefixes(subject) != subject.strip()
    result = check_subject(subject)
    if result.problem == "empty":
        yield Finding(
            "subject.empty",
            "warning",
            None,
            None,
            tr("The subject is empty; many buyers' filters treat such mail as spam."),
            tr("Write '<topic> - <your company> - <their reference>'."),
            where="subject",
        )
    elif result.problem == "vague":
        yield Finding(
            "subject.vague",
            "info" if is_reply else "warning",
            None,
            None,
            result.message,
            tr(
                "Write '<topic> - <your company> - <their reference>', e.g. "
                "'Quotation for LED panels - Sunrise Lighting - RFQ# 4471'."
            ),
            where="subject",
        )
    fresh = suggest_fresh_subject(
        subject,
        ctx.unanswered_followups,
        language=text.language if text.language in ("zh", "es") else "en",
    )
    if fresh:
        yield Finding(
            "subject.stale",
            "info",
            None,
            None,
            tr(
                "%(count)d follow-ups under this subject are unanswered.",
                count=ctx.unanswered_followups,
            ),
            tr("Try a fresh subject: %(subject)r", subject=fresh),
            where="subject",
        )
