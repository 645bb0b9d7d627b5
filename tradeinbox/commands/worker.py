"""``tradeinbox worker``: run background jobs (imports; later sync, outbox, schedules)."""

from __future__ import annotations

import argparse

HELP = "run background jobs until stopped (SIGTERM finishes the current job first)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--exit-when-idle", action="store_true", help="stop when no job is due")
    parser.add_argument("--poll", type=float, default=1.0, help="seconds between polls when idle")


def run(args: argparse.Namespace) -> int:
    from tradeinbox import setup_django

    setup_django()
    from tradeinbox.store.setup import ensure_database
    from tradeinbox.worker.loop import Worker

    ensure_database()
    worker = Worker(poll_seconds=args.poll)
    worker.install_signal_handlers()
    worker.run_forever(exit_when_idle=args.exit_when_idle)
    return 0
