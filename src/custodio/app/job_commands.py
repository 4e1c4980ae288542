"""``custodio worker``: classification jobs run on this machine.

It unlocks the vault (the jobs read the audio) and runs the classification executors, so
it belongs to the composition root, beside ``serve``, which runs the same jobs. (``custodio
classify`` only queues them, through the API: :mod:`custodio.client.classify_cmds`.)
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

import click

from custodio.access.cli.context import Context, pass_context
from custodio.classify.jobs import JobContext


@click.command("worker")
@click.option("--threads", type=int, help="Worker threads [default: setting jobs_workers].")
@pass_context
def worker(ctx: Context, threads: int | None) -> None:
    """Run classification jobs from the RabbitMQ queue (jobs_executor = "dramatiq").

    Opens the data directory's catalog and vault like `custodio serve` (the vault's
    passphrase from CUSTODIO_VAULT_PASSPHRASE or a prompt), then consumes jobs_queue at
    jobs_broker_url until SIGTERM or Ctrl-C, which stop it after the jobs in progress.
    Start as many as you like, on any machine that shares the catalog and the vault.
    """
    from custodio.classify.executors.distributed import redacted, run_worker  # noqa: PLC0415

    svc = ctx.service()
    job_ctx = JobContext(svc.config, svc.db, ctx.vault())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("pika").setLevel(logging.WARNING)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    s = svc.config.settings
    click.echo(f"custodio worker: queue {s.jobs_queue} at {redacted(s.jobs_broker_url)}, "
               f"{threads or s.jobs_workers} thread(s); SIGTERM stops it")  # fmt: skip
    run_worker(job_ctx, stop, threads=threads)
    click.echo("custodio worker stopped")


COMMANDS = [worker]
