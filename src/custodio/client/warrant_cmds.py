"""``custodio warrant``: court authorisations, their extensions and LIIDs."""

from __future__ import annotations

import click

from custodio.client.api import path_part
from custodio.client.context import Context, json_option, pass_context
from custodio.client.text import emit_rows
from custodio.errors import InvalidInput


@click.group()
def warrant() -> None:
    """Warrants: the court orders that authorise an interception."""


@warrant.command("add")
@click.option("--case", "case_ref", required=True, help="The case it belongs to.")
@click.option("--court", required=True, help="The issuing court.")
@click.option("--judge", required=True, help="The judge who signed it.")
@click.option("--reference", required=True, help="The order's reference.")
@click.option("--issued", metavar="DATE", help="When it was issued [default: --from].")
@click.option("--from", "valid_from", metavar="DATE", required=True, help="Valid from.")
@click.option(
    "--until",
    "valid_until",
    metavar="DATE",
    required=True,
    help="Valid until (a bare date includes that day).",
)
@click.option("--scope", required=True, help="What it authorises: content,traffic,location.")
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="TYPE:VALUE",
    help="A target identifier (e164, imsi, imei, sip, email, ip); repeatable.",
)
@click.option(
    "--liid",
    help="The LIID the operator will deliver under (octets that are not "
    "text as \\xHH, docs/handover.md 'Names').",
)
@click.option("--operator", help="The operator of --liid.")
@pass_context
def warrant_add(
    ctx: Context,
    case_ref: str,
    court: str,
    judge: str,
    reference: str,
    issued: str | None,
    valid_from: str,
    valid_until: str,
    scope: str,
    targets: tuple[str, ...],
    liid: str | None,
    operator: str | None,
) -> None:
    """Register a warrant for a case, its targets and (optionally) its LIID."""
    if bool(liid) != bool(operator):
        raise InvalidInput("--liid and --operator go together")
    body = {"reference": reference, "court": court, "judge": judge, "issued": issued,
            "valid_from": valid_from, "valid_until": valid_until, "scope": scope.split(","),
            "targets": list(targets), "liid": liid or None,
            "operator": operator or None}  # fmt: skip
    ctx.api().post(f"/cases/{path_part(case_ref)}/warrants", body)
    click.echo(f"warrant {reference!r} registered for case {case_ref!r}")


@warrant.command("extend")
@click.argument("reference")
@click.option("--case", "case_ref", required=True, help="The case of the warrant.")
@click.option("--order", "order_reference", required=True, help="The judge's extension order.")
@click.option("--judge", required=True, help="The judge who ordered it.")
@click.option("--from", "valid_from", metavar="DATE", help="Start [default: the current end].")
@click.option("--until", "valid_until", metavar="DATE", required=True, help="New end.")
@pass_context
def warrant_extend(
    ctx: Context,
    reference: str,
    case_ref: str,
    order_reference: str,
    judge: str,
    valid_from: str | None,
    valid_until: str,
) -> None:
    """Extend warrant REFERENCE by a judge's order (18 months in all at most)."""
    body = {"warrant": reference, "order_reference": order_reference, "judge": judge,
            "valid_from": valid_from, "valid_until": valid_until}  # fmt: skip
    ctx.api().post(f"/cases/{path_part(case_ref)}/warrants/extend", body)
    click.echo(f"warrant {reference!r} extended until {valid_until}")


@warrant.command("revoke")
@click.argument("reference")
@click.option("--case", "case_ref", required=True, help="The case of the warrant.")
@click.option("--reason", required=True, help="The court's reason or order.")
@pass_context
def warrant_revoke(ctx: Context, reference: str, case_ref: str, reason: str) -> None:
    """Revoke warrant REFERENCE now: nothing received after this moment is visible."""
    body = {"warrant": reference, "reason": reason}
    ctx.api().post(f"/cases/{path_part(case_ref)}/warrants/revoke", body)
    click.echo(f"warrant {reference!r} revoked")


@warrant.command("bind")
@click.argument("reference")
@click.option("--case", "case_ref", required=True, help="The case of the warrant.")
@click.option("--liid", required=True, help="The LIID (octets that are not text as \\xHH).")
@click.option("--operator", required=True, help="The operator delivering under it.")
@pass_context
def warrant_bind(ctx: Context, reference: str, case_ref: str, liid: str, operator: str) -> None:
    """Bind another LIID to warrant REFERENCE."""
    body = {"warrant": reference, "liid": liid, "operator": operator}
    ctx.api().post(f"/cases/{path_part(case_ref)}/warrants/bind", body)
    click.echo(f"LIID {liid!r} at {operator!r} bound to warrant {reference!r}")


@warrant.command("list")
@click.option("--case", "case_ref", required=True, help="The case.")
@json_option
@pass_context
def warrant_list(ctx: Context, case_ref: str, as_json: bool) -> None:
    """List the warrants of a case."""
    rows = ctx.api().get(f"/cases/{path_part(case_ref)}/warrants")
    emit_rows(
        rows,
        ["reference", "judge", "valid_from", "valid_until", "scope", "status", "targets"],
        as_json,
    )


COMMANDS = [warrant]
