"""``custodio audit verify-catalog|checkpoint``: the audit log checked and signed on the
service's machine, from the catalog itself. [local] (Auditors read and verify it through
the API: :mod:`custodio.client.audit_cmds`.)"""

from __future__ import annotations

from pathlib import Path

import click

from custodio.access import auditing
from custodio.access.cli.context import Context, pass_context


@click.command("verify-catalog")
@click.option(
    "--state",
    "state_dir",
    type=click.Path(path_type=Path),
    help="Where the verifier remembers what it saw [default: audit_verify_state].",
)
@click.option(
    "--public-key",
    metavar="HEX",
    help="Verify checkpoints with this key instead of the catalog's (court expert).",
)
@click.option(
    "--anonymous",
    is_flag=True,
    help="Verify without logging in (needs only read access to the catalog).",
)
@click.option(
    "--incremental",
    is_flag=True,
    help="Check only what was added since the last verification with this memory, and "
    "that the log still extends what it verified then (old entries are not re-read).",
)
@pass_context
def audit_verify_catalog(
    ctx: Context,
    state_dir: Path | None,
    public_key: str | None,
    anonymous: bool,
    incremental: bool,
) -> None:
    """Check every entry, the hash chain, the stored tree and every signed checkpoint.

    Exits non-zero naming the first bad entry when anything was edited, deleted,
    reordered or truncated, or when the log shrank or forked since the last verification.
    """
    session = None if anonymous else ctx.session()
    key = bytes.fromhex(public_key) if public_key else None
    report = auditing.verify_log(
        ctx.service(), session, state_dir=state_dir, public_key=key, full=not incremental
    )
    if report.first_checked == 1:
        what = f"{report.entries} entries, {report.checkpoints} signed checkpoints"
        if report.previous_size:
            what += f" (last verified at {report.previous_size} entries)"
    else:
        new = report.entries - report.first_checked + 1
        what = (
            f"{report.entries} entries ({new} new since the {report.previous_size} verified "
            f"before), {report.checkpoints} new signed checkpoints"
        )
    click.echo(f"audit log OK: {what}, root {report.root}")


@click.command("checkpoint")
@pass_context
def audit_checkpoint(ctx: Context) -> None:
    """Sign a checkpoint now (`custodio serve` does it every audit_checkpoint_seconds)."""
    cp = auditing.checkpoint(ctx.service())
    if cp is None:
        click.echo("no new entries since the last checkpoint")
    else:
        click.echo(f"checkpoint signed: {cp.size} entries, root {cp.root}, key {cp.key_id}")


COMMANDS = [audit_verify_catalog, audit_checkpoint]
