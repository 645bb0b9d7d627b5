"""The ``tradeinbox worker`` loop: claim, run, repeat; stop cleanly on SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading

from django.db import close_old_connections

from tradeinbox.worker.jobs import claim_next, run_job, worker_name

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, *, poll_seconds: float = 1.0, name: str | None = None) -> None:
        self.poll_seconds = poll_seconds
        self.name = name or worker_name()
        self.stopping = threading.Event()

    def install_signal_handlers(self) -> None:
        def stop(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
            log.info("worker %s: signal %s, finishing the current job", self.name, signum)
            self.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def run_once(self) -> bool:
        """Run one due job; False if there was none."""
        close_old_connections()
        job = claim_next(self.name)
        if job is None:
            return False
        log.info("worker %s: running %s", self.name, job)
        run_job(job)
        return True

    def run_forever(self, *, exit_when_idle: bool = False) -> None:
        log.info("worker %s started", self.name)
        while not self.stopping.is_set():
            if self.run_once():
                continue
            if exit_when_idle:
                break
            self.stopping.wait(self.poll_seconds)
        log.info("worker %s stopped", self.name)
