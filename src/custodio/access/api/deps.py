"""What every route is handed: the service, the vault, the caller's session, a purpose.

- :func:`api` the :class:`Api` the application was made with (service, vault or none);
- :func:`caller` the session behind ``Authorization: Bearer TOKEN`` (``sessions.resume``:
  no, a bad, an expired or a revoked token is 401);
- :func:`purpose` the reason the caller gives for reading content, from the ``purpose``
  query parameter or the ``X-Custodio-Purpose`` header (percent-encoded UTF-8); the
  policy, not this module, refuses content without one;
- :func:`vault` the vault, or 503 when the serving process has none open.
"""

from __future__ import annotations

from typing import Annotated, cast
from urllib.parse import unquote

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from custodio.access import sessions
from custodio.access.api.context import Api, VaultUnavailable
from custodio.access.service import Session
from custodio.errors import AuthenticationFailed, InvalidInput
from custodio.vault.store import Vault

MAX_TOKEN = 512
MAX_PURPOSE = 500
MAX_TEXT = 2000  # a note, a court order
MAX_NAME = 200  # a reference, a user name, a number


def api(request: Request) -> Api:
    return cast(Api, request.app.state.custodio)


bearer = HTTPBearer(auto_error=False, description="the token POST /api/v1/session returns")


def caller(
    a: Annotated[Api, Depends(api)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Session:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationFailed(
            "no session token", hint="log in with POST /api/v1/session; send its token as "
            "`Authorization: Bearer TOKEN`"
        )  # fmt: skip
    token = credentials.credentials
    try:
        if len(token) > MAX_TOKEN:
            raise InvalidInput("too long")
        return sessions.resume(a.svc, token)
    except InvalidInput as e:  # not the shape of a token: 401, as for an unknown one
        raise AuthenticationFailed(
            "that is not a session token", hint="log in again: POST /api/v1/session"
        ) from e


def purpose(
    purpose: Annotated[
        str | None,
        Query(max_length=MAX_PURPOSE, description="why you read this content (audited)"),
    ] = None,
    x_custodio_purpose: Annotated[
        str | None,
        Header(max_length=3 * MAX_PURPOSE, description="the purpose, percent-encoded UTF-8"),
    ] = None,
) -> str | None:
    given = purpose if purpose is not None else x_custodio_purpose
    if given is None:
        return None
    text = unquote(given) if purpose is None else given
    if len(text) > MAX_PURPOSE or "\x00" in text:
        raise InvalidInput(f"a purpose has at most {MAX_PURPOSE} characters and no NUL")
    return text


def vault(a: Annotated[Api, Depends(api)]) -> Vault:
    if a.vault is None:
        raise VaultUnavailable(
            "the service has no vault open: stored content cannot be read",
            hint="the administrator starts `custodio serve` with the vault's key provider",
        )
    return a.vault


# What a route's parameters are annotated with (FastAPI resolves each per request):
Using = Annotated[Api, Depends(api)]  # the service (and vault) the app was made with
Caller = Annotated[Session, Depends(caller)]  # the bearer token's session, or 401
Purpose = Annotated[str | None, Depends(purpose)]  # the purpose given, if any
VaultDep = Annotated[Vault, Depends(vault)]  # the vault, or 503
