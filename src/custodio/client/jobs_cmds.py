"""``custodio jobs``: the classification jobs (`custodio classify` queues a case's:
:mod:`custodio.client.classify_cmds`; the service's workers run them)."""

from __future__ import annotations

import click

from custodio.client.context import Context, json_option, pass_context
from custodio.client.text import emit_rows
from custodio.errors import InvalidInput

STATES = ("queued", "running", "done", "failed")
"""A job's states (the catalog's ``jobs.state``)."""


@click.group()
def jobs() -> None:
    """Classification jobs: one per communication, queued when it closes."""


@jobs.command("list")
@click.option("--state", type=click.Choice(STATES), help="Only jobs in this state.")
@json_option
@pass_context
def jobs_list(ctx: Context, state: str | None, as_json: bool) -> None:
    """Your agency's jobs, latest change first; a failed job shows its error."""
    rows = ctx.api().get("/jobs", {"state": state})
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
    body = {"ids": None if all_failed else list(job_ids)}
    ids = list(ctx.api().post("/jobs/retry", body)["jobs"])
    click.echo(f"queued again: {len(ids)} job(s)" + (f" ({id_list(ids)})" if ids else ""))


def id_list(ids: list[int]) -> str:
    """At most 20 ids, for a line of text."""
    return ", ".join(str(i) for i in ids[:20]) + (", ..." if len(ids) > 20 else "")


COMMANDS = [jobs]
