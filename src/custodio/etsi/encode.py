"""A BER encoder of PS-PDUs, for the operator simulator, for tests, and for the one PDU
the receiver itself sends: the keep-aliveResponse (:func:`respond_to_keepalive`).

It writes definite, minimal lengths and the tags of ETSI TS 102 232-1 (PS-PDU),
TS 102 232-5 (IPMMCC, IPMMIRI with SIP), TS 102 232-6 (PSTN/ISDN CC) and TS 101 671
``IRI-Parameters`` (HI2Operations version 18) — the structure of the reference captures.
The PS-PDU's tags (and the domain identifier) are those of the one description,
:mod:`custodio.etsi.li_ps_pdu`; the TS 101 671 record's are written here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from custodio.etsi import li_ps_pdu as S
from custodio.etsi.pdu import (
    DecodedPDU,
    Direction,
    FrameType,
    IRIType,
    MicroTime,
    TRIKind,
)

LI_PS_DOMAIN_ID = (*S.LI_PS_DOMAIN_PREFIX, S.LI_PS_VERSION)  # li-psDomainId, version 33
HI2_OPERATION_ID = (0, 4, 0, 2, 2, 1, 18)  # hi2OperationId, version 18
IPMMCC_OID = (5, 5, 14, 2)  # relative to lawfulIntercept: li-ps iPMultimedia v14 cC
IPMMIRI_OID = (5, 5, 14, 1)
PSTN_CC_OID = (5, 6, 5, 2)  # li-ps pstnIsdn v5 cC


# --- primitives ----------------------------------------------------------------------


def length_octets(length: int) -> bytes:
    """The definite length in its minimal form."""
    if length < 0x80:
        return bytes((length,))
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw


def tag_octets(number: int, *, constructed: bool = False, cls: int = 2) -> bytes:
    """Identifier octets; ``cls`` 0 universal, 1 application, 2 context, 3 private."""
    first = (cls << 6) | (0x20 if constructed else 0)
    if number < 0x1F:
        return bytes((first | number,))
    arcs = [number & 0x7F]
    number >>= 7
    while number:
        arcs.append(0x80 | (number & 0x7F))
        number >>= 7
    return bytes((first | 0x1F, *reversed(arcs)))


def tlv(tag: bytes, content: bytes) -> bytes:
    """One element."""
    return tag + length_octets(len(content)) + content


def prim(number: int, content: bytes) -> bytes:
    """A primitive ``[number]``."""
    return tlv(tag_octets(number), content)


def cons(number: int, *parts: bytes) -> bytes:
    """A constructed ``[number]`` holding ``parts``."""
    return tlv(tag_octets(number, constructed=True), b"".join(parts))


def sequence(*parts: bytes) -> bytes:
    """A universal SEQUENCE."""
    return tlv(b"\x30", b"".join(parts))


def uint(value: int) -> bytes:
    """INTEGER / ENUMERATED content of a non-negative value."""
    return value.to_bytes(value.bit_length() // 8 + 1, "big")


def oid_content(arcs: Iterable[int], *, relative: bool = False) -> bytes:
    """OBJECT IDENTIFIER (or RELATIVE-OID) content."""
    values = list(arcs)
    if not relative:
        values = [values[0] * 40 + values[1], *values[2:]]
    return b"".join(_base128(value) for value in values)


def _base128(value: int) -> bytes:
    chunk = [value & 0x7F]
    value >>= 7
    while value:
        chunk.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(chunk))


def generalized_time(value: datetime) -> bytes:
    """``YYYYMMDDHHMMSS.fffZ`` in UTC, or without zone for a naive (local) time."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    micro = value.microsecond
    fraction = f".{micro // 1000:03d}" if micro % 1000 == 0 else f".{micro:06d}"
    text = value.strftime("%Y%m%d%H%M%S") + fraction
    return (text + ("Z" if value.tzinfo is not None else "")).encode("ascii")


def optional(number: int, content: bytes | None) -> bytes:
    """A primitive ``[number]``, or nothing when ``content`` is None."""
    return b"" if content is None else prim(number, content)


# --- PS-PDU header -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Header:
    """What goes into ``PSHeader``."""

    liid: bytes
    operator_id: bytes
    sequence_number: int
    cin: int | None = None
    network_element_id: bytes | None = None
    timestamp: datetime | None = None
    micro_timestamp: MicroTime | None = None
    timestamp_qualifier: int | None = None
    authorization_country: str | None = None
    delivery_country: str | None = None
    interception_point_id: str | None = None
    domain_id: tuple[int, ...] = LI_PS_DOMAIN_ID


# The tag numbers of the description, bound once.
_PSH, _CID, _NID = S.PS_HEADER, S.COMMUNICATION_IDENTIFIER, S.NETWORK_IDENTIFIER
(_H_DOMAIN_ID, _H_LIID, _H_AUTH_COUNTRY, _H_CID, _H_SEQ, _H_TIME, _H_IPID, _H_MICRO,
 _H_QUALIFIER) = (_PSH.tag(name) for name in (
    "li-psDomainId", "lawfulInterceptionIdentifier", "authorizationCountryCode",
    "communicationIdentifier", "sequenceNumber", "timeStamp", "interceptionPointID",
    "microSecondTimeStamp", "timeStampQualifier",
))  # fmt: skip
_C_NETWORK, _C_CIN, _C_DELIVERY = (
    _CID.tag(n) for n in ("networkIdentifier", "communicationIdentityNumber", "deliveryCountryCode")
)
_N_OPERATOR, _N_ELEMENT = _NID.tag("operatorIdentifier"), _NID.tag("networkElementIdentifier")
_SECONDS = S.MICRO_SECOND_TIME_STAMP.tag("seconds")
_MICROS = S.MICRO_SECOND_TIME_STAMP.tag("microSeconds")
_PS_HEADER, _PS_PAYLOAD = S.PS_PDU.tag("pSHeader"), S.PS_PDU.tag("payload")
_IRI, _CC, _TRI = (
    S.PAYLOAD.tag(n) for n in ("iRIPayloadSequence", "cCPayloadSequence", "tRIPayload")
)
_K_DIRECTION, _K_TIME, _K_CONTENTS = (
    S.CC_PAYLOAD.tag(n) for n in ("payloadDirection", "timeStamp", "cCContents")
)
_I_TYPE, _I_TIME, _I_CONTENTS = (
    S.IRI_PAYLOAD.tag(n) for n in ("iRIType", "timeStamp", "iRIContents")
)
_IC = S.INTEGRITY_CHECK
_G_NUMBERS, _G_CHECK_TYPE, _G_DATA_TYPE, _G_VALUE, _G_HASH = (_IC.tag(n) for n in (
    "includedSequenceNumbers", "checkType", "dataType", "checkValue", "hashAlgorithm",
))  # fmt: skip
_INTEGRITY = S.TRI_PAYLOAD.tag("integrityCheck")
_M_OID, _M_CONTENTS, _M_FRAME, _M_STREAM, _M_PROTOCOL = (S.IPMMCC.tag(n) for n in (
    "iPMMCCObjId", "mMCCContents", "frameType", "streamIdentifier", "mMCCprotocol",
))  # fmt: skip
_P_OID, _P_CONTENTS, _P_LINK = (
    S.PSTN_ISDN_CC.tag(n) for n in ("pstnIsdnCCObjId", "pstnIsdnCCContents", "cCLinkID")
)
_IPMMCC, _PSTN_CC = S.CC_CONTENTS.tag("iPMMCC"), S.CC_CONTENTS.tag("pstnIsdnCC")
_IPMMIRI, _ETSI671 = S.IRI_CONTENTS.tag("iPMMIRI"), S.IRI_CONTENTS.tag("eTSI671IRI")
_IRI_PARAMETERS = S.ETSI671_IRI.tag("iRI-Parameters")
_IRIS_CONTENT = S.ETSI671_IRI.tag("iRIsContent")
_MI_OID, _MI_CONTENTS = S.IPMMIRI.tag("iPMMIRIObjId"), S.IPMMIRI.tag("iPMMIRIContents")
_SIP, _SIP_IRI_ONLY = (
    S.IP_IRI_CONTENTS.tag("sIPMessage"),
    S.IP_IRI_CONTENTS.tag("iRIOnlySIPMessage"),
)
_S_SOURCE, _S_DESTINATION, _S_CONTENT = (
    S.SIP_MESSAGE.tag(n) for n in ("iPSourceAddress", "iPDestinationAddress", "sIPContent")
)
_A_TYPE, _A_VALUE = S.IP_ADDRESS.tag("iP-type"), S.IP_ADDRESS.tag("iP-value")
_BINARY = S.IP_VALUE.tag("iPBinaryAddress")


def micro_time(value: MicroTime) -> bytes:
    """``MicroSecondTimeStamp`` content."""
    return prim(_SECONDS, uint(value.seconds)) + prim(_MICROS, uint(value.microseconds))


def _ascii(text: str | None) -> bytes | None:
    return None if text is None else text.encode("ascii")


def header(h: Header) -> bytes:
    """``pSHeader [1]``."""
    network = prim(_N_OPERATOR, h.operator_id) + optional(_N_ELEMENT, h.network_element_id)
    cid = (
        cons(_C_NETWORK, network)
        + optional(_C_CIN, None if h.cin is None else uint(h.cin))
        + optional(_C_DELIVERY, _ascii(h.delivery_country))
    )
    qualifier = h.timestamp_qualifier
    return cons(
        _PS_HEADER,
        prim(_H_DOMAIN_ID, oid_content(h.domain_id)),
        prim(_H_LIID, h.liid),
        optional(_H_AUTH_COUNTRY, _ascii(h.authorization_country)),
        cons(_H_CID, cid),
        prim(_H_SEQ, uint(h.sequence_number)),
        optional(_H_TIME, None if h.timestamp is None else generalized_time(h.timestamp)),
        optional(_H_IPID, _ascii(h.interception_point_id)),
        b"" if h.micro_timestamp is None else cons(_H_MICRO, micro_time(h.micro_timestamp)),
        optional(_H_QUALIFIER, None if qualifier is None else uint(qualifier)),
    )


def ps_pdu(h: Header, payload_alternative: bytes) -> bytes:
    """A whole PS-PDU: ``payload [2]`` wraps the chosen alternative (explicit tag)."""
    return sequence(header(h), cons(_PS_PAYLOAD, payload_alternative))


# --- TRI -----------------------------------------------------------------------------


_SIMPLE_TRI = frozenset(  # NULL, or padding octets
    f.tag for f in S.TRI_PAYLOAD.fields if f.type == S.NULL or f.name == "paddingPDU"
)


def tri(h: Header, kind: TRIKind, content: bytes = b"") -> bytes:
    """A TRIPayload PDU; ``content`` only for padding."""
    if kind.value not in _SIMPLE_TRI:
        raise ValueError(f"use a dedicated encoder for {kind.name}")
    return ps_pdu(h, cons(_TRI, prim(kind.value, content)))


def keepalive(h: Header) -> bytes:
    """A keep-alive, as mediators send on an idle link."""
    return tri(h, TRIKind.KEEP_ALIVE)


def keepalive_response(h: Header) -> bytes:
    """A keep-aliveResponse."""
    return tri(h, TRIKind.KEEP_ALIVE_RESPONSE)


def integrity_check(
    h: Header,
    sequence_numbers: Iterable[int],
    check_value: bytes,
    *,
    check_type: int = 1,
    data_type: int | None = 2,
    hash_algorithm: int | None = 2,
) -> bytes:
    """An IntegrityCheck TRI PDU (the hash or signature is computed by the caller)."""
    numbers = b"".join(tlv(b"\x02", uint(n)) for n in sequence_numbers)
    body = (
        cons(_G_NUMBERS, numbers)
        + prim(_G_CHECK_TYPE, uint(check_type))
        + optional(_G_DATA_TYPE, None if data_type is None else uint(data_type))
        + prim(_G_VALUE, check_value)
        + optional(_G_HASH, None if hash_algorithm is None else uint(hash_algorithm))
    )
    return ps_pdu(h, cons(_TRI, cons(_INTEGRITY, body)))


def respond_to_keepalive(pdu: DecodedPDU, now: datetime | None = None) -> bytes | None:
    """The keep-aliveResponse for a decoded keep-alive (None for any other PDU).

    It echoes the keep-alive's LIID, network identifier, CIN and sequence number so the
    mediator can match it, and carries our own time.
    """
    if not pdu.is_keepalive:
        return None
    return keepalive_response(echo_header(pdu, now))


def echo_header(pdu: DecodedPDU, now: datetime | None = None) -> Header:
    """The header of a reply to ``pdu``: its identifiers echoed, our time of mediation."""
    return Header(
        liid=pdu.liid,
        operator_id=pdu.operator_id,
        network_element_id=pdu.network_element_id,
        cin=pdu.cin,
        sequence_number=pdu.sequence_number,
        timestamp=now or datetime.now(UTC),
        timestamp_qualifier=2,  # timeOfMediation
    )


# --- CC ------------------------------------------------------------------------------


def _cc_payload(
    direction: Direction | None, timestamp: datetime | None, alternative: bytes
) -> bytes:
    return sequence(
        optional(_K_DIRECTION, None if direction is None else uint(direction.value)),
        optional(_K_TIME, None if timestamp is None else generalized_time(timestamp)),
        cons(_K_CONTENTS, alternative),
    )


def cc_ipmm(
    h: Header,
    content: bytes,
    *,
    direction: Direction | None = Direction.FROM_TARGET,
    frame_type: FrameType | None = FrameType.RTP,
    protocol: int | None = 0,
    stream_identifier: bytes | None = None,
    timestamp: datetime | None = None,
) -> bytes:
    """HI3 PDU with TS 102 232-5 IPMMCC: an IP packet, a UDP datagram or an RTP packet."""
    ipmmcc = cons(
        _IPMMCC,
        prim(_M_OID, oid_content(IPMMCC_OID, relative=True)),
        prim(_M_CONTENTS, content),
        optional(_M_FRAME, None if frame_type is None else uint(frame_type.value)),
        optional(_M_STREAM, stream_identifier),
        optional(_M_PROTOCOL, None if protocol is None else uint(protocol)),
    )
    return ps_pdu(h, cons(_CC, _cc_payload(direction, timestamp, ipmmcc)))


def cc_pstn(
    h: Header,
    content: bytes,
    *,
    direction: Direction | None = Direction.FROM_TARGET,
    cc_link_id: int | None = None,
    timestamp: datetime | None = None,
) -> bytes:
    """HI3 PDU with TS 102 232-6 PstnIsdnCC (e.g. G.711 A-law octets)."""
    pstn = cons(
        _PSTN_CC,
        prim(_P_OID, oid_content(PSTN_CC_OID, relative=True)),
        prim(_P_CONTENTS, content),
        optional(_P_LINK, None if cc_link_id is None else uint(cc_link_id)),
    )
    return ps_pdu(h, cons(_CC, _cc_payload(direction, timestamp, pstn)))


# --- IRI -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Party:
    """TS 101 671 ``PartyInformation`` (a subset: the identities voice calls carry).

    Each identity is given as the octets the standard defines, as an operator writes them
    (:mod:`custodio.etsi` encodes them): ``imei`` and ``imsi`` MAP TBCD strings
    (:func:`~custodio.etsi.tbcd.encode_imei`, :func:`~custodio.etsi.tbcd.encode_imsi`),
    ``msisdn`` a MAP AddressString (:func:`~custodio.etsi.tbcd.encode_address`), the
    ISUP numbers their parameter field (:func:`~custodio.etsi.isdn.encode_isup`), the
    URIs their UTF-8 text.
    """

    qualifier: (
        int  # originating-Party(0), terminating-Party(1), forwarded-to-Party(2), gPRS-Target(3)
    )
    calling_isup: bytes | None = None  # ISUP calling party number parameter field
    called_isup: bytes | None = None
    imsi: bytes | None = None  # TBCD, 3..8 octets
    msisdn: bytes | None = None  # AddressString, 1..9 octets
    sip_uri: bytes | None = None
    tel_url: bytes | None = None
    imei: bytes | None = None  # TBCD, 8 octets


@dataclass(frozen=True, slots=True)
class SMS:
    """TS 101 671 ``SMS-report`` contents (originated by the target by default): either
    ``content``, a TS 23.040 TPDU, or ``enhanced`` text in the character ``encoding`` of
    ``enhancedContent`` (gsm-7-bit-ascii(0) ... utf-8(4), utf-16(5), other(6))."""

    content: bytes | None = None
    initiator: int = 0  # target(0), server(1), undefined-party(2)
    enhanced: bytes | None = None
    encoding: int | None = None

    def __post_init__(self) -> None:
        if (self.content is None) == (self.enhanced is None):
            raise ValueError("an SMS-report carries either content or enhancedContent")
        if (self.enhanced is None) != (self.encoding is None):
            raise ValueError("enhancedContent needs its character encoding, and only it")


@dataclass(frozen=True, slots=True)
class IRIRecord:
    """TS 101 671 ``IRI-Parameters`` (a subset: what voice calls and SMS need)."""

    liid: bytes
    communication_id: bytes  # communication-Identity-Number, ASCII digits, 1..8 octets
    operator_id: bytes  # operator-Identifier, 1..5 octets
    local_time: datetime  # the sender's local time, naive
    summer_time: bool = False
    network_element_e164: bytes | None = None
    call_direction: int | None = None  # not-Available(0), originating(1), terminating(2)
    call_state: int | None = (
        None  # intercepted-Call-State: idle(1), setUpInProcess(2), connected(3)
    )
    conversation: bytes | None = None  # conversationDuration: 3 octets, BCD HHMMSS
    parties: tuple[Party, ...] = field(default=())
    global_cell_id: bytes | None = None  # 5..7 octets, MAP format
    release_cause: bytes | None = None  # 2 octets, ITU-T Q.850 cause (octets 3 and 4)
    sms: SMS | None = None


def _party(p: Party) -> bytes:
    identity = (
        optional(1, p.imei)
        + optional(3, p.imsi)
        + (b"" if p.calling_isup is None else cons(4, prim(1, p.calling_isup)))
        + (b"" if p.called_isup is None else cons(5, prim(1, p.called_isup)))
        + optional(6, p.msisdn)
        + optional(8, p.sip_uri)
        + optional(9, p.tel_url)
    )
    return sequence(prim(0, uint(p.qualifier)), cons(1, identity))


def _hi2_communication_identifier(r: IRIRecord) -> bytes:
    element = b"" if r.network_element_e164 is None else cons(1, prim(1, r.network_element_e164))
    return prim(0, r.communication_id) + cons(1, prim(0, r.operator_id) + element)


def _hi2_timestamp(r: IRIRecord) -> bytes:
    local = prim(0, generalized_time(r.local_time.replace(tzinfo=None)))
    return cons(0, local + prim(1, uint(2 if r.summer_time else 1)))


def _sms(r: IRIRecord, sms: SMS) -> bytes:
    enhanced = b""
    if sms.enhanced is not None and sms.encoding is not None:
        enhanced = cons(5, prim(1, sms.enhanced) + prim(2, uint(sms.encoding)))
    contents = prim(1, uint(sms.initiator)) + optional(4, sms.content) + enhanced
    return cons(
        14,
        cons(1, _hi2_communication_identifier(r)),
        cons(2, _hi2_timestamp(r)),
        cons(3, contents),
    )


def iri_parameters(r: IRIRecord) -> bytes:
    """The content octets of ``IRI-Parameters`` (fields in ascending tag order)."""
    parties = b"".join(_party(p) for p in r.parties)
    return b"".join(
        (
            prim(0, oid_content(HI2_OPERATION_ID)),
            prim(1, r.liid),
            cons(2, _hi2_communication_identifier(r)),
            cons(3, _hi2_timestamp(r)),
            optional(4, None if r.call_direction is None else uint(r.call_direction)),
            optional(5, None if r.call_state is None else uint(r.call_state)),
            optional(7, r.conversation),
            b"" if r.global_cell_id is None else cons(8, prim(2, r.global_cell_id)),
            cons(9, parties) if r.parties else b"",
            optional(11, r.release_cause),
            b"" if r.sms is None else _sms(r, r.sms),
        )
    )


def iris_content(record_type: IRIType, r: IRIRecord) -> bytes:
    """A bare TS 101 671 ``IRIsContent`` (an ``IRIContent`` record), as HI2 carries it."""
    return cons(record_type.value, iri_parameters(r))


def _iri_payload(
    iri_type: IRIType | None, contents_alternative: bytes, timestamp: datetime | None
) -> bytes:
    return sequence(
        optional(_I_TYPE, None if iri_type is None else uint(iri_type.value)),
        optional(_I_TIME, None if timestamp is None else generalized_time(timestamp)),
        cons(_I_CONTENTS, contents_alternative),
    )


def iri_etsi671(
    h: Header,
    iri_type: IRIType,
    record: IRIRecord,
    *,
    as_record: bool = False,
    timestamp: datetime | None = None,
) -> bytes:
    """HI2 PDU with a TS 101 671 IRI: ``iRI-Parameters`` plus ``iRIType`` (the default,
    as in the reference sample) or, with ``as_record``, a whole ``iRIsContent`` record."""
    if as_record:
        inner = cons(_IRIS_CONTENT, iris_content(iri_type, record))
    else:
        inner = cons(_IRI_PARAMETERS, iri_parameters(record))
    return ps_pdu(h, cons(_IRI, _iri_payload(iri_type, cons(_ETSI671, inner), timestamp)))


def ip_address(address: str) -> bytes:
    """TS 102 232-1 ``IPAddress`` content (binary form)."""
    packed = ipaddress.ip_address(address).packed
    ip_type = 0 if len(packed) == 4 else 1  # iPV4(0), iPV6(1)
    return prim(_A_TYPE, uint(ip_type)) + cons(_A_VALUE, prim(_BINARY, packed))


def iri_sip(
    h: Header,
    iri_type: IRIType,
    source: str,
    destination: str,
    message: bytes,
    *,
    iri_only: bool = False,
    timestamp: datetime | None = None,
) -> bytes:
    """HI2 PDU with TS 102 232-5 IPMMIRI carrying one SIP message."""
    sip = (
        cons(_S_SOURCE, ip_address(source))
        + cons(_S_DESTINATION, ip_address(destination))
        + prim(_S_CONTENT, message)
    )
    ipmmiri = cons(
        _IPMMIRI,
        prim(_MI_OID, oid_content(IPMMIRI_OID, relative=True)),
        cons(_MI_CONTENTS, cons(_SIP_IRI_ONLY if iri_only else _SIP, sip)),
    )
    return ps_pdu(h, cons(_IRI, _iri_payload(iri_type, ipmmiri, timestamp)))
