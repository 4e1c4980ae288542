"""`custodio serve` as a real process on a data directory, for the tests that run the
`custodio` command as a user does: the users' commands are the API's clients and reach it
at ``CUSTODIO_SERVER``; [local] commands (init, vault, import, audit checkpoint, ...)
open the data directory themselves, beside it.

``serving(env, log)`` starts it with ``env`` (the data directory, the vault passphrase),
its HTTP service and handover listeners on free loopback ports (port 0: serve announces
the ones it got), its log (stderr) in the file ``log`` (0600); :meth:`ServedCli.users_env` is
the environment a user's command gets: the service's URL, never the data directory nor
the vault passphrase.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration.handover.served import ARGS, ASSEMBLY, CUSTODIO, _announced, _pair, _where

NOT_FOR_USERS = ("CUSTODIO_DATA", "CUSTODIO_VAULT_PASSPHRASE")
"""What a user's command is never given: it has no business with the data directory."""


@dataclass
class ServedCli:
    proc: subprocess.Popen[str]
    server: str  # http://127.0.0.1:PORT
    hi2: tuple[str, int]
    hi3: tuple[str, int]
    log: Path
    _printed: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    def users_env(self, env: dict[str, str]) -> dict[str, str]:
        """``env`` for a user's command: the service's URL, without the data directory
        and the vault passphrase."""
        kept = {k: v for k, v in env.items() if k not in NOT_FOR_USERS}
        return {**kept, "CUSTODIO_SERVER": self.server}

    def stop(self) -> str:
        """Ctrl-C, as an operator stops it: it must exit 0. What it printed on stdout."""
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=90)
        assert self.proc.returncode == 0, self.log.read_text(errors="replace")
        return self.printed()

    def printed(self) -> str:
        """Its standard output so far (read as it comes, so that it never blocks on it)."""
        if self.proc.poll() is not None and self._reader is not None:
            self._reader.join(timeout=30)
        return "".join(self._printed)


def _drain(served: ServedCli) -> None:
    assert served.proc.stdout is not None
    for line in served.proc.stdout:
        served._printed.append(line)


@contextlib.contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[ServedCli]:
    """``custodio serve`` with ``env`` until the block ends (killed then if the test did
    not stop it); standard input closed: it may ask nothing."""
    with os.fdopen(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as errors:
        proc = subprocess.Popen([*CUSTODIO, *ARGS], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=errors, text=True)  # fmt: skip
    served: ServedCli | None = None
    try:
        assert proc.stdout is not None
        lines = _announced(proc.stdout, 4)
        started = "serving http://" in lines[0] and lines[1].startswith("hi2 listening on ")
        if not (started and lines[2].startswith("hi3 listening") and ASSEMBLY.match(lines[3])):
            proc.kill()
            proc.wait(timeout=30)
            pytest.fail(f"serve did not start: {lines} {log.read_text(errors='replace')}")
        served = ServedCli(proc, f"http://{_where(lines[0])}", _pair(_where(lines[1])),
                           _pair(_where(lines[2])), log, list(lines))  # fmt: skip
        served._reader = threading.Thread(target=_drain, args=(served,), daemon=True)
        served._reader.start()
        yield served
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        if served is not None and served._reader is not None:
            served._reader.join(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
