"""Worker job kinds of the deals app (autodiscovered by :mod:`tradeinbox.worker.jobs`).

* ``deals.process_messages`` - after each stored batch: thread the new messages into
  deals, start and answer reply clocks, stop or re-plan cadences.
* ``deals.tick`` - every minute (a periodic job kind): chats imported since the
  last tick, grade corrections made in triage, and every open deal's cadence.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tradeinbox.worker.jobs import job_kind


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


@job_kind("deals.tick", every=timedelta(minutes=1))
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
