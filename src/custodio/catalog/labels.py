"""Labels in the catalog: what the classification engines (and users) found in a communication.

Schema in ``db/migrations/0006_classification.sql``; meaning in ``docs/classification.md``
("Labels in the catalog"). The classification job stores one run's labels with
:func:`store_run`, which makes a re-run replace, never duplicate:

* the run's engines' previous *unreviewed* labels of the communication are deleted (they
  were only ever a machine's guess, and the new run says it again or no longer);
* a previous *reviewed* label (confirmed or overruled by a person) is never deleted: if the
  new run finds the same thing (same key) the reviewed row stays as it is and the fresh
  label is not added — the person's decision stands; otherwise the row is marked
  ``superseded_at`` and stays;
* users' labels (owner ``user:NAME``) are not touched by any run.

The catalog knows nothing of the engines: a label arrives as the classify layer's
:class:`NewLabel` (already flattened), keyed by ``label_key``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from custodio.db import Tx
from custodio.db.engine import Row
from custodio.db.times import now_text
from custodio.errors import Conflict, InvalidInput, NotFound

REVIEWS = ("none", "confirmed", "overruled")
DIRECTIONS = ("target", "other")


@dataclass(frozen=True)
class NewLabel:
    """One label as a run (or a user) stores it."""

    label_key: str
    owner: str
    kind: str
    value: str
    confidence: float
    source: str
    direction: str | None = None
    text: str = ""
    word_start: int | None = None
    word_end: int | None = None
    start_s: float | None = None
    end_s: float | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    created_at: str | None = None


@dataclass(frozen=True)
class StoredLabel:
    id: int
    communication_id: int
    case_id: int | None
    label_key: str
    owner: str
    kind: str
    value: str
    confidence: float
    source: str
    direction: str | None
    text: str
    word_start: int | None
    word_end: int | None
    start_s: float | None
    end_s: float | None
    detail: dict[str, Any]
    review: str
    reviewed_by: str | None
    reviewed_at: str | None
    review_note: str | None
    superseded_at: str | None
    created_at: str

    @classmethod
    def from_row(cls, row: Row) -> StoredLabel:
        return cls(
            id=int(row["id"]),
            communication_id=int(row["communication_id"]),
            case_id=None if row["case_id"] is None else int(row["case_id"]),
            label_key=row["label_key"],
            owner=row["owner"],
            kind=row["kind"],
            value=row["value"],
            confidence=float(row["confidence"]),
            source=row["source"],
            direction=row["direction"],
            text=row["text"],
            word_start=row["word_start"],
            word_end=row["word_end"],
            start_s=row["start_s"],
            end_s=row["end_s"],
            detail=json.loads(row["detail"]),
            review=row["review"],
            reviewed_by=row.get("reviewer"),
            reviewed_at=row["reviewed_at"],
            review_note=row["review_note"],
            superseded_at=row["superseded_at"],
            created_at=row["created_at"],
        )

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "communication_id": self.communication_id,
            "kind": self.kind,
            "value": self.value,
            "confidence": self.confidence,
            "source": self.source,
            "direction": self.direction,
            "text": self.text,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "detail": self.detail,
            "review": self.review,
            "reviewed_by": self.reviewed_by,
            "reviewed_at": self.reviewed_at,
            "review_note": self.review_note,
            "superseded_at": self.superseded_at,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class RunResult:
    """What :func:`store_run` did: rows added, unreviewed rows replaced, reviewed kept."""

    added: int
    replaced: int
    kept_reviewed: int
    superseded: int


def store_run(
    tx: Tx,
    comm_id: int,
    case_id: int | None,
    engines: Collection[str],
    fresh: Sequence[NewLabel],
) -> RunResult:
    """Store one run of ``engines`` over the communication (see the module's docstring)."""
    for label in fresh:
        if label.owner not in engines:
            raise ValueError(f"label of {label.owner!r} offered in a run of {sorted(engines)}")
    if not engines:
        return RunResult(0, 0, 0, 0)
    marks = ", ".join("?" for _ in engines)
    previous = tx.all(
        f"SELECT id, label_key, review FROM labels WHERE communication_id = ? "
        f"AND owner IN ({marks}) AND superseded_at IS NULL",
        (comm_id, *engines),
    )
    reviewed = {r["label_key"]: int(r["id"]) for r in previous if r["review"] != "none"}
    unreviewed = [int(r["id"]) for r in previous if r["review"] == "none"]
    for label_id in unreviewed:
        tx.execute("DELETE FROM labels WHERE id = ?", (label_id,))
    wanted: dict[str, NewLabel] = {}
    for label in fresh:
        wanted.setdefault(label.label_key, label)
    now = now_text()
    superseded = [i for key, i in reviewed.items() if key not in wanted]
    for label_id in superseded:
        tx.execute("UPDATE labels SET superseded_at = ? WHERE id = ?", (now, label_id))
    added = 0
    for key, label in wanted.items():
        if key in reviewed:
            continue
        insert(tx, comm_id, case_id, label, now=now)
        added += 1
    return RunResult(added, len(unreviewed), len(reviewed) - len(superseded), len(superseded))


def insert(tx: Tx, comm_id: int, case_id: int | None, label: NewLabel, *, now: str) -> int:
    if label.direction is not None and label.direction not in DIRECTIONS:
        raise InvalidInput(f"direction {label.direction!r}: use target or other")
    if not 0.0 <= label.confidence <= 1.0:
        raise InvalidInput(f"confidence {label.confidence} is outside 0..1")
    return tx.insert(
        "INSERT INTO labels (communication_id, case_id, label_key, owner, kind, value, "
        "confidence, source, direction, text, word_start, word_end, start_s, end_s, detail, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            comm_id, case_id, label.label_key, label.owner, label.kind, label.value,
            label.confidence, label.source, label.direction, label.text, label.word_start,
            label.word_end, label.start_s, label.end_s,
            json.dumps(dict(label.detail), ensure_ascii=False, sort_keys=True),
            label.created_at or now,
        ),
    )  # fmt: skip


def add_user_label(tx: Tx, comm_id: int, case_id: int | None, label: NewLabel) -> int:
    """A label a person made (owner ``user:NAME``); the same one twice is a Conflict."""
    if not label.owner.startswith("user:"):
        raise ValueError("a user label's owner is user:NAME")
    if tx.one(
        "SELECT 1 FROM labels WHERE communication_id = ? AND label_key = ? "
        "AND superseded_at IS NULL",
        (comm_id, label.label_key),
    ):
        raise Conflict("the same label is already on this communication")
    return insert(tx, comm_id, case_id, label, now=now_text())


_SELECT = "SELECT l.*, u.name AS reviewer FROM labels l LEFT JOIN users u ON u.id = l.reviewed_by "


def get(tx: Tx, label_id: int) -> StoredLabel:
    row = tx.one(_SELECT + "WHERE l.id = ?", (label_id,))
    if row is None:
        raise NotFound(f"no label {label_id}", hint="`custodio comms labels ID` lists them")
    return StoredLabel.from_row(row)


@dataclass(frozen=True)
class Filters:
    kinds: Sequence[str] = ()
    review: str | None = None
    direction: str | None = None
    min_confidence: float | None = None
    superseded: bool = False  # include superseded rows

    def __post_init__(self) -> None:
        if self.review is not None and self.review not in REVIEWS:
            raise InvalidInput(f"review {self.review!r}: use one of {', '.join(REVIEWS)}")
        if self.direction is not None and self.direction not in DIRECTIONS:
            raise InvalidInput(f"direction {self.direction!r}: use target or other")


def of_comm(tx: Tx, comm_id: int, f: Filters | None = None) -> list[StoredLabel]:
    return _query(tx, "l.communication_id = ?", [comm_id], f or Filters())


def of_case(tx: Tx, case_id: int, f: Filters | None = None) -> list[StoredLabel]:
    return _query(tx, "l.case_id = ?", [case_id], f or Filters())


def _query(tx: Tx, where: str, params: list[Any], f: Filters) -> list[StoredLabel]:
    sql = _SELECT + "WHERE " + where
    if f.kinds:
        sql += f" AND l.kind IN ({', '.join('?' for _ in f.kinds)})"
        params.extend(f.kinds)
    for clause, value in (
        (" AND l.review = ?", f.review),
        (" AND l.direction = ?", f.direction),
        (" AND l.confidence >= ?", f.min_confidence),
    ):
        if value is not None:
            sql += clause
            params.append(value)
    if not f.superseded:
        sql += " AND l.superseded_at IS NULL"
    sql += " ORDER BY l.communication_id, l.start_s, l.id"
    return [StoredLabel.from_row(r) for r in tx.all(sql, params)]


def review(tx: Tx, label_id: int, decision: str, user_id: int, note: str | None) -> StoredLabel:
    """Confirm or overrule a label; the row stays (an overruled label is never deleted)."""
    if decision not in ("confirmed", "overruled"):
        raise InvalidInput(f"review {decision!r}: use confirmed or overruled")
    get(tx, label_id)  # NotFound before anything changes
    tx.execute(
        "UPDATE labels SET review = ?, reviewed_by = ?, reviewed_at = ?, review_note = ? "
        "WHERE id = ?",
        (decision, user_id, now_text(), note, label_id),
    )
    return get(tx, label_id)


def numbers_seen_before(tx: Tx, case_id: int, comm_id: int, numbers: Sequence[str]) -> set[str]:
    """Which of ``numbers`` (E.164) were parties of the case's earlier communications.

    "Earlier" is by catalog id (the order assembly opened them), so a re-run of an old
    communication's job gives the same answer as its first run.
    """
    if not numbers:
        return set()
    rows = tx.all(
        "SELECT DISTINCT p.e164 FROM comm_parties p JOIN communications c "
        "ON c.id = p.communication_id WHERE c.case_id = ? AND c.id < ? "
        f"AND p.e164 IN ({', '.join('?' for _ in numbers)})",
        (case_id, comm_id, *numbers),
    )
    return {str(r["e164"]) for r in rows}


def counts(labels: Sequence[NewLabel]) -> dict[str, int]:
    """Labels per kind (what an audit entry may say about a run: never the content)."""
    out: dict[str, int] = {}
    for label in labels:
        out[label.kind] = out.get(label.kind, 0) + 1
    return dict(sorted(out.items()))


@dataclass(frozen=True, slots=True)
class Flagged:
    """A current label as a queue shows it: that something was flagged, not what."""

    id: int
    communication_id: int
    case_id: int
    value: str
    confidence: float
    source: str
    review: str
    comm_kind: str
    begin_at: str | None
    sealed: bool
    case_reference: str

    @classmethod
    def from_row(cls, row: Row) -> Flagged:
        return cls(
            id=int(row["id"]),
            communication_id=int(row["communication_id"]),
            case_id=int(row["case_id"]),
            value=row["value"],
            confidence=float(row["confidence"]),
            source=row["source"],
            review=row["review"],
            comm_kind=row["comm_kind"],
            begin_at=row["begin_at"],
            sealed=bool(row["sealed"]),
            case_reference=row["case_reference"],
        )


def flagged(tx: Tx, kind: str, case_ids: Sequence[int]) -> list[Flagged]:
    """Current, not overruled labels of ``kind`` in the cases, with their communication.

    For queues that show *that* something was flagged (privilege, interpreter), not what:
    label id, communication id and kind, begin time, value, confidence, review — no text.
    """
    if not case_ids:
        return []
    rows = tx.all(
        "SELECT l.id, l.communication_id, l.case_id, l.value, l.confidence, l.source, "
        "l.review, c.kind AS comm_kind, c.begin_at, c.sealed, k.reference AS case_reference "
        "FROM labels l JOIN communications c ON c.id = l.communication_id "
        "JOIN cases k ON k.id = l.case_id "
        f"WHERE l.kind = ? AND l.case_id IN ({', '.join('?' for _ in case_ids)}) "
        "AND l.superseded_at IS NULL AND l.review <> 'overruled' "
        "ORDER BY c.begin_at, l.communication_id, l.id",
        (kind, *case_ids),
    )
    return [Flagged.from_row(r) for r in rows]


def mark_sealed(tx: Tx, comm_id: int) -> bool:
    """A judge's order: the communication is sealed (only judges may see it). False if it was."""
    sealed = tx.scalar("SELECT sealed FROM communications WHERE id = ?", (comm_id,))
    if sealed is None:
        raise NotFound(f"no communication {comm_id}")
    if int(sealed):
        return False
    tx.execute(
        "UPDATE communications SET sealed = 1, updated_at = ? WHERE id = ?", (now_text(), comm_id)
    )
    return True
