"""The audit log's costs against its size: they should not grow with it.

For each size (10⁴, 10⁵, 10⁶ entries by default; 10⁷ with ``--sizes``) the script builds a
log through the project's own ``audit.log.append``, 10,000 entries per write transaction
(one entry in 1,000 a ``comm.closed`` seal of a communication), signs a checkpoint, and
keeps the catalog in ``--dir`` so later runs reuse it. Then, in a fresh process per size:

- append: one ``audit.record`` (its own durable transaction), median of 50;
- checkpoint: ``audit.log.checkpoint`` after one new entry; and with no new entry;
- inclusion proof: the audit path of an entry under the newest checkpoint, for entries at
  1/6, 2/6, … 5/6 of the log (the median over all);
- consistency proof: from those five sizes to the newest checkpoint;
- seal check: the audit part of ``custodio comms seal`` for the oldest communication
  (``access.comms._seal_facts``: find its seal entry, the checkpoint, the proof), in the
  catalog writer as the service runs it;
- incremental verify: ``audit.verify`` with a memory of the log as it stood, after 1,000
  new entries (the code before has no incremental run: its full verify is timed);

each repeated ``--reps`` times (median), and the process's peak RSS (``ru_maxrss``: the
Python heap, SQLite's page cache and all) after them. With ``--full-verify`` a full
``audit verify`` runs in a process of its own too (time and peak RSS).

The same script measures the code before (no stored tree): run it with that code first on
PYTHONPATH and another ``--dir``; what it lacks (a consistency proof) prints as "-".

    .venv/bin/python benchmarks/audit_scale.py [--sizes 10000,100000,1000000]
        [--dir /tmp/audit-scale] [--reps 5] [--full-verify] [--pg URL]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from custodio import audit
from custodio.access import comms as access_comms  # the service's seal check
from custodio.audit import log, verify
from custodio.audit.entry import Event
from custodio.crypto import merkle, signing
from custodio.db import Database, Tx, migrate

try:  # the code after: the stored tree
    from custodio.audit import tree
except ImportError:  # the code before
    tree = None  # type: ignore[assignment]

BATCH = 10_000
SEAL_EVERY = 1_000
LOG_ID = "5f0c6bd4-3e1a-4c7e-9a55-0d3b8f2e7c11"
OPS = ["append", "checkpoint", "checkpoint, none new", "inclusion proof",
       "consistency proof", "seal check", "incremental verify"]  # fmt: skip


def event(i: int) -> Event:
    if i % SEAL_EVERY == 0:
        comm = i // SEAL_EVERY + 1
        return Event(action="comm.closed", outcome="allowed", target=f"communication:{comm}",
                     actor="system", agency_id=1, case_id=1,
                     details={"seal": "ab" * 32, "seal_version": 1, "parts": 3})  # fmt: skip
    return Event(action="content.read", outcome="allowed", target=f"communication:{i % 997}",
                 actor="inv1", actor_id=3, agency_id=1, case_id=1, purpose="escucha",
                 details={"bytes": 4096})  # fmt: skip


def append_many(db: Database, start: int, count: int) -> None:
    def write(tx: Tx) -> None:
        for i in range(start, start + count):
            log.append(tx, event(i))

    db.write(write)


# --- in the child process -------------------------------------------------------------


def build(url: str, key: Path, size: int) -> dict[str, Any]:
    signer = signing.generate(key)
    started = time.perf_counter()
    with Database(url) as db:
        migrate.upgrade(db)
        db.write(lambda tx: tx.execute(
            "INSERT INTO meta (key, value) VALUES ('audit_log_id', ?), ('audit_public_key', ?)",
            (LOG_ID, signer.public_key.hex()),
        ))  # fmt: skip
        for start in range(0, size, BATCH):
            append_many(db, start, min(BATCH, size - start))
        audit.checkpoint(db, signer, LOG_ID)
    return {"build_s": time.perf_counter() - started}


def timed(fn: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def timed_each(fns: list[Callable[[], object]], reps: int) -> float:
    """The median over ``reps`` rounds of each of ``fns``."""
    times = []
    for _ in range(reps):
        for fn in fns:
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def operations(url: str, key: Path, state: Path, reps: int) -> dict[str, Any]:
    signer = signing.load(key)
    out: dict[str, Any] = {}
    with Database(url) as db:
        size = db.read(lambda tx: int(tx.scalar("SELECT MAX(seq) FROM audit_entries")))
        out["entries"] = size
        out["append"] = timed(lambda: audit.record(db, event(1)), 50)
        out["checkpoint"] = time_checkpoint(db, signer, reps)
        out["checkpoint, none new"] = timed(lambda: log.checkpoint(db, signer, LOG_ID), reps)
        cp = db.read(lambda tx: int(tx.scalar("SELECT MAX(size) FROM audit_checkpoints")))
        points = [cp * k // 6 for k in range(1, 6)]  # five places along the log
        out["inclusion proof"] = timed_each(
            [lambda i=i: db.read(lambda tx: inclusion(tx, i, cp)) for i in points], reps
        )
        out["consistency proof"] = (
            None if tree is None
            else timed_each([lambda m=m: db.read(lambda tx: tree.consistency_proof(tx, m, cp))
                             for m in points], reps)
        )  # fmt: skip
        facts = db.write(lambda tx: access_comms._seal_facts(tx, 1))
        assert facts.inclusion is not None and facts.checkpoint is not None
        assert facts.inclusion.root == facts.checkpoint.root, "the seal is not proven"
        out["seal check"] = timed(
            lambda: db.write(lambda tx: access_comms._seal_facts(tx, 1)), reps
        )
        out["incremental verify"] = incremental_verify(db, signer, state, reps)
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def time_checkpoint(db: Database, signer: signing.Signer, reps: int) -> float:
    """A checkpoint after one new entry (it signs a new root every time)."""
    times = []
    for _ in range(reps):
        audit.record(db, event(2))
        started = time.perf_counter()
        assert log.checkpoint(db, signer, LOG_ID) is not None
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def inclusion(tx: Tx, index: int, size: int) -> list[bytes]:
    if tree is not None:
        return tree.inclusion_proof(tx, index, size)
    rows = tx.all("SELECT entry_hash FROM audit_entries WHERE seq <= ? ORDER BY seq", (size,))
    return merkle.inclusion_proof([bytes.fromhex(r["entry_hash"]) for r in rows], index)


def incremental_verify(db: Database, signer: signing.Signer, state: Path, reps: int) -> float:
    """Remember the log as it stands (what a previous run would have), add 1,000, verify."""
    key = signer.public_key
    if tree is None:  # the code before: every run is a full one
        verify.verify(db, log_id=LOG_ID, public_key=key, state_dir=state)

        def run() -> object:
            return verify.verify(db, log_id=LOG_ID, public_key=key, state_dir=state)
    else:
        remember(db, signer, state)

        def run() -> object:
            return verify.verify(db, log_id=LOG_ID, public_key=key, state_dir=state, full=False)

    times = []
    for _ in range(reps):
        append_many(db, 0, 1_000)
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def remember(db: Database, signer: signing.Signer, state: Path) -> None:
    """Write the memory a verification of the log as it stands would have left."""
    size = db.read(lambda tx: int(tx.scalar("SELECT MAX(seq) FROM audit_entries")))
    root = db.read(lambda tx: tree.root(tx, size)).hex()
    head = db.read(lambda tx: tree.subtree(tx, 0, size - 1)).hex()
    remembered = verify.State(LOG_ID, signer.key_id, size, root, head)
    state.mkdir(parents=True, exist_ok=True)
    (state / f"audit-{LOG_ID}.json").write_text(json.dumps(remembered.__dict__))


def full_verify(url: str, key: Path, state: Path) -> dict[str, Any]:
    signer = signing.load(key)
    with Database(url) as db:
        started = time.perf_counter()
        report = verify.verify(db, log_id=LOG_ID, public_key=signer.public_key, state_dir=state)
        seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"full_verify_s": seconds, "entries": report.entries, "peak_rss_mib": rss}


def child(args: argparse.Namespace) -> None:
    key, state = Path(args.key), Path(args.state)
    if args.child == "build":
        result = build(args.url, key, args.size)
    elif args.child == "ops":
        result = operations(args.url, key, state, args.reps)
    else:
        result = full_verify(args.url, key, Path(tempfile.mkdtemp()))
    print(json.dumps(result))


# --- the parent ------------------------------------------------------------------------


def run_child(what: str, url: str, where: Path, size: int, reps: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", what, "--url", url, "--size", str(size)]
    cmd += ["--key", str(where / "key"), "--state", str(where / "state"), "--reps", str(reps)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=os.environ)
    if done.returncode != 0:
        raise SystemExit(f"{what} at {size} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def catalog(base: Path, size: int, pg: str | None) -> tuple[str, Path]:
    where = base / f"log-{size}"
    if pg is None:
        return f"sqlite:///{where / 'catalog.sqlite3'}", where
    schema_file = where / "pg-schema"
    if not schema_file.exists():
        where.mkdir(parents=True, exist_ok=True)
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(pg, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        schema_file.write_text(schema)
    sep = "&" if "?" in pg else "?"
    return f"{pg}{sep}options=-csearch_path%3D{schema_file.read_text()}", where


def measure(size: int, args: argparse.Namespace) -> dict[str, Any]:
    url, where = catalog(Path(args.dir), size, args.pg)
    row: dict[str, Any] = {"size": size}
    if not (where / "built").exists():
        where.mkdir(parents=True, exist_ok=True)
        row["build_s"] = run_child("build", url, where, size, args.reps)["build_s"]
        (where / "built").write_text(json.dumps(row))
        print(f"built {size:,} entries in {row['build_s']:.1f} s", flush=True)
    row |= run_child("ops", url, where, size, args.reps)
    if args.full_verify:
        full = run_child("full", url, where, size, args.reps)
        row["full verify"], row["full_verify_rss_mib"] = full["full_verify_s"], full["peak_rss_mib"]
    print(json.dumps(row), flush=True)
    return row


def show(rows: list[dict[str, Any]]) -> None:
    ops = [*OPS, *(["full verify"] if "full verify" in rows[0] else [])]
    print(f"\n{'operation':24}" + "".join(f"{r['size']:>14,}" for r in rows) + "   last/first")
    for op in ops:
        cells = [r.get(op) for r in rows]
        line = f"{op:24}" + "".join(f"{_ms(c):>14}" for c in cells)
        first, last = cells[0], cells[-1]
        ratio = f"{last / first:8.2f}x" if first and last else "       -"
        print(line + "   " + ratio)
    rss = [r["peak_rss_mib"] for r in rows]
    print(
        f"{'peak RSS (MiB)':24}"
        + "".join(f"{x:>14.0f}" for x in rss)
        + f"   {rss[-1] / rss[0]:8.2f}x"
    )
    if "full_verify_rss_mib" in rows[0]:
        rss = [r["full_verify_rss_mib"] for r in rows]
        print(f"{'full verify RSS (MiB)':24}" + "".join(f"{x:>14.0f}" for x in rss))


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--dir", default=str(Path(tempfile.gettempdir()) / "audit-scale"))
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--full-verify", action="store_true")
    parser.add_argument("--pg", help="a PostgreSQL URL: each size in a schema of its own")
    parser.add_argument("--child", choices=["build", "ops", "full"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--state", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    code = "the code after (stored tree)" if tree is not None else "the code before (no tree)"
    print(f"{code}; catalogs in {args.dir}; {args.reps} repetitions, medians", flush=True)
    show([measure(int(s), args) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main()
