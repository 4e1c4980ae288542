"""Classification jobs in the catalog: the queue's one source of truth.

Schema in ``db/migrations/0006_classification.sql``; the state machine, leases and back-off
are explained in ``docs/classification.md`` ("Jobs"). Every function here runs inside the
caller's transaction, so queuing a job commits with what caused it (assembly closing a
communication) and a job's end commits with its bookkeeping.

    enqueue ──► queued ──claim──► running ──finish──► done
                  ▲                 │  │
                  │   fail (back-off)│  └─ lease runs out ─► claimed again
                  └─────────────────┘
                  running ──fail, attempts spent──► failed ──retry──► queued

A claim names the worker and sets ``lease_until``; only the worker holding the lease (and
the generation it claimed) can finish or fail the job. A worker that died leaves its job
running until the lease runs out; the next claim takes it over.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from custodio.db import Tx
from custodio.db.engine import Row
from custodio.db.times import now, to_text
from custodio.errors import Conflict, InvalidInput, NotFound

STATES = ("queued", "running", "done", "failed")
CLASSIFY = "classify"  # the kind assembly queues for every closed communication
ERROR_MAX = 500  # characters of an error kept in the row


@dataclass(frozen=True)
class Job:
    """A claimed job, as a handler sees it."""

    id: int
    kind: str
    communication_id: int
    case_id: int | None
    generation: int
    attempts: int
    worker: str = ""  # who claimed it


@dataclass(frozen=True, slots=True)
class ListedJob:
    """A job as ``jobs list`` shows it (ids, state, times, error text; never content)."""

    id: int
    kind: str
    communication_id: int
    case_ref: str
    state: str
    generation: int
    attempts: int
    not_before: str
    lease_until: str | None
    worker: str | None
    error: str | None
    created_at: str
    updated_at: str
    finished_at: str | None

    @classmethod
    def from_row(cls, row: Row) -> ListedJob:
        return cls(**{f.name: row[f.name] for f in dataclasses.fields(cls)})

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def _job(row: Row, worker: str = "") -> Job:
    return Job(
        id=int(row["id"]),
        kind=str(row["kind"]),
        communication_id=int(row["communication_id"]),
        case_id=None if row["case_id"] is None else int(row["case_id"]),
        generation=int(row["generation"]),
        attempts=int(row["attempts"]),
        worker=worker,
    )


def enqueue(
    tx: Tx, kind: str, communication_id: int, case_id: int | None, *, at: datetime | None = None
) -> int:
    """Queue ``kind`` for a communication; the job's id.

    Idempotent: there is one row per (kind, communication). Queuing it again (the
    communication was amended, or ``classify --redo``) bumps its generation and makes it
    due now. A job running at that moment keeps running; its worker's result no longer
    counts as done (:func:`finish` queues it again), so one job never runs twice at once.
    """
    when = to_text(at or now())
    row = tx.one(
        "SELECT id, state FROM jobs WHERE kind = ? AND communication_id = ?",
        (kind, communication_id),
    )
    if row is None:
        return tx.insert(
            "INSERT INTO jobs (kind, communication_id, case_id, state, not_before, "
            "created_at, updated_at) VALUES (?, ?, ?, 'queued', ?, ?, ?)",
            (kind, communication_id, case_id, when, when, when),
        )
    if row["state"] == "running":
        tx.execute(
            "UPDATE jobs SET generation = generation + 1, case_id = ?, updated_at = ? WHERE id = ?",
            (case_id, when, row["id"]),
        )
    else:
        tx.execute(
            "UPDATE jobs SET state = 'queued', generation = generation + 1, attempts = 0, "
            "case_id = ?, not_before = ?, lease_until = NULL, worker = NULL, error = NULL, "
            "published_at = NULL, finished_at = NULL, updated_at = ? WHERE id = ?",
            (case_id, when, when, row["id"]),
        )
    return int(row["id"])


def claim(
    tx: Tx,
    worker: str,
    *,
    lease_seconds: float,
    max_attempts: int,
    at: datetime | None = None,
    job_id: int | None = None,
) -> Job | None:
    """Take one due job (``job_id``: that one only, if due) for ``worker``; None if none.

    Due: queued with ``not_before`` passed, or running with its lease run out (its worker
    died). The conditional UPDATE is what makes a claim exclusive: of two claimers racing
    for a row only one sees it still due (SQLite has one writer; PostgreSQL re-checks the
    WHERE after the row lock, and SKIP LOCKED keeps claimers from queueing on one row).
    A job whose workers died ``max_attempts`` times is failed instead of claimed.
    """
    moment = at or now()
    when = to_text(moment)
    for candidate in _due(tx, when, job_id):
        attempts = int(candidate["attempts"])
        if candidate["state"] == "running" and attempts >= max_attempts:
            _give_up(tx, int(candidate["id"]), when, attempts)
            continue
        until = to_text(moment + timedelta(seconds=lease_seconds))
        row = tx.one(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, worker = ?, "
            "lease_until = ?, updated_at = ? WHERE id = ? AND (" + _DUE + ") "
            "RETURNING id, kind, communication_id, case_id, generation, attempts",
            (worker, until, when, candidate["id"], when, when),
        )
        if row is not None:
            return _job(row, worker)
    return None


_DUE = "(state = 'queued' AND not_before <= ?) OR (state = 'running' AND lease_until < ?)"


def any_due(tx: Tx, *, at: datetime | None = None) -> bool:
    """Whether a claim would find a job (a read: idle pollers write nothing)."""
    when = to_text(at or now())
    return tx.one(f"SELECT id FROM jobs WHERE {_DUE} LIMIT 1", (when, when)) is not None


def _due(tx: Tx, when: str, job_id: int | None) -> list[Row]:
    only = "" if job_id is None else " AND id = ?"
    lock = " FOR UPDATE SKIP LOCKED" if tx.dialect == "postgresql" else ""
    params: tuple[object, ...] = (when, when) if job_id is None else (when, when, job_id)
    return tx.all(
        f"SELECT id, state, attempts FROM jobs WHERE ({_DUE}){only} "
        f"ORDER BY not_before, id LIMIT 8{lock}",
        params,
    )


def _give_up(tx: Tx, job_id: int, when: str, attempts: int) -> None:
    error = f"its worker stopped before finishing (lease ran out) on all {attempts} attempts"
    tx.execute(
        "UPDATE jobs SET state = 'failed', error = ?, lease_until = NULL, finished_at = ?, "
        "updated_at = ? WHERE id = ?",
        (error, when, when, job_id),
    )


def renew(
    tx: Tx, job_ids: Sequence[int], worker: str, *, lease_seconds: float, at: datetime | None = None
) -> int:
    """Extend the leases ``worker`` holds on ``job_ids`` (a heartbeat); how many it holds."""
    moment = at or now()
    until = to_text(moment + timedelta(seconds=lease_seconds))
    held = 0
    for job_id in job_ids:
        row = tx.one(
            "UPDATE jobs SET lease_until = ? WHERE id = ? AND state = 'running' AND worker = ? "
            "RETURNING id",
            (until, job_id, worker),
        )
        held += row is not None
    return held


def holds(tx: Tx, job: Job) -> str:
    """Whether the worker that claimed ``job`` may still record its results: ``held``;
    ``newer`` (the communication was queued again while it ran: its results are stale and
    the job runs once more); ``lost`` (the lease ran out and another worker took the job
    over). Checked in the transaction that stores the results, so that a stalled worker
    never overwrites what the one that took over stored."""
    row = _held(tx, job, job.worker)
    if row is None:
        return "lost"
    return "held" if int(row["generation"]) == job.generation else "newer"


def finish(tx: Tx, job: Job, worker: str, *, at: datetime | None = None) -> str:
    """Record that ``worker`` ran ``job`` to the end: ``done``, ``queued`` or ``lost``.

    ``queued``: the communication was queued again while the job ran (a newer generation),
    so it runs once more. ``lost``: the lease had run out and another worker took the job
    over; nothing is changed (the handler is idempotent, the other run's result stands).
    """
    when = to_text(at or now())
    row = _held(tx, job, worker)
    if row is None:
        return "lost"
    if int(row["generation"]) != job.generation:
        _requeue(tx, job.id, when, when, attempts=0, error=None)
        return "queued"
    tx.execute(
        "UPDATE jobs SET state = 'done', lease_until = NULL, error = NULL, finished_at = ?, "
        "updated_at = ? WHERE id = ?",
        (when, when, job.id),
    )
    return "done"


def fail(
    tx: Tx,
    job: Job,
    worker: str,
    error: str,
    *,
    retry_seconds: float,
    max_attempts: int,
    at: datetime | None = None,
) -> str:
    """Record a failed attempt: ``queued`` (after the back-off), ``failed`` or ``lost``.

    The back-off before attempt n+1 is ``retry_seconds × 2^(n-1)``; after ``max_attempts``
    the job is failed for good, with the error text, until ``custodio jobs retry``.
    """
    moment = at or now()
    when = to_text(moment)
    row = _held(tx, job, worker)
    if row is None:
        return "lost"
    attempts = int(row["attempts"])
    text = error[:ERROR_MAX]
    if attempts >= max_attempts:
        tx.execute(
            "UPDATE jobs SET state = 'failed', lease_until = NULL, error = ?, finished_at = ?, "
            "updated_at = ? WHERE id = ?",
            (text, when, when, job.id),
        )
        return "failed"
    not_before = moment + timedelta(seconds=backoff(retry_seconds, attempts))
    _requeue(tx, job.id, when, to_text(not_before), attempts=attempts, error=text)
    return "queued"


def backoff(retry_seconds: float, attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt."""
    return float(retry_seconds) * float(1 << max(attempts - 1, 0))


def release(tx: Tx, job: Job, worker: str, *, at: datetime | None = None) -> bool:
    """Give back a job ``worker`` holds but will not finish (its process is stopping):
    queued again, due now, the interrupted attempt not counted. False if not held."""
    when = to_text(at or now())
    row = _held(tx, job, worker)
    if row is None:
        return False
    attempts = max(int(row["attempts"]) - 1, 0)
    _requeue(tx, job.id, when, when, attempts=attempts, error=None)
    return True


def _held(tx: Tx, job: Job, worker: str) -> Row | None:
    return tx.one(
        "SELECT id, generation, attempts FROM jobs WHERE id = ? AND state = 'running' "
        "AND worker = ?",
        (job.id, worker),
    )


def _requeue(
    tx: Tx, job_id: int, when: str, not_before: str, *, attempts: int, error: str | None
) -> None:
    tx.execute(
        "UPDATE jobs SET state = 'queued', attempts = ?, not_before = ?, lease_until = NULL, "
        "worker = NULL, error = ?, published_at = NULL, updated_at = ? WHERE id = ?",
        (attempts, not_before, error, when, job_id),
    )


def retry(
    tx: Tx, agency_id: int, job_ids: Sequence[int] | None, *, at: datetime | None = None
) -> list[int]:
    """Queue failed jobs of the agency again, due now (``None``: every failed one).

    Named jobs must exist in the agency and be failed; otherwise nothing changes and the
    error says which one is not.
    """
    when = to_text(at or now())
    if job_ids is None:
        ids = [int(r["id"]) for r in _of_agency(tx, agency_id, "failed", 100_000)]
    else:
        ids = list(dict.fromkeys(job_ids))
        for job_id in ids:
            _check_failed(tx, agency_id, job_id)
    for job_id in ids:
        tx.execute(
            "UPDATE jobs SET state = 'queued', attempts = 0, not_before = ?, lease_until = NULL, "
            "worker = NULL, error = NULL, published_at = NULL, finished_at = NULL, "
            "updated_at = ? WHERE id = ?",
            (when, when, job_id),
        )
    return ids


def _check_failed(tx: Tx, agency_id: int, job_id: int) -> None:
    row = tx.one(
        "SELECT j.state FROM jobs j JOIN cases c ON c.id = j.case_id "
        "WHERE j.id = ? AND c.agency_id = ?",
        (job_id, agency_id),
    )
    if row is None:
        raise NotFound(f"no job {job_id}", hint="`custodio jobs list` shows the jobs")
    if row["state"] != "failed":
        raise Conflict(
            f"job {job_id} is {row['state']}, not failed; nothing was retried",
            hint="`custodio jobs retry` starts failed jobs again",
        )


def list_jobs(
    tx: Tx, agency_id: int, state: str | None = None, limit: int = 1000
) -> list[ListedJob]:
    """The agency's jobs (newest change first), with the case's reference."""
    if state is not None and state not in STATES:
        raise InvalidInput(f"--state {state!r}: use one of {', '.join(STATES)}")
    return [ListedJob.from_row(r) for r in _of_agency(tx, agency_id, state, limit)]


def _of_agency(tx: Tx, agency_id: int, state: str | None, limit: int) -> list[Row]:
    where = "" if state is None else " AND j.state = ?"
    params: tuple[object, ...] = (agency_id,) if state is None else (agency_id, state)
    return tx.all(
        "SELECT j.id, j.kind, j.communication_id, c.reference AS case_ref, j.state, "
        "j.generation, j.attempts, j.not_before, j.lease_until, j.worker, j.error, "
        "j.created_at, j.updated_at, j.finished_at FROM jobs j JOIN cases c ON c.id = j.case_id "
        f"WHERE c.agency_id = ?{where} ORDER BY j.updated_at DESC, j.id DESC LIMIT {int(limit)}",
        params,
    )


def counts(tx: Tx) -> dict[str, int]:
    """How many jobs are in each state, every agency's together (for /metrics)."""
    rows = tx.all("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state", ())
    found = {str(row["state"]): int(row["n"]) for row in rows}
    return {state: found.get(state, 0) for state in STATES}


def states(tx: Tx, job_ids: Sequence[int]) -> dict[int, str]:
    """job id -> state, for the jobs that exist."""
    out: dict[int, str] = {}
    for start in range(0, len(job_ids), 500):
        chunk = list(job_ids[start : start + 500])
        marks = ", ".join("?" for _ in chunk)
        for row in tx.all(f"SELECT id, state FROM jobs WHERE id IN ({marks})", chunk):
            out[int(row["id"])] = str(row["state"])
    return out


def comms_to_classify(tx: Tx, case_id: int, kind: str, *, redo: bool) -> list[int]:
    """The case's closed, attributed communications to queue ``kind`` for.

    Without ``redo``: those with no job yet or a failed one; with it: all of them.
    """
    rows = tx.all(
        "SELECT c.id, j.state FROM communications c LEFT JOIN jobs j "
        "ON j.communication_id = c.id AND j.kind = ? "
        "WHERE c.case_id = ? AND c.status <> 'open' AND c.quarantined = 0 ORDER BY c.id",
        (kind, case_id),
    )
    return [int(r["id"]) for r in rows if redo or r["state"] in (None, "failed")]


def pending(tx: Tx, case_id: int, kind: str) -> list[int]:
    """The case's jobs of ``kind`` that are queued or running."""
    rows = tx.all(
        "SELECT id FROM jobs WHERE case_id = ? AND kind = ? AND state IN ('queued', 'running') "
        "ORDER BY id",
        (case_id, kind),
    )
    return [int(r["id"]) for r in rows]


def of_case(tx: Tx, case_id: int, kind: str) -> dict[int, str]:
    """The case's jobs of ``kind``: job id -> state."""
    rows = tx.all("SELECT id, state FROM jobs WHERE case_id = ? AND kind = ? ORDER BY id",
                  (case_id, kind))  # fmt: skip
    return {int(r["id"]): str(r["state"]) for r in rows}


# --- the dramatiq executor's bookkeeping ---------------------------------------------


def to_publish(
    tx: Tx, *, republish_seconds: float, at: datetime | None = None, limit: int = 500
) -> list[int]:
    """Jobs whose id should go to the broker now.

    Due queued jobs never published (new, retried, or queued while the broker was down),
    due jobs published longer than ``republish_seconds`` ago and not yet claimed (the
    message was lost), and running jobs whose lease ran out (their worker died; its
    message may already have been consumed as a no-op).
    """
    moment = at or now()
    when = to_text(moment)
    stale = to_text(moment - timedelta(seconds=republish_seconds))
    rows = tx.all(
        f"SELECT id FROM jobs WHERE ({_DUE}) AND (published_at IS NULL OR published_at < ?) "
        f"ORDER BY not_before, id LIMIT {int(limit)}",
        (when, when, stale),
    )
    return [int(r["id"]) for r in rows]


def mark_published(
    tx: Tx, job_ids: Sequence[int], *, at: datetime | None = None, clear: bool = False
) -> None:
    """Record that the jobs' ids were sent now (``clear``: that they could not be)."""
    when = None if clear else to_text(at or now())
    for job_id in job_ids:
        tx.execute("UPDATE jobs SET published_at = ? WHERE id = ?", (when, job_id))
