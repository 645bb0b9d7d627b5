"""Send-time rule: ``sendtime.off_hours`` (warning) when the mail would arrive in the
recipient's night, weekend or public holiday; the fix names the next good moment.

Only recipients whose location is known (``LintContext.recipient_facts``, or a country
domain such as ``.de``) are checked; the draft's ``send_at`` is when it will go out.
"""

from __future__ import annotations

from collections.abc import Iterator

from tradeinbox.core.i18n import tr
from tradeinbox.core.writing.lint import Draft, DraftText, Finding, LintContext
from tradeinbox.core.writing.sendtime import (
    RecipientFacts,
    off_hours,
    suggest_send_time,
    weekday_name,
)


def check(draft: Draft, text: DraftText, ctx: LintContext) -> Iterator[Finding]:
    if draft.send_at is None:
        return
    for address in draft.to[:1]:  # the main recipient decides when it is read
        email = address.email.lower()
        facts = ctx.recipient_facts.get(email) or RecipientFacts(email=email)
        reasons = off_hours(draft.send_at, facts)
        if not reasons:
            continue
        better = suggest_send_time(facts, draft.send_at)
        yield Finding(
            "sendtime.off_hours",
            "warning",
            None,
            None,
            tr(
                "Sent now, the mail arrives when %(email)s is off: %(reasons)s.",
                email=email,
                reasons="; ".join(reasons),
            ),
            tr(
                "Schedule it for %(weekday)s %(when)s (%(utc)s UTC).",
                weekday=weekday_name(better.local_time, short=True),
                when=f"{better.local_time:%Y-%m-%d %H:%M} {better.tz}",
                utc=f"{better.send_at_utc:%Y-%m-%d %H:%M}",
            ),
            where="send_time",
        )
