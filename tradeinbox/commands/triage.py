"""``tradeinbox triage``: grade the stored mail that has no triage result yet.

New mail is graded by the worker as it is stored; this catches up mail stored before
(an upgrade, or a restored database). ``--force`` re-grades everything and keeps the
users' corrections; ``--queue`` leaves the work to the running worker instead.
"""

from __future__ import annotations

import argparse
import json

HELP = "grade stored mail without a triage result (inquiry grade, threat, deadline)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="re-grade every stored message")
    parser.add_argument(
        "--queue", action="store_true", help="queue a job for the worker instead of waiting"
    )


def run(args: argparse.Namespace) -> int:
    from tradeinbox import setup_django

    setup_django()
    from tradeinbox.store.setup import ensure_database

    ensure_database()
    if args.queue:
        from tradeinbox.worker.jobs import enqueue

        job = enqueue("triage.backfill", {"force": bool(args.force)})
        print(json.dumps({"queued": job.pk}))
        return 0
    from tradeinbox.triage.services import backfill

    print(json.dumps(backfill(force=args.force)))
    return 0
