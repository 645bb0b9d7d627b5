"""Enqueue, claim and run jobs. Job kinds are plain functions registered by name."""

from __future__ import annotations

import logging
import os
import socket
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from tradeinbox.worker.models import Job

log = logging.getLogger(__name__)

Handler = Callable[[dict], dict]
_HANDLERS: dict[str, Handler] = {}
#: Periodic kinds and their interval: one job row of each is always waiting.
_PERIODIC: dict[str, timedelta] = {}
_discovered = False
LEASE = timedelta(minutes=15)
_PENDING = (Job.Status.QUEUED, Job.Status.RUNNING)
# Key of the PostgreSQL advisory lock that serialises "is one waiting? else enqueue".
_SCHEDULE_LOCK = 0x7472_6164_6569_6E62 >> 1  # fits a signed bigint


def job_kind(name: str, *, every: timedelta | None = None) -> Callable[[Handler], Handler]:
    """Register ``func(payload) -> result`` as the handler of job kind ``name``.

    With ``every``, the kind is periodic: the worker keeps exactly one pending row of it
    (payload ``{}``); each run, done or finally failed, queues the next one ``every``
    later, in the same transaction. The schedule is those rows, so it survives restarts.
    """
    if every is not None and every <= timedelta(0):
        raise ValueError(f"{name}: the interval must be positive")

    def register(func: Handler) -> Handler:
        _HANDLERS[name] = func
        if every is not None:
            _PERIODIC[name] = every
        else:
            _PERIODIC.pop(name, None)
        return func

    return register


def periodic_kinds() -> dict[str, timedelta]:
    handlers()
    return dict(_PERIODIC)


def _lock_schedule() -> None:
    """Inside a transaction: one worker at a time checks-then-enqueues periodic rows.
    SQLite's IMMEDIATE transactions already serialise writers; PostgreSQL needs a lock
    because a row that does not exist yet cannot be locked."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_SCHEDULE_LOCK])


def _queue_next(kind: str, run_after: datetime) -> Job | None:
    """Queue ``kind`` at ``run_after`` unless a row of it is already waiting or running.
    Call inside ``transaction.atomic()`` after :func:`_lock_schedule`."""
    if Job.objects.filter(kind=kind, status__in=_PENDING).exists():
        return None
    return Job.objects.create(kind=kind, payload={}, run_after=run_after)


def ensure_periodic(now: datetime | None = None) -> list[Job]:
    """Queue every periodic kind that has no pending row (first start, or a row removed
    by hand); due at once. Returns the rows it created."""
    now = now or datetime.now(UTC)
    created: list[Job] = []
    kinds = periodic_kinds()
    if not kinds:
        return created
    with transaction.atomic():
        _lock_schedule()
        for kind in sorted(kinds):
            job = _queue_next(kind, now)
            if job is not None:
                created.append(job)
    return created


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


def owner_is_dead(locked_by: str) -> bool:
    """True when ``host:pid`` (a :func:`worker_name`) is a process on this machine that
    no longer exists: its claims can be taken back now instead of after their lease."""
    host, _, pid = locked_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


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
            # A worker killed on this machine (kill -9, out of memory) is seen at once:
            # its job does not wait out the 15-minute lease.
            running = Job.objects.select_for_update(skip_locked=True).filter(
                status=Job.Status.RUNNING
            )
            dead = [
                j for j in running.order_by("locked_at", "id")[:20] if owner_is_dead(j.locked_by)
            ]
            job = dead[0] if dead else None
        if job is None:
            return None
        if job.status == Job.Status.RUNNING and job.attempts >= job.max_attempts:
            # Its worker died during every attempt: a job that kills the worker must not
            # take it down again on every restart.
            job.status = Job.Status.FAILED
            job.error = f"its worker stopped during each of {job.attempts} attempts"
            job.finished_at = now
            job.locked_by = ""
            job.save(update_fields=["status", "error", "finished_at", "locked_by"])
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
    every = _PERIODIC.get(job.kind)
    with transaction.atomic():
        job.save(
            update_fields=["status", "result", "error", "run_after", "finished_at", "locked_by"]
        )
        if every is not None and job.status != Job.Status.QUEUED:
            # finished for good (a retry is still the pending row): the next period
            _lock_schedule()
            _queue_next(job.kind, (job.finished_at or datetime.now(UTC)) + every)
    return job
