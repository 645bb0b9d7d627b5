"""Crash safety: the kill -9 harness on a small scale, and the parts it relies on.

``bench/crash_harness.py --points 100`` is the full run (figures in the README); here a
few kill points per phase (import, IMAP sync, send) keep it within a few minutes in CI.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import corpus

REPO = Path(__file__).resolve().parents[1]


def test_crash_point_kills_at_the_named_pass_only():
    code = textwrap.dedent(
        """
        from tradeinbox.crashpoints import crash_point
        for n in range(1, 6):
            crash_point("other.point")
            crash_point("store.batch.after_commit")
            print(n, flush=True)
        """
    )
    env = dict(os.environ, TRADEINBOX_CRASH_AT="store.batch.after_commit:3", PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == -9  # SIGKILL, as kill -9 from outside
    assert done.stdout.split() == ["1", "2"]
    env.pop("TRADEINBOX_CRASH_AT")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.split() == ["1", "2", "3", "4", "5"]


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.django_db
def test_job_of_a_killed_worker_is_taken_back_at_once():
    from tradeinbox.worker.jobs import claim_next
    from tradeinbox.worker.models import Job

    host, now = socket.gethostname(), datetime.now(UTC)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        common = {"kind": "mailbox_sync", "status": Job.Status.RUNNING, "run_after": now}
        busy = Job.objects.create(**common, locked_by=f"{host}:{alive.pid}", locked_at=now)
        other_host = Job.objects.create(**common, locked_by="elsewhere:1", locked_at=now)
        orphan = Job.objects.create(
            **common, locked_by=f"{host}:{_dead_pid()}", locked_at=now, attempts=1
        )
        claimed = claim_next("w")
        assert claimed.pk == orphan.pk and claimed.attempts == 2 and claimed.locked_by == "w"
        assert claim_next("w") is None  # a live worker's job and another machine's stay
        busy.refresh_from_db()
        other_host.refresh_from_db()
        assert busy.locked_by.endswith(str(alive.pid)) and other_host.locked_by == "elsewhere:1"
    finally:
        alive.kill()
        alive.wait()


@pytest.mark.django_db
def test_a_job_that_keeps_killing_its_worker_fails_instead_of_looping():
    from tradeinbox.worker.jobs import claim_next
    from tradeinbox.worker.models import Job

    now = datetime.now(UTC)
    job = Job.objects.create(
        kind="mailbox_sync",
        status=Job.Status.RUNNING,
        run_after=now,
        locked_by=f"{socket.gethostname()}:{_dead_pid()}",
        locked_at=now - timedelta(seconds=5),
        attempts=5,
        max_attempts=5,
    )
    assert claim_next("w") is None
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "5 attempts" in job.error


def _harness():
    spec = importlib.util.spec_from_file_location("crash_harness", REPO / "bench/crash_harness.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
@pytest.mark.servers
@pytest.mark.corpora
def test_kill_9_at_random_points_of_import_sync_and_send(tmp_path):
    """Six kill points (two per phase): consistent store, nothing lost, nothing sent twice."""
    from tests.servers.mail import find_dovecot

    if not find_dovecot():
        pytest.skip("dovecot is not installed (scripts/setup.sh --test installs it)")
    corpora = corpus("spamassassin_public").parent
    harness = _harness()
    result = harness.harness(corpora, points=6, seed=5, messages=80, rows=4, work=tmp_path)
    assert result["kill_points"] == 6
    assert result["per_phase"] == {"import": 2, "sync": 2, "send": 2}
    failures = result["failures"]
    assert result["survived"] == 6, failures
    for figure in ("lost", "duplicated", "sent_twice", "inconsistent", "unfinished", "jobs_stuck"):
        assert result[figure] == 0, (figure, failures)
    assert result["orphan_processes"] == 0
