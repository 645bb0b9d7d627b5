"""Template tags that show triage results on other apps' pages (inbox rows, message).

``{% triage_results messages_list as triage_map %}`` loads the results of a page of
messages with one query; ``triage_map|triage_of:message.pk`` picks one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django import template
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext_lazy as _

from tradeinbox.triage.models import GRADES, LABELS, NOT_INQUIRY, TriageResult
from tradeinbox.triage.queries import results_for

register = template.Library()

GRADE_NAMES = {
    "A": _("A: irrelevant or scam"),
    "B": _("B: browsing"),
    "C": _("C: targeted"),
    "D": _("D: key account"),
    NOT_INQUIRY: _("Not an inquiry"),
}
VERDICT_NAMES = {"phish": _("Phishing"), "spam": _("Spam"), "ham": _("Legitimate")}
# Evidence panel sections: (title, rule prefixes).
GROUPS = (
    (_("Threat"), ("threat.", "model.")),
    (_("Grade and inquiry"), ("grade.", "inquiry.")),
    (_("Authenticity"), ("auth",)),
    (_("Origin"), ("origin.",)),
    (_("Reply deadline"), ("deadline.",)),
)


@register.simple_tag
def triage_results(messages) -> dict[int, TriageResult]:
    return results_for(messages or [])


@register.filter
def triage_of(mapping, pk) -> TriageResult | None:
    return mapping.get(pk) if mapping else None


@register.filter
def grade_name(grade: str | None) -> str:
    return str(GRADE_NAMES.get(grade or NOT_INQUIRY, grade))


@register.filter
def verdict_name(label: str) -> str:
    return str(VERDICT_NAMES.get(label, label))


def deadline_state(row: TriageResult, now: datetime | None = None, depth: int = 1) -> dict:
    """``{"overdue": bool, "text": "2 hours"}`` for a waiting result, else {}."""
    if row is None or not row.waiting or row.message_id is None:
        return {}
    now = now or datetime.now(UTC)
    if row.due_at < now:
        return {"overdue": True, "text": timesince(row.due_at, now, depth=depth)}
    return {"overdue": False, "text": timeuntil(row.due_at, now, depth=depth)}


@register.inclusion_tag("triage/_badge.html")
def triage_badge(row: TriageResult | None) -> dict:
    return {"row": row if row is not None and not row.error else None}


@register.inclusion_tag("triage/_deadline.html")
def triage_deadline(row: TriageResult | None, depth: int = 1) -> dict:
    state = deadline_state(row, depth=depth) if row is not None else {}
    return {"row": row, "state": state}


@register.inclusion_tag("triage/_panel.html", takes_context=True)
def triage_panel(context, message) -> dict:
    """Threat banner, verdict, evidence and the "mark wrong" buttons of one message."""
    row = TriageResult.objects.filter(message_id=message.pk).first()
    if row is not None:
        row.message = message
    out = {
        "row": row,
        "message": message,
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
    if row is None or row.error:
        return out
    used: set[int] = set()
    groups = []
    for title, prefixes in GROUPS:
        items = [
            (i, e)
            for i, e in enumerate(row.evidence)
            if str(e.get("rule", "")).startswith(prefixes)
        ]
        used |= {i for i, _e in items}
        if items:
            groups.append({"title": title, "items": [e for _i, e in items]})
    rest = [e for i, e in enumerate(row.evidence) if i not in used]
    if rest:
        groups.append({"title": _("Other"), "items": rest})
    banner = [e for e in row.evidence if str(e.get("rule", "")).startswith(("threat.", "model."))]
    shown = row.shown_grade or NOT_INQUIRY
    out.update(
        {
            "groups": groups,
            "banner_evidence": banner[:8],
            "deadline": deadline_state(row, depth=2),
            "grade_choices": [(g, GRADE_NAMES[g]) for g in (*GRADES, NOT_INQUIRY) if g != shown],
            "verdict_choices": [(v, VERDICT_NAMES[v]) for v in LABELS if v != row.shown_label],
            "authenticity_pct": round(row.authenticity * 100),
            "threat_pct": round(row.threat * 100),
            "labels": list(row.labels.select_related("user")[:5]),
        }
    )
    return out
