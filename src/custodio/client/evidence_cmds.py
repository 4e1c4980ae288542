"""``custodio import``: evidence obtained outside the handover, sent to the service, which
stores it in the case's vault with its original SHA-256."""

from __future__ import annotations

import os
from pathlib import Path

import click

from custodio.client.api import path_part
from custodio.client.context import Context, json_option, pass_context
from custodio.client.text import emit_rows
from custodio.errors import InvalidInput

IMPORT_KINDS = ("audio", "document")
"""What an imported file may hold (the service's ``evidence.IMPORT_KINDS``)."""


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--case", "case_ref", required=True, help="The case the evidence belongs to.")
@click.option("--kind", type=click.Choice(IMPORT_KINDS), required=True, help="What the files hold.")
@click.option("--note", help="Where it comes from (seizure record, court order...).")
@json_option
@pass_context
def import_(
    ctx: Context, files: tuple[Path, ...], case_ref: str, kind: str, note: str | None, as_json: bool
) -> None:
    """Store evidence obtained outside the handover, with its original SHA-256.

    Every file is checked before the first is sent; each is streamed from disk to the
    service. A file name that is not UTF-8 is recorded with \\xNN escapes for its
    undecodable bytes.
    """
    for path in files:
        if not path.is_file() or not os.access(path, os.R_OK):
            raise InvalidInput(f"{escaped(str(path))} is not a readable file; nothing was imported")
    api = ctx.api()
    rows = []
    for path in files:
        name = escaped(path.name)
        params = {"kind": kind, "filename": name, "note": note, "escaped": name != path.name}
        try:
            source = path.open("rb")
        except OSError as e:
            raise InvalidInput(f"cannot read {name}: {e.strerror or e}") from e
        with source:
            size = os.fstat(source.fileno()).st_size
            done = api.upload(f"/cases/{path_part(case_ref)}/evidence", params, source, size)
        rows.append(done)
    emit_rows(rows, ["file", "sha256", "bytes", "stored", "duplicate"], as_json)


def escaped(text: str) -> str:
    """``text`` (a path from the command line) with ``\\xNN`` for bytes that are no UTF-8."""
    return os.fsencode(text).decode("utf-8", "backslashreplace")


COMMANDS = [import_]
