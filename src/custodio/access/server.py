"""``custodio serve``: the long-running service.

For now it serves ``GET /health`` over HTTP and signs an audit checkpoint whenever the
log has grown, every ``audit_checkpoint_seconds``; the handover listeners join it in the
handover stage. SIGINT and SIGTERM stop it cleanly: listeners close, a last checkpoint is
signed, the stop is audited, the catalog is closed.
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


class Server:
    def __init__(self, svc: Service, http: Endpoint, announce: Callable[[str], None]) -> None:
        self.svc = svc
        self.http = http
        self.announce = announce
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._stopping.set)
        try:
            server = await asyncio.start_server(self._http, self.http.host, self.http.port)
        except OSError as e:
            raise ConfigError(
                f"cannot listen on {self.http}: {e.strerror}",
                hint="choose another --http HOST:PORT",
            ) from e
        bound = server.sockets[0].getsockname()
        await asyncio.to_thread(
            self.svc.system_event,
            "service.start",
            "custodio",
            {"http": f"{bound[0]}:{bound[1]}", "version": __version__},
        )
        self.announce(f"custodio {__version__} serving http://{bound[0]}:{bound[1]}/health")
        self.announce("press Ctrl-C to stop")
        checkpoints = asyncio.create_task(self._checkpoints())
        async with server:
            await self._stopping.wait()
        checkpoints.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await checkpoints
        await asyncio.to_thread(self._stop)
        self.announce("custodio stopped")

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
        payload = json.dumps(body).encode()
        head = (
            f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
            "Connection: close\r\n\r\n"
        )
        with contextlib.suppress(ConnectionError):
            writer.write(head.encode() + payload)
            await writer.drain()
        writer.close()

    async def _route(self, method: str, path: str) -> tuple[int, dict[str, object]]:
        if method == "GET" and path == "/health":
            return 200, {"status": "ok", "version": __version__}
        return 404, {"error": f"no such endpoint: {method} {path}"}


def _request_line(line: bytes) -> tuple[str, str]:
    if len(line) > MAX_REQUEST_LINE:
        raise ValueError("request line too long")
    parts = line.decode("latin-1").split()
    if len(parts) != 3:
        raise ValueError("malformed request line")
    return parts[0], parts[1]
