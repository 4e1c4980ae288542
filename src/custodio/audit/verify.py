"""``custodio audit verify``: check the chain, every checkpoint, and what we saw before.

The verifier streams the log once. For each entry it recomputes the hash from the stored
fields (an edit shows), checks the sequence (a deletion shows) and the link to the previous
entry (a reordering shows). It checks every checkpoint's signature and that the root of the
first ``size`` entries is the signed root (a rewritten, re-chained history shows), and
that no checkpoint counts more entries than the log holds (a truncation shows). Last, it
compares the log with the size and root it verified last time, kept outside the catalog
(a log that shrank or forked since shows), and remembers the new ones only on success.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from custodio.audit import log
from custodio.audit.entry import GENESIS_HASH, Checkpoint
from custodio.crypto import merkle, signing
from custodio.db import Database
from custodio.errors import AuditIntegrityError


@dataclass(frozen=True)
class Report:
    entries: int
    checkpoints: int
    root: str
    previous_size: int


@dataclass(frozen=True)
class State:
    """What the verifier saw last time: pinned key, log size and root."""

    log_id: str
    key_id: str
    size: int
    root: str


def verify(db: Database, *, log_id: str, public_key: bytes, state_dir: Path) -> Report:
    """Verify the whole log; raise :class:`AuditIntegrityError` naming the first problem."""
    state_file = state_dir / f"audit-{log_id}.json"
    previous = _load_state(state_file)
    key_id = signing.key_id(public_key)
    if previous and previous.key_id != key_id:
        raise AuditIntegrityError(
            f"the audit signing key changed: last verified with key {previous.key_id}, "
            f"now {key_id}",
            hint=f"if the key was rotated in a recorded ceremony, remove {state_file}",
        )
    cps = {cp.size: cp for cp in log.checkpoints(db, log_id)}
    frontier = merkle.Frontier()
    prev_hash = GENESIS_HASH
    roots: dict[int, str] = {}
    wanted = set(cps) | ({previous.size} if previous else set())
    for row in log.iter_rows(db):
        entry = log.entry_from_row(row)
        _check_entry(entry.seq, frontier.size + 1, entry.hash(), row["entry_hash"])
        if entry.prev_hash != prev_hash:
            raise AuditIntegrityError(
                f"audit entry {entry.seq} does not follow entry {entry.seq - 1}: "
                "the chain is broken (entries deleted or reordered)"
            )
        prev_hash = row["entry_hash"]
        frontier.append(bytes.fromhex(prev_hash))
        if frontier.size in wanted:
            roots[frontier.size] = frontier.root().hex()
    for cp in cps.values():
        _check_checkpoint(cp, public_key, frontier.size, roots)
    if previous:
        _check_against_previous(previous, frontier.size, roots)
    root = frontier.root().hex()
    _save_state(state_file, State(log_id, key_id, frontier.size, root))
    return Report(frontier.size, len(cps), root, previous.size if previous else 0)


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


def _check_checkpoint(cp: Checkpoint, public_key: bytes, size: int, roots: dict[int, str]) -> None:
    if not signing.verify(public_key, bytes.fromhex(cp.signature), cp.signed_message()):
        raise AuditIntegrityError(f"the signature of the checkpoint at entry {cp.size} is invalid")
    if cp.size > size:
        raise AuditIntegrityError(
            f"the log was truncated: a signed checkpoint covers {cp.size} entries but only "
            f"{size} remain (entries {size + 1}..{cp.size} are missing)"
        )
    if roots[cp.size] != cp.root:
        raise AuditIntegrityError(
            f"entries 1..{cp.size} do not match the signed checkpoint at entry {cp.size}: "
            "the history was rewritten"
        )


def _check_against_previous(previous: State, size: int, roots: dict[int, str]) -> None:
    if size < previous.size:
        raise AuditIntegrityError(
            f"the log shrank from {previous.size} to {size} entries since it was last "
            f"verified (entries {size + 1}..{previous.size} are missing)"
        )
    if roots[previous.size] != previous.root:
        raise AuditIntegrityError(
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
    tmp.write_text(json.dumps(state.__dict__, indent=2) + "\n", "utf-8")
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    tmp.replace(path)
