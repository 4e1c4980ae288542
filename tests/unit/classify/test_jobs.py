"""The job queue in the catalog: idempotent queuing, exclusive claims, leases, back-off,
giving up, retry and re-queuing — on SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from custodio.catalog import cases, comms, people
from custodio.catalog import jobs as queue
from custodio.classify.executors import LocalExecutor
from custodio.classify.jobs import Job, JobContext, Runner, describe, register
from custodio.config import Config, Settings
from custodio.db import Database, Tx, migrate
from custodio.errors import Conflict, InvalidInput, NotFound

T0 = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
KIND = "classify"


@pytest.fixture
def db(catalog_url: str) -> Iterator[Database]:
    with Database(catalog_url) as database:
        migrate.upgrade(database)
        yield database


def setup_case(tx: Tx) -> tuple[int, int]:
    agency = people.create_agency(tx, "Policía Nacional")
    unit = people.create_unit(tx, agency, "UDYCO")
    case = cases.create(tx, agency=agency, unit=unit, reference="DP 1/2026", court="JI 3",
                        title="Niebla")  # fmt: skip
    return agency, case


def add_comm(tx: Tx, agency: int, case: int | None, cin: int, status: str = "complete") -> int:
    return comms.insert_comm(tx, {
        "agency_id": agency, "case_id": case, "liid": "ES-LI-0001", "operator": "movistar",
        "cin": cin, "kind": "voice", "direction": "originating", "status": status,
        "reasons": [], "notes": [], "open_seq": cin, "last_seq": cin,
    })  # fmt: skip


def world(db: Database, n: int) -> tuple[int, int, list[int]]:
    def make(tx: Tx) -> tuple[int, int, list[int]]:
        agency, case = setup_case(tx)
        ids = [add_comm(tx, agency, case, i) for i in range(1, n + 1)]
        return agency, case, ids

    return db.write(make)


def job_row(db: Database, job_id: int) -> dict[str, object]:
    row = db.read(lambda tx: tx.one("SELECT * FROM jobs WHERE id = ?", (job_id,)))
    assert row is not None
    return row


def claim(
    db: Database,
    worker: str,
    at: datetime,
    *,
    lease: float = 60,
    max_attempts: int = 3,
    job_id: int | None = None,
) -> Job | None:
    def run(tx: Tx) -> Job | None:
        return queue.claim(
            tx, worker, lease_seconds=lease, max_attempts=max_attempts, at=at, job_id=job_id
        )

    return db.write(run)


def fail(db: Database, job: Job, worker: str, at: datetime, max_attempts: int = 3) -> str:
    def run(tx: Tx) -> str:
        error = "EngineError: no speech model"
        return queue.fail(
            tx, job, worker, error, retry_seconds=30, max_attempts=max_attempts, at=at
        )

    return db.write(run)


def test_enqueue_is_idempotent_one_row_per_kind_and_communication(db: Database) -> None:
    _, case, (comm,) = world(db, 1)
    first = db.write(lambda tx: queue.enqueue(tx, KIND, comm, case, at=T0))
    again = db.write(lambda tx: queue.enqueue(tx, KIND, comm, case, at=T0))
    assert first == again
    assert db.read(lambda tx: tx.scalar("SELECT COUNT(*) FROM jobs")) == 1
    job = claim(db, "w1", T0)
    assert job is not None and job.id == first
    assert claim(db, "w2", T0) is None  # queued twice, runs once


def test_two_claimers_never_get_the_same_job(catalog_url: str, db: Database) -> None:
    _, case, ids = world(db, 30)
    db.write(lambda tx: [queue.enqueue(tx, KIND, c, case, at=T0) for c in ids])
    other = Database(catalog_url)  # a second connection, as a second process would have
    got: list[tuple[str, int]] = []
    lock = threading.Lock()

    def claimer(database: Database, name: str) -> None:
        while (job := claim(database, name, T0 + timedelta(seconds=1))) is not None:
            with lock:
                got.append((name, job.id))

    try:
        threads = [threading.Thread(target=claimer, args=(d, f"w{i}-{n}"))
                   for i, d in enumerate((db, other)) for n in range(2)]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        other.close()
    claimed = [job_id for _, job_id in got]
    assert len(claimed) == len(set(claimed)) == 30
    rows = db.read(lambda tx: tx.all("SELECT worker, attempts FROM jobs"))
    assert {r["attempts"] for r in rows} == {1}
    assert {(r["worker"], 1) for r in rows} <= {(name, 1) for name, _ in got}


def test_a_lease_that_runs_out_makes_the_job_claimable_again(db: Database) -> None:
    _, case, (comm,) = world(db, 1)
    db.write(lambda tx: queue.enqueue(tx, KIND, comm, case, at=T0))
    first = claim(db, "dead", T0, lease=60)
    assert first is not None and first.attempts == 1
    assert claim(db, "w2", T0 + timedelta(seconds=59)) is None  # the lease still holds
    renewed = db.write(lambda tx: queue.renew(tx, [first.id], "dead", lease_seconds=60,
                                              at=T0 + timedelta(seconds=50)))  # fmt: skip
    assert renewed == 1
    assert claim(db, "w2", T0 + timedelta(seconds=100)) is None  # renewed until 110
    second = claim(db, "w2", T0 + timedelta(seconds=111))
    assert second is not None and second.id == first.id and second.attempts == 2
    # the first worker comes back to life: its result no longer counts
    assert db.write(lambda tx: queue.finish(tx, first, "dead")) == "lost"
    assert db.write(lambda tx: queue.finish(tx, second, "w2")) == "done"
    assert job_row(db, first.id)["state"] == "done"


def test_failed_attempts_back_off_doubling_then_fail_for_good(db: Database) -> None:
    _, case, (comm,) = world(db, 1)
    db.write(lambda tx: queue.enqueue(tx, KIND, comm, case, at=T0))
    at = T0
    for attempt, wait in ((1, 30), (2, 60)):
        job = claim(db, "w", at)
        assert job is not None and job.attempts == attempt
        assert fail(db, job, "w", at) == "queued"
        row = job_row(db, job.id)
        assert row["state"] == "queued" and row["error"] == "EngineError: no speech model"
        assert claim(db, "w", at + timedelta(seconds=wait - 1)) is None
        at += timedelta(seconds=wait)
    assert queue.backoff(30, 1) == 30 and queue.backoff(30, 3) == 120
    job = claim(db, "w", at)
    assert job is not None and job.attempts == 3
    assert fail(db, job, "w", at) == "failed"
    row = job_row(db, job.id)
    assert row["state"] == "failed" and row["finished_at"] is not None
    assert claim(db, "w", at + timedelta(days=1)) is None


def test_a_job_whose_workers_keep_dying_is_failed_not_claimed_forever(db: Database) -> None:
    _, case, (comm,) = world(db, 1)
    job_id = db.write(lambda tx: queue.enqueue(tx, KIND, comm, case, at=T0))
    for n in range(2):
        assert claim(db, f"w{n}", T0 + timedelta(seconds=100 * n), lease=10, max_attempts=2)
    assert claim(db, "w9", T0 + timedelta(seconds=500), lease=10, max_attempts=2) is None
    row = job_row(db, job_id)
    assert row["state"] == "failed" and "lease ran out" in str(row["error"])


def test_retry_queues_failed_jobs_again_and_refuses_others(db: Database) -> None:
    agency, case, (c1, c2) = world(db, 2)
    j1 = db.write(lambda tx: queue.enqueue(tx, KIND, c1, case, at=T0))
    j2 = db.write(lambda tx: queue.enqueue(tx, KIND, c2, case, at=T0))
    job = claim(db, "w", T0, job_id=j1)
    assert job is not None
    fail(db, job, "w", T0, max_attempts=1)
    listed = db.read(lambda tx: queue.list_jobs(tx, agency, "failed"))
    assert [(r.id, r.case_ref, r.error) for r in listed] == [
        (j1, "DP 1/2026", "EngineError: no speech model")
    ]
    with pytest.raises(Conflict, match=f"job {j2} is queued"):
        db.write(lambda tx: queue.retry(tx, agency, [j1, j2]))
    assert job_row(db, j1)["state"] == "failed"  # nothing changed
    with pytest.raises(NotFound):
        db.write(lambda tx: queue.retry(tx, agency + 1, [j1]))  # another agency's job
    assert db.write(lambda tx: queue.retry(tx, agency, None)) == [j1]
    row = job_row(db, j1)
    assert (row["state"], row["attempts"], row["error"]) == ("queued", 0, None)
    with pytest.raises(InvalidInput):
        db.read(lambda tx: queue.list_jobs(tx, agency, "stuck"))


def test_queuing_again_bumps_the_generation_and_never_runs_a_job_twice_at_once(
    db: Database,
) -> None:
    _, case, (comm,) = world(db, 1)
    job_id = db.write(lambda tx: queue.enqueue(tx, KIND, comm, case, at=T0))
    job = claim(db, "w", T0)
    assert job is not None and db.write(lambda tx: queue.finish(tx, job, "w")) == "done"
    # --redo (or an amendment) of a done job: queued again, a new generation
    db.write(lambda tx: queue.enqueue(tx, KIND, comm, case, at=T0))
    assert (job_row(db, job_id)["state"], job_row(db, job_id)["generation"]) == ("queued", 2)
    running = claim(db, "w", T0)
    assert running is not None and running.generation == 2
    # amended while it runs: it keeps running (nobody else may claim it) ...
    db.write(lambda tx: queue.enqueue(tx, KIND, comm, case, at=T0))
    assert job_row(db, job_id)["state"] == "running"
    assert claim(db, "w2", T0) is None
    # ... and its end queues it once more for the newer generation
    assert db.write(lambda tx: queue.finish(tx, running, "w", at=T0)) == "queued"
    last = claim(db, "w2", T0)
    assert last is not None and last.generation == 3
    assert db.write(lambda tx: queue.finish(tx, last, "w2")) == "done"


def test_communications_to_classify_skip_open_quarantined_and_done(db: Database) -> None:
    def make(tx: Tx) -> tuple[int, list[int]]:
        agency, case = setup_case(tx)
        ids = [add_comm(tx, agency, case, 1), add_comm(tx, agency, case, 2),
               add_comm(tx, agency, case, 3, status="open")]  # fmt: skip
        held = add_comm(tx, agency, case, 4)
        tx.execute("UPDATE communications SET quarantined = 1 WHERE id = ?", (held,))
        return case, ids

    case, (done, fresh, _open) = db.write(make)
    job_id = db.write(lambda tx: queue.enqueue(tx, KIND, done, case, at=T0))
    job = claim(db, "w", T0, job_id=job_id)
    assert job is not None
    db.write(lambda tx: queue.finish(tx, job, "w"))
    assert db.read(lambda tx: queue.comms_to_classify(tx, case, KIND, redo=False)) == [fresh]
    both = db.read(lambda tx: queue.comms_to_classify(tx, case, KIND, redo=True))
    assert both == [done, fresh]


def test_publishing_bookkeeping(db: Database) -> None:
    _, case, (c1, c2) = world(db, 2)
    j1 = db.write(lambda tx: queue.enqueue(tx, KIND, c1, case, at=T0))
    j2 = db.write(lambda tx: queue.enqueue(tx, KIND, c2, case, at=T0))
    due = db.read(lambda tx: queue.to_publish(tx, republish_seconds=60, at=T0))
    assert due == [j1, j2]
    db.write(lambda tx: queue.mark_published(tx, [j1, j2], at=T0))
    assert db.read(lambda tx: queue.to_publish(tx, republish_seconds=60, at=T0)) == []
    job = claim(db, "w", T0, lease=30, job_id=j1)
    assert job is not None
    later = T0 + timedelta(seconds=61)
    # j1's worker died (lease out at +30): published again; j2's message was lost: again
    assert db.read(lambda tx: queue.to_publish(tx, republish_seconds=60, at=later)) == [j1, j2]


def test_runner_records_a_handler_failure_without_content(tmp_path: object, db: Database) -> None:
    _, case, (comm,) = world(db, 1)
    settings = Settings(jobs_max_attempts=2, jobs_retry_seconds=0)
    ctx = JobContext(Config(tmp_path, settings), db, vault=None)  # type: ignore[arg-type]
    calls: list[int] = []

    def flaky(ctx: JobContext, job: Job) -> None:
        calls.append(job.attempts)
        if job.attempts == 1:
            raise ValueError("model file truncated\nsecond line")

    register("test.flaky", flaky)
    job_id = db.write(lambda tx: queue.enqueue(tx, "test.flaky", comm, case))
    runner = Runner(ctx)
    assert runner.run_job(job_id) == "queued"
    assert job_row(db, job_id)["error"] == "ValueError: model file truncated"
    assert runner.run_job(job_id) == "done"
    assert runner.run_job(job_id) == "skipped"
    assert calls == [1, 2]
    assert describe(NotFound("no job 3")) == "no job 3"


def test_a_kind_without_handler_fails_with_a_clear_error(tmp_path: object, db: Database) -> None:
    _, case, (comm,) = world(db, 1)
    ctx = JobContext(Config(tmp_path, Settings(jobs_max_attempts=1)), db, vault=None)  # type: ignore[arg-type]
    job_id = db.write(lambda tx: queue.enqueue(tx, "nonesuch", comm, case))
    assert Runner(ctx).run_job(job_id) == "failed"
    assert "no handler for jobs of kind 'nonesuch'" in str(job_row(db, job_id)["error"])


def test_local_executor_runs_due_jobs_and_stops_after_the_job_in_progress(
    tmp_path: object, db: Database
) -> None:
    _, case, comm_ids = world(db, 3)
    started = threading.Event()
    release = threading.Event()
    ran: list[int] = []

    def slow(ctx: JobContext, job: Job) -> None:
        started.set()
        release.wait(10)
        ran.append(job.communication_id)

    register("test.slow", slow)
    ctx = JobContext(Config(tmp_path, Settings(jobs_lease_seconds=60)), db, vault=None)  # type: ignore[arg-type]
    executor = LocalExecutor(ctx, workers=1, poll_seconds=0.05)
    executor.start()
    job_id = db.write(lambda tx: queue.enqueue(tx, "test.slow", comm_ids[0], case))
    executor.wake()
    assert started.wait(10)
    stopping = threading.Thread(target=executor.stop)
    stopping.start()
    stopping.join(0.3)
    assert stopping.is_alive()  # stop waits for the job in progress ...
    release.set()
    stopping.join(10)
    assert not stopping.is_alive()
    assert job_row(db, job_id)["state"] == "done" and ran == [comm_ids[0]]
    # ... and nothing else is claimed once stopped
    later = db.write(lambda tx: queue.enqueue(tx, "test.slow", comm_ids[1], case))
    assert job_row(db, later)["state"] == "queued"


def test_a_stop_with_a_grace_period_gives_a_long_job_back_to_the_queue(
    tmp_path: object, db: Database
) -> None:
    _, case, (comm,) = world(db, 1)
    started = threading.Event()
    release = threading.Event()
    finished = threading.Event()

    def long(ctx: JobContext, job: Job) -> None:
        started.set()
        release.wait(10)
        finished.set()

    register("test.long", long)
    ctx = JobContext(Config(tmp_path, Settings(jobs_lease_seconds=600)), db, vault=None)  # type: ignore[arg-type]
    executor = LocalExecutor(ctx, workers=1, poll_seconds=0.05, stop_grace_seconds=0.2)
    executor.start()
    job_id = db.write(lambda tx: queue.enqueue(tx, "test.long", comm, case))
    assert started.wait(10)
    begun = time.monotonic()
    executor.stop()
    assert time.monotonic() - begun < 5  # did not wait for the job
    row = job_row(db, job_id)  # due again now, not in 600 s; the attempt not counted
    assert (row["state"], row["attempts"], row["worker"]) == ("queued", 0, None)
    release.set()
    assert finished.wait(10)
    time.sleep(0.2)  # the late run's end is ignored: the job stays queued for a new run
    assert job_row(db, job_id)["state"] == "queued"


def test_serve_and_the_cli_load_neither_dramatiq_nor_the_speech_libraries() -> None:
    """Dramatiq (the distributed executor) and the speech libraries (the classify handler)
    are imported where they are used, not by whatever imports the service or the CLI."""
    code = (
        "import sys; import custodio.client.main, custodio.app.local, "
        "custodio.classify.executors, custodio.classify.handlers; "
        "print(sorted(m for m in ('dramatiq', 'pika', 'faster_whisper', 'ctranslate2') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)  # fmt: skip
    assert done.stdout.strip() == "[]"
