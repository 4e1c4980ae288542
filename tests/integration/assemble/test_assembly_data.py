"""A data session (TS 102 232-3 IPCC): its IP packets become a pcap under the case, sealed."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from custodio.access import comms as service
from custodio.assemble import pcap
from custodio.etsi import encode as E
from custodio.etsi.pdu import Direction, IRIType, decode
from custodio.handover.routing import to_routing
from custodio.journal import Journal
from custodio.simulator import media
from tests.integration.assemble.conftest import LIID, OPERATOR, Line

IPCC_OID = (0, 4, 0, 2, 2, 5, 3, 20, 2)  # li-ps iPAccess version20 cC
CIN = 4242


def _header(seq: int, at: datetime) -> E.Header:
    return E.Header(liid=LIID.encode(), operator_id=OPERATOR.encode(),
                    network_element_id=b"GGSN-MAD-01", cin=CIN, sequence_number=seq,
                    timestamp=at)  # fmt: skip


def _ipcc(seq: int, at: datetime, packet: bytes, direction: Direction) -> bytes:
    """HI3 PDU with an IPCC (the simulator speaks voice only: built here from its parts)."""
    ipcc = E.cons(2, E.prim(0, E.oid_content(IPCC_OID)), E.cons(1, E.prim(0, packet)))
    payload = E.sequence(E.prim(0, E.uint(direction.value)), E.cons(2, ipcc))
    return E.ps_pdu(_header(seq, at), E.cons(1, payload))


def _ipv6(payload: bytes) -> bytes:
    src, dst = (
        bytes.fromhex("20010db8" + "00" * 11 + "01"),
        bytes.fromhex("20010db8" + "00" * 11 + "02"),
    )
    return (
        bytes([0x60, 0, 0, 0])
        + len(payload).to_bytes(2, "big")
        + bytes([59, 64])
        + src
        + dst
        + payload
    )


def test_a_data_session_becomes_a_pcap_of_its_packets(line: Line) -> None:
    begin = datetime.now(UTC).replace(microsecond=250_000)
    target = E.Party(3, msisdn=b"\x43\x60\x01\x11\x22")  # gPRS-Target
    record = E.IRIRecord(liid=LIID.encode(), communication_id=str(CIN).encode(),
                         operator_id=b"OPERA", local_time=begin.replace(tzinfo=None),
                         call_direction=1, parties=(target,))  # fmt: skip
    up = media.ipv4_udp(bytes([10, 0, 0, 7]), bytes([198, 51, 100, 9]), 5353, 53, b"\x12\x34query")
    down = media.ipv4_udp(
        bytes([198, 51, 100, 9]), bytes([10, 0, 0, 7]), 53, 5353, b"\x12\x34answer"
    )
    sent = [(begin + timedelta(milliseconds=10 * n), p, d) for n, (p, d) in enumerate(
        [(up, Direction.FROM_TARGET), (down, Direction.TO_TARGET),
         (_ipv6(b"six" * 10), Direction.FROM_TARGET)])]  # fmt: skip
    items = [(2, E.iri_etsi671(_header(0, begin), IRIType.BEGIN, record))]
    items += [(3, _ipcc(n, at, p, d)) for n, (at, p, d) in enumerate(sent)]
    items.append((2, E.iri_etsi671(_header(1, begin + timedelta(seconds=1)), IRIType.END, record)))
    journal = Journal.open(line.directory / "journal")
    try:
        for channel, pdu in items:
            journal.append_sync([(to_routing(decode(pdu), channel, "test"), pdu)], time.time_ns())
    finally:
        journal.close_sync()
    line.assemble()

    (row,) = line.rows("SELECT * FROM communications")
    assert (row["kind"], row["status"], row["case_id"]) == ("data", "complete", 1), row["reasons"]
    (product,) = line.rows(
        "SELECT * FROM comm_products WHERE communication_id = ? AND kind = 'pcap'", (row["id"],)
    )
    data = line.vault.get(product["vault_case"], product["object_id"])
    assert data[:4] == bytes.fromhex("d4c3b2a1")  # libpcap, little-endian, microseconds
    assert pcap.read(data) == [(at.timestamp(), p) for at, p, _ in sent]
    report = service.seal_check(line.world.svc, line.world.as_("inv1"), line.vault, row["id"])
    assert report["ok"] and "pcap" in {o["kind"] for o in report["objects"]}
