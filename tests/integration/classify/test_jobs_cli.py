"""Jobs as users meet them: queued by assembly when a communication closes, listed and
retried by an administrator through the API, queued again and followed by the case's
investigator (`custodio classify`, through the API), run by a real `custodio serve` process;
the policy and the audit log."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from custodio.catalog import jobs as queue
from custodio.classify.executors import LocalExecutor
from custodio.classify.jobs import JobContext
from custodio.client import classify_cmds
from custodio.db.times import from_text
from custodio.simulator.mediator import Options, simulate
from tests.integration.assemble.conftest import Line
from tests.integration.cli_in_process import (
    Custodio,
    ok,
    refused,
    service_url,  # noqa: F401 (a fixture)
)
from tests.integration.conftest import CASE, PASSPHRASE, PASSWORD

CUSTODIO = [sys.executable, "-m", "custodio.client.main"]
pytestmark = pytest.mark.slow


@pytest.fixture
def catalog_url(tmp_path: Path) -> str:
    """SQLite only: the queue's SQL runs on both backends in tests/unit/classify/test_jobs."""
    return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"


def test_assembly_queues_one_job_per_closed_communication_in_its_transaction(
    line: Line,
) -> None:
    line.deliver(calls=2, sms=1)
    line.assemble()
    closed = line.rows(
        "SELECT id FROM communications WHERE status <> 'open' AND case_id IS NOT NULL"
    )
    jobs = line.rows("SELECT communication_id, kind, state, generation FROM jobs")
    assert len(closed) == 3
    assert sorted(j["communication_id"] for j in jobs) == sorted(c["id"] for c in closed)
    assert {(j["kind"], j["state"], j["generation"]) for j in jobs} == {("classify", "queued", 1)}
    line.assemble()  # applying the journal again queues nothing more
    assert len(line.rows("SELECT id FROM jobs")) == 3


def test_jobs_list_retry_and_classify_through_the_commands(
    line: Line, custodio: Custodio, monkeypatch: pytest.MonkeyPatch
) -> None:
    line.deliver(calls=0, sms=1)
    line.assemble()
    ((job_id, comm_id),) = [
        (r["id"], r["communication_id"]) for r in line.rows("SELECT * FROM jobs")
    ]
    db = line.world.svc.db
    # a worker's attempt fails for good (as an engine error would make it)
    job = db.write(lambda tx: queue.claim(tx, "w", lease_seconds=60, max_attempts=1))
    assert job is not None and job.id == job_id
    db.write(lambda tx: queue.fail(tx, job, "w", "ModelError: model.bin digest mismatch",
                                   retry_seconds=1, max_attempts=1))  # fmt: skip

    out = ok(custodio("admin", "jobs", "list", "--state", "failed"))
    assert "model.bin digest mismatch" in out and CASE in out
    listed = json.loads(ok(custodio("wo", "jobs", "list", "--json")))
    assert [(j["id"], j["state"], j["communication_id"]) for j in listed] == [
        (job_id, "failed", comm_id)
    ]
    refused(custodio("inv1", "jobs", "list"), 5, "investigator may not jobs.list")
    refused(custodio("admin", "jobs", "retry"), 2, "--failed")
    refused(custodio("wo", "jobs", "retry", "--failed"), 5, "may not jobs.retry")
    assert "queued again: 1 job(s)" in ok(custodio("admin", "jobs", "retry", str(job_id)))
    refused(custodio("admin", "jobs", "retry", str(job_id)), 7, "is queued, not failed")
    assert line.rows("SELECT state, attempts, error FROM jobs") == [
        {"state": "queued", "attempts": 0, "error": None}
    ]

    # an investigator outside the case is refused, and that is audited
    refused(custodio("inv2", "classify", "--case", CASE, "--redo"), 5, "not assigned to this case")
    denied = last_classify(line)
    assert (denied["action"], denied["outcome"], denied["actor"]) == (
        "classify.run", "denied", "inv2",
    )  # fmt: skip
    out = ok(custodio("inv1", "classify", "--case", CASE, "--redo"))
    assert f"queued 1 communication(s) of {CASE} for classification" in out
    assert line.rows("SELECT state, generation FROM jobs") == [{"state": "queued", "generation": 2}]
    allowed = last_classify(line)
    assert (allowed["action"], allowed["outcome"]) == ("classify.run", "allowed")
    assert json.loads(str(allowed["details"])) == {"redo": True, "queued": 1}

    # --wait follows the jobs the service's workers run (here a local executor, as in
    # `custodio serve`), with a line of progress on stderr; the user has no vault passphrase
    monkeypatch.delenv("CUSTODIO_VAULT_PASSPHRASE")
    monkeypatch.setattr(classify_cmds, "POLL_SECONDS", 0.2)
    svc = line.world.svc
    settings = dataclasses.replace(svc.config.settings, jobs_max_attempts=1)
    job_ctx = JobContext(dataclasses.replace(svc.config, settings=settings), svc.db, line.vault)
    executor = LocalExecutor(job_ctx, workers=1, stop_grace_seconds=10)
    executor.start()
    try:  # --redo: the job is queued by this very command (the executor could have run
        # the one queued above before a plain --wait asked which jobs there are to run)
        done = custodio("inv1", "classify", "--case", CASE, "--redo", "--wait")
    finally:
        executor.stop()
    assert "queued 1 communication(s)" in done.stdout and "1 job(s) to run" in done.stdout
    assert "classify: 1/1 (100%)" in done.stderr
    (state,) = line.rows("SELECT state FROM jobs")
    assert state["state"] in ("done", "failed")
    assert done.returncode == (0 if state["state"] == "done" else 1), done.stderr


def last_classify(line: Line) -> dict[str, Any]:
    """The newest classify.run entry (the client's login and logout come around it)."""
    rows = line.rows("SELECT * FROM audit_entries WHERE action = 'classify.run' "
                     "ORDER BY seq DESC LIMIT 1")  # fmt: skip
    return rows[0]


def test_serve_runs_the_job_of_a_message_within_a_minute_of_its_closing(line: Line) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODIO_")}
    env = {**base, "CUSTODIO_DATA": str(line.world.data_dir), "CUSTODIO_PASSWORD": PASSWORD,
           "CUSTODIO_VAULT_PASSPHRASE": PASSPHRASE, "CUSTODIO_ASSEMBLY_END_GRACE_SECONDS": "0",
           "XDG_STATE_HOME": os.environ.get("XDG_STATE_HOME", "")}  # fmt: skip
    args = ["serve", "--http", "127.0.0.1:0", "--hi2", "127.0.0.1:0", "--hi3", "127.0.0.1:0"]
    proc = subprocess.Popen([*CUSTODIO, *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(6)]
        assert "classification jobs: local executor\n" in lines, lines
        hi2, hi3 = (_address(x) for x in lines[1:3])
        options = Options(hi2=hi2, hi3=hi3, calls=0, sms=1, realtime=False, ack_every=1,
                          seed=5, targets=1)  # fmt: skip
        assert not asyncio.run(simulate(options)).error
        job = _wait_for_row(line, "SELECT * FROM jobs WHERE state = 'done'", 60)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    (comm,) = line.rows("SELECT updated_at FROM communications WHERE kind = 'sms'")
    closed, done = from_text(comm["updated_at"]), from_text(job["finished_at"])
    assert (done - closed).total_seconds() < 60
    classified = line.rows("SELECT details FROM audit_entries WHERE action = 'comm.classified'")
    assert [json.loads(r["details"])["job"] for r in classified] == [job["id"]]


def _address(text: str) -> tuple[str, int]:
    host, port = text.strip().split("://", 1)[1].rsplit(":", 1)  # "hi2 listening on tcp://H:P"
    return host, int(port)


def _wait_for_row(line: Line, sql: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = line.rows(sql)
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"nothing for {sql} after {timeout} s: {line.rows('SELECT * FROM jobs')}")
