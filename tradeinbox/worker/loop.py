"""The ``tradeinbox worker`` loop: claim, run, repeat; stop cleanly on SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
import time

from django.db import close_old_connections

from tradeinbox.worker.jobs import claim_next, ensure_periodic, handlers, run_job, worker_name

log = logging.getLogger(__name__)

#: How often a running worker re-checks that every periodic kind has a pending row.
PERIODIC_CHECK_SECONDS = 300.0

# Services are ticked between jobs (outbox, schedules, mail sync). An app registers a
# factory ``factory(worker) -> object with tick() -> bool and stop()`` from its jobs module.
_SERVICE_FACTORIES: list = []


def register_service(factory):
    if factory not in _SERVICE_FACTORIES:
        _SERVICE_FACTORIES.append(factory)
    return factory


class Worker:
    def __init__(self, *, poll_seconds: float = 1.0, name: str | None = None) -> None:
        self.poll_seconds = poll_seconds
        self.name = name or worker_name()
        self.stopping = threading.Event()
        self.exit_when_idle = False
        self.services: list = []
        self._periodic_checked = float("-inf")

    def install_signal_handlers(self) -> None:
        def stop(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
            log.info("worker %s: signal %s, finishing the current job", self.name, signum)
            self.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def run_once(self) -> bool:
        """Run one due job; False if there was none."""
        close_old_connections()
        self._ensure_periodic()
        busy = False
        for service in self.services:
            try:
                busy = bool(service.tick()) or busy
            except Exception:  # noqa: BLE001 - a failing service must not stop the worker
                log.exception("worker %s: service %s failed", self.name, service)
        job = claim_next(self.name)
        if job is None:
            return busy
        log.info("worker %s: running %s", self.name, job)
        run_job(job)
        return True

    def _ensure_periodic(self) -> None:
        """Bootstrap periodic kinds at start, then now and then (a crash between a job
        row and its successor cannot happen, but a row can be deleted by hand). A
        drain-and-exit run (tests, one-off CLI) starts no schedule."""
        if self.exit_when_idle:
            return
        if time.monotonic() - self._periodic_checked < PERIODIC_CHECK_SECONDS:
            return
        self._periodic_checked = time.monotonic()
        try:
            for job in ensure_periodic():
                log.info("worker %s: scheduled periodic %s", self.name, job)
        except Exception:  # noqa: BLE001 - the database may be briefly away; retry later
            log.exception("worker %s: could not check periodic jobs", self.name)

    def run_forever(self, *, exit_when_idle: bool = False) -> None:
        log.info("worker %s started", self.name)
        self.exit_when_idle = exit_when_idle
        handlers()  # imports every app's jobs module, which registers its services
        self.services = [factory(self) for factory in _SERVICE_FACTORIES]
        try:
            while not self.stopping.is_set():
                if self.run_once():
                    continue
                if exit_when_idle:
                    break
                self.stopping.wait(self.poll_seconds)
        finally:
            for service in self.services:
                service.stop()
        log.info("worker %s stopped", self.name)
