"""Every PDU of the reference captures decodes with the fields an independent decoder gives.

The independent decoder is asn1tools compiling the reference ASN.1 modules, read from the
shared reference folder beside the repository (never copied into it: the modules are not
ours to redistribute; CI and developers have the folder beside the checkout, elsewhere those
tests are skipped, saying why). The frozen expectations below run everywhere.
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asn1tools  # type: ignore[import-untyped]
import pytest

from custodio.errors import DecodeError
from custodio.etsi.pdu import (
    CCContentsKind,
    DecodedPDU,
    Direction,
    FrameType,
    IRIContentsKind,
    IRIType,
    MicroTime,
    PayloadKind,
    Quirk,
    StreamFramer,
    TRIKind,
    decode,
)

ASSETS = Path(__file__).parents[2] / "assets" / "captures"
ASN1 = Path(__file__).parents[4] / "shared" / "reference" / "asn1" / "patched-full-set"
STREAMS = {
    "etsi_file.test": 100,
    "etsi_file_iri.test": 22,
    "etsi_10_pings_HI2.raw_tcp": 10,
    "etsi_10_pings_HI3.raw_tcp": 25,
    "cc_iPMMCC_pycrate.ber": 1,
    "iri_begin_pycrate.ber": 1,
    "keepalive_pycrate.ber": 1,
}


def split(name: str) -> list[memoryview]:
    pdus, error = StreamFramer().feed((ASSETS / name).read_bytes())
    assert error is None
    return pdus


@pytest.mark.parametrize(("name", "count"), STREAMS.items())
def test_capture_frames_into_its_pdus(name: str, count: int) -> None:
    framer = StreamFramer()
    data = (ASSETS / name).read_bytes()
    got: list[memoryview] = []
    for i in range(0, len(data), 97):  # arbitrary TCP segmentation
        pdus, error = framer.feed(data[i : i + 97])
        assert error is None
        got.extend(pdus)
    assert len(got) == count and framer.pending == 0
    assert b"".join(bytes(p) for p in got) == data


def test_reference_cc_fields() -> None:
    (pdu,) = split("cc_iPMMCC_pycrate.ber")
    d = decode(pdu)
    assert (d.liid, d.operator_id, d.network_element_id) == (
        b"ES-SITEL-LIID-0001",
        b"OPERADOR-ES",
        b"SBC-MAD-01",
    )
    assert (d.cin, d.sequence_number, d.kind) == (305419896, 1001, PayloadKind.CC)
    assert d.timestamp == datetime(2026, 11, 29, 10, 31, 5, 123000, tzinfo=UTC)
    assert d.authorization_country == d.delivery_country == "ES"
    (cc,) = d.cc
    assert cc.contents_kind is CCContentsKind.IPMM and cc.frame_type is FrameType.RTP
    assert cc.direction is Direction.FROM_TARGET and cc.mmcc_protocol == 0
    assert len(cc.content) == 172 and bytes(cc.content[:2]) == b"\x80\x08"
    assert cc.content.obj is pdu.obj  # a view into the PDU, not a copy
    assert d.quirks == Quirk.NONE


def test_reference_iri_and_keepalive_fields() -> None:
    (iri,) = split("iri_begin_pycrate.ber")
    d = decode(iri)
    (item,) = d.iri
    assert item.iri_type is IRIType.BEGIN and item.contents_kind is IRIContentsKind.ETSI671
    (ka,) = split("keepalive_pycrate.ber")
    k = decode(ka)
    assert k.is_keepalive and k.tri is not None and k.tri.kind is TRIKind.KEEP_ALIVE


def test_openli_fields() -> None:
    hi2 = [decode(p) for p in split("etsi_10_pings_HI2.raw_tcp")]
    assert hi2[0].domain_id == (0, 4, 0, 2, 2, 5, 1, 17, 0)
    assert hi2[0].quirks & Quirk.DOMAIN_ID  # the trailing-arc bug, accepted and recorded
    assert hi2[0].micro_timestamp == MicroTime(1621992513, 304716)
    assert hi2[0].iri[0].contents_kind is IRIContentsKind.IP
    assert all(d.is_keepalive for d in hi2[1:])
    iri = [decode(p) for p in split("etsi_file_iri.test")]
    sips = [d.iri[0].sip for d in iri if d.iri[0].sip is not None]
    assert len(sips) == 21
    assert sips[0].source == "192.168.1.73" and sips[0].destination == "10.100.50.65"
    assert bytes(sips[0].content).startswith(b"REGISTER sip:")


def _lemf_responses() -> list[bytes]:
    """The monitoring facility's side of the pcap: its keep-alive responses."""
    data = (ASSETS / "etsi_10_pings.pcap").read_bytes()
    pos, out = 24, []
    while pos < len(data):
        caplen = struct.unpack_from("<I", data, pos + 8)[0]
        frame = data[pos + 16 : pos + 16 + caplen]
        pos += 16 + caplen
        ip = frame[14:]
        tcp = ip[(ip[0] & 15) * 4 :]
        payload = tcp[(tcp[12] >> 4) * 4 :]
        if payload and struct.unpack_from(">H", tcp)[0] in (44444, 44445):
            out.append(payload)
    return out


def test_two_digit_year_from_the_wild_is_an_error() -> None:
    responses = _lemf_responses()
    assert len(responses) >= 10
    for raw in responses:
        with pytest.raises(DecodeError, match="two-digit year"):
            decode(raw)


# --- the independent decoder ---------------------------------------------------------


@pytest.fixture(scope="module")
def spec() -> Any:
    if not ASN1.is_dir():  # CI and developers have it; the modules may not be copied in
        pytest.skip(f"the reference ASN.1 modules are not beside this checkout ({ASN1})")
    return asn1tools.compile_files(sorted(str(p) for p in ASN1.iterdir()), "ber")


def _expect_header(d: DecodedPDU, h: dict[str, Any]) -> None:
    cid = h["communicationIdentifier"]
    net = cid["networkIdentifier"]
    assert d.liid == h["lawfulInterceptionIdentifier"]
    assert ".".join(map(str, d.domain_id)) == h["li-psDomainId"]
    assert d.operator_id == net["operatorIdentifier"]
    assert d.network_element_id == net.get("networkElementIdentifier")
    assert d.cin == cid.get("communicationIdentityNumber")
    assert d.delivery_country == cid.get("deliveryCountryCode")
    assert d.authorization_country == h.get("authorizationCountryCode")
    assert d.sequence_number == h["sequenceNumber"]
    assert d.timestamp == h.get("timeStamp")
    assert d.interception_point_id == h.get("interceptionPointID")
    micro = h.get("microSecondTimeStamp")
    expected = MicroTime(micro["seconds"], micro["microSeconds"]) if micro else None
    assert d.micro_timestamp == expected


IRI_TYPES = {"iRI-Begin": 1, "iRI-End": 2, "iRI-Continue": 3, "iRI-Report": 4}
DIRECTIONS = {"fromTarget": 0, "toTarget": 1, "indeterminate": 2, "combined": 3}
FRAMES = {"ipFrame": 0, "udpFrame": 1, "rtpFrame": 2, "audioFrame": 3}


def _expect_payload(d: DecodedPDU, payload: tuple[str, Any]) -> None:
    name, value = payload
    if name == "tRIPayload":
        assert d.tri is not None and d.tri.kind.name == value[0].replace("-", "_").upper()
        return
    if name == "iRIPayloadSequence":
        assert len(d.iri) == len(value)
        for item, ref in zip(d.iri, value, strict=True):
            assert item.iri_type == IRI_TYPES.get(ref.get("iRIType", ""))
            alt, content = ref["iRIContents"]
            assert item.contents_kind.name.lower() == _IRI_ALTS[alt]
            if alt == "iPMMIRI" and content["iPMMIRIContents"][0] == "sIPMessage":
                sip = content["iPMMIRIContents"][1]
                assert item.sip is not None and bytes(item.sip.content) == sip["sIPContent"]
        return
    assert name == "cCPayloadSequence" and len(d.cc) == len(value)
    for cc, ref in zip(d.cc, value, strict=True):
        assert cc.direction == DIRECTIONS.get(ref.get("payloadDirection", ""))
        alt, content = ref["cCContents"]
        assert cc.contents_kind.name.lower() == _CC_ALTS[alt]
        if alt == "iPMMCC":
            assert bytes(cc.content) == content["mMCCContents"]
            assert cc.frame_type == FRAMES.get(content.get("frameType", ""))


_IRI_ALTS = {"iPIRI": "ip", "iPMMIRI": "ipmm", "eTSI671IRI": "etsi671"}
_CC_ALTS = {"iPCC": "ip", "iPMMCC": "ipmm", "pstnIsdnCC": "pstn_isdn"}


@pytest.mark.parametrize("name", STREAMS)
def test_every_capture_pdu_matches_asn1tools(spec: Any, name: str) -> None:
    for pdu in split(name):
        reference = spec.decode("PS-PDU", bytes(pdu))
        d = decode(pdu)
        _expect_header(d, reference["pSHeader"])
        _expect_payload(d, reference["payload"])
