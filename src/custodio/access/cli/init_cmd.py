"""``custodio init``."""

from __future__ import annotations

import os

import click

from custodio.access import setup
from custodio.access.cli.context import PASSWORD_ENV, Context, pass_context


@click.command()
@click.option(
    "--agency", default="Policía Nacional", show_default=True, help="The first agency (tenant)."
)
@click.option(
    "--admin", default="admin", show_default=True, help="Name of the first administrator."
)
@pass_context
def init(ctx: Context, agency: str, admin: str) -> None:
    """Create a data directory: settings, catalog, audit log, signing key, first administrator.

    The administrator's password is asked for (twice), or taken from CUSTODIO_PASSWORD.
    Refuses, changing nothing, when the directory is already initialised.
    """
    password = os.environ.get(PASSWORD_ENV) or click.prompt(
        f"password for {admin}", hide_input=True, confirmation_prompt=True
    )
    cfg = setup.init(setup.InitRequest(ctx.data_dir, agency, admin, password))
    click.echo(f"initialised {cfg.data_dir}: agency {agency!r}, administrator {admin!r}")
    click.echo(f"catalog: {cfg.catalog_url}")
    click.echo(f"audit signing key: {cfg.signing_key_file} (keep a copy offline)")


COMMANDS = [init]
