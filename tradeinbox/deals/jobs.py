"""Worker job kinds of the deals app (autodiscovered by :mod:`tradeinbox.worker.jobs`).

* ``deals.process_messages`` - after each stored batch: thread the new messages into
  deals, start and answer reply clocks, stop or re-plan cadences.
* ``deals.tick`` - every minute (queued by :class:`DealsService`): chats imported since the
  last tick, grade corrections made in triage, and every open deal's cadence.
"""

from __future__ import annotations

import time
from datetime import datetime

from tradeinbox.worker.jobs import job_kind
from tradeinbox.worker.loop import register_service

TICK_SECONDS = 60.0


def _now(payload: dict) -> datetime | None:
    """An explicit clock for replays and tests (``{"now": "2026-03-12T10:00:00+00:00"}``)."""
    value = payload.get("now")
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("now must carry a UTC offset")
    return moment


@job_kind("deals.process_messages")
def process_messages(payload: dict) -> dict:
    """Payload ``{"message_ids": [...]}``."""
    from tradeinbox.deals.ingest import process_messages as run

    return run(payload.get("message_ids") or [], now=_now(payload))


@job_kind("deals.tick")
def tick(payload: dict) -> dict:
    """Payload ``{}`` (optionally ``{"now": ISO time}``)."""
    from tradeinbox.deals.upkeep import tick as run

    return run(now=_now(payload))


@job_kind("deals.recompute_deadlines")
def recompute_deadlines(payload: dict) -> dict:
    """After a settings change: deadlines of unanswered mail of the last 90 days, and
    every open deal's cadence (business hours and the unanswered limit may have moved)."""
    from tradeinbox.deals.upkeep import recompute_after_settings

    return recompute_after_settings(now=_now(payload))


class DealsService:
    """Queues one ``deals.tick`` job a minute unless one is already waiting or running, so
    the work itself is a durable, claimed row like any other job."""

    def __init__(self, worker) -> None:
        self.worker = worker
        self._last = 0.0

    def tick(self) -> bool:
        if getattr(self.worker, "exit_when_idle", False):
            return False  # a drain-and-exit run (tests, one-off CLI) needs no schedule
        if time.monotonic() - self._last < TICK_SECONDS:
            return False
        self._last = time.monotonic()
        from tradeinbox.worker.jobs import enqueue
        from tradeinbox.worker.models import Job

        pending = Job.objects.filter(
            kind="deals.tick", status__in=[Job.Status.QUEUED, Job.Status.RUNNING]
        ).exists()
        if not pending:
            enqueue("deals.tick", {})
        return False

    def stop(self) -> None:
        pass


@register_service
def deals_service(worker) -> DealsService:
    return DealsService(worker)
