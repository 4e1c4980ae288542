"""``custodio handover archive``: consumed journal segments into the vault, per case."""

from __future__ import annotations

import click

from custodio import datadir
from custodio.access.cli.context import Context, emit_rows, json_option, pass_context
from custodio.access.policy import Action, Actor
from custodio.access.service import Request, Service, Session, own_agency
from custodio.assemble.archive import Archiver, SegmentReport
from custodio.db import Tx
from custodio.journal import Journal
from custodio.vault.store import Vault


@click.group()
def handover() -> None:
    """The handover journal (the receiver itself runs in `custodio serve`)."""


@handover.command("archive")
@json_option
@pass_context
def handover_archive(ctx: Context, as_json: bool) -> None:
    """Move consumed journal segments into the vault, one object per segment and case.

    `custodio serve` does this by itself every journal_archive_seconds; this command is
    for a stopped service (it refuses while serve holds the journal).
    """
    reports = archive(ctx.service(), ctx.session(), ctx.vault())
    rows = [
        {"segment": r.segment, "case": o.vault_case, "records": o.records, "sha256": o.sha256,
         "bytes": o.size, "object": o.object_id}
        for r in reports for o in r.objects
    ]  # fmt: skip
    if as_json or rows:
        emit_rows(rows, ["segment", "case", "records", "bytes", "sha256"], as_json)
    click.echo(f"archived {len(reports)} consumed segment(s)", err=as_json)


def archive(svc: Service, session: Session, vault: Vault) -> list[SegmentReport]:
    """Authorise (administrator), archive under the journal lock, audit the command."""
    request = Request("journal")
    svc.authorize(session, Action.JOURNAL_ARCHIVE, request, own_agency)
    lock = datadir.lock_journal(svc.config.data_dir)
    try:
        journal = Journal.open(svc.config.data_dir / datadir.JOURNAL)
        try:
            reports = Archiver(svc.db, vault, journal).run()
        finally:
            journal.close_sync()
    finally:
        datadir.release(lock)

    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        request.details.update(
            {"segments": len(reports), "objects": sum(len(r.objects) for r in reports)}
        )

    svc.act(session, Action.JOURNAL_ARCHIVE, request, own_agency, perform)
    return reports


COMMANDS = [handover]
