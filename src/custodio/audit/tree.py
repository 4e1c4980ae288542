"""The audit log's Merkle tree as stored: the root of every perfect subtree, kept per append.

The subtree ``(level, index)`` covers entries ``index·2^level + 1`` to ``(index+1)·2^level``
(docs/formats/audit.md, "Stored tree"). Level 0 is one entry: its ``entry_hash``. Levels 1
and up are rows of ``audit_nodes``, each written in the transaction of the entry that
completes it, so the table always holds exactly the subtrees of the log as it stands.

- :func:`add` (with every append) reads only the left siblings it joins and writes one
  node on average, at most log2 n;
- :func:`root` and the proofs read at most 2·log2 n subtrees (``crypto/merkle.py`` says
  which), in one query per table, whatever the log's size.

Nothing here reads the whole log except :func:`catch_up`, which builds the tree of a log
written before the table existed.
"""

from __future__ import annotations

from custodio.audit.entry import GENESIS_HASH
from custodio.crypto import merkle
from custodio.db import Tx
from custodio.errors import AuditIntegrityError

PAGE = 10_000


def add(tx: Tx, seq: int, entry_hash: str, prev_hash: str) -> None:
    """Store the subtrees that entry ``seq`` completes (``prev_hash``: entry seq-1's)."""
    index, node, level = seq - 1, bytes.fromhex(entry_hash), 0
    while index >> level & 1:  # a right child: its left sibling is complete, so is the parent
        left = bytes.fromhex(prev_hash) if level == 0 else subtree(tx, level, (index >> level) - 1)
        node, level = merkle.node_hash(left, node), level + 1
        tx.execute(
            "INSERT INTO audit_nodes (level, idx, hash) VALUES (?, ?, ?)",
            (level, index >> level, node.hex()),
        )


def subtree(tx: Tx, level: int, index: int) -> bytes:
    """The stored root of the subtree ``(level, index)``."""
    if level == 0:
        found = tx.scalar("SELECT entry_hash FROM audit_entries WHERE seq = ?", (index + 1,))
    else:
        sql = "SELECT hash FROM audit_nodes WHERE level = ? AND idx = ?"
        found = tx.scalar(sql, (level, index))
    if found is None:
        raise _missing(level, index)
    return bytes.fromhex(found)


def roots(tx: Tx, ranges: list[tuple[int, int]]) -> list[bytes]:
    """MTH of each leaf range ``(start, count)`` (0-based), from stored subtrees.

    Every subtree the ranges need is read in one query per table.
    """
    parts = [merkle.subtrees(start, count) for start, count in ranges]
    found = _stored(tx, {s for part in parts for s in part})
    return [merkle.fold([found[s] for s in part]) for part in parts]


def root(tx: Tx, size: int) -> bytes:
    """The root over the first ``size`` entries: what a checkpoint of that size signs."""
    return roots(tx, [(0, size)])[0]


def frontier(tx: Tx, size: int) -> list[bytes]:
    """The roots of the perfect subtrees that make up the first ``size`` entries."""
    wanted = merkle.subtrees(0, size)
    found = _stored(tx, set(wanted))
    return [found[s] for s in wanted]


def inclusion_proof(tx: Tx, index: int, size: int) -> list[bytes]:
    """RFC 6962 PATH(index, D[size]): the audit path of leaf ``index`` (entry index+1)."""
    return roots(tx, merkle.inclusion_ranges(index, size))


def consistency_proof(tx: Tx, old: int, new: int) -> list[bytes]:
    """RFC 6962 PROOF(old, D[new]): the first ``new`` entries extend the first ``old``."""
    return roots(tx, merkle.consistency_ranges(old, new))


def _stored(tx: Tx, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The stored roots of the subtrees ``wanted``; a missing one is an integrity error."""
    leaves = [index + 1 for level, index in wanted if level == 0]
    nodes = [(level, index) for level, index in wanted if level > 0]
    found: dict[tuple[int, int], bytes] = {}
    if leaves:
        marks = ", ".join("?" * len(leaves))
        sql = f"SELECT seq, entry_hash FROM audit_entries WHERE seq IN ({marks})"
        for r in tx.all(sql, leaves):
            found[0, int(r["seq"]) - 1] = bytes.fromhex(r["entry_hash"])
    if nodes:
        where = " OR ".join(["(level = ? AND idx = ?)"] * len(nodes))
        params = [value for node in nodes for value in node]
        for r in tx.all(f"SELECT level, idx, hash FROM audit_nodes WHERE {where}", params):
            found[int(r["level"]), int(r["idx"])] = bytes.fromhex(r["hash"])
    missing = sorted(wanted - found.keys())
    if missing:
        raise _missing(*missing[0])
    return found


def _missing(level: int, index: int) -> AuditIntegrityError:
    first, last = (index << level) + 1, (index + 1) << level
    return AuditIntegrityError(
        f"the audit log's Merkle tree lacks the node over entries {first}..{last}",
        hint="run `custodio audit verify` (not --incremental) to find what was removed",
    )


def stored_nodes(tx: Tx, first: int, last: int) -> dict[tuple[int, int], str]:
    """Every stored node completed by the leaves ``first..last`` (0-based), by (level, idx).

    Leaf ``i`` completes ``(level, i >> level)`` when ``i + 1`` is a multiple of 2^level;
    the ranges below hold those and at most one more per level.
    """
    found: dict[tuple[int, int], str] = {}
    for level in range(1, (last + 1).bit_length()):
        rows = tx.all(
            "SELECT idx, hash FROM audit_nodes WHERE level = ? AND idx >= ? AND idx < ?",
            (level, first >> level, (last + 1) >> level),
        )
        found.update({(level, int(r["idx"])): r["hash"] for r in rows})
    return found


# --- a log written before schema version 7 -------------------------------------------


def backfill_done(tx: Tx) -> int | None:
    """How many entries have their nodes, while a backfill is pending; None once complete."""
    done = tx.scalar("SELECT done FROM audit_nodes_backfill")
    return None if done is None else int(done)


def catch_up(tx: Tx, limit: int | None = None) -> bool:
    """Build the nodes of up to ``limit`` more entries of a pending backfill; True if done."""
    done = backfill_done(tx)
    if done is None:
        return True
    head = int(tx.scalar("SELECT COALESCE(MAX(seq), 0) FROM audit_entries"))
    upto = head if limit is None else min(head, done + limit)
    prev = GENESIS_HASH if done == 0 else subtree(tx, 0, done - 1).hex()
    while done < upto:
        rows = tx.all(
            "SELECT seq, entry_hash FROM audit_entries WHERE seq > ? AND seq <= ? "
            "ORDER BY seq LIMIT ?",
            (done, upto, PAGE),
        )
        for row in rows:
            seq, entry_hash = int(row["seq"]), str(row["entry_hash"])
            if seq != done + 1:
                raise AuditIntegrityError(f"audit entry {done + 1} is missing")
            add(tx, seq, entry_hash, prev)
            done, prev = seq, entry_hash
    if done == head:
        tx.execute("DELETE FROM audit_nodes_backfill")
        return True
    tx.execute("UPDATE audit_nodes_backfill SET done = ?", (done,))
    return False
