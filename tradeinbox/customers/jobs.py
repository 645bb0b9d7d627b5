"""Worker job kinds of the customers app."""

from __future__ import annotations

from datetime import timedelta

from tradeinbox.customers import services
from tradeinbox.worker.jobs import job_kind


@job_kind("customers.analyse_new_messages")
def analyse_new_messages(payload: dict) -> dict:
    """Payload ``{"message_ids": [...]}``: classify, create people, merge, find bounces."""
    ids = payload.get("message_ids") or []
    result = {"messages": 0}
    # Batches keep each transaction short on big imports.
    for start in range(0, len(ids), 500):
        part = services.analyse_messages(ids[start : start + 500])
        for key, value in part.items():
            result[key] = result.get(key, 0) + value
    return result


# Periodic: the worker runs it every hour (idle periods are counted in days, so an hour
# late is nothing) and after every restart.
@job_kind("customers.return_idle_to_pool", every=timedelta(hours=1))
def return_idle_to_pool(payload: dict) -> dict:
    """Payload ``{"days": N}`` (optional; default the POOL_RETURN_DAYS setting)."""
    return {"returned": services.return_idle_to_pool(days=payload.get("days"))}
