"""``custodio classify`` and ``custodio worker``: classification jobs run on this machine.

Both unlock the vault (the jobs read the audio) and run the classification executors, so
they belong to the composition root, beside ``serve``, which runs the same jobs.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType

import click
from tqdm import tqdm

from custodio.access import jobs as service
from custodio.access.cli.context import Context, pass_context
from custodio.client.jobs_cmds import id_list
from custodio.classify.executors import Executor, LocalExecutor
from custodio.classify.jobs import JobContext, wait_for
from custodio.errors import CustodioError


@click.command("classify")
@click.option("--case", "case_ref", required=True, help="The case.")
@click.option("--redo", is_flag=True, help="All its closed communications, classified or not.")
@click.option("--wait", is_flag=True, help="Run or await the jobs, with a progress bar.")
@pass_context
def classify(ctx: Context, case_ref: str, redo: bool, wait: bool) -> None:
    """Queue classification of a case's closed communications.

    Without --redo only those not classified yet (or whose job failed). The jobs run in
    `custodio serve` (or `custodio worker` processes); with --wait this command runs them
    itself with the local executor (the vault's passphrase is needed) or, with the
    dramatiq executor, publishes them now, then waits until every one has ended.
    """
    svc = ctx.service()
    ids, queued = service.classify_case(svc, ctx.session(), case_ref, redo=redo)
    click.echo(f"queued {queued} communication(s) of {case_ref} for classification; "
               f"{len(ids)} job(s) to run")  # fmt: skip
    if wait and ids:
        _run_and_wait(ctx, ids)


def _run_and_wait(ctx: Context, ids: list[int]) -> None:
    svc = ctx.service()
    executor: Executor
    if svc.config.settings.jobs_executor == "dramatiq":
        from custodio.classify.executors.distributed import Publisher  # noqa: PLC0415 (optional)

        executor = Publisher(svc.config, svc.db)
        executor.publish_due()
    else:
        job_ctx = JobContext(svc.config, svc.db, ctx.vault())
        workers = svc.config.settings.jobs_workers
        executor = LocalExecutor(job_ctx, workers=workers, stop_grace_seconds=10)
    executor.start()
    try:
        with tqdm(total=len(ids), unit="comm", desc="classify", file=sys.stderr) as bar:
            states = wait_for(svc.db, ids, progress=lambda n: bar.update(n - bar.n))
    finally:
        executor.stop()
        if executor.busy():  # interrupted mid-job: see Executor.busy
            click.echo("custodio: interrupted; the jobs still running are queued again", err=True)
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
    failed = sorted(i for i, s in states.items() if s == "failed")
    click.echo(f"done: {len(ids) - len(failed)}, failed: {len(failed)}")
    if failed:
        raise CustodioError(f"{len(failed)} job(s) failed: {id_list(failed)}",
                            hint="`custodio jobs list --state failed` shows why")  # fmt: skip


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


COMMANDS = [classify, worker]
