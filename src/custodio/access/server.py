"""``custodio serve``: the long-running service.

It runs the HI2 and HI3 handover listeners (:mod:`custodio.handover.runtime`) over the
journal in ``DATA_DIR/journal``, serves ``GET /health`` (status and handover counters,
JSON) and ``GET /metrics`` (the same counters for Prometheus) over HTTP, and signs an
audit checkpoint whenever the log has grown, every ``audit_checkpoint_seconds``. SIGINT
and SIGTERM stop it cleanly: the listeners close, what was read becomes durable, the
journal is flushed and closed, a last checkpoint is signed, the stop is audited.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from collections.abc import Callable
from dataclasses import dataclass

from custodio import __version__
from custodio.access import auditing
from custodio.access.service import Service
from custodio.errors import ConfigError, InvalidInput
from custodio.handover.runtime import Bound, Handover

MAX_REQUEST_LINE = 8192


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Endpoint:
        host, sep, port = text.rpartition(":")
        if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise InvalidInput(f"{text!r} is not HOST:PORT", hint="e.g. 127.0.0.1:8480")
        return cls(host.strip("[]") or "0.0.0.0", int(port))  # noqa: S104 (HOST empty = all)

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Endpoints:
    http: Endpoint
    hi2: Endpoint
    hi3: Endpoint


class Server:
    def __init__(self, svc: Service, endpoints: Endpoints, announce: Callable[[str], None]) -> None:
        self.svc = svc
        self.endpoints = endpoints
        self.http = endpoints.http
        self.announce = announce
        self.handover: Handover | None = None
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._stopping.set)
        server = await self._listen_http()
        try:
            handover = await self._start_handover()
        except BaseException:
            server.close()
            raise
        bound = server.sockets[0].getsockname()
        where = {f"{b.name}": str(b) for b in handover}
        await asyncio.to_thread(
            self.svc.system_event,
            "service.start",
            "custodio",
            {"http": f"{bound[0]}:{bound[1]}", **where, "version": __version__},
        )
        self.announce(f"custodio {__version__} serving http://{bound[0]}:{bound[1]}/health")
        for b in handover:
            self.announce(f"{b.name} listening on {b}")
        self.announce("press Ctrl-C to stop")
        checkpoints = asyncio.create_task(self._checkpoints())
        async with server:
            await self._stopping.wait()
            await self._stop_handover()
        checkpoints.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await checkpoints
        await asyncio.to_thread(self._stop)
        self.announce("custodio stopped")

    async def _listen_http(self) -> asyncio.Server:
        try:
            return await asyncio.start_server(self._http, self.http.host, self.http.port)
        except OSError as e:
            raise ConfigError(
                f"cannot listen on {self.http}: {e.strerror}",
                hint="choose another --http HOST:PORT",
            ) from e

    async def _start_handover(self) -> list[Bound]:
        self.handover = await asyncio.to_thread(Handover.open, self.svc.config, self.svc.db)
        e = self.endpoints
        return await self.handover.start((e.hi2.host, e.hi2.port), (e.hi3.host, e.hi3.port))

    async def _stop_handover(self) -> None:
        if self.handover is not None:
            await self.handover.stop()

    def stop(self) -> None:
        self._stopping.set()

    def _stop(self) -> None:
        self.svc.system_event("service.stop", "custodio", {})
        auditing.checkpoint(self.svc)

    async def _checkpoints(self) -> None:
        every = self.svc.config.settings.audit_checkpoint_seconds
        while True:
            await asyncio.sleep(every)
            await asyncio.to_thread(auditing.checkpoint, self.svc)

    async def _http(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), timeout=10)
            method, path = _request_line(line)
            status, body = await self._route(method, path)
        except (TimeoutError, ValueError, ConnectionError):
            status, body = 400, {"error": "bad request"}
        if isinstance(body, str):
            payload, kind = body.encode(), "text/plain; version=0.0.4"
        else:
            payload, kind = json.dumps(body).encode(), "application/json"
        head = (
            f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
            f"Content-Type: {kind}\r\nContent-Length: {len(payload)}\r\n"
            "Connection: close\r\n\r\n"
        )
        with contextlib.suppress(ConnectionError):
            writer.write(head.encode() + payload)
            await writer.drain()
        writer.close()

    async def _route(self, method: str, path: str) -> tuple[int, dict[str, object] | str]:
        if method == "GET" and path == "/health":
            return 200, {"status": "ok", "version": __version__, "handover": self._counters()}
        if method == "GET" and path == "/metrics":
            return 200, prometheus(self._counters())
        return 404, {"error": f"no such endpoint: {method} {path}"}

    def _counters(self) -> dict[str, object]:
        return {} if self.handover is None else self.handover.health()


def prometheus(counters: dict[str, object], prefix: str = "custodio_handover") -> str:
    """The numeric counters in the Prometheus text format (nested dicts flattened)."""
    lines = []
    for name, value in counters.items():
        if isinstance(value, dict):
            lines.append(prometheus(value, f"{prefix}_{name}").rstrip("\n"))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            lines.append(f"{prefix}_{name} {value}")
    return "\n".join(line for line in lines if line) + "\n"


def _request_line(line: bytes) -> tuple[str, str]:
    if len(line) > MAX_REQUEST_LINE:
        raise ValueError("request line too long")
    parts = line.decode("latin-1").split()
    if len(parts) != 3:
        raise ValueError("malformed request line")
    return parts[0], parts[1]
