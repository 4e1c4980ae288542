"""Calls and SMS through the simulator over real TCP, assembled into communications."""

from __future__ import annotations

import json
from typing import Any

import pytest

from custodio.access import comms as service
from custodio.assemble import wav
from custodio.catalog.comms import Filters
from tests.integration.assemble.conftest import Line, phones, sent_audio


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
    report = line.deliver(profile=profile, calls=3, sms=1, duration=1.0)
    assert (report.calls, report.sms) == (3, 1)
    line.assemble()
    rows = line.rows("SELECT * FROM communications ORDER BY cin")
    assert [r["kind"] for r in rows] == ["voice", "voice", "voice", "sms"]
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
    sms = rows[-1]
    message = line.rows(
        "SELECT * FROM comm_products WHERE communication_id = ? AND kind = 'message'",
        (sms["id"],),
    )
    assert len(message) == 1
    text = json.loads(line.vault.get(message[0]["vault_case"], message[0]["object_id"]))["text"]
    assert text  # one of the simulator's messages


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
