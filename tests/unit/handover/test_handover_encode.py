"""The encoder: reproduces the reference captures, and its IRI decodes with pycrate."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from pycrate_asn1dir import LIETSI as lietsi  # type: ignore[import-untyped]

from custodio.etsi import encode as E
from custodio.etsi.pdu import Direction, FrameType, IRIType, TRIKind, decode

ASSETS = Path(__file__).parents[2] / "assets" / "captures"
WHEN = datetime(2026, 11, 29, 10, 31, 5, 123000, tzinfo=UTC)


def reference_header(seq: int) -> E.Header:
    return E.Header(
        liid=b"ES-SITEL-LIID-0001",
        operator_id=b"OPERADOR-ES",
        network_element_id=b"SBC-MAD-01",
        cin=305419896,
        sequence_number=seq,
        timestamp=WHEN,
        timestamp_qualifier=1,
        authorization_country="ES",
        delivery_country="ES",
    )


RECORD = E.IRIRecord(
    liid=b"ES-SITEL-LIID-0001",
    communication_id=bytes.fromhex("12345678"),
    operator_id=b"OPES1",
    local_time=datetime(2026, 11, 29, 11, 31, 5, 123000),
    network_element_e164=bytes.fromhex("8413430607000000"),
    call_direction=1,
    parties=(
        E.Party(0, calling_isup=bytes.fromhex("8413430610325406")),
        E.Party(1, called_isup=bytes.fromhex("8410431955052103")),
    ),
)


def test_reproduces_reference_cc() -> None:
    rtp = bytes.fromhex("80081267000B80601234ABCD") + b"\xd5" * 160
    got = E.cc_ipmm(reference_header(1001), rtp, frame_type=FrameType.RTP, protocol=0)
    assert got == (ASSETS / "cc_iPMMCC_pycrate.ber").read_bytes()


def test_reproduces_reference_iri_and_keepalive() -> None:
    got = E.iri_etsi671(reference_header(1000), IRIType.BEGIN, RECORD)
    assert got == (ASSETS / "iri_begin_pycrate.ber").read_bytes()
    bare = E.iris_content(IRIType.BEGIN, RECORD)
    assert bare == (ASSETS / "hi2_IRIsContent_iriBegin_pycrate.ber").read_bytes()
    assert E.keepalive(reference_header(1002)) == (ASSETS / "keepalive_pycrate.ber").read_bytes()


MOBILE = E.IRIRecord(
    liid=b"L-7",
    communication_id=b"00000042",
    operator_id=b"OPES1",
    local_time=datetime(2026, 3, 1, 9, 0, 0),
    summer_time=True,
    call_direction=2,
    global_cell_id=bytes.fromhex("21f4300001abcd"),
    parties=(
        E.Party(0, imsi=bytes.fromhex("214030123456789f"), msisdn=bytes.fromhex("914356")),
        E.Party(1, sip_uri=b"sip:+34600000000@ims.example", tel_url=b"tel:+34600000000"),
    ),
    sms=E.SMS(b"Nos vemos a las diez"),
)


@pytest.mark.parametrize("iri_type", list(IRIType))
@pytest.mark.parametrize("as_record", [False, True])
def test_iri_decodes_with_pycrate(iri_type: IRIType, as_record: bool) -> None:
    content = lietsi.HI2Operations.IRIsContent
    content.from_ber(E.iris_content(iri_type, MOBILE))
    kind, value = content.get_val()
    record_names = {1: "iRI-Begin-record", 2: "iRI-End-record"}
    record_names |= {3: "iRI-Continue-record", 4: "iRI-Report-record"}
    assert kind == "iRIContent" and value[0] == record_names[iri_type.value]
    params = value[1]
    assert params["lawfulInterceptionIdentifier"] == b"L-7"
    assert params["locationOfTheTarget"]["globalCellID"] == MOBILE.global_cell_id
    assert params["sMS"]["sMS-Contents"]["content"] == b"Nos vemos a las diez"
    parties = params["partyInformation"]
    assert parties[1]["partyIdentity"]["sip-uri"] == b"sip:+34600000000@ims.example"
    pdu = E.iri_etsi671(reference_header(5), iri_type, MOBILE, as_record=as_record)
    (item,) = decode(pdu).iri
    assert item.effective_type is iri_type
    assert item.record is (iri_type if as_record else None)


def test_sip_and_pstn_round_trip() -> None:
    sip = b"INVITE sip:bob@example.org SIP/2.0\r\nContent-Length: 0\r\n\r\n"
    d = decode(E.iri_sip(reference_header(1), IRIType.BEGIN, "10.0.0.1", "2001:db8::1", sip))
    (item,) = d.iri
    assert item.sip is not None and bytes(item.sip.content) == sip
    assert (item.sip.source, item.sip.destination) == ("10.0.0.1", "2001:db8::1")
    c = decode(E.cc_pstn(reference_header(2), b"\xd5" * 160, cc_link_id=3, direction=None))
    assert c.cc[0].cc_link_id == 3 and bytes(c.cc[0].content) == b"\xd5" * 160
    assert c.cc[0].direction is None


def test_respond_to_keepalive() -> None:
    ka = decode(E.keepalive(reference_header(77)))
    raw = E.respond_to_keepalive(ka, now=WHEN)
    assert raw is not None
    answer = decode(raw)
    assert answer.tri is not None and answer.tri.kind is TRIKind.KEEP_ALIVE_RESPONSE
    assert (answer.liid, answer.cin, answer.sequence_number) == (ka.liid, ka.cin, 77)
    assert answer.timestamp == WHEN
    cc = decode(E.cc_ipmm(reference_header(1), b"x", direction=Direction.TO_TARGET))
    assert E.respond_to_keepalive(cc) is None


def test_integrity_check_round_trip() -> None:
    d = decode(E.integrity_check(reference_header(9), [1, 2, 3], b"\x11" * 32))
    assert d.tri is not None and d.tri.integrity is not None
    assert d.tri.integrity.sequence_numbers == (1, 2, 3)
    assert bytes(d.tri.integrity.check_value) == b"\x11" * 32


def test_routing_block_for_the_journal() -> None:
    from custodio.handover.routing import to_routing  # noqa: PLC0415
    from custodio.journal.format import decode_routing, encode_routing  # noqa: PLC0415

    d = decode(E.cc_ipmm(reference_header(4), b"rtp", direction=Direction.TO_TARGET))
    r = to_routing(d, 3, "198.51.100.7:4000#2")
    assert (r.payload_kind, r.subkind, r.direction, r.pdu_seq) == (1, 12, 1, 4)
    assert decode_routing(encode_routing(r)) == r
