"""Appending to the audit log, signing checkpoints, reading entries back.

:func:`append` runs inside the caller's write transaction, so that the change it records
and the entry commit together, with the Merkle tree's nodes that the entry completes
(:mod:`custodio.audit.tree`). The chain head is read inside that transaction; on
PostgreSQL an advisory lock serialises appends from several processes, on SQLite the
writer's ``BEGIN IMMEDIATE`` already does. All of the log's SQL is here and in ``tree``.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from custodio.audit import tree
from custodio.audit.entry import GENESIS_HASH, Checkpoint, Entry, Event
from custodio.crypto import merkle
from custodio.crypto.signing import Signer
from custodio.db import Database, Tx
from custodio.db.engine import Row
from custodio.db.times import now_text
from custodio.errors import AuditIntegrityError

logger = logging.getLogger(__name__)

_PG_LOCK = 0x4355535441554454  # "CUSTAUDT"
_COLUMNS = (
    "seq, time, agency_id, actor_id, actor, action, outcome, target, case_id, purpose, "
    "details, prev_hash, entry_hash"
)
PAGE = 10_000
BACKFILL_BATCH = 50_000


def append(tx: Tx, event: Event) -> Entry:
    """Add ``event`` to the log inside the open write transaction ``tx``."""
    _lock(tx)
    head = tx.one(
        "SELECT seq, entry_hash, (SELECT done FROM audit_nodes_backfill) AS backfill "
        "FROM audit_entries ORDER BY seq DESC LIMIT 1"
    )
    if head is not None and head["backfill"] is not None:  # the log predates the stored tree
        tree.catch_up(tx)
    seq, prev = (1, GENESIS_HASH) if head is None else (int(head["seq"]) + 1, head["entry_hash"])
    entry = Entry(seq=seq, time=now_text(), event=event, prev_hash=prev)
    entry_hash = entry.hash()
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
            entry_hash,
        ),
    )
    tree.add(tx, seq, entry_hash, prev)
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


def iter_rows(db: Database, after: int = 0, upto: int | None = None) -> Iterator[list[Row]]:
    """The entry rows after ``after`` (up to ``upto``) in order of ``seq``, a page at a time."""
    last = upto if upto is not None else 2**63 - 1
    sql = f"SELECT {_COLUMNS} FROM audit_entries WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?"
    while after < last:
        rows = db.read(functools.partial(Tx.all, sql=sql, params=(after, last, PAGE)))
        if rows:
            yield rows
        if len(rows) < PAGE:
            return
        after = int(rows[-1]["seq"])


def last_entry(tx: Tx, action: str, target: str) -> tuple[Entry, str] | None:
    """The newest entry of ``action`` on ``target`` (e.g. a communication's seal), with the
    hash stored beside it (which a check compares to the entry's own)."""
    row = tx.one(
        f"SELECT {_COLUMNS} FROM audit_entries WHERE target = ? AND action = ? "
        "ORDER BY seq DESC LIMIT 1",
        (target, action),
    )
    return None if row is None else (entry_from_row(row), str(row["entry_hash"]))


def size(tx: Tx) -> int:
    """How many entries the log holds."""
    return int(tx.scalar("SELECT COALESCE(MAX(seq), 0) FROM audit_entries"))


def checkpoint(db: Database, signer: Signer, log_id: str) -> Checkpoint | None:
    """Sign the root of the whole log, unless the newest checkpoint already covers it.

    The root comes from the stored tree (O(log n) rows). Before signing, the consistency
    proof from the newest checkpoint must verify against its signed root: the signer never
    signs a tree that does not extend the one it signed before.
    """

    def make(tx: Tx) -> Checkpoint | None:
        _lock(tx)
        tree.catch_up(tx)
        n, last = size(tx), latest_checkpoint(tx, log_id)
        if n == 0 or (last is not None and n <= last.size):
            return None
        root = tree.root(tx, n)
        if last is not None:
            _check_extends(last, n, root, tree.consistency_proof(tx, last.size, n))
        cp = Checkpoint(log_id, n, root.hex(), now_text(), signer.key_id)
        signed = replace(cp, signature=signer.sign(cp.signed_message()).hex())
        tx.execute(
            "INSERT INTO audit_checkpoints (size, root, time, key_id, signature) "
            "VALUES (?, ?, ?, ?, ?)",
            (signed.size, signed.root, signed.time, signed.key_id, signed.signature),
        )
        return signed

    return db.write(make)


def _check_extends(last: Checkpoint, n: int, root: bytes, proof: list[bytes]) -> None:
    if not merkle.verify_consistency(last.size, n, bytes.fromhex(last.root), root, proof):
        raise AuditIntegrityError(
            f"the audit log no longer extends its checkpoint at entry {last.size}: "
            "no new checkpoint was signed",
            hint="run `custodio audit verify` to find what was changed",
        )


def latest_checkpoint(tx: Tx, log_id: str) -> Checkpoint | None:
    row = tx.one("SELECT * FROM audit_checkpoints ORDER BY size DESC LIMIT 1")
    return None if row is None else _checkpoint(row, log_id)


def iter_checkpoints(
    db: Database, log_id: str, after: int = 0, upto: int | None = None
) -> Iterator[Checkpoint]:
    """The checkpoints of sizes after ``after`` (up to ``upto``), smallest first, paged."""
    last = upto if upto is not None else 2**63 - 1
    while True:
        sql = "SELECT * FROM audit_checkpoints WHERE size > ? AND size <= ? ORDER BY size LIMIT ?"
        rows = db.read(functools.partial(Tx.all, sql=sql, params=(after, last, PAGE)))
        yield from (_checkpoint(r, log_id) for r in rows)
        if len(rows) < PAGE:
            return
        after = int(rows[-1]["size"])


def first_checkpoint_after(tx: Tx, log_id: str, size: int) -> Checkpoint | None:
    """The smallest checkpoint over more than ``size`` entries (after a truncation)."""
    row = tx.one("SELECT * FROM audit_checkpoints WHERE size > ? ORDER BY size LIMIT 1", (size,))
    return None if row is None else _checkpoint(row, log_id)


def _checkpoint(row: Row, log_id: str) -> Checkpoint:
    return Checkpoint(
        log_id, int(row["size"]), row["root"], row["time"], row["key_id"], row["signature"]
    )


def build_tree(db: Database) -> int:
    """Build the stored tree of a log written before it existed, in batches; entries done.

    A no-op (one read) on any catalog created or already opened by this version.
    """
    pending = db.read(tree.backfill_done)
    if pending is None:
        return 0
    total = db.read(size)
    logger.info("audit log: building the Merkle tree of %d entries (from %d)", total, pending)

    def batch(tx: Tx) -> bool:
        _lock(tx)
        return tree.catch_up(tx, BACKFILL_BATCH)

    while not db.write(batch):
        pass
    logger.info("audit log: Merkle tree built")
    return total - pending


def _lock(tx: Tx) -> None:
    if tx.dialect == "postgresql":
        tx.execute("SELECT pg_advisory_xact_lock(?)", (_PG_LOCK,))


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
