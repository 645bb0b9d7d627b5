"""Job kinds of the foundation. Later areas (sync, outbox) add their own modules."""

from __future__ import annotations

from tradeinbox.worker.jobs import job_kind


@job_kind("import_paths")
def import_paths(payload: dict) -> dict:
    """Import mail files/folders (``{"paths": [...]}``); idempotent, so safe to retry."""
    from tradeinbox.store.importer import Importer

    summary = Importer().import_paths(payload["paths"])
    return summary.as_dict() | {"reasons": dict(summary.reasons)}
