"""What every client command shares: the service's address, the acting user's session."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from custodio import config
from custodio.client import session_file
from custodio.client.api import Api
from custodio.client.text import is_utf8
from custodio.errors import AuthenticationFailed, InvalidInput

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Context:
    server: str
    user: str | None
    debug: bool
    password_given: str | None = field(default=None, repr=False)
    _api: Api | None = field(default=None, repr=False)
    _anonymous: Api | None = field(default=None, repr=False)
    _ends_session: bool = field(default=False, repr=False)

    def anonymous(self) -> Api:
        """The service, no session yet (to log in); closed when the command ends."""
        if self._anonymous is None:
            self._anonymous = Api(self.server)
        return self._anonymous

    def api(self) -> Api:
        """The service in the acting user's session: the one ``custodio login`` saved for
        this service (unless --user names someone else), or else one opened now with the
        password (CUSTODIO_PASSWORD or a prompt) and the one-time code (CUSTODIO_OTP or a
        prompt), ended when the command ends."""
        if self._api is not None:
            return self._api
        saved = session_file.load(self.server)
        if saved is not None and (not self.user or self.user == saved.user):
            self._api = Api(self.server, token=saved.token, on_expired=self._forget_saved)
            return self._api
        if not self.user:
            raise InvalidInput(
                "this command acts as a user",
                hint="log in with `custodio login`, or give --user NAME or set CUSTODIO_USER",
            )
        password = read_password(f"password for {self.user}")
        api = self.anonymous()  # its connection serves the session that follows
        try:
            api.token = login(api, self.user, password)["token"]
        except BaseException:
            api.close()
            raise
        self.password_given = password  # `custodio password` need not ask for it twice
        self._api, self._ends_session = api, True
        return self._api

    def _forget_saved(self) -> None:
        """The saved session was refused (expired, revoked): its file is of no more use."""
        session_file.remove(self.server)

    def close(self) -> None:
        if self._anonymous is not None:
            self._anonymous.close()
            self._anonymous = None
        if self._api is not None:
            if self._ends_session:  # the session this command opened ends with it
                with contextlib.suppress(Exception):  # it expires by itself; the outcome stands
                    self._api.delete("/session")
            self._api.close()
            self._api = None


def login(api: Api, user: str, password: str) -> dict[str, Any]:
    """``POST /session``: the token and its end; asks for a one-time code when the
    service wants one and CUSTODIO_OTP gave none."""
    otp = config.secret("OTP")
    body: dict[str, Any] = {"name": user, "password": password, "otp": otp}
    try:
        return dict(api.post("/session", body))
    except AuthenticationFailed as e:
        if getattr(e, "code", "") != "one_time_code_needed" or otp is not None:
            raise
    body["otp"] = read_secret("OTP", "one-time code")
    return dict(api.post("/session", body))


pass_context = click.make_pass_decorator(Context)


def read_password(prompt: str) -> str:
    """The password from CUSTODIO_PASSWORD (for scripts) or from a hidden prompt."""
    return read_secret("PASSWORD", prompt)


def read_secret(name: str, prompt: str, *, confirm: bool = False) -> str:
    """A secret from CUSTODIO_<name> (for scripts) or from a hidden prompt."""
    from_env = config.secret(name)
    if from_env is not None:
        if not is_utf8(from_env):
            raise InvalidInput(f"CUSTODIO_{name} is not valid UTF-8", hint="set it as UTF-8 text")
        return from_env
    return str(click.prompt(prompt, hide_input=True, confirmation_prompt=confirm))


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        fn
    )


def purpose_option(fn: F) -> F:
    return click.option(
        "--purpose", metavar="TEXT", help="Why you need this (required for content; audited)."
    )(fn)
