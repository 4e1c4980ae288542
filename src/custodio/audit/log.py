"""Appending to the audit log, signing checkpoints, reading entries back.

:func:`append` runs inside the caller's write transaction, so that the change it records
and the entry commit together. The chain head is read inside that transaction; on
PostgreSQL an advisory lock serialises appends from several processes, on SQLite the
writer's ``BEGIN IMMEDIATE`` already does.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from custodio.audit.entry import GENESIS_HASH, Checkpoint, Entry, Event
from custodio.crypto import merkle
from custodio.crypto.signing import Signer
from custodio.db import Database, Row, Tx
from custodio.db.times import now_text

_PG_LOCK = 0x4355535441554454  # "CUSTAUDT"
_COLUMNS = (
    "seq, time, agency_id, actor_id, actor, action, outcome, target, case_id, purpose, "
    "details, prev_hash, entry_hash"
)
PAGE = 10_000


def append(tx: Tx, event: Event) -> Entry:
    """Add ``event`` to the log inside the open write transaction ``tx``."""
    if tx.dialect == "postgresql":
        tx.execute("SELECT pg_advisory_xact_lock(?)", (_PG_LOCK,))
    head = tx.one("SELECT seq, entry_hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
    seq, prev = (1, GENESIS_HASH) if head is None else (int(head["seq"]) + 1, head["entry_hash"])
    entry = Entry(seq=seq, time=now_text(), event=event, prev_hash=prev)
    e = event
    tx.execute(
        f"INSERT INTO audit_entries ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entry.seq,
            entry.time,
            e.agency_id,
            e.actor_id,
            e.actor,
            e.action,
            e.outcome,
            e.target,
            e.case_id,
            e.purpose,
            _details_text(e.details),
            entry.prev_hash,
            entry.hash(),
        ),
    )
    return entry


def record(db: Database, event: Event) -> Entry:
    """Append ``event`` in a transaction of its own (for denials and service events)."""
    return db.write(lambda tx: append(tx, event))


def entry_from_row(row: Row) -> Entry:
    event = Event(
        action=row["action"],
        outcome=row["outcome"],
        target=row["target"],
        actor=row["actor"],
        actor_id=_opt_int(row["actor_id"]),
        agency_id=_opt_int(row["agency_id"]),
        case_id=_opt_int(row["case_id"]),
        purpose=row["purpose"],
        details=json.loads(row["details"]),
    )
    return Entry(seq=int(row["seq"]), time=row["time"], event=event, prev_hash=row["prev_hash"])


def iter_rows(db: Database) -> Iterator[Row]:
    """Every entry row in order of ``seq``, a page at a time."""
    after = 0
    while True:
        sql = f"SELECT {_COLUMNS} FROM audit_entries WHERE seq > ? ORDER BY seq LIMIT ?"
        rows = db.read(functools.partial(Tx.all, sql=sql, params=(after, PAGE)))
        yield from rows
        if len(rows) < PAGE:
            return
        after = int(rows[-1]["seq"])


def checkpoint(db: Database, signer: Signer, log_id: str) -> Checkpoint | None:
    """Sign the root of the whole log, unless the newest checkpoint already covers it."""

    def make(tx: Tx) -> Checkpoint | None:
        if tx.dialect == "postgresql":
            tx.execute("SELECT pg_advisory_xact_lock(?)", (_PG_LOCK,))
        last = tx.scalar("SELECT COALESCE(MAX(size), 0) FROM audit_checkpoints")
        frontier = merkle.Frontier()
        for row in tx.all("SELECT entry_hash FROM audit_entries ORDER BY seq"):
            frontier.append(bytes.fromhex(row["entry_hash"]))
        if frontier.size == 0 or frontier.size <= int(last):
            return None
        cp = Checkpoint(log_id, frontier.size, frontier.root().hex(), now_text(), signer.key_id)
        signed = replace(cp, signature=signer.sign(cp.signed_message()).hex())
        tx.execute(
            "INSERT INTO audit_checkpoints (size, root, time, key_id, signature) "
            "VALUES (?, ?, ?, ?, ?)",
            (signed.size, signed.root, signed.time, signed.key_id, signed.signature),
        )
        return signed

    return db.write(make)


def checkpoints(db: Database, log_id: str) -> list[Checkpoint]:
    rows = db.read(lambda tx: tx.all("SELECT * FROM audit_checkpoints ORDER BY size"))
    return [
        Checkpoint(log_id, int(r["size"]), r["root"], r["time"], r["key_id"], r["signature"])
        for r in rows
    ]


def query(
    db: Database, *, agency_id: int | None, case_id: int | None = None, limit: int = 1000
) -> list[Entry]:
    """The newest ``limit`` entries of an agency (or of one case), oldest first.

    An agency's entries include the platform's own (no agency: service start and stop,
    logins under unknown names), which every agency's auditors may see.
    """
    where, params = ["1 = 1"], []
    if agency_id is not None:
        where.append("(agency_id = ? OR agency_id IS NULL)")
        params.append(agency_id)
    if case_id is not None:
        where.append("case_id = ?")
        params.append(case_id)
    sql = (
        f"SELECT {_COLUMNS} FROM audit_entries WHERE {' AND '.join(where)} "
        "ORDER BY seq DESC LIMIT ?"
    )
    rows = db.read(lambda tx: tx.all(sql, (*params, limit)))
    return [entry_from_row(r) for r in reversed(rows)]


def _details_text(details: dict[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)
