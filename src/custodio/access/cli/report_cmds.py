"""``custodio handover report``: what operators delivered, per LIID, and what went wrong."""

from __future__ import annotations

from typing import Any

import click

from custodio.access import report as service
from custodio.access.cli.context import Context, emit_object, emit_rows, json_option, pass_context
from custodio.db.times import parse_user_time, to_text


@click.group()
def handover() -> None:
    """The handover interfaces: what the operators deliver."""


@handover.command("report")
@click.option("--operator", metavar="OP", help="Only this operator (as its PDUs name it).")
@click.option("--since", metavar="DATE", help="Only what was received at or after (ISO 8601).")
@json_option
@pass_context
def handover_report(ctx: Context, operator: str | None, since: str | None, as_json: bool) -> None:
    """Per operator and LIID: PDUs received, gaps, duplicates, reordering, quarantine.

    What a warrant officer sends back to an operator whose delivery is broken.
    """
    since_text = to_text(parse_user_time(since)) if since else None
    found = service.handover_report(ctx.service(), ctx.session(), operator=operator,
                                    since=since_text)  # fmt: skip
    if as_json:
        emit_object(found, True)
        return
    emit_rows(found["liids"], _COLUMNS, False)
    for row in found["liids"]:
        for gap in row["gap_ranges"]:
            click.echo(f"{row['liid']} CIN {gap['cin']} {gap['channel']}: missing "
                       f"{_ranges(gap['missing'])}")  # fmt: skip
    if found["malformed"]:
        click.echo("malformed input (no LIID):")
        emit_rows(found["malformed"], ["connection", "reason", "items", "last_at"], False)


_COLUMNS = ["operator", "liid", "communications", "pdus", "gaps", "missing_pdus",
            "duplicates", "reordered", "quarantined"]  # fmt: skip


def _ranges(ranges: list[Any]) -> str:
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


COMMANDS = [handover]
