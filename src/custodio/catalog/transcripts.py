"""Transcripts as derived products of a communication (``comm_products`` kind ``transcript``).

A transcript is made by classification, not received: each run may replace the previous
one of the same direction and task (``transcribe`` or ``translate``), which stays in the
table marked ``superseded_at`` (its vault object stays referenced). A run that produces
exactly the same object again records nothing new.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from custodio.db import Row, Tx
from custodio.db.times import now_text

KIND = "transcript"


def current(tx: Tx, comm_id: int) -> list[Row]:
    """The communication's current transcripts (one per direction and task)."""
    rows = tx.all(
        "SELECT id, direction, vault_case, object_id, sha256, size, details, created_at "
        "FROM comm_products WHERE communication_id = ? AND kind = ? AND superseded_at IS NULL "
        "ORDER BY id",
        (comm_id, KIND),
    )
    return [{**r, "details": json.loads(r["details"])} for r in rows]


def record(
    tx: Tx,
    comm_id: int,
    direction: str,
    vault_case: str,
    object_id: str,
    sha256: str,
    size: int,
    details: Mapping[str, Any],
) -> bool:
    """Record a transcript; supersede the previous one of its direction and task.

    Returns False (and changes nothing) when the current one is the same object.
    """
    task = details.get("task", "transcribe")
    now = now_text()
    for row in current(tx, comm_id):
        if row["direction"] != direction or row["details"].get("task", "transcribe") != task:
            continue
        if row["object_id"] == object_id:
            return False
        tx.execute("UPDATE comm_products SET superseded_at = ? WHERE id = ?", (now, row["id"]))
    tx.execute(
        "INSERT INTO comm_products (communication_id, kind, direction, records, vault_case, "
        "object_id, sha256, size, details, created_at) VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
        (comm_id, KIND, direction, vault_case, object_id, sha256, size,
         json.dumps(dict(details), sort_keys=True), now),
    )  # fmt: skip
    return True
