"""The ``tradeinbox worker`` loop: claim, run, repeat; stop cleanly on SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading

from django.db import close_old_connections

from tradeinbox.worker.jobs import claim_next, handlers, run_job, worker_name

log = logging.getLogger(__name__)

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

    def install_signal_handlers(self) -> None:
        def stop(signum, frame) -> None:  # noqa: ARG001 - signal handler signature
            log.info("worker %s: signal %s, finishing the current job", self.name, signum)
            self.stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)

    def run_once(self) -> bool:
        """Run one due job; False if there was none."""
        close_old_connections()
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
