"""Job kinds of the foundation. Later areas (sync, outbox) add their own modules."""

from __future__ import annotations

from tradeinbox.worker.jobs import job_kind


@job_kind("import_paths")
def import_paths(payload: dict) -> dict:
    """Import mail files/folders (``{"paths": [...]}``); idempotent, so safe to retry."""
    from tradeinbox.store.importer import Importer

    summary = Importer().import_paths(payload["paths"])
    return summary.as_dict() | {"reasons": dict(summary.reasons)}


@job_kind("import_demo")
def import_demo(payload: dict) -> dict:
    """Import the packaged demo mailbox with its dates moved ``{"shift_days": N}`` days.

    It reads only the demo files (:mod:`tradeinbox.demo.timeshift`): no path comes from
    the payload, so real mail is never rewritten. The offset is fixed when the job is
    queued, so a retry stores the same bytes.
    """
    from tradeinbox.demo.timeshift import shifted_mailbox
    from tradeinbox.store.importer import Importer, parse_processes

    days = int(payload.get("shift_days", 0))
    summary = Importer().import_items(shifted_mailbox(days), processes=parse_processes())
    return summary.as_dict() | {"reasons": dict(summary.reasons), "shift_days": days}
