"""``custodio translation assign|unassign|queue|submit``: single communications given to
an interpreter to translate (docs/access-policy.md, "Interpreters")."""

from __future__ import annotations

from typing import TextIO

import click

from custodio.client.api import path_part
from custodio.client.context import Context, json_option, pass_context
from custodio.client.text import emit_object, emit_rows
from custodio.errors import InvalidInput

COLUMNS = ["communication", "case", "kind", "spoken", "language", "begin_at", "duration_s",
           "assigned_at"]  # fmt: skip


@click.group()
def translation() -> None:
    """Communications given to interpreters to translate."""


@translation.command("assign")
@click.argument("comm_id", type=int)
@click.argument("interpreter")
@click.option("--language", metavar="XX", required=True,
              help="The language the translation is wanted in (ISO 639).")  # fmt: skip
@json_option
@pass_context
def assign(ctx: Context, comm_id: int, interpreter: str, language: str, as_json: bool) -> None:
    """Give communication COMM_ID to INTERPRETER to translate: he may then read it (and
    only it) until he submits his translation or it is taken back."""
    body = {"interpreter": interpreter, "language": language}
    done = ctx.api().post(f"/communications/{comm_id}/translation-assignments", body)
    if as_json:
        emit_object(done, as_json)
        return
    click.echo(f"communication {comm_id} given to {interpreter} to translate into "
               f"{done['language']}")  # fmt: skip


@translation.command("unassign")
@click.argument("comm_id", type=int)
@click.argument("interpreter")
@pass_context
def unassign(ctx: Context, comm_id: int, interpreter: str) -> None:
    """Take communication COMM_ID back from INTERPRETER: his access to it ends."""
    ctx.api().delete(f"/communications/{comm_id}/translation-assignments/{path_part(interpreter)}")
    click.echo(f"communication {comm_id} no longer assigned to {interpreter}")


@translation.command("queue")
@json_option
@pass_context
def queue(ctx: Context, as_json: bool) -> None:
    """Your open translation assignments: which communication, of which case, in which
    language — no content (read it with `comms audio|transcript|message ID --purpose`)."""
    emit_rows(ctx.api().get("/me/translations"), COLUMNS, as_json)


@translation.command("submit")
@click.argument("comm_id", type=int)
@click.option("--text", metavar="TEXT", help="The translation.")
@click.option("--file", "source", type=click.File("r", encoding="utf-8"),
              help="Read the translation from this file (- for standard input).")  # fmt: skip
@click.option("--language", metavar="XX", help="Its language (default: the one asked for).")
@json_option
@pass_context
def submit(
    ctx: Context,
    comm_id: int,
    text: str | None,
    source: TextIO | None,
    language: str | None,
    as_json: bool,
) -> None:
    """Submit your translation of communication COMM_ID (stored as a label whose source is
    interpreter:YOUR-NAME); the assignment is then done and your access to it ends."""
    if (text is None) == (source is None):
        raise InvalidInput("give the translation with --text or --file (one of them)")
    body = text if source is None else source.read()
    done = ctx.api().post(f"/communications/{comm_id}/translations",
                          {"text": body, "language": language})  # fmt: skip
    if as_json:
        emit_object(done, as_json)
        return
    click.echo(f"translation of communication {comm_id} stored as label {done['label']}")


COMMANDS = [translation]
