"""``custodio jobs``: the classification jobs (`custodio classify` and `custodio worker`, which
run them on this machine, are the composition root's: :mod:`custodio.app.job_commands`)."""

from __future__ import annotations

import click

from custodio.access import jobs as service
from custodio.access.cli.context import Context, emit_rows, json_option, pass_context
from custodio.catalog.jobs import STATES
from custodio.errors import InvalidInput


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
    click.echo(f"queued again: {len(ids)} job(s)" + (f" ({id_list(ids)})" if ids else ""))


def id_list(ids: list[int]) -> str:
    """At most 20 ids, for a line of text."""
    return ", ".join(str(i) for i in ids[:20]) + (", ..." if len(ids) > 20 else "")


COMMANDS = [jobs]
