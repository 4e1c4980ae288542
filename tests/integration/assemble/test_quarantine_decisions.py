"""Quarantine release (four eyes) and destruction; the operator report."""

from __future__ import annotations

import pytest

from custodio.access import comms as service
from custodio.access import report
from custodio.assemble import wav
from custodio.catalog.comms import Filters
from custodio.errors import Conflict, Forbidden, NotFound
from custodio.simulator.mediator import Faults
from tests.integration.assemble.conftest import OPERATOR, Line, add_warrant, sent_audio

CASE = "DP 123/2026"
UNKNOWN = "ES-LIID-0001"  # the simulator's second LIID: nobody bound it


def _held(line: Line) -> dict[str, object]:
    line.deliver(profile="mobile", calls=2, targets=2, duration=0.4)
    line.assemble()
    items = service.quarantine_list(line.world.svc, line.world.as_("wo"))
    (item,) = [i for i in items if i["reason"] == "unknown-liid"]
    return item


def test_release_needs_a_judge_and_makes_the_call_one_of_the_case(line: Line) -> None:
    svc, world = line.world.svc, line.world
    item = _held(line)
    item_id, comm_id = int(item["id"]), int(str(item["communication_id"]))
    with pytest.raises(Conflict, match="nobody asked"):
        service.quarantine_approve(svc, world.as_("judge"), item_id)
    with pytest.raises(Forbidden):  # a warrant officer cannot approve
        service.quarantine_approve(svc, world.as_("wo"), item_id)
    service.quarantine_release(svc, world.as_("wo"), item_id, "AUTO 50/2026 of JI nº 3")
    with pytest.raises(Conflict, match="no warrant of your agency"):
        service.quarantine_approve(svc, world.as_("judge"), item_id)
    add_warrant(line, "AUTO 50/2026", UNKNOWN)
    released = service.quarantine_approve(svc, world.as_("judge"), item_id, line.vault)
    assert released["released"] and released["case_id"] is not None
    assert released["derived"] == ["audio", "audio"]  # the held PDUs, now the case's audio
    listed = service.list_comms(svc, world.as_("inv1"), CASE, Filters())
    assert comm_id in [c["id"] for c in listed]
    index = 1  # the simulator's second call: LIID ES-LIID-0001
    for side, language in (("target", "es"), ("other", "en")):
        data = service.audio(svc, world.as_("inv1"), line.vault, comm_id, side, "released")
        assert wav.read_g711_wav(data)[1] == sent_audio(index, 0.4, language)
    report = service.seal_check(svc, world.as_("inv1"), line.vault, comm_id)
    assert report["ok"] and len(report["objects"]) == 2  # the new seal covers the audio
    steps = line.rows(
        "SELECT action, outcome, actor, details FROM audit_entries WHERE target = ? ORDER BY seq",
        (f"quarantine:{item_id}",),
    )
    allowed = [(s["action"], s["actor"]) for s in steps if s["outcome"] == "allowed"]
    assert allowed == [("quarantine.release", "wo"), ("quarantine.approve", "judge")]
    assert all('"sha256"' in s["details"] for s in steps[-2:])
    with pytest.raises(Conflict, match="released"):
        service.quarantine_destroy(svc, world.as_("judge"), line.vault, item_id, "AUTO 51")


def test_four_eyes_the_judge_who_asked_cannot_approve(line: Line) -> None:
    # only a warrant officer may ask; the four-eyes check still stands on the user id
    svc, world = line.world.svc, line.world
    item_id = int(str(_held(line)["id"]))
    with pytest.raises(Forbidden):
        service.quarantine_release(svc, world.as_("judge"), item_id, "AUTO 50/2026")
    assert world.last_audit()["outcome"] == "denied"


def test_a_judge_destroys_a_held_item(line: Line) -> None:
    svc, world = line.world.svc, line.world
    item = service.quarantine_show(svc, world.as_("wo"), int(str(_held(line)["id"])))
    with pytest.raises(Forbidden):
        service.quarantine_destroy(svc, world.as_("wo"), line.vault, int(item["id"]), "AUTO 9")
    done = service.quarantine_destroy(svc, world.as_("judge"), line.vault, int(item["id"]),
                                      "AUTO 52/2026: destroy")  # fmt: skip
    assert done["object_deleted"] and done["sha256"] == item["sha256"]
    with pytest.raises(NotFound):
        line.vault.get(str(item["vault_case"]), str(item["object_id"]))
    assert not list(world.data_dir.rglob(str(item["object_id"])))
    entry = world.last_audit()
    assert (entry["action"], entry["actor"]) == ("quarantine.destroy", "judge")
    assert str(item["sha256"]) in str(entry["details"])
    ids = [i["id"] for i in service.quarantine_list(svc, world.as_("wo"))]
    assert item["id"] not in ids


def test_the_operator_report_counts_pdus_gaps_duplicates_and_quarantine(line: Line) -> None:
    faults = Faults(drop=0.03, duplicate=0.03, reorder=0.03)
    line.deliver(profile="mobile", calls=4, targets=2, duration=1.0, faults=faults, seed=11)
    line.assemble(idle=True)
    svc, world = line.world.svc, line.world
    with pytest.raises(Forbidden):
        report.handover_report(svc, world.as_("inv1"))
    found = report.handover_report(svc, world.as_("wo"), operator=OPERATOR)
    rows = {r["liid"]: r for r in found["liids"]}
    assert set(rows) == {"ES-LIID-0000", UNKNOWN}
    records = line.rows("SELECT COALESCE(SUM(records), 0) AS n FROM comm_products "
                        "WHERE kind = 'pdus'")[0]["n"]  # fmt: skip
    assert sum(r["pdus"] for r in rows.values()) == records > 0
    assert sum(r["missing_pdus"] for r in rows.values()) > 0
    assert sum(r["duplicates"] for r in rows.values()) > 0
    assert rows[UNKNOWN]["quarantine_reasons"].get("unknown-liid") == 2
    for r in rows.values():
        assert r["missing_pdus"] == sum(b - a + 1 for g in r["gap_ranges"] for a, b in g["missing"])
    assert report.handover_report(svc, world.as_("wo"), operator="nobody")["liids"] == []
    assert world.last_audit()["action"] == "handover.report"
