"""The distributed executor: Dramatiq on RabbitMQ (``jobs_executor = "dramatiq"``).

The catalog stays the source of truth; a message carries nothing but a job id.

- :class:`Publisher` (inside ``custodio serve``) sweeps the catalog every second and sends
  the ids of due jobs to the ``jobs_queue`` queue at ``jobs_broker_url``, recording when
  (``jobs.published_at``). It also re-sends jobs whose lease ran out (their worker died)
  and jobs queued while the broker was unreachable: a publishing error is logged, the
  jobs stay queued in the catalog, the next sweep tries again.
- :func:`run_worker` (``custodio worker``) runs a Dramatiq ``Worker`` in-process. For each
  message it claims the job in the catalog under a lease, runs the handler, records the
  end, and only then returns, so Dramatiq acknowledges the message after the work
  (late acknowledgement: a worker killed mid-job leaves its message unacknowledged, and
  RabbitMQ delivers it again). A message for a job that is not due — done, or running
  under a live lease, or a duplicate — is acknowledged as a no-op.

Delivery is at least once and the handlers are idempotent, so every job's effect is there
exactly once. Nothing here connects to RabbitMQ at import or construction: the broker and
the actor are built per executor (never Dramatiq's global broker), and pika connects on
the first publish or consume; a broker that is down does not stop ``custodio serve``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

import dramatiq
import pika.exceptions
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.errors import BrokerError

from custodio.catalog import jobs as queue
from custodio.classify import handlers
from custodio.classify.jobs import JobContext, Runner
from custodio.config import Config
from custodio.db import Database, Tx
from custodio.errors import BackendError

log = logging.getLogger(__name__)

ACTOR = "custodio_job"


def redacted(url: str) -> str:
    """The broker URL without its password, for messages and logs."""
    parts = urlsplit(url)
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{parts.hostname or ''}{port}{parts.path}"


def make_broker(url: str) -> RabbitmqBroker:
    """A broker of our own (no middleware: retries and time limits are the catalog's)."""
    return RabbitmqBroker(url=url, middleware=[], confirm_delivery=True)


def declare(
    broker: RabbitmqBroker, queue_name: str, run: Callable[[int], None]
) -> dramatiq.Actor[[int], None]:
    """The one actor: ``run(job_id)``. Declaring it does not touch the network."""
    return dramatiq.Actor(
        run, broker=broker, actor_name=ACTOR, queue_name=queue_name, priority=0, options={}
    )


def _unreachable(url: str, error: BaseException) -> BackendError:
    return BackendError(
        f"the job broker {redacted(url)} is unreachable ({type(error).__name__}); the jobs "
        "stay queued in the catalog and are published when it answers",
        hint="start RabbitMQ or fix jobs_broker_url",
    )


def _not_here(job_id: int) -> None:
    raise RuntimeError("the publisher never runs jobs")


class Publisher:
    """Sends due jobs' ids to the broker: ``custodio serve``'s side of the executor."""

    def __init__(self, config: Config, db: Database, *, sweep_seconds: float = 1.0) -> None:
        self.db = db
        s = config.settings
        self.url = s.jobs_broker_url
        self.republish_seconds = float(s.jobs_lease_seconds)
        self.sweep_seconds = sweep_seconds
        self.broker = make_broker(self.url)
        self.actor = declare(self.broker, s.jobs_queue, _not_here)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def publish_due(self) -> int:
        """Send every job due now; how many. Raises :class:`BackendError` when the broker
        cannot be reached (those not sent stay queued, unpublished, in the catalog)."""
        if not self.db.read(self._due):
            return 0  # an idle sweep writes nothing
        # marked before sending: a worker that fails the job meanwhile clears the mark
        ids = self.db.write(self._take)
        for n, job_id in enumerate(ids):
            try:
                self.actor.send(job_id)
            except (BrokerError, pika.exceptions.AMQPError, OSError) as e:
                self._unmark(ids[n:])
                raise _unreachable(self.url, e) from None
        return len(ids)

    def _unmark(self, unsent: list[int]) -> None:
        self.db.write(lambda tx: queue.mark_published(tx, unsent, clear=True))

    def _due(self, tx: Tx) -> list[int]:
        return queue.to_publish(tx, republish_seconds=self.republish_seconds)

    def _take(self, tx: Tx) -> list[int]:
        ids = self._due(tx)
        queue.mark_published(tx, ids)
        return ids

    def start(self) -> None:
        self._thread = threading.Thread(target=self._sweep, name="job-publisher", daemon=True)
        self._thread.start()
        log.info("jobs: publishing to %s queue %s", redacted(self.url), self.actor.queue_name)

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        self.broker.close()

    def busy(self) -> bool:
        return False  # it runs no handler

    def _sweep(self) -> None:
        while not self._stop.is_set():
            try:
                self.publish_due()
                if self._failing:
                    log.info("jobs: the broker answers again")
                self._failing = False
            except BackendError as e:
                if not self._failing:
                    log.error("jobs: %s", e)
                self._failing = True
            except Exception as e:  # the catalog failed: try again at the next sweep
                log.error("jobs: publishing failed: %s", e)
            self._wake.wait(self.sweep_seconds)
            self._wake.clear()


def check_broker(url: str) -> None:
    """Connect once, so that a worker started against a dead broker says so at once."""
    try:
        connection = pika.BlockingConnection(pika.URLParameters(url))
    except (pika.exceptions.AMQPError, OSError) as e:
        raise _unreachable(url, e) from None
    connection.close()


def run_worker(ctx: JobContext, stop: threading.Event, *, threads: int | None = None) -> None:
    """Consume the job queue until ``stop`` is set; then finish the jobs in progress.

    Messages prefetched but not started are handed back to RabbitMQ at the stop; a job
    interrupted by a kill is delivered again by RabbitMQ, or re-published by the
    :class:`Publisher` once its lease has run out.
    """
    s = ctx.config.settings
    check_broker(s.jobs_broker_url)
    handlers.install()
    runner = Runner(ctx)
    broker = make_broker(s.jobs_broker_url)

    def run(job_id: int) -> None:
        state = runner.run_job(int(job_id))
        log.debug("job %s: %s", job_id, state)

    declare(broker, s.jobs_queue, run)
    worker = dramatiq.Worker(broker, worker_threads=threads or s.jobs_workers)
    worker.start()
    log.info("jobs: worker consuming %s queue %s", redacted(s.jobs_broker_url), s.jobs_queue)
    try:
        while not stop.wait(max(s.jobs_lease_seconds / 3, 0.1)):
            try:
                runner.heartbeat()
            except Exception as e:  # the catalog failed; the leases may run out
                log.error("jobs: lease renewal failed: %s", e)
    finally:
        worker.stop()
        broker.close()
