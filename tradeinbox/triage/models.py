"""Stored triage results (one per message) and the users' corrections of them.

The computed verdict (``grade``, ``label`` ...) is what :func:`tradeinbox.core.triage.triage_message`
said; a user's correction is kept beside it (``corrected_*``) and in a :class:`TriageLabel`
row (who, when, old, new), so re-running the analysis never loses a correction and the
corrections stay available for tuning. Pages show the ``shown_*`` properties.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tradeinbox.store.models import Message

GRADES = ("A", "B", "C", "D")
LABELS = ("phish", "spam", "ham")
NOT_INQUIRY = "-"  # a grade correction meaning "this is no inquiry at all"
# A threat score at or above this shows the banner even when the label is only "spam".
HIGH_THREAT = 0.8


class TriageResult(models.Model):
    class Direction(models.TextChoices):
        IN = "in", "inbound"
        OUT = "out", "outbound"

    message = models.OneToOneField(
        Message, on_delete=models.CASCADE, primary_key=True, related_name="triage"
    )
    analysed_at = models.DateTimeField()
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.IN)
    label = models.CharField(max_length=5, default="ham")  # phish | spam | ham
    threat = models.FloatField(default=0.0)
    inquiry = models.BooleanField(default=False)
    grade = models.CharField(max_length=1, blank=True)  # "" = no grade
    authenticity = models.FloatField(default=0.5)
    origin_ip = models.CharField(max_length=45, blank=True)
    origin_country = models.CharField(max_length=2, blank=True)
    origin_local_hour = models.SmallIntegerField(null=True, blank=True)
    evidence = models.JSONField(default=list)  # [{"rule", "weight", "detail"}]
    references = models.JSONField(default=list)  # [{"kind", "value"}]
    due_at = models.DateTimeField(null=True, blank=True)  # reply deadline (business hours)
    deadline_hours = models.FloatField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    corrected_grade = models.CharField(max_length=1, blank=True)  # "" | A-D | "-"
    corrected_label = models.CharField(max_length=5, blank=True)  # "" | phish | spam | ham
    error = models.TextField(blank=True)  # why the analysis could not run (raw gone ...)

    class Meta:
        indexes = [
            # The triage list: waiting inbound inquiries by deadline.
            models.Index(fields=["direction", "answered_at", "due_at"], name="triage_due"),
        ]

    def __str__(self) -> str:
        return f"triage of message {self.message_id}: {self.shown_label} {self.shown_grade or '-'}"

    # -- what pages show: the user's correction wins over the analysis -------------------

    @property
    def shown_label(self) -> str:
        return self.corrected_label or self.label

    @property
    def is_threat(self) -> bool:
        return self.shown_label != "ham"

    @property
    def shown_inquiry(self) -> bool:
        if self.corrected_grade == NOT_INQUIRY:
            return False
        return bool(self.corrected_grade) or self.inquiry

    @property
    def shown_grade(self) -> str | None:
        """A threat never shows B/C/D: it is "A" (junk or fraud) if it reads like an inquiry."""
        grade = self.corrected_grade or self.grade
        if not grade or grade == NOT_INQUIRY:
            return None
        if self.is_threat and grade != "A":
            return "A" if self.shown_inquiry else None
        return grade

    @property
    def show_banner(self) -> bool:
        if self.corrected_label:
            return self.corrected_label == "phish"
        return self.label == "phish" or self.threat >= HIGH_THREAT

    @property
    def corrected(self) -> bool:
        return bool(self.corrected_grade or self.corrected_label)

    @property
    def waiting(self) -> bool:
        """Waits for our answer: has a deadline, no reply in the thread, and the mail
        client has not flagged it answered (load ``message`` with the row)."""
        return self.due_at is not None and self.answered_at is None and not self.message.is_answered

    def evidence_group(self, *prefixes: str) -> list[dict]:
        return [e for e in self.evidence if str(e.get("rule", "")).startswith(prefixes)]


class TriageLabel(models.Model):
    """One "mark wrong" click: kept for later tuning and fed to the local model."""

    class Kind(models.TextChoices):
        GRADE = "grade", "grade"
        LABEL = "label", "verdict"

    result = models.ForeignKey(TriageResult, on_delete=models.CASCADE, related_name="labels")
    message_key = models.CharField(max_length=255, blank=True)  # Message-ID, survives re-import
    kind = models.CharField(max_length=5, choices=Kind.choices)
    old_value = models.CharField(max_length=5, blank=True)
    new_value = models.CharField(max_length=5)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField()
    model_updated = models.BooleanField(default=False)  # the local model learnt from it

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.old_value or '-'} -> {self.new_value} ({self.created_at:%Y-%m-%d})"
        )
