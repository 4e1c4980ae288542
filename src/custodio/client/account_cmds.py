"""``custodio unit|user|password``: your password, and administrators' users and units."""

from __future__ import annotations

import sys

import click

from custodio.client.api import path_part
from custodio.client.context import Context, json_option, pass_context
from custodio.client.text import emit_rows

ROLES = ("administrator", "warrant_officer", "investigator", "interpreter", "judge", "auditor")


@click.group()
def unit() -> None:
    """Units of your agency (cases belong to a unit)."""


@unit.command("add")
@click.argument("name")
@pass_context
def unit_add(ctx: Context, name: str) -> None:
    """Create unit NAME in your agency."""
    ctx.api().post("/units", {"name": name})
    click.echo(f"unit {name!r} created")


@click.group()
def user() -> None:
    """Users of your agency."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, help=f"One of: {', '.join(ROLES)}.")
@click.option("--agency", "agency_name", help="Agency (only your own may be named).")
@click.option("--unit", "unit_name", help="Unit of the user.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_context
def user_add(
    ctx: Context,
    name: str,
    role: str,
    agency_name: str | None,
    unit_name: str | None,
    password_stdin: bool,
) -> None:
    """Create user NAME; without --password-stdin a random first password is printed once."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    body = {"name": name, "role": role, "agency": agency_name, "unit": unit_name,
            "password": password}  # fmt: skip
    first = ctx.api().post("/users", body)["first_password"]
    click.echo(f"user {name!r} created with role {role}")
    if first is not None:
        click.echo(f"first password (shown once, must be changed): {first}")


@user.command("list")
@json_option
@pass_context
def user_list(ctx: Context, as_json: bool) -> None:
    """List the users of your agency."""
    rows = ctx.api().get("/users")
    emit_rows(rows, ["name", "role", "unit", "locked_until", "disabled"], as_json)


@user.command("unlock")
@click.argument("name")
@pass_context
def user_unlock(ctx: Context, name: str) -> None:
    """Unlock NAME after repeated failed logins."""
    ctx.api().post(f"/users/{path_part(name)}/unlock")
    click.echo(f"user {name!r} unlocked")


@user.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@pass_context
def user_disable(ctx: Context, name: str, enable: bool) -> None:
    """Disable (or --enable) the account NAME."""
    ctx.api().post(f"/users/{path_part(name)}/disable", {"disabled": not enable})
    click.echo(f"user {name!r} {'enabled' if enable else 'disabled'}")


@user.command("reset-totp")
@click.argument("name")
@pass_context
def user_reset_totp(ctx: Context, name: str) -> None:
    """Forget the second factor of NAME (a lost device) and end his sessions; he enrols a
    new one at his next login (`custodio totp enrol`)."""
    done = ctx.api().post(f"/users/{path_part(name)}/totp/reset")
    what = "second factor reset" if done["had_second_factor"] else "no second factor to reset"
    click.echo(f"user {name!r}: {what}; {done['sessions_ended']} session(s) ended")


@click.command()
@pass_context
def password(ctx: Context) -> None:
    """Change your own password (asks for the new one twice; the current one once, when a
    saved session is used, or as the login's password otherwise)."""
    api = ctx.api()
    old = ctx.password_given or click.prompt("current password", hide_input=True)
    new = click.prompt("new password", hide_input=True, confirmation_prompt=True)
    api.post("/me/password", {"old": old, "new": new})
    click.echo("password changed")


COMMANDS = [unit, user, password]
