"""The HTTP side of ``custodio serve``: the API face (:mod:`custodio.access.api`) with the
service's own ``GET /health`` and ``GET /metrics`` beside it, served by uvicorn inside
serve's event loop (:class:`Http`).

uvicorn runs on a socket bound here (a busy address is a ConfigError before anything
starts, and port 0 is known at once) and without signal handlers of its own: serve's
SIGINT/SIGTERM handling stops it, last, after the handover and the assembler.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import uvicorn
from fastapi import APIRouter, FastAPI
from fastapi.responses import PlainTextResponse

from custodio.access.api import create_app
from custodio.access.service import Service
from custodio.config import Address
from custodio.errors import ConfigError
from custodio.vault.store import Vault

PROMETHEUS = "text/plain; version=0.0.4"
SHUTDOWN_SECONDS = 5


def service_routes(
    health: Callable[[], dict[str, Any]], metrics: Callable[[], Awaitable[str]]
) -> APIRouter:
    """``GET /health`` (JSON counters) and ``GET /metrics`` (Prometheus text)."""
    router = APIRouter(tags=["service"])

    @router.get("/health", summary="The service's status and counters")
    async def get_health() -> dict[str, Any]:
        return health()

    @router.get("/metrics", summary="The counters for Prometheus",
                response_class=PlainTextResponse)  # fmt: skip
    async def get_metrics() -> PlainTextResponse:
        return PlainTextResponse(await metrics(), media_type=PROMETHEUS)

    return router


def build(
    svc: Service,
    vault: Vault | None,
    health: Callable[[], dict[str, Any]],
    metrics: Callable[[], Awaitable[str]],
) -> FastAPI:
    return create_app(svc, vault, extra=[service_routes(health, metrics)])


class _Uvicorn(uvicorn.Server):
    """uvicorn that leaves the process's signals to serve (``Server.run``)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _listen(host: str, port: int, family: socket.AddressFamily) -> socket.socket:
    """A listening socket made with its protocol named, IPPROTO_TCP: asyncio sets
    TCP_NODELAY only on the connections of such a socket (``socket.create_server`` names
    none). Without it a response written in two parts (headers, then body) on a kept-alive
    connection waits for the client's delayed ACK: 40 ms per request on Linux
    (benchmarks/api.py)."""
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


class Http:
    """The application served on ``address`` until :meth:`stop`."""

    def __init__(self, app: FastAPI, address: Address) -> None:
        self.app = app
        self.address = address
        self.sock: socket.socket | None = None
        self._server: _Uvicorn | None = None
        self._task: asyncio.Task[None] | None = None

    def bind(self) -> tuple[str, int]:
        """Bind the listening socket; where it listens."""
        family = socket.AF_INET6 if ":" in self.address.host else socket.AF_INET
        try:
            self.sock = _listen(self.address.host, self.address.port, family)
        except OSError as e:
            raise ConfigError(
                f"cannot listen on {self.address}: {e.strerror}",
                hint="choose another --http HOST:PORT",
            ) from e
        host, port = self.sock.getsockname()[:2]
        return str(host), int(port)

    async def start(self) -> None:
        assert self.sock is not None, "bind() first"
        config = uvicorn.Config(
            self.app, log_level="warning", log_config=None, lifespan="off", access_log=False,
            server_header=False, timeout_graceful_shutdown=SHUTDOWN_SECONDS,
        )  # fmt: skip
        self._server = _Uvicorn(config)
        self._task = asyncio.create_task(self._server.serve([self.sock]), name="http")
        while not self._server.started:
            if self._task.done():
                self._task.result()  # its error
                raise ConfigError(f"the HTTP service on {self.address} did not start")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        if self.sock is not None:
            self.sock.close()
