"""What a bounce, a refusal or a complaint means for future bulk mail.

:mod:`tradeinbox.core.bounces` reads the report; this module turns it into actions:

* hard bounce (user unknown, domain gone, moved) -> suppress the address everywhere and
  mark it *former* in the customer records;
* soft bounce (mailbox full, greylisted, network) -> keep the address, note when to try
  again; after :data:`SOFT_BOUNCE_LIMIT` soft bounces in :data:`SOFT_BOUNCE_WINDOW` the
  mailbox is treated as dead and suppressed;
* complaint (RFC 5965 ARF "abuse", JMRP) -> suppress the address everywhere: the person
  pressed "this is spam", and mailing them again burns the sending domain.

Also SMTP-time refusals (the server said 5xx/4xx to the outbox, no bounce mail exists)
are classified the same way through :func:`tradeinbox.core.bounce_reasons.classify_failure`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from tradeinbox.core.bounce_reasons import classify_failure, find_smtp_code, find_status
from tradeinbox.core.bounces import BounceReport
from tradeinbox.core.evidence import Evidence

HARD, SOFT, COMPLAINT = "hard_bounce", "soft_bounce", "complaint"
SOFT_BOUNCE_LIMIT = 3
SOFT_BOUNCE_WINDOW = timedelta(days=30)
#: First retry after a soft bounce; doubles per further soft bounce, at most a week.
SOFT_RETRY_BASE = timedelta(hours=4)


@dataclass(frozen=True, slots=True)
class FeedbackAction:
    """What to do about one address."""

    address: str
    kind: str  # HARD | SOFT | COMPLAINT
    suppress: bool
    reason: str  # bounce reason ("user_unknown", "mailbox_full" ...) or feedback type
    diagnostic: str = ""
    evidence: list[Evidence] = field(default_factory=list)


def actions_from_report(report: BounceReport) -> list[FeedbackAction]:
    """Actions for every failed or complaining recipient of a bounce/complaint report."""
    out: list[FeedbackAction] = []
    if report.kind == "complaint":
        for r in report.recipients:
            detail = f"{r.address} reported the message as {report.feedback_type or 'abuse'}"
            out.append(
                FeedbackAction(
                    r.address.lower(),
                    COMPLAINT,
                    True,
                    report.feedback_type or "abuse",
                    r.diagnostic,
                    [*report.evidence[:2], Evidence("feedback.complaint", 1.0, detail)],
                )
            )
        return out
    if report.kind not in ("dsn", "bounce"):
        return out
    for r in report.recipients:
        if r.hard:
            ev = Evidence("feedback.hard", 1.0, f"hard bounce ({r.reason}): suppress {r.address}")
        else:
            ev = Evidence(
                "feedback.soft", 0.2, f"soft bounce ({r.reason}): retry {r.address} later"
            )
        out.append(
            FeedbackAction(
                r.address.lower(),
                HARD if r.hard else SOFT,
                r.hard,
                r.reason,
                (r.diagnostic or report.diagnostic)[:500],
                [*r.evidence[:3], ev],
            )
        )
    return out


def action_from_refusal(address: str, words: str) -> FeedbackAction:
    """Classify the server's own words when it refused a message at SMTP time."""
    status = find_status(words)
    code = find_smtp_code(words)
    verdict = classify_failure(status=status, smtp_code=code, action="failed", diagnostic=words)
    temporary = (code or "").startswith("4") or (status or "").startswith("4")
    hard = verdict.hard and not temporary
    ev = Evidence(
        "feedback.refused",
        1.0 if hard else 0.2,
        f"the sending server refused {address} ({code or '-'} {status or '-'}): {verdict.reason}",
    )
    return FeedbackAction(
        address.lower(), HARD if hard else SOFT, hard, verdict.reason, words[:500],
        [*verdict.evidence, ev],
    )  # fmt: skip


def soft_retry_after(now: datetime, recent_soft_bounces: int) -> datetime:
    """When to try an address again after its ``recent_soft_bounces``-th soft bounce."""
    factor = 2 ** max(0, recent_soft_bounces - 1)
    return now + min(SOFT_RETRY_BASE * factor, timedelta(days=7))


def soft_bounces_exhausted(recent_soft_bounces: int) -> Evidence | None:
    """Evidence for suppressing after repeated soft bounces, or None while still retrying."""
    if recent_soft_bounces < SOFT_BOUNCE_LIMIT:
        return None
    return Evidence(
        "feedback.soft_repeated",
        1.0,
        f"{recent_soft_bounces} soft bounces within {SOFT_BOUNCE_WINDOW.days} days: "
        "the mailbox is treated as dead",
    )
