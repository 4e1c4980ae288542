"""What every CLI verb shares: the data directory, the acting user, output helpers."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from custodio import config
from custodio.access import sessions, vaults
from custodio.access.cli import session_file
from custodio.access.service import Service, Session
from custodio.errors import InvalidInput, SessionExpired
from custodio.vault.store import Vault

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Context:
    data_dir: Path
    user: str | None
    debug: bool
    _service: Service | None = field(default=None, repr=False)
    _vault: Vault | None = field(default=None, repr=False)
    password_given: str | None = field(default=None, repr=False)
    _session: Session | None = field(default=None, repr=False)

    def service(self) -> Service:
        if self._service is None:
            self._service = Service.open(config.load(self.data_dir))
        return self._service

    def vault(self) -> Vault:
        """The vault, its key provider unlocked (passphrase from the environment or asked)."""
        if self._vault is None:
            svc = self.service()
            self._vault = vaults.open_vault(svc.config, svc.db, read_secret)
        return self._vault

    def session(self) -> Session:
        """The acting user: the session ``custodio login`` saved for this data directory
        (unless --user names someone else), or else a login with the password (and the
        one-time code in CUSTODIO_OTP, where the user has a second factor)."""
        if self._session is not None:
            return self._session
        saved = session_file.load(self.data_dir)
        if saved is not None and (not self.user or self.user == saved.user):
            try:
                self._session = sessions.resume(self.service(), saved.token)
            except SessionExpired:
                session_file.remove(self.data_dir)
                raise
            return self._session
        if not self.user:
            raise InvalidInput(
                "this command acts as a user",
                hint="log in with `custodio login`, or give --user NAME or set CUSTODIO_USER",
            )
        password = read_password(f"password for {self.user}")
        session = self.service().login(self.user, password, config.secret("OTP"))
        self.password_given = password  # `custodio password` need not ask for it twice
        return session

    def close(self) -> None:
        if self._service is not None:
            self._service.close()
            self._service = None


pass_context = click.make_pass_decorator(Context)


def read_password(prompt: str) -> str:
    """The password from CUSTODIO_PASSWORD (for scripts) or from a hidden prompt."""
    return read_secret("PASSWORD", prompt)


def read_secret(name: str, prompt: str, *, confirm: bool = False) -> str:
    """A secret from CUSTODIO_<name> (for scripts and services) or from a hidden prompt."""
    from_env = config.secret(name)
    if from_env is not None:
        if not is_utf8(from_env):
            raise InvalidInput(f"CUSTODIO_{name} is not valid UTF-8", hint="set it as UTF-8 text")
        return from_env
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=confirm))


def printable(text: str) -> str:
    """``text`` safe to print: bytes that were not UTF-8 (a file name, an argument) shown as
    ``\\xNN`` escapes instead of the surrogates Python keeps them as."""
    try:
        raw = os.fsencode(text)
    except UnicodeEncodeError:  # a surrogate that no undecodable byte made
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def is_utf8(text: str) -> bool:
    """False for a string holding undecodable bytes (surrogates from the command line)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        fn
    )


def purpose_option(fn: F) -> F:
    return click.option(
        "--purpose", metavar="TEXT", help="Why you need this (required for content; audited)."
    )(fn)


def emit_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(list(rows), indent=2, ensure_ascii=False, default=str))
        return
    if not rows:
        click.echo("(none)")
        return
    table = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in table)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)))
    for r in table:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def emit_object(obj: Mapping[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))
        return
    for line in _outline(obj, 0):
        click.echo(line)


def _outline(obj: Mapping[str, Any], depth: int) -> Iterable[str]:
    """An indented, YAML-like rendering of nested mappings and lists of mappings."""
    pad = "  " * depth
    for key, value in obj.items():
        if isinstance(value, Mapping):
            yield f"{pad}{key}:"
            yield from _outline(value, depth + 1)
        elif isinstance(value, list) and value and isinstance(value[0], Mapping):
            yield f"{pad}{key}:"
            for item in value:
                lines = list(_outline(item, depth + 2))
                yield f"{pad}  - " + lines[0].lstrip()
                yield from lines[1:]
        else:
            yield f"{pad}{key}: {_cell(value)}"


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Iterable) and not isinstance(value, str):
        return ",".join(_cell(v) for v in value)
    return str(value)
