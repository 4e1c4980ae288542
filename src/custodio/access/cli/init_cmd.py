"""``custodio init``."""

from __future__ import annotations

import click

from custodio.access import setup
from custodio.access.cli.context import Context, pass_context, read_secret


@click.command()
@click.option(
    "--agency", default="Policía Nacional", show_default=True, help="The first agency (tenant)."
)
@click.option(
    "--admin", default="admin", show_default=True, help="Name of the first administrator."
)
@pass_context
def init(ctx: Context, agency: str, admin: str) -> None:
    """Create a data directory: settings, catalog, audit log, signing key, vault keys, first
    administrator.

    The administrator's password is asked for (twice), or taken from CUSTODIO_PASSWORD;
    the vault key file's passphrase likewise, or from CUSTODIO_VAULT_PASSPHRASE. Refuses,
    changing nothing, when the directory is already initialised.
    """
    password = read_secret("PASSWORD", f"password for {admin}", confirm=True)

    def secrets(name: str, prompt: str) -> str:
        return read_secret(name, prompt, confirm=True)

    cfg = setup.init(setup.InitRequest(ctx.data_dir, agency, admin, password), secrets)
    click.echo(f"initialised {cfg.data_dir}: agency {agency!r}, administrator {admin!r}")
    click.echo(f"catalog: {cfg.catalog_url}")
    click.echo(f"audit signing key: {cfg.signing_key_file} (keep a copy offline)")
    if cfg.settings.key_provider == "keyfile":
        click.echo(f"vault key file: {cfg.vault_key_file} (keep a copy and its passphrase apart)")


COMMANDS = [init]
