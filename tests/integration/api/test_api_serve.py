"""The API as `custodio serve` serves it: one process, one event loop with the handover
listeners; a call delivered to its listeners is listened to through its API; /health and
/metrics beside it; Ctrl-C stops it all. On each catalog backend."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.integration.conftest import CASE, PASSPHRASE, PASSWORD, World
from tests.integration.handover.served import CUSTODIO
from tests.integration.handover.test_serve_assembly_process import (
    bound,  # noqa: F401 (a fixture, by name)
    closed,
    deliver,
    serving,
    wait_for,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.mark.slow
def test_serve_answers_the_api_beside_health_and_metrics(bound: World) -> None:  # noqa: F811
    with serving(bound) as served:
        base = f"http://{served.http}"
        with httpx.Client(base_url=base, timeout=30) as http:
            document = http.get("/openapi.json").json()
            assert "/api/v1/session" in document["paths"]
            assert "/api/v1/communications/{comm_id}/audio" in document["paths"]
            assert http.get("/docs").status_code == 404  # its page would load a CDN's scripts
            assert served.health()["status"] == "ok"
            kind, _ = served.metrics()
            assert kind.startswith("text/plain")
            missing = http.get("/nothing")
            assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"

            login = http.post("/api/v1/session", json={"name": "inv1", "password": PASSWORD})
            assert login.status_code == 201, login.text
            http.headers["Authorization"] = f"Bearer {login.json()['token']}"
            assert [c["reference"] for c in http.get("/api/v1/cases").json()] == [CASE]

            deliver(served, calls=1, duration=0.5)
            wait_for(lambda: closed(bound) == 1)
            (comm,) = http.get(f"/api/v1/cases/{quote(CASE)}/communications").json()
            audio = f"/api/v1/communications/{comm['id']}/audio"
            whole = http.get(audio, params={"purpose": "diligencias", "direction": "target"})
            assert whole.status_code == 200 and whole.content[:4] == b"RIFF"
            part = http.get(audio, params={"purpose": "diligencias", "direction": "target"},
                            headers={"Range": "bytes=-100"})  # fmt: skip
            assert part.status_code == 206 and part.content == whole.content[-100:]
            assert http.delete("/api/v1/session").status_code == 204
        out, _ = served.stop()
    assert "custodio stopped" in out
    actions = [(r["action"], r["actor"], r["outcome"]) for r in bound.svc.db.read(
        lambda tx: tx.all("SELECT action, actor, outcome FROM audit_entries WHERE actor = ? "
                          "ORDER BY seq", ("inv1",)))]  # fmt: skip
    assert actions[-6:] == [
        ("user.login", "inv1", "allowed"),
        ("case.list", "inv1", "allowed"),
        ("case.view", "inv1", "allowed"),  # the timeline
        ("content.read", "inv1", "allowed"),
        ("content.read", "inv1", "allowed"),  # the range
        ("user.logout", "inv1", "allowed"),
    ]


def test_a_busy_http_address_is_a_one_line_error(world: World) -> None:
    taken = socket.create_server(("127.0.0.1", 0))
    try:
        port = taken.getsockname()[1]
        base = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODIO_")}
        env = {**base, "CUSTODIO_DATA": str(world.data_dir),
               "CUSTODIO_VAULT_PASSPHRASE": PASSPHRASE}  # fmt: skip
        args = ["serve", "--http", f"127.0.0.1:{port}", "--hi2", "127.0.0.1:0",
                "--hi3", "127.0.0.1:0"]  # fmt: skip
        done = subprocess.run([*CUSTODIO, *args], env=env, capture_output=True, text=True,
                              timeout=120, check=False)  # fmt: skip
    finally:
        taken.close()
    assert done.returncode == 3, done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
