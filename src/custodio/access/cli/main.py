"""``custodio``: the command group, global options and the one error handler.

The group holds the faces' commands (those of this package); the composition root adds the
commands that run the service's parts (:mod:`custodio.app.main`, the installed entry point).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from custodio import __version__, config
from custodio.access.cli import (
    admin_cmds,
    audit_cmds,
    auth_cmds,
    case_cmds,
    classify_cmds,
    comms_cmds,
    init_cmd,
    jobs_cmds,
    report_cmds,
    search_cmds,
    simulate_cmd,
    translation_cmds,
    vault_cmds,
    warrant_cmds,
)
from custodio.access.cli.context import Context, is_utf8, printable
from custodio.errors import CustodioError, InvalidInput


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
    help="Act as this user: in the session `custodio login` opened for him, or else with the "
    "password from CUSTODIO_PASSWORD or a prompt.",
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


def add(group: click.Group, command: click.Command) -> None:
    """Register ``command``; a group of a name already taken joins the existing group."""
    existing = group.commands.get(command.name or "")
    if isinstance(existing, click.Group) and isinstance(command, click.Group):
        for sub in command.commands.values():
            existing.add_command(sub)
    else:
        group.add_command(command)


for module in (
    init_cmd,
    simulate_cmd,
    auth_cmds,
    admin_cmds,
    case_cmds,
    warrant_cmds,
    vault_cmds,
    audit_cmds,
    comms_cmds,
    report_cmds,
    classify_cmds,
    jobs_cmds,
    search_cmds,
    translation_cmds,
):
    for command in module.COMMANDS:
        add(cli, command)


def utf8_text_only(command: click.Command) -> None:
    """Make ``command`` and its subcommands refuse a text value that is not UTF-8.

    Python keeps the undecodable bytes of the command line as surrogates, which no catalog,
    audit entry or terminal accepts: such a value is refused by name, in one line, before
    the command runs. File paths (``click.Path``) are the system's and pass as they are.
    """
    if command.callback is not None:
        command.callback = _checked(command, command.callback)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            utf8_text_only(sub)


def _checked(command: click.Command, callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def run(*args: Any, **kwargs: Any) -> Any:
        values = click.get_current_context().params
        for param in command.params:
            if not isinstance(param.type, click.Path) and param.name in values:
                _require_utf8(param, values[param.name])
        return callback(*args, **kwargs)

    return run


def _require_utf8(param: click.Parameter, value: object) -> None:
    texts = value if isinstance(value, tuple | list) else (value,)
    for text in texts:
        if isinstance(text, str) and not is_utf8(text):
            name = max(param.opts, key=len) if isinstance(param, click.Option) else (
                param.human_readable_name)  # fmt: skip
            raise InvalidInput(f"{name} '{printable(text)}' is not valid UTF-8",
                               hint="give it as UTF-8 text")  # fmt: skip


utf8_text_only(cli)


def main(args: Sequence[str] | None = None, group: click.Group = cli) -> None:
    """The ``custodio`` command with ``args`` (default: the command line's): one line per
    error, with the error's exit code; ``--debug`` raises it instead."""
    argv = list(sys.argv[1:] if args is None else args)
    debug = "--debug" in argv
    try:
        group.main(args=argv, prog_name="custodio", standalone_mode=False)
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
