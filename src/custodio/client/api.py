"""The service's API as the CLI speaks it: JSON over HTTP (``http.client``, no more).

An :class:`Api` keeps one connection to the service for the command's life. Each call
sends the session's bearer token and, for content, the purpose; the answer is the JSON
body, or the bytes streamed into a sink. Every error the service answers with —
``{"error": {"code", "message", "hint"}}`` — becomes the :mod:`custodio.errors` class of
that code (so the CLI exits with the code it always had), and a service that does not
answer is a :class:`ConfigError` that says where the CLI looked.
"""

from __future__ import annotations

import http.client
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, BinaryIO
from urllib.parse import quote, urlencode, urlsplit

from custodio import errors

DEFAULT_SERVER = "http://127.0.0.1:8480"
"""`custodio serve`'s HTTP address by default (the ``http`` setting)."""

PREFIX = "/api/v1"
TIMEOUT_SECONDS = 120.0
CHUNK = 64 * 1024
MAX_JSON_BYTES = 256 * 1024 * 1024
STORE_RATE = 10 * 1024 * 1024
"""Octets a second the service is given to store an upload before it answers."""

Params = Mapping[str, str | int | float | bool | None]


class ServiceError(errors.CustodioError):
    """An error the service answered with; ``code`` is the API's word for it."""

    code = "internal"


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _classes() -> dict[str, type[errors.CustodioError]]:
    found: dict[str, type[errors.CustodioError]] = {}
    pending: list[type[errors.CustodioError]] = [errors.CustodioError]
    while pending:
        cls = pending.pop()
        found[_snake(cls.__name__)] = cls
        pending.extend(cls.__subclasses__())
    return found


_BY_STATUS: dict[int, type[errors.CustodioError]] = {
    400: errors.InvalidInput, 401: errors.AuthenticationFailed, 403: errors.Forbidden,
    404: errors.NotFound, 409: errors.Conflict, 413: errors.InvalidInput,
    416: errors.InvalidInput, 422: errors.InvalidInput, 423: errors.AccountLocked,
    503: errors.BackendError,
}  # fmt: skip


def error_of(status: int, body: bytes) -> errors.CustodioError:
    """The error an answer of ``status`` with ``body`` (the one error shape) stands for."""
    try:
        shape = json.loads(body)["error"]
        code, message, hint = str(shape["code"]), str(shape["message"]), shape.get("hint")
    except (ValueError, KeyError, TypeError):
        code, message, hint = "http_error", f"the service answered HTTP {status}", None
    base = _classes().get(code) or _BY_STATUS.get(status, errors.CustodioError)
    # the class of that code (its exit code), and a ServiceError that knows the code
    kind: type[errors.CustodioError] = type(base.__name__, (base, ServiceError), {"code": code})
    return kind(message, hint=str(hint) if hint else None)


class Api:
    """A connection to the service at ``server`` (``http://HOST:PORT`` or ``https://...``)."""

    def __init__(self, server: str, *, token: str | None = None,
                 timeout: float = TIMEOUT_SECONDS,
                 on_expired: Callable[[], None] | None = None) -> None:  # fmt: skip
        parts = urlsplit(server)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise errors.InvalidInput(
                f"--server {server!r} is not an http:// or https:// URL",
                hint=f"e.g. {DEFAULT_SERVER}",
            )
        self.server = server
        self.token = token
        self._parts = parts
        self._timeout = timeout
        self._conn: http.client.HTTPConnection | None = None
        self._on_expired = on_expired  # the token is no longer valid: e.g. forget its file

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            host, port = self._parts.hostname or "", self._parts.port
            if self._parts.scheme == "https":
                import ssl  # noqa: PLC0415 (only where needed: 10 ms of every start-up)

                context = ssl.create_default_context()
                self._conn = http.client.HTTPSConnection(
                    host, port, timeout=self._timeout, context=context, blocksize=CHUNK
                )
            else:
                self._conn = http.client.HTTPConnection(host, port, timeout=self._timeout,
                                                        blocksize=CHUNK)  # fmt: skip
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- JSON ------------------------------------------------------------------------

    def get(self, path: str, params: Params | None = None, **kw: Any) -> Any:
        return self.call("GET", path, params, **kw)

    def post(self, path: str, body: Any = None, params: Params | None = None) -> Any:
        return self.call("POST", path, params, body=body)

    def patch(self, path: str, body: Any = None) -> Any:
        return self.call("PATCH", path, None, body=body)

    def delete(self, path: str, params: Params | None = None) -> Any:
        return self.call("DELETE", path, params)

    def call(self, method: str, path: str, params: Params | None = None, *,
             body: Any = None, purpose: str | None = None) -> Any:  # fmt: skip
        """``method path`` with ``params`` and a JSON ``body``; the JSON answer (None for
        an empty one)."""
        with self._exchange(method, path, params, body, purpose) as reply:
            raw = reply.read(MAX_JSON_BYTES + 1)
        if not raw:
            return None
        if len(raw) > MAX_JSON_BYTES:
            raise errors.CustodioError(f"the service's answer to {path} is too large")
        return json.loads(raw)

    # -- bytes -----------------------------------------------------------------------

    def download(self, path: str, params: Params | None, write: Callable[[bytes], None], *,
                 purpose: str | None = None) -> int:  # fmt: skip
        """Stream the body of ``GET path`` into ``write`` as it arrives; its length."""
        total = 0
        with self._exchange("GET", path, params, None, purpose) as reply:
            while chunk := reply.read1(CHUNK):
                write(chunk)
                total += len(chunk)
        return total

    def lines(self, path: str, params: Params | None = None, *,
              purpose: str | None = None) -> Iterator[bytes]:  # fmt: skip
        """The body of ``GET path`` line by line as the service sends it (a stream)."""
        with self._exchange("GET", path, params, None, purpose) as reply:
            while line := reply.readline():
                yield line

    def upload(self, path: str, params: Params | None, source: BinaryIO, size: int) -> Any:
        """``POST path`` with the ``size`` bytes of ``source`` as the body, streamed from
        it (``application/octet-stream``); the JSON answer."""
        with self._exchange("POST", path, params, None, None, raw=(source, size)) as reply:
            raw = reply.read(MAX_JSON_BYTES + 1)
        return json.loads(raw) if raw else None

    # -- the exchange ----------------------------------------------------------------

    def _exchange(self, method: str, path: str, params: Params | None, body: Any,
                  purpose: str | None, *,
                  raw: tuple[BinaryIO, int] | None = None) -> _Reply:  # fmt: skip
        target = PREFIX + path
        query = {k: _text(v) for k, v in (params or {}).items() if v is not None}
        if query:
            target += "?" + urlencode(query)
        headers = self._headers(purpose)
        data: bytes | BinaryIO | None = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if raw is not None:
            data = raw[0]
            headers["Content-Type"] = "application/octet-stream"
            headers["Content-Length"] = str(raw[1])
        reply = self._send(method, target, data, headers)
        if reply.status >= 400:
            error = error_of(reply.status, reply.read(64 * 1024))
            if isinstance(error, errors.SessionExpired) and self._on_expired is not None:
                self._on_expired()
            raise error
        return _Reply(reply, self)

    def _send(self, method: str, target: str, data: bytes | BinaryIO | None,
              headers: dict[str, str]) -> http.client.HTTPResponse:  # fmt: skip
        """The answer to one request. A file ``data`` (an upload) is sent from where it is
        now; the service is given time to store it before it answers."""
        upload = data if data is not None and not isinstance(data, bytes) else None
        start = upload.tell() if upload is not None else 0
        for attempt in (1, 2):  # a kept-alive connection the service closed: once more
            conn = self._connection()
            try:
                if upload is not None:
                    upload.seek(start)
                conn.request(method, target, body=data, headers=headers)
                if upload is not None and conn.sock is not None:  # the service stores it first
                    size = int(headers["Content-Length"])
                    conn.sock.settimeout(self._timeout + size / STORE_RATE)
                reply = conn.getresponse()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                refused = upload is not None and not isinstance(e, http.client.RemoteDisconnected)
                if refused and (answer := _answer(conn)) is not None:
                    reply = answer  # the service refused the upload before reading it all
                    break
                self.close()
                if attempt == 2:
                    raise self._unreachable("closed the connection") from None
            except OSError as e:
                self.close()
                raise self._unreachable(e.strerror or str(e)) from e
        if upload is not None and conn.sock is not None:
            conn.sock.settimeout(self._timeout)
        return reply

    def _headers(self, purpose: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "custodio-cli"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if purpose is not None:
            headers["X-Custodio-Purpose"] = quote(purpose, safe="")
        return headers

    def _unreachable(self, why: str) -> errors.ConfigError:
        return errors.ConfigError(
            f"no Custodio service answers at {self.server}: {why}",
            hint="start it with `custodio serve`, or give --server URL (or CUSTODIO_SERVER)",
        )


class _Reply:
    """A response read inside ``with``; a connection left half-read is closed."""

    def __init__(self, reply: http.client.HTTPResponse, api: Api) -> None:
        self._reply, self._api = reply, api

    def __enter__(self) -> http.client.HTTPResponse:
        return self._reply

    def __exit__(self, *exc: object) -> None:
        if not self._reply.isclosed():
            try:
                self._reply.read()
            except (OSError, http.client.HTTPException):
                self._api.close()
        if exc[0] is not None:
            self._api.close()


def _answer(conn: http.client.HTTPConnection) -> http.client.HTTPResponse | None:
    """The answer the service sent before it closed a connection we were writing to."""
    try:
        return conn.getresponse()
    except (OSError, http.client.HTTPException):
        return None


def _text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def path_part(value: str | int) -> str:
    """``value`` as one part of a route's path ("DP 123/2026" keeps its slash: the case
    routes take the rest of the path)."""
    return quote(str(value), safe="/")
