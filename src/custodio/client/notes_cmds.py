"""``custodio tag add|remove|list`` and ``custodio note add|list``: an investigator's own
marks on a communication (docs/access-policy.md, "Tags and notes")."""

from __future__ import annotations

from typing import Any, TextIO

import click

from custodio.client.api import path_part
from custodio.client.context import Context, json_option, pass_context, purpose_option
from custodio.client.text import emit_object, emit_rows, printable
from custodio.errors import InvalidInput

TAG_COLUMNS = ["tag", "added_by", "added_at"]
REMOVED_COLUMNS = [*TAG_COLUMNS, "removed_by", "removed_at"]


@click.group()
def tag() -> None:
    """Tags on communications: relevante, seguimiento, any short words."""


@tag.command("add")
@click.argument("comm_id", type=int)
@click.argument("text", metavar="TAG")
@json_option
@pass_context
def tag_add(ctx: Context, comm_id: int, text: str, as_json: bool) -> None:
    """Tag communication COMM_ID with TAG (stored in lower case)."""
    done = ctx.api().post(f"/communications/{comm_id}/tags", {"tag": text})
    if as_json:
        emit_object(done, as_json)
        return
    click.echo(f"communication {comm_id} tagged {printable(done['tag'])!r}")


@tag.command("remove")
@click.argument("comm_id", type=int)
@click.argument("text", metavar="TAG")
@pass_context
def tag_remove(ctx: Context, comm_id: int, text: str) -> None:
    """Take TAG off communication COMM_ID (the catalog keeps who took it off, and when)."""
    ctx.api().delete(f"/communications/{comm_id}/tags/{path_part(text)}")
    click.echo(f"tag {printable(text)!r} taken off communication {comm_id}")


@tag.command("list")
@click.argument("comm_id", type=int)
@click.option("--removed", is_flag=True, help="Also the tags taken off, with who and when.")
@json_option
@pass_context
def tag_list(ctx: Context, comm_id: int, removed: bool, as_json: bool) -> None:
    """The tags of communication COMM_ID, oldest first."""
    rows = ctx.api().get(f"/communications/{comm_id}/tags", {"removed": removed})
    emit_rows(rows, REMOVED_COLUMNS if removed else TAG_COLUMNS, as_json)


@click.group()
def note() -> None:
    """Notes on communications: append-only, searchable."""


@note.command("add")
@click.argument("comm_id", type=int)
@click.option("--text", metavar="TEXT", help="The note.")
@click.option("--file", "source", type=click.File("r", encoding="utf-8"),
              help="Read the note from this file (- for standard input).")  # fmt: skip
@json_option
@pass_context
def note_add(
    ctx: Context, comm_id: int, text: str | None, source: TextIO | None, as_json: bool
) -> None:
    """Write a note on communication COMM_ID (at most 10,000 characters). Notes are never
    changed or deleted: a correction is another note."""
    if (text is None) == (source is None):
        raise InvalidInput("give the note with --text or --file (one of them)")
    body = text if source is None else source.read()
    done = ctx.api().post(f"/communications/{comm_id}/notes", {"text": body})
    if as_json:
        emit_object(done, as_json)
        return
    click.echo(f"note {done['id']} written on communication {comm_id}")


@note.command("list")
@click.argument("comm_id", type=int)
@purpose_option
@json_option
@pass_context
def note_list(ctx: Context, comm_id: int, purpose: str | None, as_json: bool) -> None:
    """The notes on communication COMM_ID, oldest first (case content: needs --purpose)."""
    rows = ctx.api().get(f"/communications/{comm_id}/notes", purpose=purpose)
    if as_json or not rows:
        emit_rows(rows, [], as_json)
        return
    for i, row in enumerate(rows):
        click.echo(("\n" if i else "") + _heading(row))
        for line in str(row["text"]).splitlines():
            click.echo(f"  {line}".rstrip())


def _heading(row: dict[str, Any]) -> str:
    return f"note {row['id']}  {row['created_at']}  {printable(str(row['author']))}"


COMMANDS = [tag, note]
