"""``custodio agency|unit|user|password``: administrators' verbs."""

from __future__ import annotations

import sys

import click

from custodio.access import admin
from custodio.access.cli.context import Context, emit_rows, json_option, pass_context
from custodio.catalog.people import ROLES


@click.group()
def agency() -> None:
    """Agencies: tenants that share the platform but not their cases, users or keys."""


@agency.command("add")
@click.argument("name")
@click.option("--admin", "admin_name", required=True, help="Name of its first administrator.")
@pass_context
def agency_add(ctx: Context, name: str, admin_name: str) -> None:
    """Create agency NAME with its first administrator (his password is printed once)."""
    password = admin.add_agency(ctx.service(), ctx.session(), name, admin_name)
    click.echo(f"agency {name!r} created; administrator {admin_name!r}")
    click.echo(f"first password (shown once, must be changed): {password}")


@click.group()
def unit() -> None:
    """Units of your agency (cases belong to a unit)."""


@unit.command("add")
@click.argument("name")
@pass_context
def unit_add(ctx: Context, name: str) -> None:
    """Create unit NAME in your agency."""
    admin.add_unit(ctx.service(), ctx.session(), name)
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
    new = admin.NewUser(name, role, password, agency_name, unit_name)
    first = admin.add_user(ctx.service(), ctx.session(), new)
    click.echo(f"user {name!r} created with role {role}")
    if first is not None:
        click.echo(f"first password (shown once, must be changed): {first}")


@user.command("list")
@json_option
@pass_context
def user_list(ctx: Context, as_json: bool) -> None:
    """List the users of your agency."""
    rows = admin.list_users(ctx.service(), ctx.session())
    emit_rows(rows, ["name", "role", "unit", "locked_until", "disabled"], as_json)


@user.command("unlock")
@click.argument("name")
@pass_context
def user_unlock(ctx: Context, name: str) -> None:
    """Unlock NAME after repeated failed logins."""
    admin.unlock_user(ctx.service(), ctx.session(), name)
    click.echo(f"user {name!r} unlocked")


@user.command("disable")
@click.argument("name")
@click.option("--enable", is_flag=True, help="Enable the account again instead.")
@pass_context
def user_disable(ctx: Context, name: str, enable: bool) -> None:
    """Disable (or --enable) the account NAME."""
    admin.disable_user(ctx.service(), ctx.session(), name, disabled=not enable)
    click.echo(f"user {name!r} {'enabled' if enable else 'disabled'}")


@click.command()
@pass_context
def password(ctx: Context) -> None:
    """Change your own password (asks for the new one twice; the current one once, when a
    saved session is used, or as the login's password otherwise)."""
    session = ctx.session()
    old = ctx.password_given or click.prompt("current password", hide_input=True)
    new = click.prompt("new password", hide_input=True, confirmation_prompt=True)
    admin.change_password(ctx.service(), session, old, new)
    click.echo("password changed")


COMMANDS = [agency, unit, user, password]
