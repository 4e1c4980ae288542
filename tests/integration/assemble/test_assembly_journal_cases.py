"""Cases the simulator does not make, written into the journal as a mediator would send
them: a µ-law call, a call running past the end of its warrant, records arriving after
their call was closed."""

from __future__ import annotations

import json
import random
import struct
import time
from datetime import UTC, datetime, timedelta

from custodio.access import comms as service
from custodio.assemble import wav
from custodio.etsi import encode as E
from custodio.etsi.pdu import Direction, FrameType, IRIType, decode
from custodio.handover.routing import to_routing
from custodio.journal import Journal, Record
from tests.integration.assemble.conftest import LIID, OPERATOR, Line, sent_audio

CIN = 5151
SIDES = {"target": Direction.FROM_TARGET, "other": Direction.TO_TARGET}


def _header(channel: int, seq: int, at: datetime) -> E.Header:
    return E.Header(liid=LIID.encode(), operator_id=OPERATOR.encode(), cin=CIN + channel,
                    sequence_number=seq, timestamp=at)  # fmt: skip


def _call(begin: datetime, packets: int, codec: int) -> tuple[list[bytes], dict[str, bytes]]:
    """IRI-Begin, ``packets`` RTP packets per direction of 20 ms, IRI-End: (PDUs, octets)."""
    record = E.IRIRecord(
        liid=LIID.encode(), communication_id=b"5151", operator_id=b"OPERA",
        local_time=begin.replace(tzinfo=None), call_direction=1,
        parties=(E.Party(0, calling_isup=b"\x04\x34\x60\x01\x11\x22\xf2"),),
    )  # fmt: skip
    rng = random.Random(codec)
    octets = {side: bytes(rng.randrange(256) for _ in range(160 * packets)) for side in SIDES}
    pdus = [E.iri_etsi671(_header(0, 0, begin), IRIType.BEGIN, record)]
    seq = 0
    for n in range(packets):
        at = begin + timedelta(milliseconds=20 * n)
        for side, direction in SIDES.items():
            payload = octets[side][160 * n : 160 * (n + 1)]
            rtp = struct.pack(">BBHII", 0x80, codec, n, 160 * n, 7 + direction) + payload
            pdus.append(E.cc_ipmm(_header(0, seq, at), rtp, direction=direction,
                                  frame_type=FrameType.RTP))  # fmt: skip
            seq += 1
    end = begin + timedelta(milliseconds=20 * packets)
    pdus.append(E.iri_etsi671(_header(0, 1, end), IRIType.END, record))
    return pdus, octets


def _append(line: Line, pdus: list[bytes]) -> None:
    journal = Journal.open(line.directory / "journal")
    try:
        items = []
        for pdu in pdus:
            decoded = decode(pdu)
            items.append((to_routing(decoded, 3 if decoded.cc else 2, "test"), pdu))
        journal.append_sync(items, time.time_ns())
    finally:
        journal.close_sync()


def _audio(line: Line, comm_id: int, side: str) -> tuple[int, bytes]:
    data = service.audio(line.world.svc, line.world.as_("inv1"), line.vault, comm_id, side, "t")
    return wav.read_g711_wav(data)


def test_a_mu_law_call_decodes_sample_exact(line: Line) -> None:
    pdus, octets = _call(datetime.now(UTC), 60, wav.PCMU)
    _append(line, pdus)
    line.assemble()
    (row,) = line.rows("SELECT * FROM communications")
    assert row["status"] == "complete", row["reasons"]
    for side in SIDES:
        assert _audio(line, row["id"], side) == (wav.PCMU, octets[side])
    stereo = service.audio(line.world.svc, line.world.as_("inv1"), line.vault, row["id"],
                           "both", "t")  # fmt: skip
    expected = wav.stereo(wav.decode(octets["target"], wav.PCMU),
                          wav.decode(octets["other"], wav.PCMU), (0, 0))  # fmt: skip
    assert stereo == expected and wav.ULAW_TABLE[0xFF] == 0  # µ-law silence is zero


def test_packets_after_the_warrant_ends_are_quarantined_though_the_call_began_inside(
    line: Line,
) -> None:
    end = datetime(2027, 1, 31, tzinfo=UTC)  # the warrant's valid_until
    pdus, octets = _call(end - timedelta(seconds=1), 100, wav.PCMA)  # 1 s in, 1 s past
    _append(line, pdus)
    line.assemble()
    (row,) = line.rows("SELECT * FROM communications")
    assert row["quarantined"] == 0 and row["status"] == "complete"
    assert {"reason": "content-outside-validity"} in json.loads(row["reasons"])
    for side in SIDES:  # 50 packets at or before the end (inclusive), the rest held
        assert _audio(line, row["id"], side)[1] == octets[side][: 160 * 51]
    (held,) = line.rows("SELECT * FROM quarantine_items WHERE data_kind = 'content'")
    assert (held["reason"], held["records"], held["communication_id"]) == (
        "outside-validity", 2 * 49, row["id"])  # fmt: skip


def test_late_records_reopen_the_call_and_its_audio_is_derived_whole(line: Line) -> None:
    line.deliver(profile="voip", calls=1, duration=2.0)
    journal = Journal.open(line.directory / "journal")
    try:
        records = journal.read(0, 10**6)
    finally:
        journal.close_sync()
    late = [r for r in records if r.routing.payload_kind == 1 and r.routing.direction == 0][40:50]
    on_time = [r for r in records if r not in late]
    (line.directory / "journal").rename(line.directory / "sent")
    _replace(line, on_time)
    line.assemble()
    (row,) = line.rows("SELECT * FROM communications")
    assert row["status"] == "partial" and row["amendments"] == 0
    assert _audio(line, row["id"], "target")[1] != sent_audio(0, 2.0, "es")  # a hole

    _replace(line, late)  # the mediator delivers them after the call was closed
    line.assemble()
    (after,) = line.rows("SELECT * FROM communications")
    assert (after["id"], after["amendments"]) == (row["id"], 1)  # re-opened, not a second one
    assert _audio(line, row["id"], "target")[1] == sent_audio(0, 2.0, "es")  # whole again
    assert _audio(line, row["id"], "other")[1] == sent_audio(0, 2.0, "en")
    products = line.rows(
        "SELECT * FROM comm_products WHERE communication_id = ? AND kind = 'audio' ORDER BY id",
        (row["id"],),
    )
    assert [(p["direction"], p["superseded_at"] is None) for p in products] == [
        ("target", False), ("other", False), ("target", True), ("other", True)]  # fmt: skip
    current = json.loads(products[2]["details"])
    assert current["gaps"] == [] and current["packets"] == 100
    amended = line.rows("SELECT * FROM audit_entries WHERE action = 'comm.amended'")
    assert len(amended) == 1 and amended[0]["target"] == f"communication:{row['id']}"


def _replace(line: Line, records: list[Record]) -> None:
    """Append ``records`` (as received) to the line's journal."""
    journal = Journal.open(line.directory / "journal")
    try:
        for r in records:
            journal.append_sync([(r.routing, r.pdu)], r.received_ns)
    finally:
        journal.close_sync()
