"""``custodio jobs|classify|worker``: the classification jobs and the processes running them."""

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
from custodio.access.cli.context import Context, emit_rows, json_option, pass_context
from custodio.catalog.jobs import STATES
from custodio.classify.executors import Executor, LocalExecutor
from custodio.classify.jobs import JobContext, wait_for
from custodio.errors import CustodioError, InvalidInput


@click.group()
def jobs() -> None:
    """Classification jobs: one per communication, queued when it closes."""


@jobs.command("list")
@click.option("--state", type=click.Choice(STATES), help="Only jobs in this state.")
@json_option
@pass_context
def jobs_list(ctx: Context, state: str | None, as_json: bool) -> None:
    """Your agency's jobs, latest change first; a failed job shows its error."""
    rows = service.list_jobs(ctx.service(), ctx.session(), state)
    columns = ["id", "kind", "communication_id", "case_ref", "state", "attempts", "generation",
               "updated_at", "error"]  # fmt: skip
    emit_rows(rows, columns, as_json)


@jobs.command("retry")
@click.argument("job_ids", nargs=-1, type=int)
@click.option("--failed", "all_failed", is_flag=True, help="Every failed job of your agency.")
@pass_context
def jobs_retry(ctx: Context, job_ids: tuple[int, ...], all_failed: bool) -> None:
    """Queue failed jobs again (their attempts start from zero)."""
    if bool(job_ids) == all_failed:
        raise InvalidInput("name the jobs to retry or give --failed (not both)",
                           hint="`custodio jobs list --state failed` shows them")  # fmt: skip
    ids = service.retry_jobs(ctx.service(), ctx.session(), None if all_failed else job_ids)
    click.echo(f"queued again: {len(ids)} job(s)" + (f" ({_ids(ids)})" if ids else ""))


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
        raise CustodioError(f"{len(failed)} job(s) failed: {_ids(failed)}",
                            hint="`custodio jobs list --state failed` shows why")  # fmt: skip


def _ids(ids: list[int]) -> str:
    return ", ".join(str(i) for i in ids[:20]) + (", ..." if len(ids) > 20 else "")


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


COMMANDS = [jobs, classify, worker]
