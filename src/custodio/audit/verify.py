"""``custodio audit verify``: check the chain, every checkpoint, the stored tree, and what we
saw before.

A **full** run streams the log once, a page at a time (its memory does not grow with the
log). For each entry it recomputes the hash from the stored fields (an edit shows), checks
the sequence (a deletion shows) and the link to the previous entry (a reordering shows),
and rebuilds the Merkle tree. It checks every checkpoint's signature and that the rebuilt
root of the first ``size`` entries is the signed root (a rewritten, re-chained history
shows), that no checkpoint counts more entries than the log holds (a truncation shows),
and that the log still holds the size and root it verified last time, kept outside the
catalog (a log that shrank or forked shows). Last, every stored node of the tree must be
the rebuilt one: the service's proofs are read from those.

An **incremental** run (``full=False``) starts where the last successful run stopped. The
stored subtrees over the entries verified then must still fold to the root remembered, and
the last of those entries must still have the hash remembered (the log still extends what
was verified); then the entries, nodes and checkpoints added since are checked as in a
full run. It does not re-read older entries: an edit that leaves an old entry's stored hash
and the tree alone is found by a full run, or when that entry is proven (a seal check
recomputes the entry's hash).

Either run remembers the new size, root and last entry hash only on success.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from custodio.audit import log, tree
from custodio.audit.entry import GENESIS_HASH, Checkpoint
from custodio.crypto import merkle, signing
from custodio.db import Database, Tx
from custodio.db.engine import Row
from custodio.errors import AuditIntegrityError, CatalogError


@dataclass(frozen=True)
class Report:
    entries: int
    checkpoints: int  # checked in this run
    root: str
    previous_size: int
    first_checked: int  # the first entry this run read: 1 in a full run


@dataclass(frozen=True)
class State:
    """What the verifier saw last time: pinned key, log size, root and last entry's hash."""

    log_id: str
    key_id: str
    size: int
    root: str
    head: str | None = None  # not in a state saved before schema 7: the next run is full


def verify(
    db: Database, *, log_id: str, public_key: bytes, state_dir: Path, full: bool = True
) -> Report:
    """Verify the log; raise :class:`AuditIntegrityError` naming the first problem."""
    state_file = state_dir / f"audit-{log_id}.json"
    previous = _load_state(state_file)
    key_id = signing.key_id(public_key)
    if previous and previous.key_id != key_id:
        raise AuditIntegrityError(
            f"the audit signing key changed: last verified with key {previous.key_id}, "
            f"now {key_id}",
            hint=f"if the key was rotated in a recorded ceremony, remove {state_file}",
        )
    size, beyond = db.read(functools.partial(_extent, log_id=log_id))
    if previous and size < previous.size:
        raise AuditIntegrityError(
            f"the log shrank from {previous.size} to {size} entries since it was last "
            f"verified (entries {size + 1}..{previous.size} are missing)"
        )
    since = previous if previous and previous.head and previous.size and not full else None
    walk = _Walk.resume(db, since) if since else _Walk(merkle.Frontier(), GENESIS_HASH)
    first = walk.frontier.size + 1
    checked = _read(db, walk, size, public_key, log_id, previous)
    if beyond is not None:
        _check_signature(beyond, public_key)
        raise AuditIntegrityError(
            f"the log was truncated: a signed checkpoint covers {beyond.size} entries but "
            f"only {size} remain (entries {size + 1}..{beyond.size} are missing)"
        )
    if walk.node_problem:
        raise AuditIntegrityError(
            walk.node_problem,
            hint="the entries and checkpoints hold: restore the catalog from a backup and "
            "find who changed it",
        )
    root = walk.frontier.root().hex()
    _save_state(state_file, State(log_id, key_id, size, root, walk.prev_hash))
    return Report(size, checked, root, previous.size if previous else 0, first)


def _extent(tx: Tx, log_id: str) -> tuple[int, Checkpoint | None]:
    """The log's size now, and a checkpoint beyond it if any (one snapshot: no race)."""
    if tree.backfill_done(tx) is not None:
        raise CatalogError(
            "the audit log's Merkle tree is still being built (a catalog from before "
            "schema version 7)",
            hint="open the catalog once with this version (any custodio command) to finish it",
        )
    size = log.size(tx)
    return size, log.first_checkpoint_after(tx, log_id, size)


def _read(
    db: Database,
    walk: _Walk,
    size: int,
    public_key: bytes,
    log_id: str,
    previous: State | None,
) -> int:
    """Stream the entries after the walk's position up to ``size``; checkpoints checked."""
    cps = log.iter_checkpoints(db, log_id, after=walk.frontier.size, upto=size)
    cp, checked = next(cps, None), 0
    for rows in log.iter_rows(db, after=walk.frontier.size, upto=size):
        first, last = int(rows[0]["seq"]) - 1, int(rows[-1]["seq"]) - 1
        stored = db.read(functools.partial(tree.stored_nodes, first=first, last=last))
        for row in rows:
            walk.entry(row, stored)
            n = walk.frontier.size
            while cp is not None and cp.size == n:
                _check_signature(cp, public_key)
                _check_root(cp, walk.frontier.root().hex())
                cp, checked = next(cps, None), checked + 1
            if previous and n == previous.size and walk.frontier.root().hex() != previous.root:
                raise _forked(previous)
    return checked


class _Walk:
    """The tree rebuilt from the entries read so far, and the first stored node that differs."""

    def __init__(self, frontier: merkle.Frontier, prev_hash: str) -> None:
        self.frontier = frontier
        self.prev_hash = prev_hash
        self.node_problem: str | None = None

    @classmethod
    def resume(cls, db: Database, state: State) -> _Walk:
        """Start after the entries ``state`` verified, if the log still extends them."""

        def read(tx: Tx) -> tuple[list[bytes], str]:
            return tree.frontier(tx, state.size), tree.subtree(tx, 0, state.size - 1).hex()

        roots, head = db.read(read)
        frontier = merkle.Frontier.resume(state.size, roots)
        if frontier.root().hex() != state.root or head != state.head:
            raise _forked(state)
        return cls(frontier, head)

    def entry(self, row: Row, stored: dict[tuple[int, int], str]) -> None:
        entry = log.entry_from_row(row)
        _check_entry(entry.seq, self.frontier.size + 1, entry.hash(), row["entry_hash"])
        if entry.prev_hash != self.prev_hash:
            raise AuditIntegrityError(
                f"audit entry {entry.seq} does not follow entry {entry.seq - 1}: "
                "the chain is broken (entries deleted or reordered)"
            )
        self.prev_hash = row["entry_hash"]
        index = self.frontier.size
        for level, node in enumerate(self.frontier.append(bytes.fromhex(self.prev_hash)), 1):
            found = stored.get((level, index >> level))
            if found != node.hex() and self.node_problem is None:
                first, last = index - (1 << level) + 2, index + 1
                self.node_problem = (
                    f"the audit log's Merkle tree node over entries {first}..{last} "
                    + ("is missing" if found is None else "was altered")
                )


def _check_entry(seq: int, expected_seq: int, computed: str, stored: str) -> None:
    if seq != expected_seq:
        which = (
            f"entry {expected_seq} is missing"
            if seq > expected_seq
            else f"entry {seq} appears out of order"
        )
        raise AuditIntegrityError(f"audit {which} (found entry {seq} where {expected_seq} belongs)")
    if computed != stored:
        raise AuditIntegrityError(
            f"audit entry {seq} was altered: its content does not match its hash"
        )


def _check_signature(cp: Checkpoint, public_key: bytes) -> None:
    if not signing.verify(public_key, bytes.fromhex(cp.signature), cp.signed_message()):
        raise AuditIntegrityError(f"the signature of the checkpoint at entry {cp.size} is invalid")


def _check_root(cp: Checkpoint, root: str) -> None:
    if root != cp.root:
        raise AuditIntegrityError(
            f"entries 1..{cp.size} do not match the signed checkpoint at entry {cp.size}: "
            "the history was rewritten"
        )


def _forked(previous: State) -> AuditIntegrityError:
    return AuditIntegrityError(
        f"the log forked: entries 1..{previous.size} differ from what was verified before"
    )


def _load_state(path: Path) -> State | None:
    if not path.exists():
        return None
    try:
        return State(**json.loads(path.read_text("utf-8")))
    except (ValueError, TypeError) as e:
        raise AuditIntegrityError(
            f"the verifier's memory {path} is unreadable: {e}",
            hint="restore it from backup; removing it makes the next run trust what it finds",
        ) from e


def _save_state(path: Path, state: State) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=2) + "\n", "utf-8")
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    tmp.replace(path)
