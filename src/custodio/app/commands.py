"""``custodio serve``."""

from __future__ import annotations

import asyncio

import click

from custodio.access import vaults
from custodio.access.assembly_process import RememberedSecrets
from custodio.access.cli.context import Context, pass_context, read_secret
from custodio.access.server import Endpoints, Server
from custodio.config import Address
from custodio.handover.runtime import quiet_collector


@click.command()
@click.option("--hi2", metavar="HOST:PORT", help="HI2 (IRI) listener [default: setting hi2].")
@click.option("--hi3", metavar="HOST:PORT", help="HI3 (CC) listener [default: setting hi3].")
@click.option("--http", metavar="HOST:PORT", help="HTTP service [default: setting http].")
@pass_context
def serve(ctx: Context, hi2: str | None, hi3: str | None, http: str | None) -> None:
    """Run the service on the data directory until Ctrl-C (SIGINT) or SIGTERM.

    Operators' mediators connect to the HI2 and HI3 listeners (TLS with client
    certificates when handover_tls_cert is set); every PDU goes into the journal in
    DATA_DIR/journal. GET /health and GET /metrics on --http report the counters.
    Port 0 picks a free port; the lines printed at start say where each one listens.
    The vault's key provider is unlocked at start (CUSTODIO_VAULT_PASSPHRASE or a prompt);
    the assembler runs in a child process that is handed the same secrets through a pipe.
    """
    svc = ctx.service()
    settings = svc.config.settings
    secrets = RememberedSecrets(read_secret)
    # unlock the key provider now: a wrong passphrase fails here
    vault = vaults.open_vault(svc.config, svc.db, secrets)
    endpoints = Endpoints(
        http=Address.parse(http) if http else settings.http,
        hi2=Address.parse(hi2) if hi2 else settings.hi2,
        hi3=Address.parse(hi3) if hi3 else settings.hi3,
    )
    server = Server(svc, endpoints, click.echo, vault, secrets.given)
    quiet_collector()
    asyncio.run(server.run())


COMMANDS = [serve]
