"""``custodio comms labels|transcript``, ``labels``, ``watchlist``, ``case tuning``,
``privilege``, ``alerts``, ``interpreter``: what classification found and what people do
with it."""

from __future__ import annotations

import json
from typing import Any

import click

from custodio.access import classification as service
from custodio.access.cli.context import (
    Context,
    emit_object,
    emit_rows,
    json_option,
    pass_context,
    purpose_option,
)
from custodio.catalog import labels as catalog_labels
from custodio.catalog.watchlists import TERM_KINDS
from custodio.errors import InvalidInput

_DIRECTION = click.Choice(service.TRANSCRIPT_DIRECTIONS)


@click.group()
def comms() -> None:
    """Communications assembled from the handover: calls, messages."""


@comms.command("labels")
@click.argument("comm_id", type=int)
@click.option("--kind", "kinds", multiple=True, help="Only labels of this kind (repeatable).")
@click.option("--all", "superseded", is_flag=True, help="Include superseded labels.")
@json_option
@purpose_option
@pass_context
def comms_labels(
    ctx: Context,
    comm_id: int,
    kinds: tuple[str, ...],
    superseded: bool,
    as_json: bool,
    purpose: str | None,
) -> None:
    """What classification found in a communication (content: audited, with your purpose).

    Each label says where it came from (engine and version, or user), how sure it is, the
    direction and seconds, and whether a person confirmed or overruled it.
    """
    filters = catalog_labels.Filters(kinds=kinds, superseded=superseded)
    rows = service.comm_labels(ctx.service(), ctx.session(), comm_id, purpose, filters)
    columns = ["id", "kind", "value", "confidence", "direction", "start_s", "end_s", "text",
               "source", "review"]  # fmt: skip
    emit_rows(rows, columns, as_json)


@comms.command("transcript")
@click.argument("comm_id", type=int)
@click.option("--direction", type=_DIRECTION, help="Only what the target / the other said.")
@click.option("--translation", is_flag=True, help="The machine draft translation to English.")
@json_option
@purpose_option
@pass_context
def comms_transcript(
    ctx: Context,
    comm_id: int,
    direction: str | None,
    translation: bool,
    as_json: bool,
    purpose: str | None,
) -> None:
    """A call's transcript: who spoke (the direction) and when (seconds), segment by segment.

    Content: audited, with your purpose. Segments that speech-to-text returned empty or
    ran out of time on are flagged, not hidden.
    """
    docs = service.transcript(ctx.service(), ctx.session(), ctx.vault(), comm_id, direction,
                              purpose, translation=translation)  # fmt: skip
    if as_json:
        emit_object({"communication": comm_id, "transcripts": docs}, True)
        return
    for line in _transcript_lines(docs):
        click.echo(line)


def _transcript_lines(docs: list[dict[str, Any]]) -> list[str]:
    lines = []
    for doc in docs:
        head = f"[{doc['direction']}] language {doc['language']}, {doc['engine']}"
        if doc.get("machine_draft"):
            head += " — MACHINE DRAFT TRANSLATION to English, not a verified translation"
        lines.append(head)
    rows = [(s["start"], d["direction"], s) for d in docs for s in d["segments"]]
    for start, direction, seg in sorted(rows, key=lambda r: (r[0], r[1])):
        flag = f"  [{seg['flag']}]" if seg.get("flag") else ""
        lines.append(f"{start:8.2f}-{seg['end']:8.2f}  {direction:<6}  {seg['text']}{flag}")
    return lines


@click.group()
def labels() -> None:
    """Review what classification found: confirm, overrule, mark intimate passages."""


def _review(ctx: Context, label_id: int, decision: str, note: str | None) -> None:
    out = service.review_label(ctx.service(), ctx.session(), label_id, decision, note)
    click.echo(f"label {label_id} {out['review']} by {out['reviewed_by']}")


@labels.command("confirm")
@click.argument("label_id", type=int)
@click.option("--note", metavar="TEXT", help="Why (kept with the review).")
@pass_context
def labels_confirm(ctx: Context, label_id: int, note: str | None) -> None:
    """Confirm a label: a person agrees with the machine."""
    _review(ctx, label_id, "confirmed", note)


@labels.command("overrule")
@click.argument("label_id", type=int)
@click.option("--note", metavar="TEXT", help="Why (kept with the review).")
@pass_context
def labels_overrule(ctx: Context, label_id: int, note: str | None) -> None:
    """Overrule a label: it is wrong. It is kept (and audited), never deleted."""
    _review(ctx, label_id, "overruled", note)


@labels.command("intimate")
@click.argument("comm_id", type=int)
@click.option("--from", "start_s", type=float, required=True, help="Start (seconds).")
@click.option("--to", "end_s", type=float, required=True, help="End (seconds).")
@click.option("--direction", type=_DIRECTION, help="Only one side (default: both).")
@click.option("--note", metavar="TEXT", help="A note kept with the label.")
@pass_context
def labels_intimate(
    ctx: Context, comm_id: int, start_s: float, end_s: float, direction: str | None,
    note: str | None,
) -> None:  # fmt: skip
    """Mark a passage of a call as intimate (to be left out of exports)."""
    label_id = service.mark_intimate(ctx.service(), ctx.session(), comm_id, start_s, end_s,
                                     direction, note)  # fmt: skip
    click.echo(f"label {label_id}: {start_s:g}-{end_s:g} s marked intimate")


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
    term_id = service.watchlist_add(ctx.service(), ctx.session(), case_ref, text, kind)
    click.echo(f"term {term_id} added to the watch-list of {case_ref!r}")


@watchlist.command("remove")
@click.argument("term_id", type=int)
@click.option("--case", "case_ref", required=True, help="The case.")
@pass_context
def watchlist_remove(ctx: Context, term_id: int, case_ref: str) -> None:
    """Remove a term (it is kept as removed, with who and when)."""
    service.watchlist_remove(ctx.service(), ctx.session(), case_ref, term_id)
    click.echo(f"term {term_id} removed from the watch-list of {case_ref!r}")


@watchlist.command("list")
@click.option("--case", "case_ref", required=True, help="The case.")
@click.option("--removed", is_flag=True, help="Include removed terms.")
@json_option
@pass_context
def watchlist_list(ctx: Context, case_ref: str, removed: bool, as_json: bool) -> None:
    """The case's watch-list."""
    rows = service.watchlist_list(ctx.service(), ctx.session(), case_ref, removed=removed)
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
    if not weights and alert_threshold is None and match_threshold is None:
        emit_object(service.show_tuning(ctx.service(), ctx.session(), case_ref), as_json)
        return
    out = service.set_tuning(ctx.service(), ctx.session(), case_ref,
                             weights=dict(_weight(w) for w in weights),
                             alert_threshold=alert_threshold,
                             match_threshold=match_threshold)  # fmt: skip
    emit_object(out, as_json)


@click.group()
def privilege() -> None:
    """Possible lawyer-client conversations, for a judge to seal or clear."""


@privilege.command("list")
@click.option("--case", "case_ref", required=True, help="The case.")
@json_option
@pass_context
def privilege_list(ctx: Context, case_ref: str, as_json: bool) -> None:
    """Communications flagged as possibly privileged (no content shown)."""
    rows = service.privilege_list(ctx.service(), ctx.session(), case_ref)
    columns = ["label", "communication", "kind", "begin_at", "rule", "confidence", "review",
               "sealed"]  # fmt: skip
    emit_rows(rows, columns, as_json)


@privilege.command("decide")
@click.argument("label_id", type=int)
@click.option("--seal", "decision", flag_value="seal", help="Privileged: seal the communication.")
@click.option("--clear", "decision", flag_value="clear", help="Not privileged: clear the flag.")
@purpose_option
@pass_context
def privilege_decide(ctx: Context, label_id: int, decision: str | None, purpose: str | None
                     ) -> None:  # fmt: skip
    """A judge's decision on a privilege flag (audited, with the purpose)."""
    if decision is None:
        raise InvalidInput("say --seal or --clear")
    out = service.privilege_decide(ctx.service(), ctx.session(), label_id, decision == "seal",
                                   purpose)  # fmt: skip
    click.echo(f"communication {out['communication']} {out['decision']}")


@click.group()
def alerts() -> None:
    """Alerts: watch-list hits and high-priority communications (never their content)."""


@alerts.command("list")
@click.option("--case", "case_ref", help="Only this case (default: every case you may).")
@json_option
@pass_context
def alerts_list(ctx: Context, case_ref: str | None, as_json: bool) -> None:
    """Alerts and call-started events of your cases, oldest first."""
    rows = service.alerts_list(ctx.service(), ctx.session(), case_ref)
    if not as_json:
        rows = [{**r, "detail": json.dumps(r["detail"], sort_keys=True)} for r in rows]
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
    rows = service.interpreter_queue(ctx.service(), ctx.session(), language)
    columns = ["communication", "case", "language", "confidence", "kind", "begin_at"]
    emit_rows(rows, columns, as_json)


COMMANDS = [comms, labels, watchlist, case, privilege, alerts, interpreter]
