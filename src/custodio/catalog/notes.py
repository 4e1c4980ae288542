"""Tags and notes on communications, as the catalog stores them.

Schema in ``db/migrations/0011_tags_notes.sql``; who may do what in
``docs/access-policy.md`` ("Tags and notes"), decided by the service layer
(``access/notes.py``): this module only checks the text and stores it.

* A **tag** ("relevante", "seguimiento", any short words) is on a communication at most
  once at a time (:func:`add_tag` refuses a second with :class:`Conflict`). Removing it
  (:func:`remove_tag`) keeps its row with who removed it and when: what was marked, by
  whom, and when it stopped being marked stays answerable.
* A **note** (at most :data:`MAX_NOTE` characters) is append-only: this module has no
  function that changes or deletes one. Its text is indexed for search
  (``search_index.add_note``) in the transaction that stores it.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from custodio.catalog import search_index
from custodio.db import Tx
from custodio.db.engine import Row
from custodio.db.times import to_text
from custodio.errors import Conflict, InvalidInput

MAX_TAG = 64  # characters of a tag
MAX_NOTE = 10_000  # characters of a note
_TAG = re.compile(r"^[\w .:#+-]+$")
# Characters a note may not hold: C0 controls but tab and newline, DEL, C1 controls (a
# note is shown in terminals and pages: no escape sequences).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

_TAG_COLUMNS = (
    "t.id, t.communication_id, t.tag, a.name AS added_by, t.added_at, "
    "r.name AS removed_by, t.removed_at FROM comm_tags t "
    "JOIN users a ON a.id = t.added_by LEFT JOIN users r ON r.id = t.removed_by"
)


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag on a communication; ``removed_by``/``removed_at`` set once it was removed."""

    id: int
    communication_id: int
    tag: str
    added_by: str  # the user's name
    added_at: str
    removed_by: str | None
    removed_at: str | None

    @classmethod
    def from_row(cls, row: Row) -> Tag:
        return cls(
            id=int(row["id"]),
            communication_id=int(row["communication_id"]),
            tag=row["tag"],
            added_by=row["added_by"],
            added_at=row["added_at"],
            removed_by=row["removed_by"],
            removed_at=row["removed_at"],
        )

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class Note:
    """A note on a communication, as its author wrote it."""

    id: int
    communication_id: int
    author: str  # the user's name
    created_at: str
    text: str

    @classmethod
    def from_row(cls, row: Row) -> Note:
        return cls(
            id=int(row["id"]),
            communication_id=int(row["communication_id"]),
            author=row["author"],
            created_at=row["created_at"],
            text=row["text"],
        )

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# --- tags ------------------------------------------------------------------------------


def tag_text(text: str) -> str:
    """A tag as stored: NFC, lower case, spaces collapsed; 1 to :data:`MAX_TAG` characters
    of letters, digits, spaces and ``. : # + - _``, at least one a letter or a digit."""
    tag = " ".join(unicodedata.normalize("NFC", text).lower().split())
    if not tag or len(tag) > MAX_TAG or not _TAG.match(tag) or not re.search(r"[^\W_]", tag):
        raise InvalidInput(
            f"{text!r} is not a tag",
            hint=f"a tag is 1 to {MAX_TAG} letters, digits, spaces and . : # + - _ "
            "(e.g. relevante, seguimiento)",
        )
    return tag


def add_tag(tx: Tx, comm_id: int, tag: str, user_id: int, at: datetime) -> Tag:
    """Put ``tag`` (normalised by :func:`tag_text`) on the communication; Conflict if it is
    there already."""
    tag = tag_text(tag)
    if _current(tx, comm_id, tag) is not None:
        raise Conflict(f"communication {comm_id} is already tagged {tag!r}")
    tag_id = tx.insert(
        "INSERT INTO comm_tags (communication_id, tag, added_by, added_at) VALUES (?, ?, ?, ?)",
        (comm_id, tag, user_id, to_text(at)),
    )
    row = tx.one(f"SELECT {_TAG_COLUMNS} WHERE t.id = ?", (tag_id,))
    assert row is not None
    return Tag.from_row(row)


def remove_tag(tx: Tx, comm_id: int, tag: str, user_id: int, at: datetime) -> Tag | None:
    """Take ``tag`` off the communication (its row stays, marked removed by ``user_id``);
    the tag as it was, or None if the communication did not carry it."""
    found = _current(tx, comm_id, tag_text(tag))
    if found is None:
        return None
    tx.execute(
        "UPDATE comm_tags SET removed_by = ?, removed_at = ? WHERE id = ?",
        (user_id, to_text(at), found.id),
    )
    return found


def tags_of(tx: Tx, comm_id: int, *, removed: bool = False) -> list[Tag]:
    """The communication's tags, oldest first; with ``removed`` the removed ones too."""
    current = "" if removed else " AND t.removed_at IS NULL"
    rows = tx.all(
        f"SELECT {_TAG_COLUMNS} WHERE t.communication_id = ?{current} ORDER BY t.id", (comm_id,)
    )
    return [Tag.from_row(r) for r in rows]


def _current(tx: Tx, comm_id: int, tag: str) -> Tag | None:
    row = tx.one(
        f"SELECT {_TAG_COLUMNS} WHERE t.communication_id = ? AND t.tag = ? "
        "AND t.removed_at IS NULL",
        (comm_id, tag),
    )
    return None if row is None else Tag.from_row(row)


# --- notes -----------------------------------------------------------------------------


def note_text(text: str) -> str:
    """A note as stored: line ends as ``\\n``, surrounding blank space removed; 1 to
    :data:`MAX_NOTE` characters, no control characters but tab and newline."""
    body = unicodedata.normalize("NFC", text.replace("\r\n", "\n")).strip()
    if not body:
        raise InvalidInput("the note is empty")
    if len(body) > MAX_NOTE:
        raise InvalidInput(f"the note is {len(body)} characters long",
                           hint=f"a note has at most {MAX_NOTE} characters")  # fmt: skip
    if _CONTROL.search(body):
        raise InvalidInput("a note may hold no control characters but tabs and line ends")
    return body


def add_note(tx: Tx, comm_id: int, text: str, author_id: int, at: datetime) -> Note:
    """Store a note (its text checked by :func:`note_text`) and index it for search."""
    body = note_text(text)
    note_id = tx.insert(
        "INSERT INTO comm_notes (communication_id, author_id, created_at, text) "
        "VALUES (?, ?, ?, ?)",
        (comm_id, author_id, to_text(at), body),
    )
    search_index.add_note(tx, comm_id, note_id, body)
    (note,) = _notes(tx, "n.id = ?", note_id)
    return note


def notes_of(tx: Tx, comm_id: int) -> list[Note]:
    """The communication's notes, oldest first."""
    return _notes(tx, "n.communication_id = ?", comm_id)


def _notes(tx: Tx, where: str, value: int) -> list[Note]:
    rows = tx.all(
        "SELECT n.id, n.communication_id, u.name AS author, n.created_at, n.text "
        f"FROM comm_notes n JOIN users u ON u.id = n.author_id WHERE {where} ORDER BY n.id",
        (value,),
    )
    return [Note.from_row(r) for r in rows]
