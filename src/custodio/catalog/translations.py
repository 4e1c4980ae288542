"""Single communications given to an interpreter to translate, as the catalog stores them.

Schema in ``db/migrations/0010_translation_assignments.sql``. An assignment is *open* while
neither its translation was submitted (``done_at``) nor someone ended it (``ended_at``);
only an open assignment lets its interpreter reach the communication (the policy's
``assigned+warrant`` scope, docs/access-policy.md). The service layer
(``access/translations.py``) decides who may assign and submit; this module only stores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from custodio.db import Tx
from custodio.db.engine import Row
from custodio.db.times import to_text
from custodio.errors import Conflict

_OPEN = "a.done_at IS NULL AND a.ended_at IS NULL"


@dataclass(frozen=True, slots=True)
class NewAssignment:
    communication_id: int
    interpreter_id: int
    assigned_by: int
    language: str  # the language the translation is wanted in
    at: datetime


@dataclass(frozen=True, slots=True)
class Assignment:
    """One open assignment."""

    id: int
    communication_id: int
    interpreter_id: int
    language: str
    assigned_at: str

    @classmethod
    def from_row(cls, row: Row) -> Assignment:
        return cls(
            id=int(row["id"]),
            communication_id=int(row["communication_id"]),
            interpreter_id=int(row["interpreter_id"]),
            language=row["language"],
            assigned_at=row["assigned_at"],
        )


@dataclass(frozen=True, slots=True)
class Queued:
    """An open assignment as its interpreter's work queue shows it: no content.

    ``spoken``: the language classification flagged the communication in (its current
    ``interpreter`` label), if any."""

    assignment_id: int
    communication_id: int
    case_reference: str
    comm_kind: str
    language: str
    spoken: str | None
    begin_at: str | None
    end_at: str | None
    assigned_at: str

    @classmethod
    def from_row(cls, row: Row) -> Queued:
        return cls(
            assignment_id=int(row["id"]),
            communication_id=int(row["communication_id"]),
            case_reference=row["case_reference"],
            comm_kind=row["comm_kind"],
            language=row["language"],
            spoken=row["spoken"],
            begin_at=row["begin_at"],
            end_at=row["end_at"],
            assigned_at=row["assigned_at"],
        )


def assign(tx: Tx, new: NewAssignment) -> int:
    """A new open assignment; the same interpreter already holding one is a Conflict."""
    if open_assignment(tx, new.communication_id, new.interpreter_id) is not None:
        raise Conflict(
            f"communication {new.communication_id} is already assigned to this interpreter",
            hint="end it first to change the language: `custodio translation unassign`",
        )
    return tx.insert(
        "INSERT INTO translation_assignments (communication_id, interpreter_id, assigned_by, "
        "assigned_at, language) VALUES (?, ?, ?, ?, ?)",
        (new.communication_id, new.interpreter_id, new.assigned_by, to_text(new.at),
         new.language),
    )  # fmt: skip


def open_assignment(tx: Tx, comm_id: int, interpreter_id: int) -> Assignment | None:
    row = tx.one(
        "SELECT a.id, a.communication_id, a.interpreter_id, a.language, a.assigned_at "
        f"FROM translation_assignments a WHERE a.communication_id = ? AND a.interpreter_id = ? "
        f"AND {_OPEN}",
        (comm_id, interpreter_id),
    )
    return None if row is None else Assignment.from_row(row)


def translators(tx: Tx, comm_id: int) -> frozenset[int]:
    """The users holding an open assignment of the communication."""
    rows = tx.all(
        f"SELECT a.interpreter_id FROM translation_assignments a "
        f"WHERE a.communication_id = ? AND {_OPEN}",
        (comm_id,),
    )
    return frozenset(int(r["interpreter_id"]) for r in rows)


IDS_PER_QUERY = 500  # communication ids named in one IN (...)


def translators_of(tx: Tx, comm_ids: Sequence[int]) -> Mapping[int, frozenset[int]]:
    """communication id -> the users holding an open assignment of it, for ``comm_ids``
    (a listing's page: never the whole case, which a timeline page would pay for)."""
    found: dict[int, set[int]] = {}
    for start in range(0, len(comm_ids), IDS_PER_QUERY):
        chunk = list(comm_ids[start : start + IDS_PER_QUERY])
        marks = ", ".join("?" * len(chunk))
        rows = tx.all(
            "SELECT a.communication_id, a.interpreter_id FROM translation_assignments a "
            f"WHERE a.communication_id IN ({marks}) AND {_OPEN}",
            chunk,
        )
        for r in rows:
            found.setdefault(int(r["communication_id"]), set()).add(int(r["interpreter_id"]))
    return {comm: frozenset(users) for comm, users in found.items()}


def end(tx: Tx, comm_id: int, interpreter_id: int, ended_by: int, at: datetime) -> int:
    """End the interpreter's open assignment of the communication; how many there were."""
    found = open_assignment(tx, comm_id, interpreter_id)
    if found is None:
        return 0
    tx.execute(
        "UPDATE translation_assignments SET ended_at = ?, ended_by = ? WHERE id = ?",
        (to_text(at), ended_by, found.id),
    )
    return 1


def mark_done(tx: Tx, assignment_id: int, label_id: int, at: datetime) -> None:
    """The translation was submitted as ``label_id``: the assignment is closed."""
    tx.execute(
        "UPDATE translation_assignments SET done_at = ?, label_id = ? WHERE id = ?",
        (to_text(at), label_id, assignment_id),
    )


def queue_of(tx: Tx, interpreter_id: int) -> list[Queued]:
    """The interpreter's open assignments, oldest communication first."""
    rows = tx.all(
        "SELECT a.id, a.communication_id, a.language, a.assigned_at, c.kind AS comm_kind, "
        "c.begin_at, c.end_at, k.reference AS case_reference, "
        "(SELECT l.value FROM labels l WHERE l.communication_id = a.communication_id "
        "AND l.kind = 'interpreter' AND l.superseded_at IS NULL AND l.review <> 'overruled' "
        "ORDER BY l.id LIMIT 1) AS spoken "
        "FROM translation_assignments a JOIN communications c ON c.id = a.communication_id "
        f"JOIN cases k ON k.id = c.case_id WHERE a.interpreter_id = ? AND {_OPEN} "
        "ORDER BY c.begin_at, a.communication_id",
        (interpreter_id,),
    )
    return [Queued.from_row(r) for r in rows]
