"""Inquiry grades and threat verdicts of stored messages, for deals and reply clocks.

The triage app stores one verdict per message, with the user's corrections; when it is
installed and has analysed a message, its *shown* grade and label are used (a "mark wrong"
click there changes the deadline here on the next ``deals.tick``). Otherwise the same
engine, :func:`tradeinbox.core.triage.triage_message`, runs here on the parsed message, so
the grade is the one ``tradeinbox analyze`` prints either way.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps

from tradeinbox.core.message import ParsedMessage
from tradeinbox.core.triage import TriageOptions, triage_message

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Verdict:
    """``grade``: A-D for an inquiry, None otherwise; ``threat``: ham / spam / phish."""

    grade: str | None
    is_inquiry: bool
    threat: str = "ham"
    source: str = "core"
    evidence: list[dict] = field(default_factory=list)

    @property
    def is_threat(self) -> bool:
        return self.threat != "ham"


def stored_verdicts(message_ids: Iterable[int]) -> dict[int, Verdict]:
    """Verdicts the triage app stored (corrections included), by message pk."""
    ids = [int(i) for i in message_ids]
    if not ids or not apps.is_installed("tradeinbox.triage"):
        return {}
    from tradeinbox.triage.queries import results_for

    out: dict[int, Verdict] = {}
    for pk, row in results_for(ids).items():
        if row.error:
            continue  # the triage app could not read it; compute here instead
        inquiry = bool(row.shown_inquiry)
        out[pk] = Verdict(
            grade=row.shown_grade if inquiry else None,
            is_inquiry=inquiry,
            threat=row.shown_label or "ham",
            source="triage",
        )
    return out


def computed_verdict(
    parsed: ParsedMessage, raw: bytes | None, own_domains: Iterable[str] = ()
) -> Verdict:
    """Run the triage engine on one message (offline: no DNS)."""
    try:
        result = triage_message(parsed, raw, TriageOptions(own_domains=frozenset(own_domains)))
    except Exception as exc:  # noqa: BLE001 - a bug there must not stop deal linking
        log.warning("triage of %s failed: %s", parsed.message_id, exc)
        return Verdict(
            None,
            False,
            "ham",
            "error",
            [{"rule": "grade.error", "weight": 0.0, "detail": str(exc)[:200]}],
        )
    grade_ev = [e.as_dict() for e in result.evidence if e.rule.startswith("grade.")]
    return Verdict(
        grade=result.grade,
        is_inquiry=bool(result.inquiry),
        threat=result.threat.label,
        source="core",
        evidence=grade_ev[:20],
    )
