"""Read-only questions other apps and the pages ask about triage results.

Other apps (the deals "Due" list) use :func:`deadline_for` / :func:`deadlines_for`, which
return :class:`tradeinbox.core.deals.deadlines.Deadline` objects built from the stored
results, with the grade the user sees (corrections included).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Case, CharField, F, Q, QuerySet, When

from tradeinbox.core.deals.deadlines import Deadline
from tradeinbox.core.evidence import Evidence
from tradeinbox.store.models import Message
from tradeinbox.triage.models import GRADES, TriageResult


def results_for(messages: Iterable[Message | int]) -> dict[int, TriageResult]:
    """Results of many messages with one query (messages without one are left out)."""
    messages = list(messages)
    ids = [m if isinstance(m, int) else m.pk for m in messages]
    if not ids:
        return {}
    rows = {r.pk: r for r in TriageResult.objects.filter(message_id__in=ids).defer("references")}
    for message in messages:
        if not isinstance(message, int) and message.pk in rows:
            rows[message.pk].message = message  # the page's object: no query per row
    return rows


def _as_deadline(row: TriageResult, message: Message) -> Deadline | None:
    if row.due_at is None:
        return None
    return Deadline(
        message_id=message.message_id or f"pk:{message.pk}",
        received_at=message.date,
        due_at=row.due_at,
        hours=float(row.deadline_hours or 0.0),
        grade=row.shown_grade if row.shown_inquiry else None,
        answered_at=row.answered_at,
        subject=message.subject,
        evidence=[
            Evidence(str(e["rule"]), float(e["weight"]), str(e["detail"]))
            for e in row.evidence
            if str(e.get("rule", "")).startswith("deadline.")
        ],
    )


def deadline_for(message: Message) -> Deadline | None:
    """The reply deadline of one stored message, or None (ours, a threat, list mail, not
    analysed yet ...). ``answered_at`` is the time of our first later message in the
    thread; a message only flagged answered by a mail client (``message.is_answered``)
    keeps ``answered_at=None`` because the time of that answer is unknown."""
    row = TriageResult.objects.filter(message_id=message.pk).first()
    if row is None:
        return None
    row.message = message
    return _as_deadline(row, message)


def deadlines_for(messages: Iterable[Message]) -> dict[int, Deadline]:
    """Deadlines of many messages (one query), by message pk."""
    messages = list(messages)
    rows = results_for(messages)
    out = {}
    for message in messages:
        row = rows.get(message.pk)
        deadline = _as_deadline(row, message) if row is not None else None
        if deadline is not None:
            out[message.pk] = deadline
    return out


def with_shown_grade(query: QuerySet[TriageResult]) -> QuerySet[TriageResult]:
    """Annotate ``shown`` (the corrected grade, else the computed one) for filtering."""
    return query.annotate(
        shown=Case(
            When(~Q(corrected_grade=""), then=F("corrected_grade")),
            default=F("grade"),
            output_field=CharField(),
        )
    )


def waiting_inquiries(grades: Iterable[str] = ()) -> QuerySet[TriageResult]:
    """Inbound inquiries that still wait for our answer, soonest deadline first.

    Threats have no deadline, so they never appear; ``grades`` narrows to those grades.
    """
    wanted = [g for g in grades if g in GRADES] or list(GRADES)
    return (
        with_shown_grade(TriageResult.objects.all())
        .filter(
            direction=TriageResult.Direction.IN,
            due_at__isnull=False,
            answered_at__isnull=True,
            message__is_answered=False,
            shown__in=wanted,
        )
        .select_related("message")
        .defer("references", "message__body_text", "message__defects")
        .order_by("due_at", "message_id")
    )
