"""Worker integration of the outbound app (autodiscovered by :mod:`tradeinbox.worker.jobs`).

Campaign batches are paced by :class:`CampaignService`, ticked by every ``tradeinbox
worker`` between jobs; the job kinds below are the one-off pieces of work.
"""

from __future__ import annotations

import time

from tradeinbox.worker.jobs import job_kind
from tradeinbox.worker.loop import register_service

TICK_SECONDS = 5.0


class CampaignService:
    """Every few seconds: copy outbox results back, queue the next batch of due campaigns."""

    def __init__(self, worker) -> None:
        self.worker = worker
        self._last = 0.0

    def tick(self) -> bool:
        from tradeinbox.outbound import campaigns

        if time.monotonic() - self._last < TICK_SECONDS:
            return False
        self._last = time.monotonic()
        return campaigns.run_due() > 0

    def stop(self) -> None:
        pass


@register_service
def campaign_service(worker):
    return CampaignService(worker)


@job_kind("outbound.domain_check")
def domain_check(payload: dict) -> dict:
    """Payload ``{"check": pk}``: run the SPF/DKIM/DMARC/MX/PTR/blocklist check."""
    from tradeinbox.outbound.health import run_check

    row = run_check(int(payload["check"]))
    return {"status": row.status, "worst": row.worst}


@job_kind("outbound.campaign_step")
def campaign_step(payload: dict) -> dict:
    """Payload ``{"campaign": pk}``: queue the next batch now (the Start button)."""
    from tradeinbox.outbound.campaigns import step

    return step(int(payload["campaign"]))


@job_kind("outbound.read_feedback")
def read_feedback(payload: dict) -> dict:
    """Payload ``{"message_ids": [...]}``: bounces, complaints and replies to campaigns."""
    from tradeinbox.outbound.feedback import read_feedback as read

    ids = payload.get("message_ids") or []
    total: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        for key, value in read(ids[start : start + 500]).items():
            total[key] = total.get(key, 0) + value
    return total
