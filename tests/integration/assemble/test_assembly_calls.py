"""Calls and SMS through the simulator over real TCP, assembled into communications."""

from __future__ import annotations

import json
from typing import Any

import pytest

from custodio.access import casework
from custodio.access import comms as service
from custodio.assemble import wav
from custodio.catalog import identifiers
from custodio.catalog.comms import Filters
from custodio.simulator.mediator import target_imei, target_imsi
from tests.integration.assemble.conftest import OPERATOR, Line, phones, sent_audio
from tests.integration.conftest import CASE, new_warrant


def _voice(line: Line) -> list[dict[str, Any]]:
    return line.rows("SELECT * FROM communications WHERE kind = 'voice' ORDER BY cin")


def _audio(line: Line, comm_id: int, direction: str) -> bytes:
    inv = line.world.as_("inv1")
    data = service.audio(line.world.svc, inv, line.vault, comm_id, direction, "test listening")
    codec, samples = wav.read_g711_wav(data)
    assert codec == wav.PCMA
    return samples


@pytest.mark.parametrize("profile", ["mobile", "voip"])
def test_calls_and_sms_become_communications_with_parties_times_and_audio(
    line: Line, profile: str
) -> None:
    report = line.deliver(profile=profile, calls=3, sms=4, duration=1.0)
    assert (report.calls, report.sms) == (3, 4)
    line.assemble()
    rows = line.rows("SELECT * FROM communications ORDER BY cin")
    assert [r["kind"] for r in rows] == ["voice"] * 3 + ["sms"] * 4
    assert {r["status"] for r in rows} == {"complete"}, [r["reasons"] for r in rows]
    for index, row in enumerate(_voice(line)):
        side = "originating" if index % 2 == 0 else "terminating"  # the target calls, is called
        assert (row["closed_by"], row["direction"]) == ("iri-end", side), row["target_basis"]
        assert row["begin_at"] <= row["answer_at"] <= row["end_at"]
        parties = line.rows(
            "SELECT role, e164 FROM comm_parties WHERE communication_id = ? AND e164 IS NOT NULL",
            (row["id"],),
        )
        calling, called = phones(index)
        assert {(p["role"], p["e164"]) for p in parties} == {
            ("originating", calling),
            ("terminating", called),
        }
        assert _audio(line, row["id"], "target") == sent_audio(index, 1.0, "es")
        assert _audio(line, row["id"], "other") == sent_audio(index, 1.0, "en")
    _check_sms(line, rows[3:])


def _check_sms(line: Line, rows: list[dict[str, Any]]) -> None:
    """The simulator's four kinds of SMS: a GSM 7-bit SMS-SUBMIT the target sends, an
    SMS-DELIVER it receives, enhancedContent text, a long SMS-DELIVER in parts under
    their own CINs (one communication); the target named by its MSISDN (MAP format)."""
    docs = []
    for row in rows:
        (message,) = line.rows(
            "SELECT * FROM comm_products WHERE communication_id = ? AND kind = 'message'",
            (row["id"],),
        )
        docs.append(json.loads(line.vault.get(message["vault_case"], message["object_id"])))
        basis = "warrant target e164:+34600111222 is the msisdn party"
        assert (row["target_basis"], row["closed_by"]) == (basis, "report")
    assert [row["direction"] for row in rows] == ["originating"] + ["terminating"] * 3
    assert [d["header"].get("type") for d in docs] == [
        "SMS-SUBMIT", "SMS-DELIVER", None, "SMS-DELIVER",
    ]  # fmt: skip
    assert docs[2]["source"] == "enhancedContent" and docs[2]["text"]
    assert docs[0]["header"]["alphabet"] == "gsm7" and docs[0]["text"]
    assert len(docs[3]["parts"]) > 1 and docs[3]["missing_parts"] == []
    assert docs[3]["text"].startswith("Mañana a las 9")  # joined, in order


def test_the_investigator_lists_and_reads_what_the_warrant_covers(line: Line) -> None:
    line.deliver(profile="voip", calls=2, duration=0.4)
    line.assemble()
    svc, inv = line.world.svc, line.world.as_("inv1")
    listed = service.list_comms(svc, inv, "DP 123/2026", Filters())
    assert [c["kind"] for c in listed] == ["voice", "voice"]
    _, called = phones(0)  # the other party of the first call only
    only = service.list_comms(svc, inv, "DP 123/2026", Filters(party=called))
    assert [c["id"] for c in only] == [listed[0]["id"]]
    detail = service.show_comm(svc, inv, int(listed[0]["id"]))
    basis = "warrant target e164:+34600111222 is the sip-from party"
    assert detail["call_id"] and detail["target_basis"] == basis
    assert {p["kind"] for p in detail["products"]} == {"pdus", "audio"}
    stereo = service.audio(svc, inv, line.vault, int(listed[0]["id"]), "both", "monitoring")
    assert stereo[:4] == b"RIFF" and len(stereo) >= 44 + 4 * 3200  # 0.4 s, 16-bit stereo
    entry = line.world.last_audit()
    assert (entry["action"], entry["purpose"]) == ("content.read", "monitoring")


def test_a_mobile_target_named_by_its_imsi_is_found_on_either_side(line: Line) -> None:
    """TS 101 671 partyIdentity imsi [3], a MAP TBCD string (TS 29.002 §17.7.8): a warrant
    naming the IMSI finds its party, here the called one (it was read as hex and never
    matched)."""
    imsi = target_imsi(1)
    new = new_warrant("AUTO 47/2026", liids=(("ES-LIID-0001", OPERATOR),),
                      targets=(identifiers.parse(f"imsi:{imsi}"),))  # fmt: skip
    casework.add_warrant(line.world.svc, line.world.as_("wo"), CASE, new)
    line.deliver(profile="mobile", calls=2, targets=2, duration=0.2)
    line.assemble()
    (row,) = line.rows("SELECT * FROM communications WHERE liid = 'ES-LIID-0001'")
    assert row["direction"] == "terminating"  # call 1: the target is called
    assert row["target_basis"] == f"warrant target imsi:{imsi} is the imsi party"
    targets = line.rows("SELECT source, delivered FROM comm_parties WHERE communication_id = ? "
                        "AND is_target = 1", (row["id"],))  # fmt: skip
    assert {(t["source"], t["delivered"]) for t in targets} >= {
        ("imsi", imsi), ("imei", target_imei(1)), ("msisdn", "+34600111223"),
    }  # fmt: skip
