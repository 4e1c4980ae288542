"""Transcripts as derived products of a communication (``comm_products`` kind ``transcript``).

A transcript is made by classification, not received: each run may replace the previous
one of the same direction and task (``transcribe`` or ``translate``), which stays in the
table marked ``superseded_at`` (its vault object stays referenced). A run that produces
exactly the same object again records nothing new. Its segments go into the search index
in the same transaction, and those of the transcript it supersedes leave it
(:mod:`custodio.catalog.search_index`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from custodio.catalog import search_index
from custodio.catalog.search_index import Passage
from custodio.db import Tx
from custodio.db.engine import Row
from custodio.db.times import now_text

KIND = "transcript"


@dataclass(frozen=True, slots=True)
class Transcript:
    """A current transcript product (``details``: task, language, engine, counts)."""

    id: int
    direction: str
    vault_case: str
    object_id: str
    sha256: str
    size: int
    details: Mapping[str, Any]
    created_at: str

    @classmethod
    def from_row(cls, row: Row) -> Transcript:
        return cls(
            id=int(row["id"]),
            direction=row["direction"],
            vault_case=row["vault_case"],
            object_id=row["object_id"],
            sha256=row["sha256"],
            size=int(row["size"]),
            details=json.loads(row["details"]),
            created_at=row["created_at"],
        )

    @property
    def task(self) -> str:
        return str(self.details.get("task", "transcribe"))


def current(tx: Tx, comm_id: int) -> list[Transcript]:
    """The communication's current transcripts (one per direction and task)."""
    rows = tx.all(
        "SELECT id, direction, vault_case, object_id, sha256, size, details, created_at "
        "FROM comm_products WHERE communication_id = ? AND kind = ? AND superseded_at IS NULL "
        "ORDER BY id",
        (comm_id, KIND),
    )
    return [Transcript.from_row(r) for r in rows]


def record(
    tx: Tx,
    comm_id: int,
    direction: str,
    vault_case: str,
    object_id: str,
    sha256: str,
    size: int,
    details: Mapping[str, Any],
    *,
    passages: Sequence[Passage] = (),
) -> bool:
    """Record a transcript; supersede the previous one of its direction and task.

    ``passages``: its segments (text, the second where each begins), for the search index.
    Returns False (and changes nothing) when the current one is the same object.
    """
    task = details.get("task", "transcribe")
    now = now_text()
    for t in current(tx, comm_id):
        if t.direction != direction or t.task != task:
            continue
        if t.object_id == object_id:
            return False
        tx.execute("UPDATE comm_products SET superseded_at = ? WHERE id = ?", (now, t.id))
        search_index.drop_source(tx, t.id)
    product_id = tx.insert(
        "INSERT INTO comm_products (communication_id, kind, direction, records, vault_case, "
        "object_id, sha256, size, details, created_at) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
        (comm_id, KIND, direction, vault_case, object_id, sha256, size,
         json.dumps(dict(details), sort_keys=True), now),
    )  # fmt: skip
    search_index.add_transcript(tx, comm_id, product_id, direction, str(task), passages)
    return True
