"""``custodio warrant``: court authorisations, their extensions and LIIDs."""

from __future__ import annotations

import click

from custodio.access import casework
from custodio.access.cli.context import Context, emit_rows, json_option, pass_context
from custodio.catalog import identifiers, warrants
from custodio.db.times import parse_user_time
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
    start = parse_user_time(valid_from)
    new = warrants.NewWarrant(
        reference=reference,
        court=court,
        judge=judge,
        issued_at=parse_user_time(issued) if issued else start,
        valid_from=start,
        valid_until=parse_user_time(valid_until, end_of_day=True),
        scope=warrants.parse_scope(scope),
        targets=tuple(identifiers.parse(t) for t in targets),
        liids=((liid, operator),) if liid and operator else (),
    )
    casework.add_warrant(ctx.service(), ctx.session(), case_ref, new)
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
    ext = casework.Extension(
        order_reference,
        judge,
        parse_user_time(valid_from) if valid_from else None,
        parse_user_time(valid_until, end_of_day=True),
    )
    casework.extend_warrant(ctx.service(), ctx.session(), case_ref, reference, ext)
    click.echo(f"warrant {reference!r} extended until {valid_until}")


@warrant.command("revoke")
@click.argument("reference")
@click.option("--case", "case_ref", required=True, help="The case of the warrant.")
@click.option("--reason", required=True, help="The court's reason or order.")
@pass_context
def warrant_revoke(ctx: Context, reference: str, case_ref: str, reason: str) -> None:
    """Revoke warrant REFERENCE now: nothing received after this moment is visible."""
    casework.revoke_warrant(ctx.service(), ctx.session(), case_ref, reference, reason)
    click.echo(f"warrant {reference!r} revoked")


@warrant.command("bind")
@click.argument("reference")
@click.option("--case", "case_ref", required=True, help="The case of the warrant.")
@click.option("--liid", required=True, help="The LIID (octets that are not text as \\xHH).")
@click.option("--operator", required=True, help="The operator delivering under it.")
@pass_context
def warrant_bind(ctx: Context, reference: str, case_ref: str, liid: str, operator: str) -> None:
    """Bind another LIID to warrant REFERENCE."""
    casework.bind_liid(ctx.service(), ctx.session(), case_ref, reference, liid, operator)
    click.echo(f"LIID {liid!r} at {operator!r} bound to warrant {reference!r}")


@warrant.command("list")
@click.option("--case", "case_ref", required=True, help="The case.")
@json_option
@pass_context
def warrant_list(ctx: Context, case_ref: str, as_json: bool) -> None:
    """List the warrants of a case."""
    rows = casework.list_warrants(ctx.service(), ctx.session(), case_ref)
    emit_rows(
        rows,
        ["reference", "judge", "valid_from", "valid_until", "scope", "status", "targets"],
        as_json,
    )


COMMANDS = [warrant]
