"""Where classification jobs run: one interface, two executors.

- :class:`~custodio.classify.executors.local.LocalExecutor` (``jobs_executor = "local"``,
  the embedded default): worker threads inside ``custodio serve`` claim due jobs from the
  catalog. No broker.
- :class:`~custodio.classify.executors.distributed.Publisher` (``"dramatiq"``): ``custodio
  serve`` sends the ids of due jobs to a RabbitMQ queue; ``custodio worker`` processes
  (:func:`~custodio.classify.executors.distributed.run_worker`), on any machine sharing the
  catalog and the vault, consume it with Dramatiq.

Either way the catalog is the source of truth (docs/classification.md, "Jobs"): a job is
claimed there, under a lease, before it runs, and its end is recorded there.
"""

from __future__ import annotations

from typing import Protocol

from custodio.classify.executors.local import LocalExecutor
from custodio.classify.jobs import JobContext
from custodio.errors import ConfigError

__all__ = ["EXECUTORS", "Executor", "LocalExecutor", "for_config"]

EXECUTORS = ("local", "dramatiq")


class Executor(Protocol):
    def start(self) -> None:
        """Begin running (or publishing) due jobs in background threads."""

    def wake(self) -> None:
        """Jobs were queued: look now rather than at the next poll."""

    def stop(self) -> None:
        """Stop after the jobs in progress (or after a grace period, giving back those
        still running); return when done."""

    def busy(self) -> bool:
        """After :meth:`stop`: whether a handler still runs (it was given a grace period
        and outlived it). Its process must then end with ``os._exit``: a model's native
        code still running would crash Python's finalisation."""


def for_config(ctx: JobContext, *, stop_grace_seconds: float | None = 10.0) -> Executor:
    """The executor the settings name (``jobs_executor``), not yet started.

    ``stop_grace_seconds``: how long the local executor's stop waits for the jobs in
    progress before it gives them back to the queue (None: until they end).
    """
    kind = ctx.config.settings.jobs_executor
    if kind == "local":
        workers = ctx.config.settings.jobs_workers
        return LocalExecutor(ctx, workers=workers, stop_grace_seconds=stop_grace_seconds)
    if kind == "dramatiq":  # imported only then: Dramatiq and pika are not loaded otherwise
        from custodio.classify.executors.distributed import Publisher  # noqa: PLC0415

        return Publisher(ctx.config, ctx.db)
    raise ConfigError(
        f"jobs_executor {kind!r} is unknown", hint=f"set it to one of {', '.join(EXECUTORS)}"
    )
