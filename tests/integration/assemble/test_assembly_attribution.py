"""Warrant attribution: unknown LIID, expired warrant, traffic-only warrant, protected number."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custodio.access import casework
from custodio.access import comms as service
from custodio.catalog.comms import Filters
from custodio.errors import Forbidden, NotFound
from custodio.etsi import encode as E
from custodio.etsi.pdu import IRIType, decode
from custodio.handover.routing import to_routing
from custodio.journal import Journal
from custodio.journal.format import Routing
from tests.integration.assemble.conftest import OPERATOR, Line, add_warrant, phones

CASE = "DP 123/2026"


def test_unknown_expired_and_traffic_only_go_to_quarantine(line: Line) -> None:
    # the simulator's LIIDs: call i uses ES-LIID-000{i % 4}; 0 is bound by the fixture
    add_warrant(line, "AUTO 46/2026", "ES-LIID-0001", scope=frozenset({"traffic"}))
    add_warrant(
        line, "AUTO 1/2026", "ES-LIID-0002",
        issued_at=datetime(2026, 1, 1, tzinfo=UTC), valid_from=datetime(2026, 1, 1, tzinfo=UTC),
        valid_until=datetime(2026, 3, 1, tzinfo=UTC),
    )  # fmt: skip
    line.deliver(profile="mobile", calls=4, targets=4, duration=0.4)
    line.assemble()
    rows = {r["liid"]: r for r in line.rows("SELECT * FROM communications")}
    assert rows["ES-LIID-0000"]["quarantined"] == 0 and rows["ES-LIID-0000"]["status"] == "complete"
    traffic_only = rows["ES-LIID-0001"]
    assert traffic_only["quarantined"] == 0 and traffic_only["status"] == "complete"
    assert '"content-quarantined"' in traffic_only["reasons"]
    assert rows["ES-LIID-0002"]["quarantined"] == 1 and rows["ES-LIID-0003"]["quarantined"] == 1
    held = {(q["liid"], q["reason"], q["data_kind"]) for q in _quarantine(line)}
    assert held == {
        ("ES-LIID-0001", "content-not-authorised", "content"),
        ("ES-LIID-0002", "outside-validity", "all"),
        ("ES-LIID-0003", "unknown-liid", "all"),
        # the warrants authorise no location: the cells are held back too
        ("ES-LIID-0000", "location-not-authorised", "location"),
        ("ES-LIID-0001", "location-not-authorised", "location"),
    }
    assert line.rows("SELECT * FROM comm_locations") == []
    svc = line.world.svc
    listed = service.list_comms(svc, line.world.as_("inv1"), CASE, Filters())
    assert sorted(c["liid"] for c in listed) == ["ES-LIID-0000", "ES-LIID-0001"]
    with pytest.raises(NotFound):
        service.show_comm(svc, line.world.as_("inv1"), int(rows["ES-LIID-0002"]["id"]))
    with pytest.raises(NotFound):  # a traffic-only warrant: no audio was kept visible
        service.audio(svc, line.world.as_("inv1"), line.vault, int(traffic_only["id"]), "target",
                      "listening")  # fmt: skip


def _quarantine(line: Line) -> list[dict[str, object]]:
    items = service.quarantine_list(line.world.svc, line.world.as_("wo"))
    for item in items:
        detail = service.quarantine_show(line.world.svc, line.world.as_("wo"), int(item["id"]))
        stored = line.vault.get(str(detail["vault_case"]), str(detail["object_id"]))
        assert len(stored) == detail["size"]
        assert detail["records"] > 0 or b'"cells"' in stored
    return items


def test_the_investigator_cannot_list_the_quarantine(line: Line) -> None:
    with pytest.raises(Forbidden):
        service.quarantine_list(line.world.svc, line.world.as_("inv1"))
    assert line.world.last_audit()["outcome"] == "denied"


def test_a_call_with_a_protected_number_is_sealed_and_hidden_from_the_investigator(
    line: Line,
) -> None:
    lawyer = phones(1)[0]  # the caller of the second call (who calls the target)
    casework.add_protected(line.world.svc, line.world.as_("wo"), lawyer, "defence lawyer")
    line.deliver(profile="voip", calls=2, duration=0.4)
    line.assemble()
    sealed = line.rows("SELECT * FROM communications WHERE sealed = 1")
    assert len(sealed) == 1 and sealed[0]["cin"] == max(
        r["cin"] for r in line.rows("SELECT cin FROM communications")
    )
    svc, inv = line.world.svc, line.world.as_("inv1")
    listed = service.list_comms(svc, inv, CASE, Filters())
    assert [c["id"] for c in listed] != [] and sealed[0]["id"] not in [c["id"] for c in listed]
    with pytest.raises(Forbidden, match="sealed"):
        service.show_comm(svc, inv, int(sealed[0]["id"]))
    denied = line.world.last_audit()
    assert (denied["action"], denied["outcome"], denied["actor"]) == (
        "traffic.read", "denied", "inv1",
    )  # fmt: skip
    casework.assign(svc, line.world.as_("wo"), CASE, "judge", None)
    assert service.show_comm(svc, line.world.as_("judge"), int(sealed[0]["id"]))["sealed"]
    events = line.rows("SELECT action FROM audit_entries WHERE action = 'comm.sealed'")
    assert len(events) == 1


def _sms_of(liid: bytes, cin: int) -> tuple[Routing, bytes]:
    record = E.IRIRecord(liid=liid, communication_id=str(cin).encode(), operator_id=b"OPERA",
                         local_time=datetime(2026, 11, 29, 10, 0), sms=E.SMS(initiator=1,
                         enhanced=b"hola", encoding=4))  # fmt: skip
    h = E.Header(liid=liid, operator_id=OPERATOR.encode(), cin=cin, sequence_number=0,
                 timestamp=datetime(2026, 11, 29, 10, 0, tzinfo=UTC))  # fmt: skip
    pdu = E.iri_etsi671(h, IRIType.REPORT, record)
    return to_routing(decode(pdu), 2, "test"), pdu


def test_liids_that_are_not_utf8_keep_their_own_names(line: Line) -> None:
    """TS 102 232-1 LIIDs are octets: two that are not UTF-8 are two LIIDs (both were
    U+FFFD before, one key), named by their text form (custodio.etsi.names), which a
    warrant officer can bind."""
    wo = line.world.as_("wo")
    casework.bind_liid(line.world.svc, wo, CASE, "AUTO 45/2026", "ES-\\xff", OPERATOR)
    journal = Journal.open(line.directory / "journal")
    journal.append_sync([_sms_of(b"ES-\xff", 1), _sms_of(b"ES-\xfe", 2)])
    journal.close_sync()
    line.assemble()
    rows = {r["liid"]: r for r in line.rows("SELECT * FROM communications")}
    assert set(rows) == {"ES-\\xff", "ES-\\xfe"}
    assert rows["ES-\\xff"]["quarantined"] == 0  # bound: attributed to the case
    assert rows["ES-\\xfe"]["quarantined"] == 1  # unknown: quarantined under its own name
    (held,) = _quarantine(line)
    assert held["liid"] == "ES-\\xfe"
