"""Worker job kinds of the users app."""

from __future__ import annotations

from datetime import timedelta

from tradeinbox.users import visibility
from tradeinbox.worker.jobs import job_kind


# The signal indexes new messages at once; this catches whatever a crash between the
# store's commit and the signal left out (and mail stored before this index existed).
@job_kind("users.backfill_message_addresses", every=timedelta(minutes=10))
def backfill_message_addresses(payload: dict) -> dict:
    return {"indexed": visibility.backfill(int(payload.get("limit") or 50_000))}
