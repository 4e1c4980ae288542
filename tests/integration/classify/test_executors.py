"""Both executors run every job exactly once, even when a worker is killed mid-job.

Workers are real processes (tests/integration/classify/jobworker.py) running a real,
slow, idempotent handler against the real catalog; the distributed executor runs against
the machine's real RabbitMQ (a queue of each test's own, deleted afterwards). A worker is
killed with SIGKILL while a job is half done; afterwards every job ends done and each
job's effect is in the catalog exactly once. Each executor runs on the catalog of its way
of running (local: SQLite, Dramatiq: PostgreSQL); the queue's SQL itself, claims racing
included, is tested on both in tests/unit/classify/test_jobs.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pika
import pytest

from custodio import config
from custodio.catalog import cases, comms
from custodio.catalog import jobs as queue
from custodio.classify.executors.distributed import Publisher
from custodio.db import Tx
from custodio.errors import BackendError
from tests.integration.classify.jobworker import KIND
from tests.integration.conftest import CASE, PASSPHRASE, PASSWORD, World
from tests.integration.served_api import serving

BROKER = "amqp://guest:guest@127.0.0.1:5672/"
ROOT = Path(__file__).parents[3]
pytestmark = pytest.mark.slow


@pytest.fixture
def rabbit_queue() -> Iterator[str]:
    name = f"custodio.test.{uuid.uuid4().hex[:12]}"
    yield name
    connection = pika.BlockingConnection(pika.URLParameters(BROKER))
    channel = connection.channel()
    for q in (name, f"{name}.DQ", f"{name}.XQ"):
        channel.queue_delete(q)
    connection.close()


def settings_env(world: World, tmp_path: Path, queue_name: str = "") -> dict[str, str]:
    runs = tmp_path / "runs"
    runs.mkdir(exist_ok=True)
    base = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODIO_")}
    return {
        **base, "PYTHONPATH": str(ROOT), "CUSTODIO_DATA": str(world.data_dir),
        "CUSTODIO_VAULT_PASSPHRASE": PASSPHRASE, "CUSTODIO_PASSWORD": PASSWORD,
        "CUSTODIO_JOBS_LEASE_SECONDS": "3", "CUSTODIO_JOBS_RETRY_SECONDS": "1",
        "CUSTODIO_JOBS_WORKERS": "2", "CUSTODIO_JOBS_QUEUE": queue_name or "unused",
        "CUSTODIO_JOBS_BROKER_URL": BROKER, "JOBS_TEST_DIR": str(runs), "JOBS_TEST_SLEEP": "1",
        "XDG_STATE_HOME": os.environ.get("XDG_STATE_HOME", str(tmp_path / "state")),
    }  # fmt: skip


def make_jobs(world: World, n: int, kind: str = KIND, comm_kind: str = "voice") -> list[int]:
    def make(tx: Tx) -> list[int]:
        case = cases.get(tx, 1, CASE)
        ids = []
        for cin in range(1, n + 1):
            comm = comms.insert_comm(tx, {
                "agency_id": case.agency_id, "case_id": case.id, "liid": "ES-LI-0001",
                "operator": "movistar", "cin": cin, "kind": comm_kind, "direction": "originating",
                "status": "complete", "reasons": [], "notes": [], "open_seq": cin, "last_seq": cin,
            })  # fmt: skip
            ids.append(queue.enqueue(tx, kind, comm, case.id))
        return ids

    return world.svc.db.write(make)


def start(mode: str, env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.classify.jobworker", mode],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != "ready":
        _, err = proc.communicate(timeout=30)
        raise AssertionError(f"the worker did not start: {err}")
    return proc


def wait_until(what: Callable[[], Any], timeout: float, message: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := what():
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out: {message}")


def rows(world: World, sql: str) -> list[dict[str, Any]]:
    return world.svc.db.read(lambda tx: tx.all(sql))


def half_done(world: World) -> list[dict[str, Any]]:
    """Jobs running whose handler is between its two transactions (a 'partial' label)."""
    return rows(
        world,
        "SELECT j.id, j.worker FROM jobs j JOIN labels l ON l.communication_id = "
        f"j.communication_id WHERE j.state = 'running' AND l.owner = '{KIND}' "
        "AND l.value = 'partial'",
    )


def all_done(world: World, ids: list[int]) -> bool:
    states = world.svc.db.read(lambda tx: queue.states(tx, ids))
    return all(states[i] == "done" for i in ids)


def runs_of(env: dict[str, str], job_id: int) -> set[int]:
    """The pids of the processes that started the job."""
    names = [p.name.split("-") for p in Path(env["JOBS_TEST_DIR"]).iterdir()]
    return {int(pid) for job, pid, _ in names if int(job) == job_id}


def assert_each_effect_once(world: World, ids: list[int]) -> None:
    labels = rows(world, f"SELECT communication_id, value FROM labels WHERE owner = '{KIND}'")
    comm_ids = [r["communication_id"] for r in rows(world, "SELECT communication_id FROM jobs")]
    assert sorted(r["communication_id"] for r in labels) == sorted(comm_ids)  # once each
    assert {r["value"] for r in labels} == {"final"}
    assert {r["state"] for r in rows(world, "SELECT state FROM jobs")} == {"done"}


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)  # embedded: SQLite
def test_local_pool_killed_mid_job_then_restarted_runs_every_job_once(
    world: World, tmp_path: Path
) -> None:
    env = settings_env(world, tmp_path)
    ids = make_jobs(world, 6)
    first = start("local", env)
    try:
        victims = wait_until(lambda: half_done(world), 30, "a job half done")
    finally:
        first.kill()  # SIGKILL: no clean-up of any kind
        first.communicate()
    assert {v["worker"].split(":")[1] for v in victims} == {str(first.pid)}
    second = start("local", env)
    try:
        wait_until(lambda: all_done(world, ids), 60, "every job done after the restart")
    finally:
        stop(second)
    assert_each_effect_once(world, ids)
    for victim in victims:  # started by the killed process, finished by its successor
        assert runs_of(env, victim["id"]) == {first.pid, second.pid}
    attempts = {r["id"]: r["attempts"] for r in rows(world, "SELECT id, attempts FROM jobs")}
    assert all(attempts[v["id"]] == 2 for v in victims)


@pytest.mark.parametrize("catalog_url", ["postgresql"], indirect=True)  # scale-out: PostgreSQL
def test_dramatiq_workers_one_killed_mid_job_every_job_done_once(
    world: World, tmp_path: Path, rabbit_queue: str
) -> None:
    env = {**settings_env(world, tmp_path, rabbit_queue), "CUSTODIO_JOBS_WORKERS": "1"}
    ids = make_jobs(world, 6)
    workers = [start("dramatiq", env), start("dramatiq", env)]
    cfg = config.load(world.data_dir, environ=env)
    publisher = Publisher(cfg, world.svc.db, sweep_seconds=0.2)
    publisher.start()
    try:
        victims = wait_until(lambda: half_done(world), 30, "a job half done")
        pid = int(victims[0]["worker"].split(":")[1])
        (victim,) = [w for w in workers if w.pid == pid]
        victim.kill()
        victim.communicate()
        (survivor,) = [w for w in workers if w.pid != pid]
        wait_until(lambda: all_done(world, ids), 60, "every job done after the kill")
    finally:
        publisher.stop()
        for w in workers:
            if w.poll() is None:
                stop(w)
    assert_each_effect_once(world, ids)
    assert runs_of(env, victims[0]["id"]) == {victim.pid, survivor.pid}
    published = rows(world, "SELECT published_at FROM jobs")
    assert all(r["published_at"] for r in published)


SQLITE_ONLY = pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)


@SQLITE_ONLY  # the publishing bookkeeping runs on both catalogs in the tests above
def test_an_unreachable_broker_is_a_clear_error_and_loses_no_job(
    world: World, tmp_path: Path, rabbit_queue: str
) -> None:
    ids = make_jobs(world, 2)
    env = settings_env(world, tmp_path, rabbit_queue)
    down = {**env, "CUSTODIO_JOBS_BROKER_URL": "amqp://guest:s3cret@127.0.0.1:1/"}
    dead = Publisher(config.load(world.data_dir, environ=down), world.svc.db)
    with pytest.raises(
        BackendError, match=r"job broker amqp://guest@127\.0\.0\.1:1/ is unreachable"
    ):
        dead.publish_due()
    sweeper = Publisher(config.load(world.data_dir, environ=down), world.svc.db, sweep_seconds=0.1)
    sweeper.start()  # as in `custodio serve`: a dead broker is logged, serve goes on
    time.sleep(0.5)
    sweeper.stop()
    unpublished = rows(world, "SELECT state, published_at FROM jobs")
    assert unpublished == [{"state": "queued", "published_at": None}] * 2
    # the broker is back: the next sweep publishes what waited
    alive = Publisher(config.load(world.data_dir, environ=env), world.svc.db)
    assert alive.publish_due() == 2
    assert alive.publish_due() == 0  # published once, not at every sweep
    alive.stop()
    connection = pika.BlockingConnection(pika.URLParameters(BROKER))
    declared = connection.channel().queue_declare(rabbit_queue, passive=True)
    connection.close()
    assert declared.method.message_count == len(ids)


def custodio(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "custodio.client.main", *args],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@SQLITE_ONLY
def test_custodio_worker_runs_classify_jobs_and_stops_on_sigterm(
    world: World, tmp_path: Path, rabbit_queue: str
) -> None:
    env = settings_env(world, tmp_path, rabbit_queue)
    down = custodio({**env, "CUSTODIO_JOBS_BROKER_URL": "amqp://guest:s3cret@127.0.0.1:1/"},
                    "worker")  # fmt: skip
    out, err = down.communicate(timeout=60)
    assert down.returncode == 12, err
    assert "job broker amqp://guest@127.0.0.1:1/ is unreachable" in err and "s3cret" not in err
    # an SMS without any message object: the real pipeline runs and finds nothing
    (job_id,) = make_jobs(world, 1, kind=queue.CLASSIFY, comm_kind="sms")
    worker = custodio(env, "worker")
    # the service: its API, and its publisher of due jobs (as `custodio serve` runs them)
    served = SimpleNamespace(world=world, directory=tmp_path)
    dramatiq = {**env, "CUSTODIO_JOBS_EXECUTOR": "dramatiq"}
    publisher = Publisher(config.load(world.data_dir, environ=dramatiq), world.svc.db,
                          sweep_seconds=0.2)  # fmt: skip
    publisher.start()
    try:  # the investigator's `classify --wait` follows the job until its end
        with serving(served, None) as base:  # type: ignore[arg-type]
            users = {k: v for k, v in env.items()
                     if k not in ("CUSTODIO_DATA", "CUSTODIO_VAULT_PASSPHRASE")}  # fmt: skip
            waited = subprocess.run(
                [sys.executable, "-m", "custodio.client.main", "--user", "inv1", "classify",
                 "--case", CASE, "--wait"],
                env={**users, "CUSTODIO_SERVER": base, "XDG_CONFIG_HOME": str(tmp_path / "cfg")},
                cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
            )  # fmt: skip
    finally:
        publisher.stop()
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    assert waited.returncode == 0, (waited.stderr, err[-3000:])
    assert "1 job(s) to run" in waited.stdout and "done: 1, failed: 0" in waited.stdout
    assert "classify: 1/1 (100%)" in waited.stderr
    assert all_done(world, [job_id])
    assert worker.returncode == 0, err
    assert "custodio worker stopped" in out
