"""``custodio vault``: the encrypted evidence store (imports are the API's:
``custodio import``, :mod:`custodio.client.evidence_cmds`)."""

from __future__ import annotations

from datetime import timedelta

import click

from custodio.access import evidence
from custodio.access.cli.context import Context, emit_rows, json_option, pass_context
from custodio.errors import IntegrityError, InvalidInput
from custodio.vault.maintenance import VerifyReport


@click.group()
def vault() -> None:
    """The vault: encrypted, content-addressed evidence objects."""


@vault.command("verify")
@click.option("--case", "case_ref", help="Only this case's objects.")
@click.option(
    "--sample",
    default="100%",
    show_default=True,
    metavar="N%",
    help="Check a random share of the objects.",
)
@json_option
@pass_context
def vault_verify(ctx: Context, case_ref: str | None, sample: str, as_json: bool) -> None:
    """Read objects back, check their authentication and the catalog's references.

    Reports missing, corrupt, misplaced, unreferenced and keyless (shredded) objects and
    exits non-zero when anything is wrong.
    """
    share = _percent(sample)
    report = evidence.verify(
        ctx.service(), ctx.session(), ctx.vault(), case_ref=case_ref, sample=share
    )
    rows = _problems(report)
    if as_json or rows:
        emit_rows(rows, ["problem", "object", "case", "detail"], as_json)
    click.echo(f"vault: {report.checked} objects checked, {len(rows)} problems", err=as_json)
    if not report.ok:
        raise IntegrityError(
            f"the vault has {len(rows)} problem(s); see the list above",
            hint="unreferenced objects go with `custodio vault cleanup`",
        )


def _percent(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / 100
    except ValueError:
        value = -1
    if not 0 < value <= 1:
        raise InvalidInput(f"--sample {text!r} is not a share between 0% and 100%")
    return value


def _problems(report: VerifyReport) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for name in ("missing", "corrupt", "misplaced", "keyless"):
        rows += [
            {"problem": name, "object": p.name, "case": p.case_id, "detail": p.detail}
            for p in getattr(report, name)
        ]
    rows += [
        {"problem": "unreferenced", "object": s.name, "case": None, "detail": f"{s.size} bytes"}
        for s in report.unreferenced
    ]
    return rows


@vault.command("cleanup")
@click.option(
    "--grace-hours",
    default=1.0,
    show_default=True,
    help="Keep unreferenced objects younger than this (writes still in flight).",
)
@pass_context
def vault_cleanup(ctx: Context, grace_hours: float) -> None:
    """Remove unreferenced objects (writes whose catalog commit never happened)."""
    report = evidence.cleanup(
        ctx.service(), ctx.session(), ctx.vault(), grace=timedelta(hours=grace_hours)
    )
    click.echo(
        f"removed {len(report.deleted)} unreferenced object(s); {len(report.too_young)} "
        f"younger than the grace period kept; {len(report.retained)} kept by backend retention"
    )


@vault.command("rotate")
@pass_context
def vault_rotate(ctx: Context) -> None:
    """Make a new key-encryption key and re-wrap every case's data key (objects untouched)."""
    report = evidence.rotate(ctx.service(), ctx.session(), ctx.vault())
    click.echo(
        f"new KEK {report.new_kek}: {report.rewrapped} data keys re-wrapped; "
        f"retired {', '.join(report.retired) or 'none'}"
    )


COMMANDS = [vault]
