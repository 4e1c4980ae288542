"""The protected-numbers list: defence lawyers whose communications are sealed."""

from __future__ import annotations

from dataclasses import dataclass

from custodio.catalog.identifiers import e164
from custodio.catalog.people import required
from custodio.db import Tx
from custodio.db.engine import Row
from custodio.db.times import now_text
from custodio.errors import Conflict, NotFound


def add(tx: Tx, agency: int, number: str, reason: str, added_by: int) -> str:
    normalised = e164(number)
    if _current(tx, agency, normalised) is not None:
        raise Conflict(f"{normalised} is already on the protected list")
    tx.execute(
        "INSERT INTO protected_numbers (agency_id, number, reason, added_by, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (agency, normalised, required("reason", reason), added_by, now_text()),
    )
    return normalised


def remove(tx: Tx, agency: int, number: str) -> str:
    normalised = e164(number)
    row = _current(tx, agency, normalised)
    if row is None:
        raise NotFound(f"{normalised} is not on the protected list")
    tx.execute("UPDATE protected_numbers SET removed_at = ? WHERE id = ?", (now_text(), row["id"]))
    return normalised


def is_protected(tx: Tx, agency: int, number: str) -> bool:
    return _current(tx, agency, number) is not None


@dataclass(frozen=True, slots=True)
class ProtectedNumber:
    number: str  # E.164
    reason: str
    added_by: str  # the user's name
    created_at: str

    def as_dict(self) -> dict[str, str]:
        return {"number": self.number, "reason": self.reason, "added_by": self.added_by,
                "created_at": self.created_at}  # fmt: skip


def list_all(tx: Tx, agency: int) -> list[ProtectedNumber]:
    rows = tx.all(
        "SELECT p.number, p.reason, u.name AS added_by, p.created_at FROM protected_numbers p "
        "JOIN users u ON u.id = p.added_by WHERE p.agency_id = ? AND p.removed_at IS NULL "
        "ORDER BY p.number",
        (agency,),
    )
    return [ProtectedNumber(r["number"], r["reason"], r["added_by"], r["created_at"]) for r in rows]


def _current(tx: Tx, agency: int, number: str) -> Row | None:
    return tx.one(
        "SELECT id FROM protected_numbers WHERE agency_id = ? AND number = ? "
        "AND removed_at IS NULL",
        (agency, number),
    )
