"""Periodic job kinds: one pending row each, re-queued after every run, run by the worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from tradeinbox.customers.models import Company
from tradeinbox.worker import jobs
from tradeinbox.worker.jobs import claim_next, ensure_periodic, job_kind, run_job
from tradeinbox.worker.loop import Worker
from tradeinbox.worker.models import Job

pytestmark = pytest.mark.django_db

RUNS: list[dict] = []
EVERY = timedelta(minutes=10)
POOL_KIND = "customers.return_idle_to_pool"
FAIL = False


@job_kind("test_periodic_tick")
def _tick(payload: dict) -> dict:
    RUNS.append(payload)
    if FAIL:
        raise RuntimeError("asked to fail")
    return {"ran": len(RUNS)}


@pytest.fixture
def periodic():
    """Make the test kind periodic for this test only (the registry is process-wide)."""
    global FAIL
    FAIL = False
    RUNS.clear()
    jobs._PERIODIC["test_periodic_tick"] = EVERY
    yield "test_periodic_tick"
    jobs._PERIODIC.pop("test_periodic_tick", None)
    FAIL = False


def _pending(kind: str) -> list[Job]:
    return list(Job.objects.filter(kind=kind, status__in=["queued", "running"]))


def test_the_pool_return_is_periodic() -> None:
    assert jobs.periodic_kinds()[POOL_KIND] == timedelta(hours=1)


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        job_kind("test_bad_period", every=timedelta(0))


def test_ensure_creates_one_row_per_kind_and_is_idempotent(periodic) -> None:
    now = datetime.now(UTC)
    created = ensure_periodic(now)
    assert {j.kind for j in created} >= {periodic, POOL_KIND}
    assert ensure_periodic(now) == []
    (row,) = _pending(periodic)
    assert row.run_after == now and row.payload == {}


def test_each_run_queues_the_next_period(periodic) -> None:
    ensure_periodic()
    Job.objects.exclude(kind=periodic).delete()
    first = run_job(claim_next("t"))
    assert first.status == Job.Status.DONE and RUNS == [{}]
    (nxt,) = _pending(periodic)
    assert nxt.pk != first.pk
    assert nxt.run_after == first.finished_at + EVERY
    assert claim_next("t") is None  # not due yet
    Job.objects.filter(pk=nxt.pk).update(run_after=datetime.now(UTC))
    run_job(claim_next("t"))
    assert len(_pending(periodic)) == 1 and len(RUNS) == 2
    assert Job.objects.filter(kind=periodic, status="done").count() == 2


def test_a_retry_stays_the_pending_row_and_a_final_failure_still_reschedules(periodic) -> None:
    global FAIL
    FAIL = True
    ensure_periodic()
    Job.objects.exclude(kind=periodic).delete()
    Job.objects.filter(kind=periodic).update(max_attempts=2)
    retry = run_job(claim_next("t"))
    assert retry.status == Job.Status.QUEUED
    assert [j.pk for j in _pending(periodic)] == [retry.pk]  # no second row
    Job.objects.filter(pk=retry.pk).update(run_after=datetime.now(UTC))
    failed = run_job(claim_next("t"))
    assert failed.status == Job.Status.FAILED
    (nxt,) = _pending(periodic)
    assert nxt.run_after == failed.finished_at + EVERY


@pytest.mark.django_db(transaction=True)  # the worker commits and closes connections
def test_worker_returns_idle_customers_to_the_pool_and_keeps_the_schedule() -> None:
    seller = User.objects.create_user("ana_sales")
    long_ago = datetime.now(UTC) - timedelta(days=400)
    idle = Company.objects.create(
        name="Idle Co", owner=seller, owner_since=long_ago, last_outbound_at=long_ago
    )
    active = Company.objects.create(
        name="Busy Co", owner=seller, owner_since=long_ago, last_outbound_at=datetime.now(UTC)
    )
    worker = Worker(name="periodic-test")
    # run until nothing is due: the bootstrap row runs at once
    while worker.run_once():
        pass
    idle.refresh_from_db()
    active.refresh_from_db()
    assert idle.owner is None and active.owner == seller
    done = Job.objects.get(kind=POOL_KIND, status="done")
    assert done.result == {"returned": 1}
    (nxt,) = _pending(POOL_KIND)
    assert nxt.run_after == done.finished_at + timedelta(hours=1)
    # a restarted worker finds the pending row in the database and adds none
    again = Worker(name="periodic-test-2")
    assert again.run_once() is False
    assert len(_pending(POOL_KIND)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_drain_and_exit_run_starts_no_schedule() -> None:
    worker = Worker(name="drain")
    worker.run_forever(exit_when_idle=True)
    assert not Job.objects.filter(kind=POOL_KIND).exists()
