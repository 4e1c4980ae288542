"""The API over a line's service, served for real: ``create_app`` under uvicorn on a free
loopback port, in a thread of the test process (clients speak HTTP over TCP)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import uvicorn

from custodio.access.api import create_app
from custodio.vault.store import Vault

if TYPE_CHECKING:
    from tests.integration.assemble.conftest import Line


class Uvicorn(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.contextmanager
def serving(over: Line, vault: Vault | None) -> Iterator[str]:
    """The API over the line's service on a free loopback port; its base URL."""
    app = create_app(over.world.svc, vault, journal_dir=over.directory / "journal")
    # named IPPROTO_TCP, as serve's own (app/http.py): asyncio then sets TCP_NODELAY, and a
    # kept-alive answer does not wait 40 ms for the client's delayed ACK
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", log_config=None, lifespan="off",
                            access_log=False)  # fmt: skip
    server = Uvicorn(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
