"""The tamper-evident audit log: chained entries, signed Merkle checkpoints, verification."""

from custodio.audit.entry import ALLOWED, DENIED, Checkpoint, Entry, Event
from custodio.audit.log import append, build_tree, checkpoint, record

__all__ = [
    "ALLOWED",
    "DENIED",
    "Checkpoint",
    "Entry",
    "Event",
    "append",
    "build_tree",
    "checkpoint",
    "record",
]
