"""`custodio serve` as a real process: its assembler process dies and comes back while
receiving goes on; consumed journal segments go into the vault on serve's own timer."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from tests.integration.conftest import CASE, PASSPHRASE, PASSWORD, World, secrets
from tests.integration.handover.served import ARGS, CUSTODIO, Served, start_serve

from custodio.access import casework, vaults
from custodio.etsi.pdu import StreamFramer, decode
from custodio.journal.format import encode_position
from custodio.simulator.mediator import Options, Report, simulate

OPERATOR = "OPERADOR-ES"
LIID = "ES-LIID-0000"  # the simulator's first target


def serving(
    world: World, *, typed: bool = False, **settings: str
) -> AbstractContextManager[Served]:
    """``serve`` on the world's data directory; with ``typed`` the vault passphrase is
    typed at its prompt instead of given in the environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODIO_")}
    env = {
        **base, "CUSTODIO_DATA": str(world.data_dir), "CUSTODIO_PASSWORD": PASSWORD,
        "CUSTODIO_ASSEMBLY_END_GRACE_SECONDS": "0",
        **({} if typed else {"CUSTODIO_VAULT_PASSPHRASE": PASSPHRASE}),
        **{f"CUSTODIO_{k.upper()}": v for k, v in settings.items()},
    }  # fmt: skip
    return start_serve(env, typed=PASSPHRASE if typed else None)


@pytest.fixture
def bound(world: World) -> World:
    """The world's warrant also binds the simulator's first LIID at its operator."""
    casework.bind_liid(world.svc, world.as_("wo"), CASE, "AUTO 45/2026", LIID, OPERATOR)
    return world


def deliver(served: Served, **options: Any) -> Report:
    defaults: dict[str, Any] = {"profile": "voip", "realtime": False, "seed": 5, "targets": 1,
                                "ack_every": 50}  # fmt: skip
    opts = Options(hi2=served.hi2, hi3=served.hi3, **{**defaults, **options})
    report = asyncio.run(simulate(opts))
    assert not report.error, report.error
    assert report.acks_answered == report.acks_requested, report.summary()
    return report


def wait_for(what: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not what():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def rows(world: World, sql: str) -> list[dict[str, Any]]:
    return world.svc.db.read(lambda tx: tx.all(sql, ()))


def closed(world: World) -> int:
    return len(rows(world, "SELECT id FROM communications WHERE status != 'open'"))


@pytest.mark.slow
def test_a_killed_assembler_is_restarted_and_receiving_goes_on(bound: World) -> None:
    with serving(bound) as served:
        os.kill(served.assembler_pid, signal.SIGKILL)
        # the assembler is dead (restarting in ~1 s): every PDU is still acknowledged durable
        report = deliver(served, calls=3, duration=1.0)
        assert report.acks_answered > 0
        wait_for(lambda: closed(bound) == 3)
        # the new process's counters reach /health after its step
        wait_for(lambda: served.health()["assembly"]["communications_closed"] == 3, 10)
        health = served.health()["assembly"]
        assert (health["restarts"], health["running"]) == (1, True)
        assert health["pid"] not in (served.assembler_pid, 0)
        _, err = served.stop()
    with pytest.raises(ProcessLookupError):  # serve stopped its assembler with itself
        os.kill(health["pid"], 0)
    assert f"assembly process {served.assembler_pid} ended (exit code -9)" in err
    calls = rows(bound, "SELECT kind, status, COUNT(*) AS n FROM communications GROUP BY 1, 2")
    assert [(c["kind"], c["status"], c["n"]) for c in calls] == [("voice", "complete", 3)]
    audit = rows(bound, "SELECT * FROM audit_entries WHERE action = 'assembly.restarted'")
    assert len(audit) == 1
    details = json.loads(audit[0]["details"])
    assert details["previous_pid"] == served.assembler_pid
    assert (details["exit_code"], details["restarts"]) == (-signal.SIGKILL, 1)
    assert details["pid"] == health["pid"]


@pytest.mark.slow
def test_the_assembler_process_gets_the_typed_passphrase_through_its_pipe(bound: World) -> None:
    with serving(bound, typed=True) as served:
        child = Path(f"/proc/{served.assembler_pid}")
        for shown in ("cmdline", "environ"):  # what a process listing can show
            assert PASSPHRASE.encode() not in (child / shown).read_bytes()
        deliver(served, calls=1, duration=0.5)
        wait_for(lambda: closed(bound) == 1)  # closing writes the audio into the vault
        served.stop()
    audio = rows(bound, "SELECT object_id FROM comm_products WHERE kind = 'audio'")
    assert audio, "the call's audio is in the vault"


@pytest.mark.slow
def test_metrics_give_prometheus_the_counters_of_every_stage(bound: World) -> None:
    with serving(bound) as served:
        deliver(served, calls=1, duration=0.5)
        wait_for(lambda: served.health()["assembly"]["communications_closed"] == 1)
        kind, text = served.metrics()
        served.stop()
    assert kind.startswith("text/plain")
    samples = {  # Prometheus's own parser: a line it cannot read raises
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("custodio_handover_pdus_durable", ())] > 0
    assert samples[("custodio_assembly_communications_closed", ())] == 1
    assert samples[("custodio_assembly_running", ())] == 1
    assert ("custodio_archive_segments", ()) in samples
    jobs = {labels[0][1]: n for (name, labels), n in samples.items() if name == "custodio_jobs"}
    assert set(jobs) == {"queued", "running", "done", "failed"}
    assert sum(jobs.values()) == 1  # the closed call's classification job


@pytest.mark.slow
def test_serve_archives_consumed_segments_on_its_timer(bound: World) -> None:
    with serving(bound, journal_archive_seconds="1", journal_segment_mib="1") as served:
        # ~2 MiB of HI3: the first 1 MiB segment is sealed, its calls closed, so consumed
        deliver(served, calls=8, duration=8.0)
        segments = bound.data_dir / "journal" / "segments"

        def retired() -> bool:
            done = rows(bound, "SELECT segment FROM journal_archived_segments")
            return bool(done) and not (segments / f"{done[0]['segment']:020d}.seg").exists()

        wait_for(retired)
        wait_for(lambda: served.health()["archive"]["segments"] >= 1)  # counted after retiring
        health = served.health()["archive"]
        served.stop()
    assert health["segments"] >= 1 and health["errors"] == 0
    done = rows(bound, "SELECT * FROM journal_archived_segments ORDER BY segment")
    first = done[0]
    assert not (segments / f"{first['segment']:020d}.seg").exists()  # retired
    parts = rows(bound, f"SELECT * FROM journal_archive WHERE segment = {first['segment']}")
    case_id = rows(bound, "SELECT id FROM cases")[0]["id"]
    assert {p["vault_case"] for p in parts} == {str(case_id)}  # the warrant claims them all
    span = first["last_seq"] - first["segment"] + 1
    assert sum(p["records"] for p in parts) + first["skipped"] == first["records"] == span
    vault = vaults.open_vault(bound.svc.config, bound.svc.db, secrets)
    for part in parts:
        data = vault.get(str(part["vault_case"]), str(part["object_id"]))
        assert hashlib.sha256(data).hexdigest() == part["sha256"]
        pdus, error = StreamFramer().feed(data)
        assert error is None and len(pdus) == part["records"]
        assert {bytes(decode(p).liid) for p in pdus} == {LIID.encode()}
    audit = rows(bound, "SELECT * FROM audit_entries WHERE action = 'journal.archived'")
    assert {a["target"] for a in audit} >= {f"journal-segment:{first['segment']}"}


@pytest.mark.slow
def test_an_assembler_that_cannot_open_stops_serve_with_its_error(bound: World) -> None:
    journal = bound.data_dir / "journal"
    journal.mkdir(mode=0o700, exist_ok=True)  # owner-only, as serve requires
    (journal / "consumers").mkdir(mode=0o700)
    (journal / "consumers" / "assemble.pos").write_bytes(encode_position(7))  # past the end
    base = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODIO_")}
    env = {**base, "CUSTODIO_DATA": str(bound.data_dir), "CUSTODIO_PASSWORD": PASSWORD,
           "CUSTODIO_VAULT_PASSPHRASE": PASSPHRASE}  # fmt: skip
    done = subprocess.run(
        [*CUSTODIO, *ARGS], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 14, done.stderr
    assert "consumer 'assemble' is at 7, past the journal's end 0" in done.stderr
    assert "press Ctrl-C" not in done.stdout
