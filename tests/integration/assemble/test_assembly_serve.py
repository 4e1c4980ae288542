"""`custodio serve` assembles while it receives; `custodio comms` reads the result."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from custodio.simulator.mediator import Options, simulate
from tests.integration.assemble.conftest import Line
from tests.integration.conftest import PASSPHRASE, PASSWORD

CUSTODIO = [sys.executable, "-m", "custodio.client.main"]


def _env(data: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODIO_")}
    return {
        **base,
        "CUSTODIO_DATA": str(data),
        "CUSTODIO_PASSWORD": PASSWORD,
        "CUSTODIO_VAULT_PASSPHRASE": PASSPHRASE,
        "CUSTODIO_ASSEMBLY_END_GRACE_SECONDS": "0",
    }


def _address(line: str) -> tuple[str, int]:
    host, port = line.split("://", 1)[1].strip().rsplit(":", 1)
    return host, int(port)


def test_serve_assembles_calls_as_they_arrive(line: Line) -> None:
    env = _env(line.world.data_dir)
    args = ["serve", "--http", "127.0.0.1:0", "--hi2", "127.0.0.1:0", "--hi3", "127.0.0.1:0"]
    proc = subprocess.Popen(
        [*CUSTODIO, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(4)]
        assert lines[3].startswith("assembly: 0 open communications"), lines
        hi2, hi3 = _address(lines[1]), _address(lines[2])
        options = Options(hi2=hi2, hi3=hi3, profile="voip", calls=2, duration=0.6,
                          realtime=False, ack_every=50, seed=3, targets=1)  # fmt: skip
        report = asyncio.run(simulate(options))
        assert not report.error
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _closed(line) < 2:
            time.sleep(0.1)
        assert _closed(line) == 2
        # the investigator asks the running service (the users' commands are its clients)
        served = next(x for x in lines if "http://" in x)
        base = "http://" + served.split("http://", 1)[1].split("/", 1)[0].split()[0]
        user_env = {
            k: v for k, v in env.items() if k not in ("CUSTODIO_DATA", "CUSTODIO_VAULT_PASSPHRASE")
        }
        listed = subprocess.run(
            [*CUSTODIO, "--user", "inv1", "comms", "list", "--case", "DP 123/2026", "--json"],
            env={**user_env, "CUSTODIO_SERVER": base},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    rows = json.loads(listed.stdout)
    assert [(r["kind"], r["status"]) for r in rows] == [("voice", "complete")] * 2


def _closed(line: Line) -> int:
    rows = line.rows("SELECT COUNT(*) AS n FROM communications WHERE status != 'open'")
    return int(rows[0]["n"])
