"""What every [local] command shares: the data directory, the acting user, output helpers.

The [local] commands run on the service's own machine and open its data directory (the
catalog, the vault's key provider): ``init``, ``serve``, maintenance. They take the
``custodio`` group's --data, --user and --debug (:mod:`custodio.client.main`); users'
commands are the service's clients (:mod:`custodio.client`) and never come here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from custodio import config
from custodio.access import vaults
from custodio.access.service import Service, Session
from custodio.client.context import json_option, purpose_option, read_password, read_secret
from custodio.client.text import emit_object, emit_rows, is_utf8, printable
from custodio.errors import InvalidInput
from custodio.vault.store import Vault

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["Context", "emit_object", "emit_rows", "is_utf8", "json_option", "pass_context",
           "printable", "purpose_option", "read_password", "read_secret"]  # fmt: skip


@dataclass
class Context:
    data_dir: Path
    user: str | None
    debug: bool
    _service: Service | None = field(default=None, repr=False)
    _vault: Vault | None = field(default=None, repr=False)
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
        """The acting user (--user), logged in here with his password (CUSTODIO_PASSWORD or a
        prompt) and one-time code (CUSTODIO_OTP), for this command only."""
        if self._session is None:
            if not self.user:
                raise InvalidInput("this command acts as a user",
                                   hint="give --user NAME or set CUSTODIO_USER")  # fmt: skip
            password = read_password(f"password for {self.user}")
            self._session = self.service().login(self.user, password, config.secret("OTP"))
        return self._session

    def close(self) -> None:
        if self._service is not None:
            self._service.close()
            self._service = None


_KEY = "custodio.local"


def pass_context(fn: F) -> F:
    """Hand ``fn`` the [local] context, made once from the ``custodio`` group's options."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        click_ctx = click.get_current_context()
        root = click_ctx.find_root()
        state = root.meta.get(_KEY)
        if state is None:
            params = root.params
            state = Context(data_dir=config.data_dir_from(params.get("data")),
                            user=params.get("user"), debug=bool(params.get("debug")))  # fmt: skip
            root.meta[_KEY] = state
            root.call_on_close(state.close)
        return fn(state, *args, **kwargs)

    return run  # type: ignore[return-value]
