"""``custodio serve``."""

from __future__ import annotations

import asyncio

import click

from custodio.access.cli.context import Context, pass_context
from custodio.access.server import Endpoint, Server


@click.command()
@click.option("--hi2", metavar="HOST:PORT", help="HI2 (IRI) listener [default: setting hi2].")
@click.option("--hi3", metavar="HOST:PORT", help="HI3 (CC) listener [default: setting hi3].")
@click.option("--http", metavar="HOST:PORT", help="HTTP service [default: setting http].")
@pass_context
def serve(ctx: Context, hi2: str | None, hi3: str | None, http: str | None) -> None:
    """Run the service on the data directory until Ctrl-C (SIGINT) or SIGTERM.

    The handover listeners (--hi2, --hi3) are accepted and validated now and serve
    operators once the handover stage is installed.
    """
    svc = ctx.service()
    settings = svc.config.settings
    Endpoint.parse(hi2 or settings.hi2)
    Endpoint.parse(hi3 or settings.hi3)
    server = Server(svc, Endpoint.parse(http or settings.http), click.echo)
    asyncio.run(server.run())


COMMANDS = [serve]
