"""Enqueue, claim and run jobs. Job kinds are plain functions registered by name."""

from __future__ import annotations

import logging
import os
import socket
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import transaction

from tradeinbox.worker.models import Job

log = logging.getLogger(__name__)

Handler = Callable[[dict], dict]
_HANDLERS: dict[str, Handler] = {}
_discovered = False
LEASE = timedelta(minutes=15)


def job_kind(name: str) -> Callable[[Handler], Handler]:
    """Register ``func(payload) -> result`` as the handler of job kind ``name``."""

    def register(func: Handler) -> Handler:
        _HANDLERS[name] = func
        return func

    return register


def handlers() -> dict[str, Handler]:
    """Every registered job kind. Each installed tradeinbox app may have a ``jobs``
    module; importing it registers its kinds (Django's autodiscover pattern)."""
    global _discovered
    if not _discovered:
        from django.utils.module_loading import autodiscover_modules

        from tradeinbox.worker import builtin_jobs  # noqa: F401

        autodiscover_modules("jobs")
        _discovered = True
    return _HANDLERS


def enqueue(kind: str, payload: dict | None = None, *, run_after: datetime | None = None) -> Job:
    if kind not in handlers():
        raise ValueError(f"unknown job kind {kind!r}")
    return Job.objects.create(
        kind=kind, payload=payload or {}, run_after=run_after or datetime.now(UTC)
    )


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_next(name: str | None = None) -> Job | None:
    """Take the next due job, or None. Also takes back jobs whose worker died."""
    now = datetime.now(UTC)
    with transaction.atomic():
        job = (
            Job.objects.select_for_update(skip_locked=True)
            .filter(status=Job.Status.QUEUED, run_after__lte=now)
            .order_by("run_after", "id")
            .first()
        )
        if job is None:
            job = (
                Job.objects.select_for_update(skip_locked=True)
                .filter(status=Job.Status.RUNNING, locked_at__lt=now - LEASE)
                .order_by("locked_at", "id")
                .first()
            )
        if job is None:
            return None
        job.status = Job.Status.RUNNING
        job.locked_by = name or worker_name()
        job.locked_at = now
        job.attempts += 1
        job.save(update_fields=["status", "locked_by", "locked_at", "attempts"])
        return job


def run_job(job: Job) -> Job:
    handler = handlers().get(job.kind)
    try:
        if handler is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        result = handler(job.payload)
    except Exception as exc:  # noqa: BLE001 - a failing job must not stop the worker
        log.exception("job %s failed", job.pk)
        job.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"
        if job.attempts < job.max_attempts:
            # Exponential backoff: 30 s, 60 s, 120 s, ...
            job.status = Job.Status.QUEUED
            job.run_after = datetime.now(UTC) + timedelta(seconds=30 * 2 ** (job.attempts - 1))
        else:
            job.status = Job.Status.FAILED
            job.finished_at = datetime.now(UTC)
    else:
        job.status = Job.Status.DONE
        job.result = result or {}
        job.error = ""
        job.finished_at = datetime.now(UTC)
    job.locked_by = ""
    job.save(update_fields=["status", "result", "error", "run_after", "finished_at", "locked_by"])
    return job
