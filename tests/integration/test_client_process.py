"""The investigator's `custodio` is a client of the service and nothing more: run as a
process of its own under another uid, which cannot read the service's data directory, it
still logs in, lists, and writes a call's audio; and it loads no part of the service.

`custodio serve` runs as root (the tests' uid) on a data directory that is root's and
0700; the investigator's commands run as uid 65534 (``setpriv``), with a home of their
own, no vault passphrase and standard input at end of file, so that any prompt fails.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

import custodio
from custodio.simulator.mediator import Options, simulate
from tests.integration.conftest import CASE, PASSPHRASE, PASSWORD, World
from tests.integration.handover.test_serve_assembly_process import (
    bound,  # noqa: F401 (a fixture, by name)
    closed,
    wait_for,
)
from tests.integration.served_cli import ServedCli, serving

UID = 65534  # nobody
AS_UID = ["setpriv", f"--reuid={UID}", f"--regid={UID}", "--clear-groups"]
SERVICE_MODULES = ("custodio.access", "custodio.catalog", "custodio.db", "custodio.vault",
                   "sqlalchemy", "fastapi", "cryptography")  # fmt: skip
PURPOSE = "diligencias DP 123/2026"


@pytest.fixture
def catalog_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A directory others may enter (0755, under /tmp), unlike pytest's own (0700): what
    keeps uid 65534 out of the data directory in it is the data directory's own mode."""
    path = Path(tempfile.mkdtemp(prefix="custodio-client-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path)


@pytest.fixture
def served(bound: World, tmp_path: Path) -> Iterator[ServedCli]:  # noqa: F811
    base = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODIO_")}
    env = {**base, "CUSTODIO_DATA": str(bound.data_dir), "CUSTODIO_VAULT_PASSPHRASE": PASSPHRASE,
           "CUSTODIO_ASSEMBLY_END_GRACE_SECONDS": "0"}  # fmt: skip
    with serving(env, tmp_path / "serve.log") as service:
        yield service


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The investigator's home: his uid's, 0700."""
    path = tmp_path / "investigator"
    path.mkdir(mode=0o700)
    os.chown(path, UID, UID)
    return path


def python_for_uid(tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    """This run's Python as uid 65534 may run it: this interpreter with its packages where
    that uid may reach them (a virtual environment in a directory others may enter);
    else a system Python of the same version with a copy of what a users' command needs
    — ``custodio.client``, ``custodio.errors``, ``custodio.config`` and click, no more —
    on its path (this checkout may lie in a 0700 directory, as a CI clone under
    ``mktemp -d`` does). That the copy suffices shows again that the client needs nothing
    of the service."""
    probe = [*AS_UID, sys.executable, "-c", "import custodio.client.main"]
    if subprocess.run(probe, capture_output=True, cwd="/", check=False).returncode == 0:
        return [sys.executable], {}
    code = tmp_path / "client-code"
    source = Path(custodio.__file__).parent
    for name in ("__init__.py", "errors.py", "config.py"):
        (code / "custodio").mkdir(parents=True, exist_ok=True)
        shutil.copy(source / name, code / "custodio" / name)
    shutil.copytree(source / "client", code / "custodio" / "client")
    shutil.copytree(Path(click.__file__).parent, code / "click")
    for path in (code, *code.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    env = {"PYTHONPATH": str(code)}
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for system in (Path("/usr/bin") / version, Path("/usr/local/bin") / version):
        probe = [*AS_UID, str(system), "-c", "import custodio.client.main"]
        if system.exists() and subprocess.run(probe, env=env, capture_output=True, cwd="/",
                                              check=False).returncode == 0:  # fmt: skip
            return [str(system)], env
    pytest.fail(f"uid {UID} can run neither {sys.executable} nor a system {version}")


def as_uid(command: list[str], home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``command`` as uid 65534 in ``home``, with only ``env`` and what a shell needs."""
    given = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
             "XDG_CONFIG_HOME": str(home / ".config"), **env}  # fmt: skip
    return subprocess.run([*AS_UID, *command], env=given, cwd=home, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def deliver_one_call(served: ServedCli) -> None:
    opts = Options(hi2=served.hi2, hi3=served.hi3, profile="voip", realtime=False, seed=5,
                   targets=1, ack_every=50, calls=1, duration=0.5)  # fmt: skip
    report = asyncio.run(simulate(opts))
    assert not report.error, report.error


def test_the_investigators_cli_needs_nothing_of_the_data_directory(
    bound: World,  # noqa: F811
    served: ServedCli,
    home: Path,
    tmp_path: Path,
) -> None:
    """Proves that a user's commands need no access to the service's files, keys or
    passphrase: as another uid, which the data directory's mode keeps out (asserted),
    the investigator logs in, lists his cases and a case's communications, writes a
    call's audio (audited with his purpose) into a file that is his only (0600, his
    uid), and logs out; his session file is his only (0600) under his XDG_CONFIG_HOME.
    No vault passphrase is in his environment and his standard input is empty: had any
    command asked for a secret, it would have failed."""
    data = bound.data_dir
    info = data.stat()
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (0, 0o700)
    for probe in (["ls", str(data)], ["cat", str(data / "catalog.sqlite3")]):
        denied = as_uid(probe, home)
        assert denied.returncode != 0 and "Permission denied" in denied.stderr, denied
    deliver_one_call(served)
    wait_for(lambda: closed(bound) == 1)

    python, paths = python_for_uid(tmp_path)

    def custodio_(*args: str, **env: str) -> str:
        done = as_uid([*python, "-m", "custodio.client.main", *args], home,
                      CUSTODIO_SERVER=served.server, **paths, **env)  # fmt: skip
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return done.stdout

    assert "logged in as inv1 until " in custodio_("--user", "inv1", "login",
                                                   CUSTODIO_PASSWORD=PASSWORD)  # fmt: skip
    [saved] = (home / ".config" / "custodio").iterdir()
    info = saved.stat()
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (UID, 0o600)
    assert CASE in custodio_("case", "list")  # no --user, no password: the saved session
    [comm] = json.loads(custodio_("comms", "list", "--case", CASE, "--json"))
    evidence = home / "call.wav"
    wrote = custodio_("comms", "audio", str(comm["id"]), "-o", str(evidence),
                      "--purpose", PURPOSE)  # fmt: skip
    assert f"bytes to {evidence}" in wrote
    info = evidence.stat()
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (UID, 0o600)
    assert evidence.read_bytes()[:4] == b"RIFF" and info.st_size > 44
    assert custodio_("logout").strip() == "logged out"
    assert not saved.exists()
    read = bound.svc.db.read(lambda tx: tx.all(
        "SELECT actor, purpose FROM audit_entries WHERE action = 'content.read'", ()))  # fmt: skip
    assert [(r["actor"], r["purpose"]) for r in read] == [("inv1", PURPOSE)]


@pytest.mark.parametrize(
    "args",
    [["--help"], ["case", "list", "--help"], ["comms", "audio", "--help"],
     ["audit", "verify", "--help"], ["logout", "--help"]],
)  # fmt: skip
def test_a_users_command_loads_no_part_of_the_service(args: list[str]) -> None:
    """Proves that the users' commands are the service's clients only: a `custodio`
    process that resolves one of them imports none of the service's packages (access,
    catalog, db, vault) nor the libraries only the service needs (SQLAlchemy, FastAPI,
    cryptography)."""
    script = (
        "import sys\n"
        "from custodio.client.main import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as e:\n"
        "    assert not e.code, e.code\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0 and "Usage:" in done.stdout, done.stderr
    loaded = done.stderr.split()
    assert "custodio.client.main" in loaded
    found = [m for m in loaded if any(m == s or m.startswith(f"{s}.") for s in SERVICE_MODULES)]
    assert found == []
