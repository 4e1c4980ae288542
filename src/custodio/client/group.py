"""The ``custodio`` group's machinery: commands loaded only when run, groups that merge,
and the one rule every text argument obeys (UTF-8)."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

import click

from custodio.client.text import is_utf8, printable
from custodio.errors import InvalidInput


class Lazy(click.Group):
    """A group some of whose commands are imported only when run: ``lazy`` maps a name to
    (``module:attribute``, its one-line help)."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            where, _ = self.lazy[cmd_name]
            module, _, attribute = where.partition(":")
            command = getattr(importlib.import_module(module), attribute)
            utf8_text_only(command)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command's one-line help, as click shows it, a lazy one's without importing it."""
        names = [n for n in self.list_commands(ctx)
                 if n in self.lazy or not self.commands[n].hidden]  # fmt: skip
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in self.commands:
                rows.append((name, self.commands[name].get_short_help_str(limit)))
            else:
                rows.append((name, _shortened(self.lazy[name][1], limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _shortened(text: str, limit: int) -> str:
    """``text`` cut at a word to at most ``limit`` characters, "..." saying so."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 3)].rsplit(" ", 1)[0].rstrip(" .,:;") + "..."


def add(group: click.Group, command: click.Command) -> None:
    """Register ``command``; a group of a name already taken joins the existing group."""
    existing = group.commands.get(command.name or "")
    if isinstance(existing, click.Group) and isinstance(command, click.Group):
        for sub in command.commands.values():
            existing.add_command(sub)
        if isinstance(existing, Lazy) and isinstance(command, Lazy):
            existing.lazy.update(command.lazy)
    else:
        group.add_command(command)


def utf8_text_only(command: click.Command) -> None:
    """Make ``command`` and its subcommands refuse a text value that is not UTF-8.

    Python keeps the undecodable bytes of the command line as surrogates, which no catalog,
    audit entry or terminal accepts: such a value is refused by name, in one line, before
    the command runs. File paths (``click.Path``) are the system's and pass as they are.
    """
    if command.callback is not None and not getattr(command.callback, "_utf8_only", False):
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

    run._utf8_only = True  # type: ignore[attr-defined]
    return run


def _require_utf8(param: click.Parameter, value: object) -> None:
    texts = value if isinstance(value, tuple | list) else (value,)
    for text in texts:
        if isinstance(text, str) and not is_utf8(text):
            name = max(param.opts, key=len) if isinstance(param, click.Option) else (
                param.human_readable_name)  # fmt: skip
            raise InvalidInput(f"{name} '{printable(text)}' is not valid UTF-8",
                               hint="give it as UTF-8 text")  # fmt: skip
