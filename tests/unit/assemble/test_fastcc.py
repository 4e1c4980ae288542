"""CC PDUs read through a learnt template give exactly what the full walk gives."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custodio.assemble import fastcc
from custodio.assemble.fastcc import Templates
from custodio.etsi import encode as E
from custodio.etsi.pdu import (
    DecodedPDU,
    Direction,
    FrameType,
    MicroTime,
    decode,
    parse_generalized_time,
)
from custodio.handover.routing import to_routing
from custodio.journal import Record


def _pdu(n: int, *, micro: bool, pstn: bool = False, liid: bytes = b"LI-1") -> bytes:
    at = datetime(2026, 11, 29, 12, tzinfo=UTC) + timedelta(milliseconds=20 * n + 3)
    stamp = MicroTime(int(at.timestamp()), at.microsecond) if micro else None
    h = E.Header(liid=liid, operator_id=b"OP", cin=9, sequence_number=n * 37,
                 timestamp=None if micro else at, micro_timestamp=stamp)  # fmt: skip
    media = bytes((n + i) % 256 for i in range(160))
    if pstn:
        return E.cc_pstn(h, media, direction=Direction.TO_TARGET, cc_link_id=2)
    return E.cc_ipmm(h, b"\x80\x08" + media, direction=Direction.FROM_TARGET,
                     frame_type=FrameType.RTP, timestamp=at if n % 2 else None)  # fmt: skip


def _record(seq: int, pdu: bytes) -> Record:
    return Record(seq, 0, to_routing(decode(pdu), 3, ""), pdu)


def _fields(p: DecodedPDU) -> tuple[object, ...]:
    item = p.cc[0]
    return (bytes(p.raw), p.liid, p.cin, p.sequence_number, p.timestamp, p.micro_timestamp,
            item.direction, item.timestamp, item.micro_timestamp, item.contents_kind,
            item.frame_type, item.cc_link_id, bytes(item.content))  # fmt: skip


def test_templates_read_the_changing_fields_like_the_full_walk() -> None:
    templates = Templates()
    pdus = [_pdu(n, micro=m, pstn=p) for m in (False, True) for p in (False, True)
            for n in range(1, 40, 2)]  # fmt: skip
    for seq, pdu in enumerate(pdus, 1):
        assert _fields(templates.decode(_record(seq, pdu))) == _fields(decode(pdu))
    assert templates.hits > 0.8 * len(pdus)


def test_a_pdu_that_differs_outside_the_changing_fields_takes_the_full_walk() -> None:
    templates = Templates()
    templates.decode(_record(1, _pdu(1, micro=False)))
    other = _pdu(3, micro=False, liid=b"LI-2")  # same length, another LIID
    routing = to_routing(decode(_pdu(3, micro=False)), 3, "")  # a routing that lies
    got = templates.decode(Record(2, 0, routing, other))
    assert got.liid == b"LI-2" and templates.walks == 2


def test_time_stamps_read_from_the_whole_second_equal_the_full_parse() -> None:
    for raw in (b"20261129121501.123Z", b"20261129121501.1234567Z", b"20261129121560.5Z",
                b"20261129121501Z", b"20261129121501.Z", b"20261129121501.25+0100"):  # fmt: skip
        assert fastcc._time(raw) == parse_generalized_time(raw, "t", 0)[0], raw
