"""The commands that run the service's parts on this machine: ``serve``, and the two
maintenance commands of a stopped service (``handover archive``, ``assemble``).

They open the data directory's journal and unlock the vault's key provider themselves;
every other command is a face over the service layer (:mod:`custodio.access.cli`).
"""

from __future__ import annotations

import asyncio

import click

from custodio import datadir
from custodio.access import vaults
from custodio.access.cli.context import Context, emit_rows, json_option, pass_context, read_secret
from custodio.app import maintenance
from custodio.app.assembly_process import RememberedSecrets
from custodio.app.server import Endpoints, Server
from custodio.catalog import search_index
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
    Refuses to start when group or others may read the data directory or what lies in it.
    """
    datadir.check_private(ctx.data_dir)  # before a key is unlocked or a port opened
    svc = ctx.service()
    settings = svc.config.settings
    secrets = RememberedSecrets(read_secret)
    # unlock the key provider now: a wrong passphrase fails here
    vault = vaults.open_vault(svc.config, svc.db, secrets)
    indexed = search_index.backfill(svc.db, vault.get)  # a catalog from before the index
    if indexed:
        click.echo(f"search: indexed {indexed} passages stored before the search index")
    endpoints = Endpoints(
        http=Address.parse(http) if http else settings.http,
        hi2=Address.parse(hi2) if hi2 else settings.hi2,
        hi3=Address.parse(hi3) if hi3 else settings.hi3,
    )
    server = Server(svc, endpoints, click.echo, vault, secrets.given)
    quiet_collector()
    asyncio.run(server.run())


@click.group()
def handover() -> None:
    """The handover journal (the receiver itself runs in `custodio serve`)."""


@handover.command("archive")
@json_option
@pass_context
def handover_archive(ctx: Context, as_json: bool) -> None:
    """Move consumed journal segments into the vault, one object per segment and case.

    `custodio serve` does this by itself every journal_archive_seconds; this command is
    for a stopped service (it refuses while serve holds the journal). Administrators.
    """
    reports = maintenance.archive_journal(ctx.service(), ctx.session(), ctx.vault())
    rows = [
        {"segment": r.segment, "case": o.vault_case, "records": o.records, "sha256": o.sha256,
         "bytes": o.size, "object": o.object_id}
        for r in reports for o in r.objects
    ]  # fmt: skip
    if as_json or rows:
        emit_rows(rows, ["segment", "case", "records", "bytes", "sha256"], as_json)
    click.echo(f"archived {len(reports)} consumed segment(s)", err=as_json)


@click.command()
@click.option("--once", is_flag=True, help="Catch up with the journal, then stop.")
@pass_context
def assemble(ctx: Context, once: bool) -> None:
    """Turn the journal's records into communications (what `custodio serve` also does).

    For tests and batch catch-up of a stopped service; it refuses to run while a
    `custodio serve` holds the data directory's journal. With --once it applies every
    record, closes the calls whose IRI-End arrived, and stops; without it, it goes on
    until Ctrl-C. Administrators.
    """
    s = maintenance.assemble_journal(ctx.service(), ctx.session(), ctx.vault(), once=once)
    click.echo(
        f"assembled: {s.records} records, {s.communications_opened} communications opened, "
        f"{s.communications_closed} closed, {s.open} open; journal position {s.position}"
    )


COMMANDS = [serve, handover, assemble]
