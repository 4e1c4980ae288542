"""``custodio agency add``: a new agency and its first administrator. [local]"""

from __future__ import annotations

import click

from custodio.access import admin
from custodio.access.cli.context import Context, pass_context


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


COMMANDS = [agency]
