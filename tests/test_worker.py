"""The durable job queue and the worker process."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.db import connection

from tradeinbox.worker import jobs
from tradeinbox.worker.jobs import claim_next, enqueue, job_kind, run_job
from tradeinbox.worker.models import Job

CALLS: list[dict] = []


@job_kind("test_echo")
def _echo(payload: dict) -> dict:
    CALLS.append(payload)
    if payload.get("fail"):
        raise RuntimeError("asked to fail")
    return {"echo": payload.get("value")}


@pytest.mark.django_db
def test_enqueue_claim_and_run():
    job = enqueue("test_echo", {"value": 7})
    claimed = claim_next("tester")
    assert claimed.pk == job.pk and claimed.status == Job.Status.RUNNING
    assert claimed.locked_by == "tester" and claimed.attempts == 1
    assert claim_next("other") is None
    done = run_job(claimed)
    assert done.status == Job.Status.DONE and done.result == {"echo": 7}
    assert Job.objects.get(pk=job.pk).finished_at is not None


@pytest.mark.django_db
def test_failures_back_off_then_fail():
    job = enqueue("test_echo", {"fail": True})
    job.max_attempts = 2
    job.save()
    first = run_job(claim_next())
    assert first.status == Job.Status.QUEUED and "asked to fail" in first.error
    assert first.run_after > datetime.now(UTC) + timedelta(seconds=20)
    assert claim_next() is None  # not due yet
    Job.objects.filter(pk=job.pk).update(run_after=datetime.now(UTC))
    second = run_job(claim_next())
    assert second.status == Job.Status.FAILED


@pytest.mark.django_db
def test_job_of_a_dead_worker_is_taken_back_after_its_lease():
    job = enqueue("test_echo", {"value": 1})
    claim_next("died")
    assert claim_next("alive") is None
    Job.objects.filter(pk=job.pk).update(locked_at=datetime.now(UTC) - jobs.LEASE - timedelta(1))
    again = claim_next("alive")
    assert again.pk == job.pk and again.locked_by == "alive" and again.attempts == 2


@pytest.mark.django_db
def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        enqueue("no_such_kind")


@pytest.mark.django_db(transaction=True)
def test_two_workers_never_claim_the_same_job():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent claims with SKIP LOCKED are a PostgreSQL test")
    for value in range(40):
        enqueue("test_echo", {"value": value})
    claimed: dict[str, list[int]] = {"a": [], "b": []}

    def drain(name: str) -> None:
        from django.db import connections

        while (job := claim_next(name)) is not None:
            claimed[name].append(job.pk)
        connections.close_all()

    threads = [threading.Thread(target=drain, args=(n,)) for n in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    all_ids = claimed["a"] + claimed["b"]
    assert len(all_ids) == 40 and len(set(all_ids)) == 40


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["TRADEINBOX_DATA"] = str(data)
    return env


def _db_count(data: Path, sql: str) -> int:
    with sqlite3.connect(data / "tradeinbox.sqlite3", timeout=5) as db:
        return db.execute(sql).fetchone()[0]


def test_worker_runs_an_import_job_and_stops_cleanly_on_sigterm(tmp_path):
    from tradeinbox.demo import MAILBOX_DIR

    env = _env(tmp_path / "data")
    subprocess.run(
        [sys.executable, "-m", "tradeinbox", "manage", "migrate", "-v0"], env=env, check=True
    )
    code = (
        "from tradeinbox import setup_django; setup_django()\n"
        "from tradeinbox.worker.jobs import enqueue\n"
        f"enqueue('import_paths', {{'paths': [{str(MAILBOX_DIR)!r}]}})\n"
    )
    subprocess.run([sys.executable, "-c", code], env=env, check=True)
    worker = subprocess.Popen(
        [sys.executable, "-m", "tradeinbox", "worker", "--poll", "0.2"], env=env
    )
    try:
        deadline = time.monotonic() + 120
        status = ""
        while time.monotonic() < deadline:
            with sqlite3.connect(tmp_path / "data" / "tradeinbox.sqlite3", timeout=5) as db:
                status = db.execute("SELECT status FROM worker_job").fetchone()[0]
            if status in ("done", "failed"):
                break
            time.sleep(0.3)
        assert status == "done"
        assert _db_count(tmp_path / "data", "SELECT COUNT(*) FROM store_message") >= 50
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0


def test_run_with_demo_serves_the_app_and_stops_on_ctrl_c(tmp_path):
    port = _free_port()
    env = _env(tmp_path / "data")
    process = subprocess.Popen(
        [sys.executable, "-m", "tradeinbox", "run", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "Log in with user" in line or not line:
                break
        output = "".join(lines)
        assert "Demo mailbox import: done" in output
        assert re.search(rf"running at http://localhost:{port}/", output)
        assert "user 'demo' and password 'demo'" in output
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=10) as response:
            assert response.status == 200
        assert _db_count(tmp_path / "data", "SELECT COUNT(*) FROM store_message") >= 50
        assert (
            _db_count(tmp_path / "data", "SELECT COUNT(*) FROM auth_user WHERE username='demo'")
            == 1
        )
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_run_refuses_a_busy_port_with_a_clear_message(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "tradeinbox", "run", "--port", str(port)],
            env=_env(tmp_path / "data"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert "already in use" in done.stderr
