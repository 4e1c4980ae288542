"""``custodio classify``: queue classification of a case's communications, which the
service's workers run, and follow the jobs until they end."""

from __future__ import annotations

import time
from typing import Any

import click

from custodio.client.api import Api, path_part
from custodio.client.context import Context, pass_context
from custodio.client.jobs_cmds import id_list
from custodio.errors import CustodioError

ENDED = ("done", "failed")
POLL_SECONDS = 2.0
"""How often --wait asks how the jobs go (each question is an audited read)."""


@click.command("classify")
@click.option("--case", "case_ref", required=True, help="The case.")
@click.option("--redo", is_flag=True, help="All its closed communications, classified or not.")
@click.option("--wait", is_flag=True, help="Follow the jobs until every one has ended.")
@pass_context
def classify(ctx: Context, case_ref: str, redo: bool, wait: bool) -> None:
    """Queue classification of a case's closed communications.

    Without --redo only those not classified yet (or whose job failed). The service's
    workers run the jobs (`custodio serve`, or `custodio worker` processes). With --wait
    this command follows them, a line on stderr as they end, until every one has; it
    fails if any failed. Interrupting it stops only the waiting, not the jobs.
    """
    api = ctx.api()
    queued = api.post(f"/cases/{path_part(case_ref)}/classify", None, {"redo": redo})
    ids = [int(i) for i in queued["jobs"]]
    click.echo(f"queued {queued['queued']} communication(s) of {case_ref} for classification; "
               f"{len(ids)} job(s) to run")  # fmt: skip
    if wait and ids:
        _wait(api, case_ref, ids)


def _wait(api: Api, case_ref: str, ids: list[int]) -> None:
    shown = -1
    while True:
        states = _states(api.get(f"/cases/{path_part(case_ref)}/jobs"))
        ended = sum(1 for i in ids if states.get(i, "done") in ENDED)
        if ended != shown:
            click.echo(f"classify: {ended}/{len(ids)} ({100 * ended // len(ids)}%)", err=True)
            shown = ended
        if ended == len(ids):
            break
        time.sleep(POLL_SECONDS)
    failed = sorted(i for i in ids if states.get(i) == "failed")
    click.echo(f"done: {len(ids) - len(failed)}, failed: {len(failed)}")
    if failed:
        raise CustodioError(f"{len(failed)} job(s) failed: {id_list(failed)}",
                            hint="`custodio jobs list --state failed` shows why")  # fmt: skip


def _states(rows: list[dict[str, Any]]) -> dict[int, str]:
    return {int(r["id"]): str(r["state"]) for r in rows}


COMMANDS = [classify]
