"""``tradeinbox run``: the main job. Web app and worker together, optionally with the demo."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime

HELP = "run the web app and the worker (with --demo: a demo login and demo mailbox)"
DEMO_USER = "demo"
DEMO_PASSWORD = "demo"
DEMO_EMAIL = "lily@brightway-lighting.example"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=os.environ.get("TRADEINBOX_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("TRADEINBOX_PORT", "8000")))
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--demo", action="store_true", help="create the demo login and mailbox")


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _prepare_demo() -> tuple[int, int]:
    """Create the demo login and queue the demo mailbox import.

    Returns the job id and the whole days the demo dates move forward: the story ends on
    20 November 2026, so its newest mail is brought into the last 24 hours and reply
    deadlines, the Due list and the dashboard's weeks read as a live mailbox would.
    """
    from django.contrib.auth import get_user_model

    from tradeinbox.demo.timeshift import newest_date, shift_days
    from tradeinbox.worker.jobs import enqueue

    user_model = get_user_model()
    # The demo seller's own address tells the customer analysis which mail is ours
    # (outbound contact, our own domain never listed as a customer).
    user, created = user_model.objects.get_or_create(
        username=DEMO_USER,
        defaults={
            "first_name": "Lily",
            "last_name": "Chen",
            "email": DEMO_EMAIL,
            "is_staff": True,
        },
    )
    if created or not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
        user.save()
    from tradeinbox.store.models import Message

    # New mail is graded as it is stored; a data folder that already had mail (from a
    # version without triage) gets the rest graded after the import.
    had_mail = Message.objects.exists()
    days = shift_days(datetime.now(UTC), newest_date())
    job = enqueue("import_demo", {"shift_days": days})
    if had_mail:
        enqueue("triage.backfill", {})
    return job.pk, days


def _wait_for_job(job_id: int, timeout: float) -> str:
    from tradeinbox.worker.models import Job

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = Job.objects.filter(pk=job_id).values_list("status", flat=True).first()
        if status in (Job.Status.DONE, Job.Status.FAILED):
            return status
        time.sleep(0.3)
    return "still running"


def _imported(job_id: int) -> int:
    from tradeinbox.worker.models import Job

    result = Job.objects.filter(pk=job_id).values_list("result", flat=True).first() or {}
    return int(result.get("imported", 0))


def run(args: argparse.Namespace) -> int:
    from tradeinbox import setup_django

    setup_django()
    from django.conf import settings

    from tradeinbox.store.setup import ensure_database

    if not _port_free(args.host, args.port):
        print(
            f"Port {args.port} on {args.host} is already in use. "
            f"Stop the other program or choose another port: tradeinbox run --port 8001",
            file=sys.stderr,
        )
        return 2
    ensure_database()
    demo_job, demo_days = _prepare_demo() if args.demo else (None, 0)

    env = os.environ | {"TRADEINBOX_DATA": str(settings.DATA_DIR)}
    children = [
        subprocess.Popen([sys.executable, "-m", "tradeinbox", "worker"], env=env),
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "tradeinbox.wsgi:application",
                "--bind",
                f"{args.host}:{args.port}",
                "--workers",
                str(args.web_workers),
                "--access-logfile",
                "-",
                "--log-level",
                "warning",
                "--logger-class",  # addresses masked in access and error logs
                "tradeinbox.gunicorn_log.RedactingLogger",
            ],
            env=env,
        ),
    ]

    def stop(signum=None, frame=None) -> None:  # noqa: ARG001 - signal handler signature
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    url_host = "localhost" if args.host in ("127.0.0.1", "0.0.0.0", "::") else args.host
    try:
        if demo_job is not None:
            status = _wait_for_job(demo_job, timeout=120)
            print(f"Demo mailbox import: {status}")
            if _imported(demo_job):  # mail stored before keeps the dates of its first import
                print(
                    f"(demo mail dates moved {demo_days} days forward, so the newest is under a day old)"
                )
        print(f"\ntradeinbox is running at http://{url_host}:{args.port}/")
        if args.demo:
            print(f"Log in with user '{DEMO_USER}' and password '{DEMO_PASSWORD}'.")
        print(f"Data folder: {settings.DATA_DIR}\nPress Ctrl+C to stop.\n", flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
    failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, None)]
    return 1 if failed else 0
