"""Worker job kinds of the triage app."""

from __future__ import annotations

from tradeinbox.triage import learning, services
from tradeinbox.worker.jobs import job_kind


@job_kind("triage.analyse_messages")
def analyse_messages(payload: dict) -> dict:
    """Payload ``{"message_ids": [...], "force": false}``: grade and store the messages."""
    return services.analyse_messages(
        payload.get("message_ids") or [], force=bool(payload.get("force"))
    )


@job_kind("triage.backfill")
def backfill(payload: dict) -> dict:
    """Payload ``{"force": false}``: grade every stored message that has no result yet."""
    return services.backfill(force=bool(payload.get("force")))


@job_kind(learning.LEARN_JOB)
def learn_label(payload: dict) -> dict:
    """Payload ``{"label_id": N}``: teach the local model one "mark wrong" verdict."""
    return learning.learn_from_label(int(payload["label_id"]))
