"""The embedded executor: a pool of worker threads claiming jobs from the catalog.

Each thread claims one due job at a time (:meth:`Runner.run_next`), runs it and records
its end; with nothing due it waits ``poll_seconds`` or until :meth:`wake`. A heartbeat
thread extends the leases of the jobs in progress every third of ``jobs_lease_seconds``,
so a long job is not taken over while its worker lives; when the process dies the leases
run out and any executor sharing the catalog claims the jobs again.

:meth:`stop` waits for the jobs in progress, at most ``stop_grace_seconds`` when given
(``custodio serve`` must not hang on a long transcription): the jobs still running then
are given back to the queue, to run again from the start in the next process.
"""

from __future__ import annotations

import logging
import threading
import time

from custodio.classify import handlers
from custodio.classify.jobs import JobContext, Runner
from custodio.errors import CustodioError

log = logging.getLogger(__name__)


class LocalExecutor:
    def __init__(
        self,
        ctx: JobContext,
        *,
        workers: int = 1,
        poll_seconds: float = 1.0,
        stop_grace_seconds: float | None = None,
    ) -> None:
        if workers < 1:
            raise CustodioError(f"jobs_workers must be at least 1, not {workers}")
        handlers.install()
        self.runner = Runner(ctx)
        self.workers = workers
        self.poll_seconds = poll_seconds
        self.stop_grace_seconds = stop_grace_seconds
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for i in range(self.workers):
            t = threading.Thread(target=self._work, name=f"job-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        beat = threading.Thread(target=self._heartbeat, name="job-heartbeat", daemon=True)
        beat.start()
        self._threads.append(beat)
        log.info("jobs: local executor with %d worker thread(s)", self.workers)

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        grace = self.stop_grace_seconds
        deadline = None if grace is None else time.monotonic() + grace
        for t in self._threads:
            t.join(None if deadline is None else max(deadline - time.monotonic(), 0))
        if self.busy():
            released = self.runner.release()
            log.warning("jobs: stopped without waiting for job(s) %s; queued again", released)

    def busy(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                job = self.runner.run_next()
            except Exception as e:  # the catalog failed: the lease brings the job back
                log.error("jobs: %s; retrying in %s s", e, self.poll_seconds)
                job = None
            if job is None:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def _heartbeat(self) -> None:
        every = max(self.runner.ctx.config.settings.jobs_lease_seconds / 3, 0.1)
        while not self._stop.wait(every):
            try:
                self.runner.heartbeat()
            except CustodioError as e:
                log.error("jobs: lease renewal failed: %s", e)
