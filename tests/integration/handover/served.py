"""`custodio serve` started as a real process for a test, and its listening addresses."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import pytest

CUSTODIO = [sys.executable, "-m", "custodio.client.main"]
ARGS = ["serve", "--http", "127.0.0.1:0", "--hi2", "127.0.0.1:0", "--hi3", "127.0.0.1:0"]
ASSEMBLY = re.compile(r"assembly: \d+ open communications, .* \(process (\d+)\)$")


@dataclass
class Served:
    proc: subprocess.Popen[str]
    http: str
    hi2: tuple[str, int]
    hi3: tuple[str, int]
    assembler_pid: int

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://{self.http}/health", timeout=5) as reply:
            return dict(json.loads(reply.read()))

    def metrics(self) -> tuple[str, str]:
        """GET /metrics: its content type and text."""
        with urllib.request.urlopen(f"http://{self.http}/metrics", timeout=5) as reply:
            return str(reply.headers["Content-Type"]), reply.read().decode()

    def stop(self) -> tuple[str, str]:
        """Ctrl-C, as an operator stops it: it must exit 0. Its stdout and stderr."""
        self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=90)
        assert self.proc.returncode == 0, err
        return out, err


def _where(line: str) -> str:
    return line.split("://", 1)[1].split("/", 1)[0].strip()


def _pair(text: str) -> tuple[str, int]:
    host, port = text.rsplit(":", 1)
    return host, int(port)


def _announced(out: IO[str], count: int) -> list[str]:
    """The first ``count`` lines serve prints at start, without its warnings (a data
    directory of the tests runs with ``auth_second_factor = "off"``, which it warns of)."""
    lines: list[str] = []
    while len(lines) < count:
        line = out.readline()
        if not line.startswith("WARNING: "):
            lines.append(line)
    return lines


@contextlib.contextmanager
def start_serve(env: dict[str, str], *, typed: str | None = None) -> Iterator[Served]:
    """``serve`` with ``env``; ``typed`` is typed at its passphrase prompt (standard
    input, no terminal). Killed on the way out if the test did not stop it."""
    proc = subprocess.Popen(
        [*CUSTODIO, *ARGS], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        stdin=subprocess.DEVNULL if typed is None else subprocess.PIPE,
        start_new_session=typed is not None,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        if typed is not None:
            assert proc.stdin is not None
            proc.stdin.write(typed + "\n")
            proc.stdin.flush()
        lines = _announced(proc.stdout, 4)
        started = "serving http://" in lines[0] and lines[1].startswith("hi2 listening on ")
        found = ASSEMBLY.match(lines[3])
        if not (started and lines[2].startswith("hi3 listening") and found):
            proc.kill()  # before reading its stderr, which it would otherwise hold open
            pytest.fail(f"serve did not start: {lines} {proc.communicate(timeout=30)[1]}")
        hi2, hi3 = _pair(_where(lines[1])), _pair(_where(lines[2]))
        yield Served(proc, _where(lines[0]), hi2, hi3, int(found.group(1)))
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
