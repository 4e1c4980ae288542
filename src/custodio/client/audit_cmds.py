"""``custodio audit``: the tamper-evident audit log, for auditors (through the API), and
its checkpoint and catalog-side verification on the service's machine ([local])."""

from __future__ import annotations

import click

from custodio.client.context import Context, json_option, pass_context
from custodio.client.group import Lazy
from custodio.client.text import emit_rows

_LOCAL = "custodio.app.local"


@click.group(
    cls=Lazy,
    lazy={
        "checkpoint": (f"{_LOCAL}:audit_checkpoint",
                       "[local] Sign a checkpoint now (serve does it by itself)."),
        "verify-catalog": (f"{_LOCAL}:audit_verify_catalog",
                           "[local] Verify the log from the catalog itself."),
    },
)  # fmt: skip
def audit() -> None:
    """The tamper-evident audit log."""


@audit.command("log")
@click.option("--case", "case_ref", help="Only entries about this case.")
@click.option("--limit", default=1000, show_default=True, help="Newest entries to show.")
@json_option
@pass_context
def audit_log(ctx: Context, case_ref: str | None, limit: int, as_json: bool) -> None:
    """Show audit entries of your agency (auditors only)."""
    rows = ctx.api().get("/audit/entries", {"case": case_ref, "limit": limit})
    columns = ["seq", "time", "actor", "action", "outcome", "target", "purpose"]
    emit_rows(rows, columns, as_json)


@audit.command("verify")
@click.option("--full", is_flag=True,
              help="Re-check every entry, not only those added since the service's last "
              "verification.")  # fmt: skip
@pass_context
def audit_verify(ctx: Context, full: bool) -> None:
    """Have the service check the hash chain, the stored tree and every signed checkpoint
    (auditors). Exits non-zero naming the first bad entry when anything was edited,
    deleted, reordered or truncated, or when the log shrank or forked."""
    report = ctx.api().post("/audit/verify", params={"full": full})
    if report["first_checked"] == 1:
        what = f"{report['entries']} entries, {report['checkpoints']} signed checkpoints"
        if report["previous_size"]:
            what += f" (last verified at {report['previous_size']} entries)"
    else:
        new = report["entries"] - report["first_checked"] + 1
        what = (
            f"{report['entries']} entries ({new} new since the {report['previous_size']} "
            f"verified before), {report['checkpoints']} new signed checkpoints"
        )
    click.echo(f"audit log OK: {what}, root {report['root']}")


COMMANDS = [audit]
