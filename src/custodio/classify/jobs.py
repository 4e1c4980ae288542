"""Classification jobs: handlers by kind, and running one claimed job.

The queue lives in the catalog (:mod:`custodio.catalog.jobs`); this module is what both
executors share (:mod:`custodio.classify.executors`): a :class:`Runner` claims a job,
calls the handler registered for its kind, then records the end — done, or a failed
attempt retried with back-off — in the catalog. A handler must be idempotent: a job can
run more than once (its worker died after the work but before recording it, or its lease
ran out), so a run replaces its own earlier results instead of adding to them.

The handler of kind ``classify`` is :func:`custodio.classify.pipeline.run`; that module
is imported, and registers itself, the first time a ``classify`` job runs.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from custodio.catalog import jobs as queue
from custodio.catalog.jobs import Job
from custodio.config import Config
from custodio.db import Database, Tx
from custodio.errors import ConfigError, CustodioError
from custodio.vault.store import Vault

__all__ = [
    "CLASSIFY",
    "Handler",
    "Job",
    "JobContext",
    "Runner",
    "describe",
    "enqueue",
    "handler_for",
    "register",
    "wait_for",
]

log = logging.getLogger(__name__)

CLASSIFY = queue.CLASSIFY
FINISHED = ("done", "failed")


@dataclass(frozen=True)
class JobContext:
    """What a handler may use: the settings, the catalog and the (unlocked) vault."""

    config: Config
    db: Database
    vault: Vault


Handler = Callable[[JobContext, Job], None]

_handlers: dict[str, Handler] = {}  # classify.handlers.install() registers the known kinds
_lock = threading.Lock()


def register(kind: str, handler: Handler) -> None:
    """Run ``handler`` for jobs of ``kind`` (replacing any handler registered before)."""
    with _lock:
        _handlers[kind] = handler


def handler_for(kind: str) -> Handler:
    """The handler registered for ``kind``."""
    with _lock:
        handler = _handlers.get(kind)
    if handler is None:
        raise ConfigError(
            f"no handler for jobs of kind {kind!r}",
            hint="this Custodio does not know how to run it; `custodio jobs list` shows it",
        )
    return handler


def enqueue(db: Database, kind: str, communication_id: int, case_id: int | None) -> int:
    """Queue a job in a transaction of its own (assembly queues inside its own instead)."""
    return db.write(lambda tx: queue.enqueue(tx, kind, communication_id, case_id))


def describe(error: BaseException) -> str:
    """The error text kept in the job's row: our errors' messages, else the type and line.

    Handlers must raise errors that carry no content (no transcript, no number): the text
    is shown to administrators, who may not read content.
    """
    if isinstance(error, CustodioError):
        return str(error)
    line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {line}" if line else type(error).__name__


class Runner:
    """Claims and runs jobs for one process, and keeps the leases of those it runs."""

    def __init__(self, ctx: JobContext, name: str | None = None) -> None:
        self.ctx = ctx
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self._running: dict[int, tuple[Job, str]] = {}  # job id -> (job, worker holding it)
        self._lock = threading.Lock()

    def worker(self) -> str:
        """This thread's worker name (unique among the machines sharing the catalog)."""
        return f"{self.name}:{threading.current_thread().name}"

    def run_next(self) -> Job | None:
        """Claim any due job and run it; the job, or None when nothing was due."""
        if not self.ctx.db.read(queue.any_due):
            return None  # checked with a read first: an idle pool commits nothing
        worker = self.worker()
        job = self._claim(worker, None)
        if job is not None:
            self._run(job, worker)
        return job

    def run_job(self, job_id: int) -> str:
        """Run this job if it is due: its new state, or ``skipped`` (not due: done,
        running under another worker's lease, or waiting for its back-off)."""
        worker = self.worker()
        job = self._claim(worker, job_id)
        return "skipped" if job is None else self._run(job, worker)

    def _claim(self, worker: str, job_id: int | None) -> Job | None:
        s = self.ctx.config.settings
        return self.ctx.db.write(
            lambda tx: queue.claim(
                tx, worker, lease_seconds=s.jobs_lease_seconds,
                max_attempts=s.jobs_max_attempts, job_id=job_id,
            )
        )  # fmt: skip

    def _run(self, job: Job, worker: str) -> str:
        s = self.ctx.config.settings
        with self._lock:
            self._running[job.id] = (job, worker)
        try:
            handler_for(job.kind)(self.ctx, job)
        except Exception as e:  # any failure of the handler is a failed attempt
            error = describe(e)
            state = self.ctx.db.write(
                lambda tx: queue.fail(
                    tx, job, worker, error, retry_seconds=s.jobs_retry_seconds,
                    max_attempts=s.jobs_max_attempts,
                )
            )  # fmt: skip
            log.warning("job %d (%s, attempt %d): %s -> %s", job.id, job.kind, job.attempts,
                        error, state)  # fmt: skip
            return state
        finally:
            with self._lock:
                self._running.pop(job.id, None)
        state = self.ctx.db.write(lambda tx: queue.finish(tx, job, worker))
        log.info("job %d (%s, communication %d): %s", job.id, job.kind, job.communication_id,
                 state)  # fmt: skip
        return state

    def heartbeat(self) -> None:
        """Extend the leases of the jobs running now (call every lease/3 seconds)."""
        with self._lock:
            running = dict(self._running)
        if not running:
            return
        lease = self.ctx.config.settings.jobs_lease_seconds

        def renew(tx: Tx) -> None:
            for job_id, (_, worker) in running.items():
                queue.renew(tx, [job_id], worker, lease_seconds=lease)

        self.ctx.db.write(renew)

    def release(self) -> list[int]:
        """Give back the jobs still running (the process stops without waiting for them):
        queued again at once instead of when their leases run out. Their handlers' late
        results are ignored (:func:`custodio.catalog.jobs.finish` answers ``lost``)."""
        with self._lock:
            running = list(self._running.values())
        if not running:
            return []
        return self.ctx.db.write(
            lambda tx: [job.id for job, worker in running if queue.release(tx, job, worker)]
        )


def wait_for(
    db: Database,
    job_ids: Sequence[int],
    *,
    progress: Callable[[int], None] | None = None,
    poll_seconds: float = 0.5,
    stop: threading.Event | None = None,
) -> dict[int, str]:
    """Wait until every job is done or failed; their states. ``progress(n)``: n finished."""
    ids = list(job_ids)
    while True:
        states = db.read(lambda tx: queue.states(tx, ids))
        finished = sum(1 for i in ids if states.get(i) in FINISHED)
        if progress is not None:
            progress(finished)
        if finished == len(ids) or (stop is not None and stop.is_set()):
            return states
        time.sleep(poll_seconds)
