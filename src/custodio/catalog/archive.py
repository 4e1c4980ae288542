"""The journal archive in the catalog (migration 0004): what each segment became.

A ``journal_archive`` row per (segment, case): the vault object holding that case's
records of the segment; a ``journal_archived_segments`` row once the segment is archived
whole, so that it may be retired. Written by ``assemble.archive`` in the transaction that
references the objects and audits them.
"""

from __future__ import annotations

from dataclasses import dataclass

from custodio.db import Tx


@dataclass(frozen=True, slots=True)
class Archived:
    """What one (segment, case) became."""

    vault_case: str
    case_id: int | None
    first_seq: int
    last_seq: int
    records: int
    object_id: str
    sha256: str
    size: int
    stored_size: int


def is_archived(tx: Tx, segment: int) -> bool:
    """Whether the segment (its first seq) was archived whole."""
    row = tx.one("SELECT 1 FROM journal_archived_segments WHERE segment = ?", (segment,))
    return row is not None


def add_object(tx: Tx, segment: int, done: Archived, operator: str, at: str) -> None:
    tx.execute(
        "INSERT INTO journal_archive (segment, vault_case, case_id, operator, first_seq, "
        "last_seq, records, object_id, sha256, size, stored_size, archived_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (segment, done.vault_case, done.case_id, operator, done.first_seq, done.last_seq,
         done.records, done.object_id, done.sha256, done.size, done.stored_size, at),
    )  # fmt: skip


def mark_archived(
    tx: Tx, segment: int, *, last_seq: int, records: int, skipped: int, at: str
) -> None:
    tx.execute(
        "INSERT INTO journal_archived_segments (segment, last_seq, records, skipped, archived_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (segment, last_seq, records, skipped, at),
    )
