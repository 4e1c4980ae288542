"""Drops, duplicates and reordering on the wire; a restart (and a failed commit) mid-way.

The failed commit is made by wrapping the catalog call that records the position so that
it raises once (as a lost disk or database would) and then calls the real one: a real
database cannot be made to fail one chosen transaction here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from custodio.assemble import wav
from custodio.catalog import comms
from custodio.journal import Journal
from custodio.simulator.mediator import Faults
from tests.integration.assemble.conftest import (
    Line,
    journal_sequences,
    missing_ranges,
    sent_audio,
)


def _reasons(row: dict[str, Any]) -> dict[str, list[list[int]]]:
    return {
        r["channel"]: r["ranges"]
        for r in json.loads(row["reasons"])
        if r["reason"] == "sequence-gap"
    }


def _samples(line: Line, comm_id: int, direction: str) -> tuple[bytes, list[list[int]]]:
    product = line.rows(
        "SELECT * FROM comm_products WHERE communication_id = ? AND kind = 'audio' "
        "AND direction = ?",
        (comm_id, direction),
    )[0]
    _, samples = wav.read_g711_wav(line.vault.get(product["vault_case"], product["object_id"]))
    return samples, json.loads(product["details"])["gaps"]


def test_drops_duplicates_and_reordering_give_the_status_and_the_gap_ranges(line: Line) -> None:
    faults = Faults(drop=0.02, duplicate=0.03, reorder=0.03)
    report = line.deliver(profile="mobile", calls=6, duration=1.0, faults=faults, seed=11)
    assert report.dropped and report.duplicated and report.reordered
    line.assemble(idle=True)
    seen = journal_sequences(line.directory)
    rows = line.rows("SELECT * FROM communications ORDER BY cin")
    assert len(rows) == 6  # every call, whatever was lost of it
    for index, row in enumerate(rows):
        expected = {
            name: missing_ranges(seen[(row["cin"], channel)])
            for name, channel in (("hi2", 2), ("hi3", 3))
            if (row["cin"], channel) in seen and missing_ranges(seen[(row["cin"], channel)])
        }
        assert _reasons(row) == expected
        partial = bool(expected) or row["closed_by"] == "timeout"
        assert row["status"] == ("partial" if partial else "complete"), row["reasons"]
        if row["closed_by"] == "timeout":
            assert '"missing-iri-end"' in row["reasons"]
        if index % 2 and row["status"] != "orphan":  # RTP: holes placed by timestamp
            _check_rtp_audio(line, row["id"], sent_audio(index, 1.0, "es"))


def _check_rtp_audio(line: Line, comm_id: int, sent: bytes) -> None:
    samples, gaps = _samples(line, comm_id, "target")
    assert len(samples) <= len(sent)
    holes = {i for start, count in gaps for i in range(start, start + count)}
    for i, octet in enumerate(samples):
        assert octet == (0xD5 if i in holes else sent[i])


def test_a_restart_mid_assembly_neither_loses_nor_duplicates(
    line: Line, monkeypatch: pytest.MonkeyPatch
) -> None:
    line.deliver(profile="voip", calls=4, duration=1.0)
    journal = Journal.open(line.directory / "journal")
    first = line.assembler(journal, batch_records=60)
    for _ in range(4):
        first.step()
    assert line.rows("SELECT COUNT(*) AS n FROM communications WHERE status = 'open'")[0]["n"]
    journal.close_sync()  # the process dies: its memory is gone, the catalog stays

    journal = Journal.open(line.directory / "journal")
    second = line.assembler(journal, batch_records=60)
    failing = {"left": 1}
    real = comms.set_position

    # Injected: the catalog write of the consumer position fails once, inside the step's
    # transaction (a failure no real database produces on demand at this exact point); the
    # real function runs on every other call.
    def fail_once(tx: Any, consumer: str, seq: int) -> None:
        if failing["left"]:
            failing["left"] -= 1
            raise OSError("disk unplugged")  # the commit fails: memory is rebuilt
        real(tx, consumer, seq)

    monkeypatch.setattr(comms, "set_position", fail_once)
    with pytest.raises(OSError):  # the first commit after the replay of the open calls
        for _ in range(20):
            second.step()
    while second.step().records:
        pass
    second.step(final=True)
    journal.close_sync()

    rows = line.rows("SELECT * FROM communications ORDER BY cin")
    assert [r["status"] for r in rows] == ["complete"] * 4, [r["reasons"] for r in rows]
    seen = journal_sequences(line.directory)
    for index, row in enumerate(rows):
        pdus = line.rows(
            "SELECT * FROM comm_products WHERE communication_id = ? AND kind = 'pdus'",
            (row["id"],),
        )
        assert len(pdus) == 1
        assert pdus[0]["records"] == len(seen[(row["cin"], 2)]) + len(seen[(row["cin"], 3)])
        assert _samples(line, row["id"], "target")[0] == sent_audio(index, 1.0, "es")
        assert _samples(line, row["id"], "other")[0] == sent_audio(index, 1.0, "en")
        parties = line.rows("SELECT * FROM comm_parties WHERE communication_id = ?", (row["id"],))
        named = {(p["role"], p["delivered"], p["source"]) for p in parties}
        assert len(parties) == len(named) == 5  # From, To, Request-URI, two PAI: each once
    assert line.rows("SELECT COUNT(*) AS n FROM comm_products WHERE kind = 'audio'")[0]["n"] == 8
