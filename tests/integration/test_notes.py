"""Tags and notes on communications through the service layer (docs/access-policy.md,
"Tags and notes"): an investigator of the case tags what he may see and writes notes on
it; a judge of the case reads both; everyone else, and anything outside the warrant's
windows or sealed, is refused — each call audited. Removed tags are kept; notes are
append-only and found by search. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from custodio.access import casework, notes
from custodio.access.search import search
from custodio.catalog import comms
from custodio.catalog import notes as catalog_notes
from custodio.db import Tx
from custodio.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.integration.conftest import CASE, World

INSIDE = "2026-11-20T10:00:00.000000Z"  # inside the warrant's window (November to January)
BEFORE = "2026-10-15T10:00:00.000000Z"  # before it
WHY = "diligencias 12/2026"


@dataclass
class Desk:
    world: World

    def comm(self, *, begin_at: str = INSIDE, sealed: bool = False) -> int:
        """A call of the world's case as assembly stores it."""

        def write(tx: Tx) -> int:
            case = tx.scalar("SELECT id FROM cases WHERE reference = ?", (CASE,))
            agency = tx.scalar("SELECT agency_id FROM cases WHERE id = ?", (case,))
            return comms.insert_comm(tx, {
                "agency_id": agency, "case_id": case, "liid": "ES-LI-0001",
                "operator": "movistar", "cin": None, "kind": "voice", "direction": "originating",
                "status": "complete", "reasons": [], "notes": [], "begin_at": begin_at,
                "end_at": begin_at.replace("10:00:00", "10:01:00"), "sealed": int(sealed),
                "open_seq": 1, "last_seq": 1,
            })  # fmt: skip

        return int(self.world.svc.db.write(write))

    def last_seq(self) -> int:
        found = self.world.svc.db.read(lambda tx: tx.scalar("SELECT MAX(seq) FROM audit_entries"))
        return int(found or 0)

    def entries(self, after: int) -> list[dict[str, Any]]:
        rows = self.world.svc.db.read(lambda tx: tx.all(
            "SELECT action, actor, outcome, target, purpose, details FROM audit_entries "
            "WHERE seq > ? ORDER BY seq", (after,)))  # fmt: skip
        return [{**r, "details": json.loads(r["details"])} for r in rows]


@pytest.fixture
def desk(world: World) -> Desk:
    """The world's case: inv1 and the judge assigned to it; inv2 not."""
    casework.assign(world.svc, world.as_("wo"), CASE, "judge", None)
    return Desk(world)


def refused(call: Callable[[], object], text: str | None = None) -> None:
    with pytest.raises(Forbidden, match=text):
        call()


def test_an_investigator_tags_lists_removes_and_the_history_stays(desk: Desk) -> None:
    svc, inv1 = desk.world.svc, desk.world.as_("inv1")
    call = desk.comm()
    before = desk.last_seq()
    added = notes.add_tag(svc, inv1, call, "  Relevante ")
    assert (added["tag"], added["added_by"], added["removed_at"]) == ("relevante", "inv1", None)
    notes.add_tag(svc, inv1, call, "seguimiento  urgente")
    with pytest.raises(Conflict, match="already tagged 'relevante'"):
        notes.add_tag(svc, inv1, call, "RELEVANTE")
    assert [t["tag"] for t in notes.tags(svc, inv1, call)] == ["relevante",
                                                              "seguimiento urgente"]  # fmt: skip
    desk.world.clock.now = desk.world.clock.now.replace(hour=13)
    notes.remove_tag(svc, inv1, call, "Relevante")
    with pytest.raises(NotFound, match="not tagged 'relevante'"):
        notes.remove_tag(svc, inv1, call, "relevante")
    assert [t["tag"] for t in notes.tags(svc, inv1, call)] == ["seguimiento urgente"]
    (gone, _) = notes.tags(svc, inv1, call, removed=True)
    assert (gone["tag"], gone["removed_by"]) == ("relevante", "inv1")
    assert gone["removed_at"].startswith("2026-11-29T13:00")
    notes.add_tag(svc, inv1, call, "relevante")  # put back: a new row
    assert len(notes.tags(svc, inv1, call, removed=True)) == 3
    for bad in ("", "   ", "a/b", "x" * 65, "__", "nul\x00"):
        with pytest.raises(InvalidInput):
            notes.add_tag(svc, inv1, call, bad)

    got = [(e["action"], e["outcome"], e["target"], e["details"].get("tag"))
           for e in desk.entries(before)]  # fmt: skip
    target = f"communication:{call}"
    assert got[:4] == [("tag.write", "allowed", target, "relevante"),
                       ("tag.write", "allowed", target, "seguimiento urgente"),
                       ("tag.read", "allowed", target, None),
                       ("tag.write", "allowed", target, "relevante")]  # fmt: skip
    assert desk.entries(before)[3]["details"] == {"tag": "relevante", "removed": True}


def test_notes_are_append_only_need_a_purpose_to_read_and_are_searchable(desk: Desk) -> None:
    svc, inv1, judge = desk.world.svc, desk.world.as_("inv1"), desk.world.as_("judge")
    call = desk.comm()
    before = desk.last_seq()
    text = "Luis habla del puerto de Algeciras.\r\nComprobar el martes."
    note = notes.add_note(svc, inv1, call, text)
    assert (note["author"], note["text"]) == ("inv1", "Luis habla del puerto de Algeciras.\n"
                                              "Comprobar el martes.")  # fmt: skip
    second = notes.add_note(svc, inv1, call, "Otra nota.")
    refused(lambda: notes.notes(svc, inv1, call, None), "needs a purpose")
    assert [n["id"] for n in notes.notes(svc, inv1, call, WHY)] == [note["id"], second["id"]]
    assert [n["text"] for n in notes.notes(svc, judge, call, WHY)][1] == "Otra nota."

    hits = search(svc, inv1, "algeciras martes", case_ref=CASE, purpose=WHY)
    assert [(h["communication_id"], h["kind"]) for h in hits] == [(call, "note")]
    assert "«Algeciras»" in hits[0]["snippet"]

    entries = desk.entries(before)
    written = entries[0]
    assert (written["action"], written["outcome"]) == ("note.write", "allowed")
    assert written["purpose"] is None
    body = note["text"].encode()
    assert written["details"] == {"note": note["id"], "characters": len(note["text"]),
                                  "sha256": hashlib.sha256(body).hexdigest()}  # fmt: skip
    assert "Algeciras" not in json.dumps([e["details"] for e in entries if e["action"] != "search"])
    reads = [(e["actor"], e["outcome"], e["purpose"]) for e in entries
             if e["action"] == "note.read"]  # fmt: skip
    assert reads == [("inv1", "denied", None), ("inv1", "allowed", WHY), ("judge", "allowed", WHY)]

    for bad in ("", "  \n ", "x" * 10_001, "bell\x07", "esc\x1b[31m"):
        with pytest.raises(InvalidInput):
            notes.add_note(svc, inv1, call, bad)
    assert len(notes.add_note(svc, inv1, call, "ñ" * 10_000)["text"]) == 10_000
    # the catalog has no way to change or delete a note
    assert not [n for n in dir(catalog_notes) if n.startswith(("edit", "update", "delete", "drop"))]


@pytest.mark.parametrize("who", ["inv2", "wo", "terp", "aud", "admin"])
def test_who_is_not_on_the_case_or_has_no_grant_is_refused_everything(desk: Desk, who: str) -> None:
    svc, inv1 = desk.world.svc, desk.world.as_("inv1")
    call = desk.comm()
    notes.add_tag(svc, inv1, call, "relevante")
    notes.add_note(svc, inv1, call, "nota")
    session = desk.world.as_(who)
    before = desk.last_seq()
    refused(lambda: notes.add_tag(svc, session, call, "otro"))
    refused(lambda: notes.remove_tag(svc, session, call, "relevante"))
    refused(lambda: notes.tags(svc, session, call))
    refused(lambda: notes.add_note(svc, session, call, "nota"))
    refused(lambda: notes.notes(svc, session, call, WHY))
    got = [(e["action"], e["actor"], e["outcome"]) for e in desk.entries(before)]
    assert got == [(a, who, "denied") for a in ("tag.write", "tag.write", "tag.read",
                                                 "note.write", "note.read")]  # fmt: skip
    assert [t["tag"] for t in notes.tags(svc, inv1, call)] == ["relevante"]


def test_a_judge_reads_but_does_not_write(desk: Desk) -> None:
    svc, judge = desk.world.svc, desk.world.as_("judge")
    call = desk.comm()
    refused(lambda: notes.add_tag(svc, judge, call, "relevante"), "may not tag.write")
    refused(lambda: notes.add_note(svc, judge, call, "nota"), "may not note.write")
    assert notes.tags(svc, judge, call) == []
    assert notes.notes(svc, judge, call, WHY) == []


def test_outside_the_warrant_window_or_sealed_only_a_judge_reads(desk: Desk) -> None:
    svc, inv1, judge = desk.world.svc, desk.world.as_("inv1"), desk.world.as_("judge")
    for call in (desk.comm(begin_at=BEFORE), desk.comm(sealed=True)):
        refused(lambda: notes.add_tag(svc, inv1, call, "relevante"))  # noqa: B023
        refused(lambda: notes.tags(svc, inv1, call))  # noqa: B023
        refused(lambda: notes.add_note(svc, inv1, call, "nota"))  # noqa: B023
        refused(lambda: notes.notes(svc, inv1, call, WHY))  # noqa: B023
        assert notes.tags(svc, judge, call) == []
        assert notes.notes(svc, judge, call, WHY) == []
    with pytest.raises(NotFound):
        notes.tags(svc, inv1, 999_999)
