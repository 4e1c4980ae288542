"""The `custodio` command as a user runs it: real processes, real sockets. The users'
commands speak to `custodio serve` running on the data directory (``served``: its URL in
CUSTODIO_SERVER, no data directory, no vault passphrase); [local] ones open the data
directory (``initialised``)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from custodio import datadir
from tests.integration.served_cli import serving

PASSWORD = "correct-horse-battery"
CUSTODIO = [sys.executable, "-m", "custodio.client.main"]


def run(
    args: list[str], env: dict[str, str], input: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CUSTODIO, *args],
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODIO_")}
    return {
        **base,
        "CUSTODIO_DATA": str(tmp_path / "data"),
        "CUSTODIO_PASSWORD": PASSWORD,
        "CUSTODIO_VAULT_PASSPHRASE": "vault-passphrase-for-tests",
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }


@pytest.fixture
def initialised(env: dict[str, str]) -> dict[str, str]:
    done = run(["init"], env)
    assert done.returncode == 0, done.stderr
    return env


@pytest.fixture
def served(initialised: dict[str, str], tmp_path: Path) -> Iterator[dict[str, str]]:
    """`custodio serve` on the initialised data directory; the environment of a user's
    command, which reaches it at CUSTODIO_SERVER."""
    with serving(initialised, tmp_path / "serve.log") as service:
        yield service.users_env(initialised)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_init_creates_then_refuses_to_run_twice(env: dict[str, str]) -> None:
    first = run(["init"], env)
    assert first.returncode == 0, first.stderr
    assert "initialised" in first.stdout
    data = Path(env["CUSTODIO_DATA"])
    files = {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()}
    assert {"custodio.toml", "catalog.sqlite3", "audit-signing.key"} <= set(files)
    assert oct(data.stat().st_mode & 0o777) == "0o700"
    assert oct((data / "audit-signing.key").stat().st_mode & 0o777) == "0o600"
    second = run(["init"], env)
    assert second.returncode == 3
    assert second.stderr.strip().startswith("custodio: error:")
    assert "already a Custodio data directory" in second.stderr
    assert {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()} == files


def test_errors_are_one_line_without_traceback_unless_debug(served: dict[str, str]) -> None:
    bad = run(["--user", "admin", "user", "add", "x", "--role", "chef"], served)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "role: Input should be 'administrator'" in bad.stderr
    assert "Traceback" not in bad.stderr
    debug = run(["--debug", "--user", "admin", "user", "add", "x", "--role", "chef"], served)
    assert "Traceback" in debug.stderr


def test_wrong_password_exits_4(served: dict[str, str]) -> None:
    env = {**served, "CUSTODIO_PASSWORD": "wrong-password"}
    done = run(["--user", "admin", "user", "list"], env)
    assert done.returncode == 4 and "unknown user or wrong password" in done.stderr


def test_not_initialised_says_what_to_do(env: dict[str, str]) -> None:
    """A [local] command names `custodio init`; a user's command with no service
    answering names `custodio serve` and where it looked."""
    done = run(["audit", "checkpoint"], env)
    assert done.returncode == 3 and "run `custodio init`" in done.stderr
    nowhere = f"http://127.0.0.1:{free_port()}"
    done = run(["--user", "admin", "user", "list"], {**env, "CUSTODIO_SERVER": nowhere})
    assert done.returncode == 3 and f"no Custodio service answers at {nowhere}" in done.stderr
    assert "start it with `custodio serve`" in done.stderr and done.stderr.count("\n") == 1


def test_a_warrant_officer_session_end_to_end(served: dict[str, str]) -> None:
    env = served
    assert run(["--user", "admin", "unit", "add", "UDYCO"], env).returncode == 0
    made = run(
        [
            "--user",
            "admin",
            "user",
            "add",
            "wo",
            "--role",
            "warrant_officer",
            "--unit",
            "UDYCO",
            "--password-stdin",
        ],
        env,
        input=PASSWORD + "\n",
    )
    assert made.returncode == 0, made.stderr
    printed = run(["--user", "admin", "user", "add", "inv1", "--role", "investigator"], env)
    assert "first password (shown once" in printed.stdout
    wo = ["--user", "wo"]
    assert (
        run(
            [*wo, "case", "add", "DP 1/2026", "--court", "JI 3", "--title", "T", "--unit", "UDYCO"],
            env,
        ).returncode
        == 0
    )
    added = run(
        [
            *wo,
            "warrant",
            "add",
            "--case",
            "DP 1/2026",
            "--court",
            "JI 3",
            "--judge",
            "J",
            "--reference",
            "A1",
            "--from",
            "2026-11-01",
            "--until",
            "2027-01-31",
            "--scope",
            "content,traffic",
            "--target",
            "e164:600111222",
            "--liid",
            "LI1",
            "--operator",
            "op",
        ],
        env,
    )
    assert added.returncode == 0, added.stderr
    listed = run([*wo, "warrant", "list", "--case", "DP 1/2026", "--json"], env)
    warrants = json.loads(listed.stdout)
    assert warrants[0]["targets"] == ["e164:+34600111222"]
    assert warrants[0]["liids"] == [{"liid": "LI1", "operator": "op"}]
    assert warrants[0]["valid_until"] == "2027-01-31T23:59:59.999999Z"
    cases = json.loads(run([*wo, "case", "list", "--json"], env).stdout)
    assert [c["reference"] for c in cases] == ["DP 1/2026"]
    denied = run(["--user", "admin", "case", "list"], env)
    assert denied.returncode == 5 and "may not case.list" in denied.stderr


def test_audit_verify_and_log_from_the_command_line(
    initialised: dict[str, str], served: dict[str, str], tmp_path: Path
) -> None:
    """An auditor has the service verify the log (`audit verify`: since its last
    verification, or --full); on the service's machine `audit verify-catalog` [local]
    checks the catalog itself, also with no account and the public key alone (a court's
    expert). An edited entry fails both, naming it."""
    env = served
    run(
        ["--user", "admin", "user", "add", "aud", "--role", "auditor", "--password-stdin"],
        env,
        input=PASSWORD + "\n",
    )
    assert run(["audit", "checkpoint"], initialised).returncode == 0
    ok = run(["--user", "aud", "audit", "verify"], env)
    assert ok.returncode == 0 and "audit log OK" in ok.stdout, ok.stderr
    entries = json.loads(run(["--user", "aud", "audit", "log", "--json"], env).stdout)
    assert entries[0]["action"] == "system.init"
    assert {"user.create", "user.login"} <= {e["action"] for e in entries}
    since = run(["--user", "aud", "audit", "verify"], env)
    assert since.returncode == 0 and " new since the " in since.stdout, since.stderr
    full = run(["--user", "aud", "audit", "verify", "--full"], env)
    assert full.returncode == 0 and "(last verified at " in full.stdout, full.stderr
    expert = ["--state", str(tmp_path / "expert")]
    local = run(["--user", "aud", "audit", "verify-catalog", *expert], initialised)
    assert local.returncode == 0 and "audit log OK" in local.stdout, local.stderr
    catalog = Path(initialised["CUSTODIO_DATA"]) / "catalog.sqlite3"
    with sqlite3.connect(catalog) as conn:
        [(key,)] = conn.execute("SELECT value FROM meta WHERE key = 'audit_public_key'")
    anonymous = ["audit", "verify-catalog", "--anonymous", "--public-key", key, *expert]
    since = run([*anonymous, "--incremental"], initialised)
    assert since.returncode == 0 and " new since the " in since.stdout, since.stderr
    with sqlite3.connect(catalog) as conn:
        conn.execute("UPDATE audit_entries SET purpose = 'x' WHERE seq = 2")
    bad = run(["--user", "aud", "audit", "verify", "--full"], env)
    assert bad.returncode == 9 and "audit entry 2 was altered" in bad.stderr, bad.stderr
    assert bad.stderr.count("\n") == 1
    bad = run(anonymous, initialised)
    assert bad.returncode == 9 and "audit entry 2 was altered" in bad.stderr, bad.stderr


def test_serve_announces_answers_and_stops_cleanly_on_ctrl_c(initialised: dict[str, str]) -> None:
    """... and warns, in its log (on stderr) and its audit entry, when it runs with
    ``auth_second_factor = "off"`` (what tests and development may do, never production)."""
    port = free_port()
    listen = ["--http", f"127.0.0.1:{port}", "--hi2", "127.0.0.1:0", "--hi3", "127.0.0.1:0"]
    proc = subprocess.Popen(
        [*CUSTODIO, "serve", *listen],
        env={**initialised, "CUSTODIO_AUTH_SECOND_FACTOR": "off"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"serving http://127.0.0.1:{port}/health" in line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5) as reply:
            assert json.loads(reply.read())["status"] == "ok"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "custodio stopped" in out and "Traceback" not in err
    assert 'auth_second_factor = "off"' in err and "for tests and development only" in err
    [start], [stop] = _audit(initialised, "service.start"), _audit(initialised, "service.stop")
    assert start["seq"] < stop["seq"]
    assert start["details"]["auth_second_factor"] == "off"


def test_serve_on_a_taken_port_is_a_clear_error(initialised: dict[str, str]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        done = run(["serve", "--http", f"127.0.0.1:{port}"], initialised)
    assert done.returncode == 3 and "cannot listen on" in done.stderr


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["init"],
        ["serve"],
        ["user", "add"],
        ["case", "assign"],
        ["warrant", "add"],
        ["warrant", "extend"],
        ["warrant", "revoke"],
        ["protected", "add"],
        ["login"],
        ["logout"],
        ["audit", "verify"],
        ["audit", "verify-catalog"],
        ["audit", "checkpoint"],
        ["audit", "log"],
        ["jobs", "list"],
        ["jobs", "retry"],
        ["classify"],
        ["worker"],
        ["comms", "audio"],
        ["comms", "message"],
        ["comms", "pcap"],
    ],
)
def test_every_command_has_help(command: list[str], env: dict[str, str]) -> None:
    done = run([*command, "--help"], env)
    assert done.returncode == 0 and "Usage:" in done.stdout


def test_import_and_vault_verify_from_the_command_line(
    initialised: dict[str, str], served: dict[str, str], tmp_path: Path
) -> None:
    """`import` through the service's API (no data directory, no vault passphrase), and
    `vault verify` [local] beside the running service."""
    env = initialised
    _case_with_officer(served)
    wo = ["--user", "wo"]
    seized = tmp_path / "auto.pdf"
    seized.write_bytes(b"%PDF-1.7 auto de entrada y registro " * 100)
    done = run(
        [
            *wo,
            "import",
            str(seized),
            "--case",
            "DP 1/2026",
            "--kind",
            "document",
            "--note",
            "acta 12/2026",
            "--json",
        ],
        served,
    )
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    assert row["sha256"] == hashlib.sha256(seized.read_bytes()).hexdigest()
    ok = run(["--user", "admin", "vault", "verify"], env)
    assert ok.returncode == 0 and "1 objects checked, 0 problems" in ok.stdout, ok.stderr
    stored = Path(env["CUSTODIO_DATA"]) / "objects" / "objects" / row["object"][:2] / row["object"]
    blob = bytearray(stored.read_bytes())
    blob[100] ^= 0xFF
    stored.write_bytes(bytes(blob))
    bad = run(["--user", "admin", "vault", "verify"], env)
    assert bad.returncode == 10
    assert "corrupt" in bad.stdout and row["object"] in bad.stdout
    wrong = run(
        ["--user", "admin", "vault", "verify"],
        {**env, "CUSTODIO_VAULT_PASSPHRASE": "not-the-passphrase"},
    )
    assert wrong.returncode == 11 and "Traceback" not in wrong.stderr


def test_serve_with_a_wrong_vault_passphrase_stops_at_start(initialised: dict[str, str]) -> None:
    env = {**initialised, "CUSTODIO_VAULT_PASSPHRASE": "not-the-passphrase"}
    done = run(
        ["serve", "--http", "127.0.0.1:0", "--hi2", "127.0.0.1:0", "--hi3", "127.0.0.1:0"], env
    )
    assert done.returncode == 11, done.stderr
    assert done.stderr.startswith("custodio: error:") and "Traceback" not in done.stderr
    assert "serving" not in done.stdout


def test_assemble_refuses_while_the_journal_is_held(initialised: dict[str, str]) -> None:
    """A batch `custodio assemble` beside a running serve would cut the journal's tail."""
    held = datadir.lock_journal(Path(initialised["CUSTODIO_DATA"]))
    try:
        done = run(["--user", "admin", "assemble", "--once"], initialised)
    finally:
        datadir.release(held)
    assert done.returncode == 7 and "in use by another process" in done.stderr, done.stderr
    done = run(["--user", "admin", "assemble", "--once"], initialised)
    assert done.returncode == 0 and "assembled: 0 records" in done.stdout, done.stderr


def _case_with_officer(env: dict[str, str]) -> None:
    for args in (
        ["unit", "add", "UDYCO"],
        ["user", "add", "wo", "--role", "warrant_officer", "--unit", "UDYCO", "--password-stdin"],
    ):
        assert run(["--user", "admin", *args], env, input=PASSWORD + "\n").returncode == 0
    made = run(["--user", "wo", "case", "add", "DP 1/2026", "--court", "JI 3", "--title", "T",
                "--unit", "UDYCO"], env)  # fmt: skip
    assert made.returncode == 0, made.stderr


def _audit(env: dict[str, str], action: str) -> list[dict[str, Any]]:
    with sqlite3.connect(Path(env["CUSTODIO_DATA"]) / "catalog.sqlite3") as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM audit_entries WHERE action = ? ORDER BY seq", (action,))
        return [{**dict(r), "details": json.loads(r["details"])} for r in rows]


def _stored_objects(env: dict[str, str]) -> list[Path]:
    return [p for p in (Path(env["CUSTODIO_DATA"]) / "objects").rglob("*") if p.is_file()]


HINT = "give it as UTF-8 text"


def test_an_argument_that_is_not_utf8_is_named_in_one_line(served: dict[str, str]) -> None:
    """Bytes that are no UTF-8 reach Python as surrogates, which no catalog takes."""
    cases: list[tuple[list[str | bytes], str]] = [
        (["--user", "admin", "comms", "list", "--case", b"DP \xff"], "--case 'DP \\xff'"),
        (["--user", b"adm\xe9n", "user", "list"], "--user 'adm\\xe9n'"),
    ]
    for args, name in cases:
        done = subprocess.run([*CUSTODIO, *args], env=served, capture_output=True,
                              text=True, timeout=60, check=False)  # fmt: skip
        assert done.returncode == 2, done.stderr
        assert done.stderr == f"custodio: error: {name} is not valid UTF-8 — {HINT}\n"
    env = {**served, "CUSTODIO_PASSWORD": os.fsdecode(b"contrase\xf1a")}
    done = run(["--user", "admin", "user", "list"], env)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "CUSTODIO_PASSWORD is not valid UTF-8" in done.stderr


def test_a_file_name_that_is_not_utf8_is_imported_and_recorded_with_escapes(
    initialised: dict[str, str], served: dict[str, str], tmp_path: Path
) -> None:
    env = initialised
    _case_with_officer(served)
    seized = Path(os.fsdecode(bytes(tmp_path) + b"/acta-\xf1.pdf"))  # Latin-1, from a seizure
    seized.write_bytes(b"%PDF-1.4 acta " * 50)
    done = run(["--user", "wo", "import", str(seized), "--case", "DP 1/2026", "--kind", "document",
                "--json"], served)  # fmt: skip
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)
    assert (row["file"], row["sha256"]) == (
        "acta-\\xf1.pdf", hashlib.sha256(seized.read_bytes()).hexdigest())  # fmt: skip
    [entry] = _audit(env, "evidence.import")
    assert entry["outcome"] == "allowed"
    assert entry["details"] == {
        "file": "acta-\\xf1.pdf",
        "file_name_escaped": True,
        "kind": "document",
        "object_id": row["object"],
        "sha256": row["sha256"],
        "size": row["bytes"],
    }
    ok = run(["--user", "admin", "vault", "verify"], env)
    assert ok.returncode == 0 and "1 objects checked, 0 problems" in ok.stdout, ok.stdout


def test_a_failed_import_removes_its_object_and_is_audited(
    initialised: dict[str, str], served: dict[str, str], tmp_path: Path
) -> None:
    env = initialised
    _case_with_officer(served)
    with sqlite3.connect(Path(env["CUSTODIO_DATA"]) / "catalog.sqlite3") as db:
        db.execute("CREATE TRIGGER full BEFORE INSERT ON imports "
                   "BEGIN SELECT RAISE(ABORT, 'the catalog is full'); END")  # fmt: skip
    seized = tmp_path / "acta.pdf"
    seized.write_bytes(b"%PDF-1.4 acta " * 50)
    done = run(["--user", "wo", "import", str(seized), "--case", "DP 1/2026", "--kind",
                "document"], served)  # fmt: skip
    assert done.returncode in (7, 8) and "the catalog is full" in done.stderr, done.stderr
    assert done.stderr.startswith("custodio: error:") and done.stderr.count("\n") == 1
    assert _stored_objects(env) == []  # written, then removed: nothing unreferenced
    [entry] = _audit(env, "evidence.import")
    assert entry["outcome"] == "denied" and entry["details"]["discarded"] is True
    assert entry["details"]["reason"].startswith("failed: ") and "catalog is full" in str(entry)


def test_the_data_directory_is_owner_only_and_serve_refuses_it_otherwise(
    initialised: dict[str, str],
) -> None:
    """Issue 16: the data directory holds the catalog, keys and evidence; everything in it
    is the owner's only (0700 / 0600), whatever the caller's umask, and `custodio serve`
    refuses to start, naming what is exposed, when group or others may read any of it."""
    data = Path(initialised["CUSTODIO_DATA"])
    done = run(["--user", "admin", "assemble", "--once"], initialised)  # journal, objects
    assert done.returncode == 0, done.stderr
    modes = {p.relative_to(data).as_posix(): p.stat().st_mode & 0o777 for p in data.rglob("*")}
    assert "catalog.sqlite3" in modes and "journal" in modes
    assert {name: oct(m) for name, m in modes.items() if m & 0o077} == {}
    assert data.stat().st_mode & 0o777 == 0o700
    (data / "catalog.sqlite3").chmod(0o640)
    listen = ["--http", "127.0.0.1:0", "--hi2", "127.0.0.1:0", "--hi3", "127.0.0.1:0"]
    done = run(["serve", *listen], initialised)
    assert done.returncode == 3, done.stderr
    assert "readable by others than its owner: catalog.sqlite3 (-rw-r-----)" in done.stderr
    assert f"chmod -R go= {data}" in done.stderr and "serving" not in done.stdout


def test_a_first_password_opens_only_its_own_change(served: dict[str, str]) -> None:
    """Issue 16: a first password (printed once by `user add`) opens nothing but
    `custodio password`, which takes the login's password as the current one and asks
    for the new one twice; then the user works with the new password only."""
    run(["--user", "admin", "unit", "add", "UDYCO"], served)
    added = run(["--user", "admin", "user", "add", "wo", "--role", "warrant_officer",
                 "--unit", "UDYCO"], served)  # fmt: skip
    first = added.stdout.split("must be changed): ")[1].strip()
    as_wo = {**served, "CUSTODIO_PASSWORD": first}
    refused = run(["--user", "wo", "case", "list"], as_wo)
    assert refused.returncode != 0 and "change it first: `custodio password`" in refused.stderr
    new = "a-new-password-for-wo"
    changed = run(["--user", "wo", "password"], as_wo, input=f"{new}\n{new}\n")
    assert changed.returncode == 0 and "password changed" in changed.stdout, changed.stderr
    assert run(["--user", "wo", "case", "list"], as_wo).returncode == 4  # the first is gone
    listed = run(["--user", "wo", "case", "list"], {**served, "CUSTODIO_PASSWORD": new})
    assert listed.returncode == 0, listed.stderr
