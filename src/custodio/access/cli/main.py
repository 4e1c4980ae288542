"""``custodio``: the entry point, global options and the one error handler."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from custodio import __version__, config
from custodio.access.cli import (
    admin_cmds,
    audit_cmds,
    case_cmds,
    classify_cmds,
    comms_cmds,
    handover_cmds,
    init_cmd,
    jobs_cmds,
    report_cmds,
    serve_cmd,
    simulate_cmd,
    vault_cmds,
    warrant_cmds,
)
from custodio.access.cli.context import Context
from custodio.errors import CustodioError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="custodio")
@click.option(
    "--data",
    metavar="DIR",
    envvar="CUSTODIO_DATA",
    show_envvar=True,
    help=f"The data directory [default: {config.DEFAULT_DATA_DIR}].",
)
@click.option(
    "--user",
    metavar="NAME",
    envvar="CUSTODIO_USER",
    show_envvar=True,
    help="Act as this user; the password comes from CUSTODIO_PASSWORD or a prompt.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, data: str | None, user: str | None, debug: bool) -> None:
    """Custodio: lawful-interception evidence, received, sealed, classified and audited.

    Commands act as a user (--user); every action is checked by the access policy and
    written to the audit log.
    """
    state = Context(data_dir=config.data_dir_from(data), user=user, debug=debug)
    ctx.obj = state
    ctx.call_on_close(state.close)


def _add(group: click.Group, command: click.Command) -> None:
    """Register ``command``; a group of a name already taken joins the existing group."""
    existing = group.commands.get(command.name or "")
    if isinstance(existing, click.Group) and isinstance(command, click.Group):
        for sub in command.commands.values():
            existing.add_command(sub)
    else:
        group.add_command(command)


for module in (
    init_cmd,
    serve_cmd,
    simulate_cmd,
    admin_cmds,
    case_cmds,
    warrant_cmds,
    vault_cmds,
    audit_cmds,
    comms_cmds,
    report_cmds,
    handover_cmds,
    classify_cmds,
    jobs_cmds,
):
    for command in module.COMMANDS:
        _add(cli, command)


def main(args: Sequence[str] | None = None) -> None:
    """The ``custodio`` command with ``args`` (default: the command line's): one line per
    error, with the error's exit code; ``--debug`` raises it instead."""
    argv = list(sys.argv[1:] if args is None else args)
    debug = "--debug" in argv
    try:
        cli.main(args=argv, prog_name="custodio", standalone_mode=False)
    except CustodioError as e:
        if debug:
            raise
        click.echo(f"custodio: error: {e}", err=True)
        sys.exit(e.exit_code)
    except click.exceptions.Abort:
        click.echo("custodio: aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)


if __name__ == "__main__":
    main()
