"""The `custodio` command run in-process through ``main()`` (its one error handler), as a
user: the users' commands speak HTTP over TCP to the line's service, served for real
(uvicorn on a loopback port, :func:`tests.integration.served_api.serving`); [local]
commands open the line's data directory. In-process because a process per command would
cost seconds of imports (test_client_process.py runs the CLI as its own process).

Import the fixtures by name: ``from tests.integration.cli_in_process import custodio,
environment`` (with ``# noqa: F401``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from custodio.client.main import main
from tests.integration.conftest import PASSPHRASE, PASSWORD
from tests.integration.served_api import serving

if TYPE_CHECKING:
    from tests.integration.assemble.conftest import Line


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


Custodio = Callable[..., Done]


@pytest.fixture
def service_url(line: Line) -> Iterator[str]:
    """The line's service answering its API on a loopback port: its URL."""
    with serving(line, line.vault) as base:
        yield base


@pytest.fixture
def environment(line: Line, service_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Only the line's settings (none of the caller's ``CUSTODIO_*``); the environment a
    real process gets too. The users' commands are given no vault passphrase: only
    [local] ones may use it."""
    for name in [k for k in os.environ if k.startswith("CUSTODIO_")]:
        monkeypatch.delenv(name)
    values = {
        "CUSTODIO_SERVER": service_url,
        "CUSTODIO_DATA": str(line.world.data_dir),
        "CUSTODIO_PASSWORD": PASSWORD,
        "CUSTODIO_VAULT_PASSPHRASE": PASSPHRASE,
        "XDG_CONFIG_HOME": str(line.directory / "config"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return {**os.environ, **values}


@pytest.fixture
def custodio(environment: dict[str, str], capsys: pytest.CaptureFixture[str]) -> Custodio:
    """``custodio(user, *args)``: ``custodio --user USER ARGS`` through ``main()``."""

    def call(user: str, *args: str) -> Done:
        capsys.readouterr()
        code = 0
        try:
            main(["--user", user, *args])
        except SystemExit as e:
            code = int(e.code or 0)
        out = capsys.readouterr()
        return Done(code, out.out, out.err)

    return call


def ok(done: Done) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def refused(done: Done, code: int, text: str) -> None:
    """A one-line error (no traceback) with ``code`` that says ``text``."""
    assert done.returncode == code, (done.stdout, done.stderr)
    assert done.stderr.startswith("custodio: error: ") and text in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1  # one line, no traceback
