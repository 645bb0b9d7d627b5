"""Durable background work: one row per job, claimed atomically by a worker.

On PostgreSQL the claim is ``SELECT ... FOR UPDATE SKIP LOCKED``, so several
workers on several machines never take the same row. On SQLite the write lock of
an IMMEDIATE transaction serialises claims (one machine, any number of workers).
"""

from __future__ import annotations

from django.db import models


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    kind = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    run_after = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    locked_by = models.CharField(max_length=128, blank=True)
    locked_at = models.DateTimeField(null=True)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["status", "run_after", "id"], name="job_claim_order")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"
