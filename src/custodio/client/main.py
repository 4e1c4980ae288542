"""``custodio``: the command group, global options and the one error handler.

The users' commands (this package's) speak to the service's API. The commands that run or
administer the service on its own machine are named here with their one-line help and
imported only when run (:class:`Lazy`): ``custodio --help`` and a listing load no part of
the service.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from custodio import __version__
from custodio.client import (
    account_cmds,
    audit_cmds,
    auth_cmds,
    case_cmds,
    classify_cmds,
    comms_cmds,
    evidence_cmds,
    jobs_cmds,
    notes_cmds,
    review_cmds,
    search_cmds,
    translation_cmds,
    warrant_cmds,
    work_cmds,
)
from custodio.client.api import DEFAULT_SERVER
from custodio.client.context import Context
from custodio.client.group import Lazy, add, utf8_text_only
from custodio.errors import CustodioError

PRIVATE_UMASK = 0o077
"""Whatever a command creates (an evidence file, a session file) is its owner's only."""

LOCAL = "custodio.app.local"
"""Where the commands that open the data directory are (loaded when one is run)."""


_LOCAL_COMMANDS = {
    "init": "[local] Create a data directory: settings, catalog, keys.",
    "serve": "[local] Run the service: handover, assembly, the API.",
    "assemble": "[local] Assemble the journal on a stopped service.",
    "handover": "[local] Archive the journal; what operators delivered.",
    "vault": "[local] Verify, clean up, rotate the vault's key.",
    "agency": "[local] A new agency and its first administrator.",
    "worker": "[local] Run classification jobs from RabbitMQ.",
    "simulate": "[local] Play an operator's mediator (testing).",
}


@click.group(
    cls=Lazy,
    lazy={name: (f"{LOCAL}:{name}", text) for name, text in _LOCAL_COMMANDS.items()},
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="custodio")
@click.option(
    "--server",
    metavar="URL",
    envvar="CUSTODIO_SERVER",
    show_envvar=True,
    default=DEFAULT_SERVER,
    show_default=True,
    help="The Custodio service the users' commands speak to.",
)
@click.option(
    "--user",
    metavar="NAME",
    envvar="CUSTODIO_USER",
    show_envvar=True,
    help="Act as this user: in the session `custodio login` opened for him, or else with the "
    "password from CUSTODIO_PASSWORD or a prompt.",
)
@click.option(
    "--data",
    metavar="DIR",
    envvar="CUSTODIO_DATA",
    show_envvar=True,
    help="[local] commands only: the data directory [default: ./custodio-data].",
)
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, server: str, user: str | None, data: str | None, debug: bool) -> None:
    """Custodio: lawful-interception evidence, received, sealed, classified and audited.

    Users' commands speak to the running service (--server) as a user (--user, or the
    session of `custodio login`): it checks every action against the access policy and
    writes it to the audit log; no key or evidence is on this side. Commands marked
    [local] run on the service's own machine and open its data directory (--data).
    """
    state = Context(server=server.rstrip("/"), user=user, debug=debug)
    ctx.obj = state
    ctx.call_on_close(state.close)


for module in (
    auth_cmds,
    account_cmds,
    case_cmds,
    warrant_cmds,
    comms_cmds,
    evidence_cmds,
    review_cmds,
    work_cmds,
    jobs_cmds,
    classify_cmds,
    search_cmds,
    translation_cmds,
    notes_cmds,
    audit_cmds,
):
    for command in module.COMMANDS:
        add(cli, command)


utf8_text_only(cli)


def main(args: Sequence[str] | None = None) -> None:
    """``custodio ARGS`` (default: the command line's): one line per error, with the
    error's exit code; ``--debug`` raises it instead."""
    os.umask(PRIVATE_UMASK)
    argv = list(sys.argv[1:] if args is None else args)
    debug = "--debug" in argv
    try:
        cli.main(args=argv, prog_name="custodio", standalone_mode=False, obj=None)
    except CustodioError as e:
        _fail(e, debug)
    except click.exceptions.Abort:
        click.echo("custodio: aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)


def _fail(e: CustodioError, debug: bool) -> None:
    if debug:
        raise e
    click.echo(f"custodio: error: {e}", err=True)
    sys.exit(e.exit_code)


if __name__ == "__main__":
    main()
