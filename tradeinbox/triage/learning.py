"""The "mark wrong" path: a user's correction of a grade or verdict, and what the installation
learns from it.

A correction is stored twice: on the result (``corrected_grade`` / ``corrected_label``,
which pages show from then on) and as a :class:`~.models.TriageLabel` row (who, when,
old, new) kept for tuning. Verdict corrections are fed to this installation's own copy
of the threat model (:func:`tradeinbox.core.classifier.update_local_model`) by a worker
job, so the next messages like it are scored with what the user taught.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction

from tradeinbox.core.classifier import update_local_model
from tradeinbox.core.parse import parse_message
from tradeinbox.core.threat_learning import model_file_lock
from tradeinbox.triage.models import GRADES, LABELS, NOT_INQUIRY, TriageLabel, TriageResult
from tradeinbox.triage.services import local_model_path, raw_messages, regrade_deadline

LEARN_JOB = "triage.learn_label"


class CorrectionError(ValueError):
    """A correction that cannot be applied. ``code``: "invalid" (unknown kind or value)
    or "unchanged" (it already is that), for the page to say in the user's language."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.code = code


def choices(kind: str) -> tuple[str, ...]:
    return (*GRADES, NOT_INQUIRY) if kind == TriageLabel.Kind.GRADE else LABELS


def mark_wrong(result: TriageResult, user, kind: str, value: str) -> list[TriageLabel]:
    """Record that ``result``'s grade (``kind="grade"``) or verdict (``kind="label"``) is
    wrong and ``value`` is right. Giving a B/C/D grade to a message the guard called a
    threat also says it is no threat (a threat never shows B/C/D), so that is recorded
    and learnt as a verdict correction too."""
    if kind not in TriageLabel.Kind.values:
        raise CorrectionError(f"unknown correction {kind!r}")
    value = (value or "").strip()
    value = value.upper() if kind == TriageLabel.Kind.GRADE and value != NOT_INQUIRY else value
    if value not in choices(kind):
        raise CorrectionError(f"{value!r} is not a {kind}")
    from tradeinbox.worker.jobs import enqueue

    now = datetime.now(UTC)
    with transaction.atomic():
        row = TriageResult.objects.select_for_update().select_related("message").get(pk=result.pk)
        changes: list[tuple[str, str, str]] = []
        if kind == TriageLabel.Kind.GRADE:
            old = row.shown_grade or NOT_INQUIRY
            if value == old:
                raise CorrectionError("the grade is already " + value, "unchanged")
            changes.append((kind, old, value))
            row.corrected_grade = value
            if value in GRADES[1:] and row.is_threat:
                changes.append((TriageLabel.Kind.LABEL, row.shown_label, "ham"))
                row.corrected_label = "ham"
        else:
            old = row.shown_label
            if value == old:
                raise CorrectionError("the verdict is already " + value, "unchanged")
            changes.append((kind, old, value))
            row.corrected_label = value
        regrade_deadline(row)
        row.save(
            update_fields=[
                "corrected_grade",
                "corrected_label",
                "due_at",
                "deadline_hours",
                "evidence",
            ]
        )
        labels = []
        for change_kind, old_value, new_value in changes:
            label = TriageLabel.objects.create(
                result=row,
                message_key=row.message.message_id[:255],
                kind=change_kind,
                old_value=old_value,
                new_value=new_value,
                user=user if getattr(user, "is_authenticated", False) else None,
                created_at=now,
            )
            labels.append(label)
            if change_kind == TriageLabel.Kind.LABEL:
                # Committed with the label: the worker teaches the local model.
                enqueue(LEARN_JOB, {"label_id": label.pk})
    result.corrected_grade, result.corrected_label = row.corrected_grade, row.corrected_label
    result.due_at = row.due_at
    return labels


def learn_from_label(label_id: int) -> dict:
    """Apply one verdict correction to the local model (the worker job's body).

    A retry after a crash between saving the model and flagging the label repeats one
    small gradient step; that is harmless, losing the lesson would not be.
    """
    label = TriageLabel.objects.select_related("result__message").filter(pk=label_id).first()
    if label is None or label.model_updated or label.kind != TriageLabel.Kind.LABEL:
        return {"learned": 0}
    message = label.result.message
    raw = raw_messages([message]).get(message.pk)
    if raw is None:
        return {"learned": 0, "reason": "raw message missing"}
    parsed = parse_message(raw)
    path = local_model_path()
    with model_file_lock(path):
        model = update_local_model(path, parsed, label.new_value)
    TriageLabel.objects.filter(pk=label.pk).update(model_updated=True)
    return {"learned": 1, "local_updates": int(model.meta.get("local_updates", 0))}
