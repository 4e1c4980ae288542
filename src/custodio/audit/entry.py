"""The audit entry and checkpoint formats (docs/formats/audit.md mirrors this module).

An entry is hashed as an RFC 6962 leaf over its canonical encoding: UTF-8 JSON with sorted
keys, no spaces, every field present. The encoding holds the previous entry's hash, so
the entries form a chain, and the leaf hashes form the Merkle tree that checkpoints sign.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from custodio.crypto import merkle

FORMAT_VERSION = 1
GENESIS_HASH = "00" * 32
CHECKPOINT_HEADER = "custodio-audit-checkpoint/v1"

ALLOWED = "allowed"
DENIED = "denied"
OUTCOMES = (ALLOWED, DENIED)


@dataclass(frozen=True)
class Event:
    """What a caller asks the audit log to record."""

    action: str
    outcome: str
    target: str
    actor: str
    actor_id: int | None = None
    agency_id: int | None = None
    case_id: int | None = None
    purpose: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"audit outcome must be one of {OUTCOMES}, not {self.outcome!r}")


@dataclass(frozen=True)
class Entry:
    """One stored entry of the log."""

    seq: int
    time: str
    event: Event
    prev_hash: str

    def canonical(self) -> bytes:
        e = self.event
        body = {
            "v": FORMAT_VERSION,
            "seq": self.seq,
            "time": self.time,
            "agency": e.agency_id,
            "actor_id": e.actor_id,
            "actor": e.actor,
            "action": e.action,
            "outcome": e.outcome,
            "target": e.target,
            "case": e.case_id,
            "purpose": e.purpose,
            "details": e.details,
            "prev": self.prev_hash,
        }
        return canonical_json(body).encode("utf-8")

    def hash(self) -> str:
        return merkle.leaf_hash(self.canonical()).hex()


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: the log ``log_id`` held ``size`` entries with this ``root``."""

    log_id: str
    size: int
    root: str
    time: str
    key_id: str
    signature: str = ""

    def signed_message(self) -> bytes:
        lines = [CHECKPOINT_HEADER, self.log_id, str(self.size), self.root, self.time, ""]
        return "\n".join(lines).encode("ascii")


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
