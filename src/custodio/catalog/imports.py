"""Evidence imported by hand (``imports``, migration 0002): who brought which file into a
case's vault, under what name, with its SHA-256 as imported."""

from __future__ import annotations

from custodio.db import Tx
from custodio.db.times import now_text


def record(
    tx: Tx,
    *,
    case_id: int,
    object_id: str,
    kind: str,
    filename: str,
    size: int,
    sha256: str,
    note: str | None,
    imported_by: int,
) -> None:
    tx.execute(
        "INSERT INTO imports (case_id, object_id, kind, filename, size, sha256, note, "
        "imported_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (case_id, object_id, kind, filename, size, sha256, note, imported_by, now_text()),
    )
