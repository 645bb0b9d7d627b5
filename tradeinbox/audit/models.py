"""The audit log: who did what to which object, when (UTC) and from where.

Rows are written once and never changed (:meth:`AuditEntry.save` refuses updates);
``actor_name`` keeps the name when the user is later deleted.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


def _now() -> datetime:
    return datetime.now(UTC)


class AuditEntry(models.Model):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    actor_name = models.CharField(max_length=150, blank=True)  # "" = the system (worker)
    action = models.CharField(max_length=64)  # dotted: "merge.confirm", "deal.stage" ...
    object_type = models.CharField(max_length=64, blank=True)  # "customers.company"
    object_id = models.CharField(max_length=64, blank=True)
    summary = models.TextField(blank=True)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=_now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="audit_newest_first"),
            models.Index(fields=["object_type", "object_id"], name="audit_by_object"),
            models.Index(fields=["action", "-created_at"], name="audit_by_action"),
            models.Index(fields=["actor", "-created_at"], name="audit_by_actor"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_name or 'system'} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValueError("audit entries are never changed")
        super().save(*args, **kwargs)
