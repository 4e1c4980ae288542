"""Tags and notes through the API (docs/api.md; docs/access-policy.md, "Tags and notes"):
an investigator of the case tags a call, takes a tag off (kept, with who and when) and
writes notes, which search then finds; reading notes needs a purpose; a colleague not on
the case, the warrant officer and the auditor get 403, each audited; no route changes or
deletes a note."""

from __future__ import annotations

from urllib.parse import quote

from custodio.access import casework
from custodio.catalog import comms
from custodio.db import Tx
from tests.integration.api.conftest import Served, error
from tests.integration.assemble.conftest import Line
from tests.integration.conftest import CASE

WHY = "diligencias 12/2026"
INSIDE = "2026-11-20T10:00:00.000000Z"  # inside the line's warrant (November to January)


def a_call(line: Line) -> int:
    """A call of the line's case as assembly stores it."""

    def write(tx: Tx) -> int:
        case = tx.scalar("SELECT id FROM cases WHERE reference = ?", (CASE,))
        agency = tx.scalar("SELECT agency_id FROM cases WHERE id = ?", (case,))
        return comms.insert_comm(tx, {
            "agency_id": agency, "case_id": case, "liid": "ES-LI-0001", "operator": "movistar",
            "cin": None, "kind": "voice", "direction": "originating", "status": "complete",
            "reasons": [], "notes": [], "begin_at": INSIDE,
            "end_at": "2026-11-20T10:01:00.000000Z", "sealed": 0, "open_seq": 1, "last_seq": 1,
        })  # fmt: skip

    return int(line.world.svc.db.write(write))


def test_an_investigator_tags_a_call_and_takes_a_tag_off(served: Served) -> None:
    call = a_call(served.line)
    inv1 = served.client("inv1")
    tags = f"/communications/{call}/tags"
    before = served.last_seq()

    made = inv1.post(tags, json={"tag": "Relevante"})
    assert made.status_code == 201, made.text
    assert {k: made.json()[k] for k in ("tag", "added_by", "removed_at")} == {
        "tag": "relevante", "added_by": "inv1", "removed_at": None}  # fmt: skip
    assert inv1.post(tags, json={"tag": "seguimiento"}).status_code == 201
    error(inv1.post(tags, json={"tag": "relevante"}), 409, "conflict", "already tagged")
    error(inv1.post(tags, json={"tag": "a/b"}), 400, "invalid_input", "not a tag")
    error(inv1.post(tags, json={"tag": "x" * 65}), 422, "invalid_request")
    error(inv1.post(tags, json={"tag": "x", "by": "inv2"}), 422, "invalid_request")
    assert [t["tag"] for t in inv1.get(tags).json()] == ["relevante", "seguimiento"]

    assert inv1.delete(f"{tags}/relevante").status_code == 204
    error(inv1.delete(f"{tags}/relevante"), 404, "not_found", "not tagged")
    assert [t["tag"] for t in inv1.get(tags).json()] == ["seguimiento"]
    everything = inv1.get(tags, params={"removed": "true"}).json()
    assert [(t["tag"], t["removed_by"]) for t in everything] == [("relevante", "inv1"),
                                                                ("seguimiento", None)]  # fmt: skip

    got = [(e["action"], e["actor"], e["outcome"], e["details"].get("tag"))
           for e in served.entries(after=before) if e["action"].startswith("tag.")]  # fmt: skip
    assert got == [
        ("tag.write", "inv1", "allowed", "relevante"),
        ("tag.write", "inv1", "allowed", "seguimiento"),
        ("tag.read", "inv1", "allowed", None),
        ("tag.write", "inv1", "allowed", "relevante"),
        ("tag.read", "inv1", "allowed", None),
        ("tag.read", "inv1", "allowed", None),
    ]


def test_notes_are_written_read_with_a_purpose_and_found_by_search(served: Served) -> None:
    call = a_call(served.line)
    inv1 = served.client("inv1")
    path = f"/communications/{call}/notes"

    made = inv1.post(path, json={"text": "Luis cita al contacto en el puerto de Algeciras."})
    assert made.status_code == 201, made.text
    note = made.json()
    assert (note["author"], note["communication_id"]) == ("inv1", call)
    error(inv1.post(path, json={"text": "x" * 10_001}), 422, "invalid_request")
    error(inv1.post(path, json={"text": "esc\x1b[2J"}), 400, "invalid_input", "control")
    error(inv1.post(path, json={"text": "   "}), 400, "invalid_input", "empty")

    error(inv1.get(path), 403, "forbidden", "note.read needs a purpose")
    assert [n["text"] for n in inv1.get(path, params={"purpose": WHY}).json()] == [note["text"]]
    by_header = inv1.get(path, headers={"X-Custodio-Purpose": "diligencias%2012%2F2026"})
    assert [n["id"] for n in by_header.json()] == [note["id"]]

    found = inv1.get("/search", params={"q": "algeciras", "case": CASE, "purpose": WHY})
    assert found.status_code == 200, found.text
    assert [(h["communication_id"], h["kind"]) for h in found.json()] == [(call, "note")]

    # append-only: nothing changes or deletes a note
    assert inv1.delete(f"{path}/{note['id']}").status_code in (404, 405)
    assert inv1.patch(path, json={"text": "otro"}).status_code == 405
    assert inv1.put(path, json={"text": "otro"}).status_code == 405
    assert [n["text"] for n in inv1.get(path, params={"purpose": WHY}).json()] == [note["text"]]


def test_who_is_not_on_the_case_gets_403_and_a_judge_of_it_reads(served: Served) -> None:
    call = a_call(served.line)
    served.client("inv1").post(f"/communications/{call}/tags", json={"tag": "relevante"})
    w = served.line.world
    casework.assign(w.svc, w.as_("wo"), CASE, "judge", None)
    before = served.last_seq()
    tags, notes = f"/communications/{call}/tags", f"/communications/{call}/notes"
    for who, text in (("inv2", "not assigned"), ("wo", "may not"), ("aud", "may not")):
        client = served.client(who)
        error(client.post(tags, json={"tag": "otro"}), 403, "forbidden", text)
        error(client.delete(f"{tags}/relevante"), 403, "forbidden", text)
        error(client.get(tags), 403, "forbidden", text)
        error(client.post(notes, json={"text": "nota"}), 403, "forbidden", text)
        error(client.get(notes, params={"purpose": WHY}), 403, "forbidden", text)
    judge = served.client("judge")
    assert [t["tag"] for t in judge.get(tags).json()] == ["relevante"]
    assert judge.get(notes, params={"purpose": WHY}).json() == []
    error(judge.post(notes, json={"text": "nota"}), 403, "forbidden", "may not note.write")
    error(served.client("inv1").get("/communications/999999/tags"), 404, "not_found")
    error(served.anonymous().get(tags), 401, "authentication_failed")

    denied = [(e["actor"], e["action"]) for e in served.entries(after=before)
              if e["outcome"] == "denied"]  # fmt: skip
    assert denied == [(who, action) for who in ("inv2", "wo", "aud")
                      for action in ("tag.write", "tag.write", "tag.read", "note.write",
                                     "note.read")] + [("judge", "note.write")]  # fmt: skip


def test_the_timeline_filtered_by_tag(served: Served) -> None:
    first, second = a_call(served.line), a_call(served.line)
    inv1 = served.client("inv1")
    inv1.post(f"/communications/{second}/tags", json={"tag": "relevante"})
    inv1.post(f"/communications/{first}/tags", json={"tag": "seguimiento"})
    timeline = f"/cases/{quote(CASE)}/communications"
    before = served.last_seq()
    assert [c["id"] for c in inv1.get(timeline).json()] == [first, second]
    assert [c["id"] for c in inv1.get(timeline, params={"tag": "Relevante"}).json()] == [second]
    inv1.delete(f"/communications/{second}/tags/relevante")
    assert inv1.get(timeline, params={"tag": "relevante"}).json() == []
    error(inv1.get(timeline, params={"tag": "a/b"}), 400, "invalid_input", "not a tag")
    # a warrant officer views the case but may not read tags: not even a count of them
    error(served.client("wo").get(timeline, params={"tag": "seguimiento"}), 403, "forbidden",
          "may not tag.read")  # fmt: skip
    listed = [(e["actor"], e["outcome"], e["details"].get("tag"), e["details"].get("shown"))
              for e in served.entries(after=before) if e["action"] == "case.view"]  # fmt: skip
    assert listed == [
        ("inv1", "allowed", None, 2), ("inv1", "allowed", "relevante", 1),
        ("inv1", "allowed", "relevante", 0), ("wo", "denied", "seguimiento", None),
    ]  # fmt: skip
