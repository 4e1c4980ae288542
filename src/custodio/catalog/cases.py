"""Cases and who works them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from custodio.catalog.people import required
from custodio.db import Tx
from custodio.db.engine import Row
from custodio.db.times import from_text, now_text, to_text
from custodio.errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True)
class Case:
    id: int
    agency_id: int
    reference: str
    court: str
    title: str
    unit: str
    status: str
    created_at: str

    @classmethod
    def from_row(cls, row: Row) -> Case:
        return cls(
            id=int(row["id"]),
            agency_id=int(row["agency_id"]),
            reference=row["reference"],
            court=row["court"],
            title=row["title"],
            unit=row["unit"],
            status=row["status"],
            created_at=row["created_at"],
        )

    def public(self) -> dict[str, object]:
        return {
            "reference": self.reference,
            "court": self.court,
            "title": self.title,
            "unit": self.unit,
            "status": self.status,
            "created_at": self.created_at,
        }


_SELECT = "SELECT c.*, u.name AS unit FROM cases c JOIN units u ON u.id = c.unit_id "


def create(tx: Tx, *, agency: int, unit: int, reference: str, court: str, title: str) -> int:
    reference = required("case reference", reference)
    if tx.one("SELECT id FROM cases WHERE agency_id = ? AND reference = ?", (agency, reference)):
        raise Conflict(f"case {reference!r} already exists")
    return tx.insert(
        "INSERT INTO cases (agency_id, unit_id, reference, court, title, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (agency, unit, reference, required("court", court), required("title", title), now_text()),
    )


def get(tx: Tx, agency: int, reference: str) -> Case:
    row = tx.one(_SELECT + "WHERE c.agency_id = ? AND c.reference = ?", (agency, reference))
    if row is None:
        raise NotFound(f"no case {reference!r} in this agency")
    return Case.from_row(row)


def by_id(tx: Tx, case_id: int) -> Case:
    row = tx.one(_SELECT + "WHERE c.id = ?", (case_id,))
    if row is None:
        raise NotFound(f"no case with id {case_id}")
    return Case.from_row(row)


def list_all(tx: Tx, agency: int) -> list[Case]:
    rows = tx.all(_SELECT + "WHERE c.agency_id = ? ORDER BY c.reference", (agency,))
    return [Case.from_row(r) for r in rows]


def close(tx: Tx, case: Case) -> None:
    if case.status == "closed":
        raise Conflict(f"case {case.reference!r} is already closed")
    tx.execute("UPDATE cases SET status = 'closed' WHERE id = ?", (case.id,))


def assign(tx: Tx, case: Case, user_id: int, until: datetime | None, now: datetime) -> None:
    if until is not None and until <= now:
        raise InvalidInput("an assignment must end in the future")
    end_assignments(tx, case, user_id, now)
    tx.execute(
        "INSERT INTO case_assignments (case_id, user_id, assigned_at, until) VALUES (?, ?, ?, ?)",
        (case.id, user_id, to_text(now), to_text(until) if until else None),
    )


def end_assignments(tx: Tx, case: Case, user_id: int, now: datetime) -> int:
    """End the user's open assignments to the case; return how many there were."""
    open_rows = tx.all(
        "SELECT id FROM case_assignments WHERE case_id = ? AND user_id = ? AND ended_at IS NULL",
        (case.id, user_id),
    )
    for row in open_rows:
        tx.execute(
            "UPDATE case_assignments SET ended_at = ? WHERE id = ?", (to_text(now), row["id"])
        )
    return len(open_rows)


def assignments_of(tx: Tx, user_id: int, now: datetime) -> dict[int, datetime | None]:
    """case id -> until (None: open-ended) for the user's live assignments."""
    rows = tx.all(
        "SELECT case_id, until FROM case_assignments "
        "WHERE user_id = ? AND ended_at IS NULL AND (until IS NULL OR until > ?)",
        (user_id, to_text(now)),
    )
    return {int(r["case_id"]): from_text(r["until"]) if r["until"] else None for r in rows}


@dataclass(frozen=True, slots=True)
class Assignment:
    """Who works a case now (``until``: when the assignment runs out, None: open-ended)."""

    name: str
    role: str
    assigned_at: str
    until: str | None

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "role": self.role, "assigned_at": self.assigned_at,
                "until": self.until}  # fmt: skip


def assigned_users(tx: Tx, case: Case) -> list[Assignment]:
    rows = tx.all(
        "SELECT u.name, u.role, a.assigned_at, a.until FROM case_assignments a "
        "JOIN users u ON u.id = a.user_id WHERE a.case_id = ? AND a.ended_at IS NULL "
        "ORDER BY u.name",
        (case.id,),
    )
    return [Assignment(r["name"], r["role"], r["assigned_at"], r["until"]) for r in rows]
