"""``custodio labels|privilege``: what people decide about what classification found:
confirm or overrule a label, mark an intimate passage, a judge's privilege decision."""

from __future__ import annotations

import click

from custodio.client.api import path_part
from custodio.client.context import Context, json_option, pass_context, purpose_option
from custodio.client.text import emit_rows
from custodio.errors import InvalidInput

SIDES = ("target", "other")
"""One side of a call: what the target said, or the other party."""


@click.group()
def labels() -> None:
    """Review what classification found: confirm, overrule, mark intimate passages."""


def _review(ctx: Context, label_id: int, decision: str, note: str | None) -> None:
    out = ctx.api().post(f"/labels/{label_id}/review", {"decision": decision, "note": note})
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
@click.option("--direction", type=click.Choice(SIDES), help="Only one side (default: both).")
@click.option("--note", metavar="TEXT", help="A note kept with the label.")
@pass_context
def labels_intimate(
    ctx: Context, comm_id: int, start_s: float, end_s: float, direction: str | None,
    note: str | None,
) -> None:  # fmt: skip
    """Mark a passage of a call as intimate (to be left out of exports)."""
    body = {"start_s": start_s, "end_s": end_s, "direction": direction, "note": note}
    label_id = ctx.api().post(f"/communications/{comm_id}/intimate", body)["label"]
    click.echo(f"label {label_id}: {start_s:g}-{end_s:g} s marked intimate")


@click.group()
def privilege() -> None:
    """Possible lawyer-client conversations, for a judge to seal or clear."""


@privilege.command("list")
@click.option("--case", "case_ref", required=True, help="The case.")
@json_option
@pass_context
def privilege_list(ctx: Context, case_ref: str, as_json: bool) -> None:
    """Communications flagged as possibly privileged (no content shown)."""
    rows = ctx.api().get(f"/cases/{path_part(case_ref)}/privilege")
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
    out = ctx.api().call("POST", f"/privilege/{label_id}", body={"decision": decision},
                         purpose=purpose)  # fmt: skip
    click.echo(f"communication {out['communication']} {out['decision']}")


COMMANDS = [labels, privilege]
