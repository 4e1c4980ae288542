"""A case's watch-list (``watch_terms``) and its classification tuning (``case_classification``).

Schema in ``db/migrations/0006_classification.sql``. A removed term is kept with who
removed it and when (the watch-list at the time of an old alert can be told). The tuning
row is absent until someone sets a value: the classify layer supplies the defaults
(``custodio.classify.priority``), the catalog only stores what was chosen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from custodio.catalog.people import required
from custodio.db import Tx
from custodio.db.engine import Row
from custodio.db.times import now_text
from custodio.errors import Conflict, InvalidInput, NotFound

TERM_KINDS = ("term", "name", "place", "number")
MAX_TERM = 200


@dataclass(frozen=True)
class WatchTerm:
    id: int
    case_id: int
    text: str
    kind: str
    added_by: str | None
    added_at: str
    removed_by: str | None
    removed_at: str | None

    @classmethod
    def from_row(cls, row: Row) -> WatchTerm:
        return cls(
            id=int(row["id"]),
            case_id=int(row["case_id"]),
            text=row["text"],
            kind=row["kind"],
            added_by=row.get("adder"),
            added_at=row["added_at"],
            removed_by=row.get("remover"),
            removed_at=row["removed_at"],
        )

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "kind": self.kind,
            "added_by": self.added_by,
            "added_at": self.added_at,
            "removed_by": self.removed_by,
            "removed_at": self.removed_at,
        }


_SELECT = (
    "SELECT w.*, a.name AS adder, r.name AS remover FROM watch_terms w "
    "LEFT JOIN users a ON a.id = w.added_by LEFT JOIN users r ON r.id = w.removed_by "
)


def add_term(tx: Tx, case_id: int, text: str, kind: str, user_id: int | None) -> int:
    text = " ".join(required("watch-list term", text).split())
    if kind not in TERM_KINDS:
        raise InvalidInput(f"term kind {kind!r}: use one of {', '.join(TERM_KINDS)}")
    if len(text) > MAX_TERM:
        raise InvalidInput(f"a watch-list term is at most {MAX_TERM} characters")
    if kind == "number" and not any(c.isdigit() for c in text):
        raise InvalidInput(f"the number {text!r} has no digits")
    for term in terms(tx, case_id):
        if term.kind == kind and term.text.casefold() == text.casefold():
            raise Conflict(f"{text!r} is already on the watch-list (term {term.id})")
    return tx.insert(
        "INSERT INTO watch_terms (case_id, text, kind, added_by, added_at) VALUES (?, ?, ?, ?, ?)",
        (case_id, text, kind, user_id, now_text()),
    )


def remove_term(tx: Tx, case_id: int, term_id: int, user_id: int | None) -> WatchTerm:
    row = tx.one(_SELECT + "WHERE w.id = ? AND w.case_id = ?", (term_id, case_id))
    if row is None or row["removed_at"] is not None:
        raise NotFound(f"no term {term_id} on this case's watch-list")
    tx.execute(
        "UPDATE watch_terms SET removed_by = ?, removed_at = ? WHERE id = ?",
        (user_id, now_text(), term_id),
    )
    return WatchTerm.from_row(row)


def terms(tx: Tx, case_id: int, *, removed: bool = False) -> list[WatchTerm]:
    """The case's current terms (with ``removed``, the removed ones too), oldest first."""
    sql = _SELECT + "WHERE w.case_id = ?"
    if not removed:
        sql += " AND w.removed_at IS NULL"
    return [WatchTerm.from_row(r) for r in tx.all(sql + " ORDER BY w.id", (case_id,))]


@dataclass(frozen=True)
class Tuning:
    """What was set for a case; None where nothing was (the classify defaults apply)."""

    match_threshold: float | None
    weights: dict[str, float]
    alert_threshold: float | None
    updated_by: int | None = None
    updated_at: str | None = None


def tuning(tx: Tx, case_id: int) -> Tuning:
    row = tx.one("SELECT * FROM case_classification WHERE case_id = ?", (case_id,))
    if row is None:
        return Tuning(None, {}, None)
    return Tuning(
        float(row["match_threshold"]),
        {k: float(v) for k, v in json.loads(row["weights"]).items()},
        float(row["alert_threshold"]),
        row["updated_by"],
        row["updated_at"],
    )


def set_tuning(
    tx: Tx,
    case_id: int,
    *,
    match_threshold: float,
    weights: dict[str, float],
    alert_threshold: float,
    user_id: int | None,
) -> None:
    """Store the case's full tuning (the caller merged the change into the current one)."""
    values = (match_threshold, json.dumps(weights, sort_keys=True), alert_threshold, user_id,
              now_text())  # fmt: skip
    if tx.one("SELECT 1 FROM case_classification WHERE case_id = ?", (case_id,)):
        tx.execute(
            "UPDATE case_classification SET match_threshold = ?, weights = ?, "
            "alert_threshold = ?, updated_by = ?, updated_at = ? WHERE case_id = ?",
            (*values, case_id),
        )
    else:
        tx.execute(
            "INSERT INTO case_classification (match_threshold, weights, alert_threshold, "
            "updated_by, updated_at, case_id) VALUES (?, ?, ?, ?, ?, ?)",
            (*values, case_id),
        )
