"""journal: the ingest spool — append-only segments, group commit, recovery, consumers.

See ``docs/formats/journal.md`` for the byte layout. It imports nothing above it.
"""

from custodio.journal.format import JournalCorrupt, Record, Routing
from custodio.journal.journal import (
    Consumer,
    Journal,
    JournalReader,
    JournalStats,
    RecoveryReport,
)
from custodio.journal.segments import Segment, TornTail

__all__ = [
    "Consumer",
    "Journal",
    "JournalCorrupt",
    "JournalReader",
    "JournalStats",
    "Record",
    "RecoveryReport",
    "Routing",
    "Segment",
    "TornTail",
]
