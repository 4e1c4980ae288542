"""``custodio watchlist``, ``case tuning``, ``alerts``, ``interpreter``: what a case's
classification looks for, how it ranks what it found, and the work that comes of it."""

from __future__ import annotations

import json
from typing import Any

import click

from custodio.client.api import path_part
from custodio.client.context import Context, json_option, pass_context
from custodio.client.text import emit_object, emit_rows
from custodio.errors import InvalidInput

TERM_KINDS = ("term", "name", "place", "number")
"""What a watch-list entry is (the API's ``NewTerm.kind``)."""


@click.group()
def watchlist() -> None:
    """A case's watch-list: terms, names, places and numbers looked for in every call."""


@watchlist.command("add")
@click.argument("text")
@click.option("--case", "case_ref", required=True, help="The case.")
@click.option("--kind", type=click.Choice(TERM_KINDS), default="term", show_default=True,
              help="term (inflected), name, place, or number (matched on digits).")  # fmt: skip
@pass_context
def watchlist_add(ctx: Context, text: str, case_ref: str, kind: str) -> None:
    """Add TEXT to the case's watch-list (future classification runs look for it)."""
    added = ctx.api().post(f"/cases/{path_part(case_ref)}/watchlist", {"text": text, "kind": kind})
    click.echo(f"term {added['term']} added to the watch-list of {case_ref!r}")


@watchlist.command("remove")
@click.argument("term_id", type=int)
@click.option("--case", "case_ref", required=True, help="The case.")
@pass_context
def watchlist_remove(ctx: Context, term_id: int, case_ref: str) -> None:
    """Remove a term (it is kept as removed, with who and when)."""
    ctx.api().delete(f"/cases/{path_part(case_ref)}/watchlist/{term_id}")
    click.echo(f"term {term_id} removed from the watch-list of {case_ref!r}")


@watchlist.command("list")
@click.option("--case", "case_ref", required=True, help="The case.")
@click.option("--removed", is_flag=True, help="Include removed terms.")
@json_option
@pass_context
def watchlist_list(ctx: Context, case_ref: str, removed: bool, as_json: bool) -> None:
    """The case's watch-list."""
    rows = ctx.api().get(f"/cases/{path_part(case_ref)}/watchlist", {"removed": removed})
    emit_rows(rows, ["id", "kind", "text", "added_by", "added_at", "removed_at"], as_json)


@click.group()
def case() -> None:
    """Cases: court proceedings whose intercepts Custodio keeps."""


def _weight(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        if not sep:
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise InvalidInput(f"--weight {text!r}: write factor=number, e.g. watchlist=25") from None


@case.command("tuning")
@click.option("--case", "case_ref", required=True, help="The case.")
@click.option(
    "--weight", "weights", multiple=True, metavar="FACTOR=X",
    help="A priority weight (watchlist, entities, new_contact, duration, night).",
)  # fmt: skip
@click.option("--alert-threshold", type=float, help="Alert when the priority is above this.")
@click.option("--match-threshold", type=float, help="Watch-list match threshold (50-100).")
@json_option
@pass_context
def case_tuning(
    ctx: Context, case_ref: str, weights: tuple[str, ...], alert_threshold: float | None,
    match_threshold: float | None, as_json: bool,
) -> None:  # fmt: skip
    """Show or change a case's classification tuning (priority weights, thresholds)."""
    path = f"/cases/{path_part(case_ref)}/tuning"
    if not weights and alert_threshold is None and match_threshold is None:
        tuning = ctx.api().get(path)
    else:
        change = {"weights": dict(_weight(w) for w in weights) or None,
                  "alert_threshold": alert_threshold,
                  "match_threshold": match_threshold}  # fmt: skip
        tuning = ctx.api().patch(path, change)
    emit_object(tuning if as_json else _whole(tuning), as_json)


def _whole(value: Any) -> Any:
    """``value`` with its whole numbers written as such (88, not 88.0)."""
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    return int(value) if isinstance(value, float) and value.is_integer() else value


@click.group()
def alerts() -> None:
    """Alerts: watch-list hits and high-priority communications (never their content)."""


@alerts.command("list")
@click.option("--case", "case_ref", help="Only this case (default: every case you may).")
@json_option
@pass_context
def alerts_list(ctx: Context, case_ref: str | None, as_json: bool) -> None:
    """Alerts and call-started events of your cases, oldest first."""
    rows = ctx.api().get("/alerts", {"case": case_ref})
    if not as_json:
        rows = [{**r, "detail": json.dumps(r.get("detail"), sort_keys=True)} for r in rows]
    emit_rows(rows, ["id", "case", "kind", "communication_id", "detail", "created_at",
                     "webhook"], as_json)  # fmt: skip


@click.group()
def interpreter() -> None:
    """Calls and messages in a language that needs an interpreter."""


@interpreter.command("queue")
@click.option("--language", metavar="XX", help="Only this language (ISO 639-1).")
@json_option
@pass_context
def interpreter_queue(ctx: Context, language: str | None, as_json: bool) -> None:
    """Communications of your cases waiting for an interpreter, by language."""
    rows = ctx.api().get("/interpreter-queue", {"language": language})
    columns = ["communication", "case", "language", "confidence", "kind", "begin_at"]
    emit_rows(rows, columns, as_json)


COMMANDS = [watchlist, case, alerts, interpreter]
