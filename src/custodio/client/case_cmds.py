"""``custodio case|protected``: cases, who works them, and the protected list."""

from __future__ import annotations

import click

from custodio.client.api import path_part
from custodio.client.context import Context, json_option, pass_context
from custodio.client.text import emit_object, emit_rows


@click.group()
def case() -> None:
    """Cases: court proceedings whose intercepts Custodio keeps."""


@case.command("add")
@click.argument("reference")
@click.option("--court", required=True, help="The court in charge, e.g. 'JI nº 3 Madrid'.")
@click.option("--title", required=True, help="A short title.")
@click.option("--unit", "unit_name", required=True, help="The unit that investigates.")
@pass_context
def case_add(ctx: Context, reference: str, court: str, title: str, unit_name: str) -> None:
    """Open case REFERENCE (the court's reference, e.g. 'DP 123/2026')."""
    body = {"reference": reference, "court": court, "title": title, "unit": unit_name}
    ctx.api().post("/cases", body)
    click.echo(f"case {reference!r} created")


@case.command("list")
@json_option
@pass_context
def case_list(ctx: Context, as_json: bool) -> None:
    """List the cases you may see."""
    rows = ctx.api().get("/cases")
    emit_rows(rows, ["reference", "court", "title", "unit", "status"], as_json)


@case.command("show")
@click.argument("reference")
@json_option
@pass_context
def case_show(ctx: Context, reference: str, as_json: bool) -> None:
    """Show a case with its warrants and who is assigned."""
    emit_object(ctx.api().get(f"/cases/{path_part(reference)}"), as_json)


@case.command("assign")
@click.argument("reference")
@click.argument("user")
@click.option("--until", metavar="DATE", help="End of the assignment (inclusive).")
@pass_context
def case_assign(ctx: Context, reference: str, user: str, until: str | None) -> None:
    """Assign USER to work case REFERENCE."""
    body = {"user": user, "until": until}
    ctx.api().post(f"/cases/{path_part(reference)}/assignments", body)
    click.echo(f"{user} assigned to case {reference!r}" + (f" until {until}" if until else ""))


@case.command("unassign")
@click.argument("reference")
@click.argument("user")
@pass_context
def case_unassign(ctx: Context, reference: str, user: str) -> None:
    """End USER's assignment to case REFERENCE."""
    ctx.api().delete(f"/cases/{path_part(reference)}/assignments/{path_part(user)}")
    click.echo(f"{user} no longer assigned to case {reference!r}")


@case.command("close")
@click.argument("reference")
@pass_context
def case_close(ctx: Context, reference: str) -> None:
    """Close case REFERENCE."""
    ctx.api().post(f"/cases/{path_part(reference)}/close")
    click.echo(f"case {reference!r} closed")


@click.group()
def protected() -> None:
    """Protected numbers (defence lawyers): their communications are sealed."""


@protected.command("add")
@click.argument("number")
@click.option("--reason", required=True, help="Who this is, e.g. 'defence counsel of X'.")
@pass_context
def protected_add(ctx: Context, number: str, reason: str) -> None:
    """Add NUMBER to the protected list."""
    normalised = ctx.api().post("/protected", {"number": number, "reason": reason})["number"]
    click.echo(f"{normalised} is protected")


@protected.command("remove")
@click.argument("number")
@click.option("--reason", required=True, help="Why it no longer needs protection.")
@pass_context
def protected_remove(ctx: Context, number: str, reason: str) -> None:
    """Take NUMBER off the protected list (judges only)."""
    body = {"number": number, "reason": reason}
    normalised = ctx.api().post("/protected/remove", body)["number"]
    click.echo(f"{normalised} is no longer protected")


@protected.command("list")
@json_option
@pass_context
def protected_list(ctx: Context, as_json: bool) -> None:
    """List the protected numbers of your agency."""
    rows = ctx.api().get("/protected")
    emit_rows(rows, ["number", "reason", "added_by", "created_at"], as_json)


COMMANDS = [case, protected]
