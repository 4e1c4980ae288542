"""Audit entries appended per second from 8 concurrent clients, each durable on return.

Custodio's path: every client calls ``audit.record`` (one write transaction through the
catalog's single writer, group commit: whatever is waiting commits together, one fsync).
The peer, in the same run: the plain way — each client its own connection, one
transaction and one commit (fsync) per entry, the same chain-head read and insert.
Rounds alternate the two; medians and the ratio are printed.

    .venv/bin/python benchmarks/audit_append.py [--seconds 3] [--rounds 3] [--clients 8]
        [--pg postgresql://postgres@127.0.0.1/custodio_test]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg

from custodio import audit
from custodio.audit.entry import GENESIS_HASH, Entry, Event
from custodio.db import Database, migrate
from custodio.db.engine import Tx, Url, connect
from custodio.db.times import now_text


def event(i: int) -> Event:
    return Event(
        action="content.read",
        outcome="allowed",
        target=f"comm:{i}",
        actor="inv1",
        actor_id=3,
        agency_id=1,
        case_id=1,
        purpose="escucha",
        details={"bytes": 4096},
    )


def drive(clients: int, seconds: float, append: Callable[[int], None]) -> float:
    """Run ``clients`` threads appending for ``seconds``; entries per second."""
    counts = [0] * clients
    stop = time.monotonic() + seconds

    def client(k: int) -> None:
        while time.monotonic() < stop:
            append(k * 10_000_000 + counts[k])
            counts[k] += 1

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / (time.monotonic() - start)


def custodio_rate(url: str, clients: int, seconds: float) -> float:
    with Database(url) as db:
        migrate.upgrade(db)
        return drive(clients, seconds, lambda i: audit.record(db, event(i)) and None)


def naive_rate(url: str, clients: int, seconds: float) -> float:
    """One connection per client, one transaction (one fsync) per entry."""
    parsed = Url.parse(url)
    with Database(url) as db:
        migrate.upgrade(db)
    conns = [connect(parsed) for _ in range(clients)]

    def append(i: int) -> None:
        tx = Tx(conns[i // 10_000_000], parsed.dialect)
        for _ in range(100):  # SQLite may answer "busy" to a racing BEGIN IMMEDIATE
            try:
                tx.execute("BEGIN IMMEDIATE" if parsed.dialect == "sqlite" else "BEGIN")
                break
            except Exception:
                time.sleep(0.001)
        if parsed.dialect == "postgresql":
            tx.execute("SELECT pg_advisory_xact_lock(1)")
        head = tx.one("SELECT seq, entry_hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
        seq, prev = (1, GENESIS_HASH) if head is None else (head["seq"] + 1, head["entry_hash"])
        e = Entry(seq, now_text(), event(i), prev)
        tx.execute(
            "INSERT INTO audit_entries (seq, time, agency_id, actor_id, actor, action, outcome,"
            " target, case_id, purpose, details, prev_hash, entry_hash)"
            " VALUES (?, ?, 1, 3, 'inv1', 'content.read', 'allowed', ?, 1, 'escucha', '{}', ?, ?)",
            (seq, e.time, e.event.target, prev, e.hash()),
        )
        tx.execute("COMMIT")

    try:
        return drive(clients, seconds, append)
    finally:
        for c in conns:
            c.close()


def sqlite_url(tmp: Path) -> str:
    return f"sqlite:///{tmp / f'{uuid.uuid4().hex}.sqlite3'}"


def pg_url(base: str) -> tuple[str, Callable[[], None]]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")

    def drop() -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")

    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}", drop


def measure(
    name: str, make_url: Callable[[], tuple[str, Callable[[], None]]], args: argparse.Namespace
) -> None:
    ours, peer = [], []
    for _ in range(args.rounds):
        for fn, into in ((custodio_rate, ours), (naive_rate, peer)):
            url, cleanup = make_url()
            try:
                into.append(fn(url, args.clients, args.seconds))
            finally:
                cleanup()
    ours_m, peer_m = statistics.median(ours), statistics.median(peer)
    print(
        f"{name}: custodio group commit  median {ours_m:8.0f} entries/s  "
        f"rounds {[round(x) for x in ours]}"
    )
    print(
        f"{name}: one commit per entry   median {peer_m:8.0f} entries/s  "
        f"rounds {[round(x) for x in peer]}"
    )
    print(f"{name}: ratio {ours_m / peer_m:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1/custodio_test")
    args = parser.parse_args()
    print(f"{args.clients} clients, {args.rounds} rounds of {args.seconds:g} s each, alternating")
    with tempfile.TemporaryDirectory(dir=".") as tmp:
        measure("sqlite", lambda: (sqlite_url(Path(tmp)), lambda: None), args)
    measure("postgresql", lambda: pg_url(args.pg), args)


if __name__ == "__main__":
    main()
