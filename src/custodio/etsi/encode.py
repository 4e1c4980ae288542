"""A BER encoder of PS-PDUs, for the operator simulator, for tests, and for the one PDU
the receiver itself sends: the keep-aliveResponse (:func:`respond_to_keepalive`).

It writes definite, minimal lengths and the tags of ETSI TS 102 232-1 (PS-PDU),
TS 102 232-5 (IPMMCC, IPMMIRI with SIP), TS 102 232-6 (PSTN/ISDN CC) and TS 101 671
``IRI-Parameters`` (HI2Operations version 18) — the structure of the reference captures.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from custodio.etsi.pdu import (
    DecodedPDU,
    Direction,
    FrameType,
    IRIType,
    MicroTime,
    TRIKind,
)

LI_PS_DOMAIN_ID = (0, 4, 0, 2, 2, 5, 1, 33)  # li-psDomainId, version 33
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


def micro_time(value: MicroTime) -> bytes:
    """``MicroSecondTimeStamp`` content."""
    return prim(0, uint(value.seconds)) + prim(1, uint(value.microseconds))


def _ascii(text: str | None) -> bytes | None:
    return None if text is None else text.encode("ascii")


def header(h: Header) -> bytes:
    """``pSHeader [1]``."""
    network = prim(0, h.operator_id) + optional(1, h.network_element_id)
    cid = (
        cons(0, network)
        + optional(1, None if h.cin is None else uint(h.cin))
        + optional(2, _ascii(h.delivery_country))
    )
    return cons(
        1,
        prim(0, oid_content(h.domain_id)),
        prim(1, h.liid),
        optional(2, _ascii(h.authorization_country)),
        cons(3, cid),
        prim(4, uint(h.sequence_number)),
        optional(5, None if h.timestamp is None else generalized_time(h.timestamp)),
        optional(6, _ascii(h.interception_point_id)),
        b"" if h.micro_timestamp is None else cons(7, micro_time(h.micro_timestamp)),
        optional(8, None if h.timestamp_qualifier is None else uint(h.timestamp_qualifier)),
    )


def ps_pdu(h: Header, payload_alternative: bytes) -> bytes:
    """A whole PS-PDU: ``payload [2]`` wraps the chosen alternative (explicit tag)."""
    return sequence(header(h), cons(2, payload_alternative))


# --- TRI -----------------------------------------------------------------------------


_SIMPLE_TRI = frozenset({1, 2, 3, 4, 5, 6, 7, 11, 12, 13})  # NULL, or padding octets


def tri(h: Header, kind: TRIKind, content: bytes = b"") -> bytes:
    """A TRIPayload PDU; ``content`` only for padding."""
    if kind.value not in _SIMPLE_TRI:
        raise ValueError(f"use a dedicated encoder for {kind.name}")
    return ps_pdu(h, cons(2, prim(kind.value, content)))


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
        cons(0, numbers)
        + prim(1, uint(check_type))
        + optional(2, None if data_type is None else uint(data_type))
        + prim(3, check_value)
        + optional(4, None if hash_algorithm is None else uint(hash_algorithm))
    )
    return ps_pdu(h, cons(2, cons(0, body)))


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
        optional(0, None if direction is None else uint(direction.value)),
        optional(1, None if timestamp is None else generalized_time(timestamp)),
        cons(2, alternative),
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
        12,
        prim(0, oid_content(IPMMCC_OID, relative=True)),
        prim(1, content),
        optional(2, None if frame_type is None else uint(frame_type.value)),
        optional(3, stream_identifier),
        optional(4, None if protocol is None else uint(protocol)),
    )
    return ps_pdu(h, cons(1, _cc_payload(direction, timestamp, ipmmcc)))


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
        11,
        prim(0, oid_content(PSTN_CC_OID, relative=True)),
        prim(1, content),
        optional(2, None if cc_link_id is None else uint(cc_link_id)),
    )
    return ps_pdu(h, cons(1, _cc_payload(direction, timestamp, pstn)))


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
        optional(0, None if iri_type is None else uint(iri_type.value)),
        optional(1, None if timestamp is None else generalized_time(timestamp)),
        cons(2, contents_alternative),
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
        inner = cons(1, iris_content(iri_type, record))
    else:
        inner = cons(0, iri_parameters(record))
    return ps_pdu(h, cons(0, _iri_payload(iri_type, cons(5, inner), timestamp)))


def ip_address(address: str) -> bytes:
    """TS 102 232-1 ``IPAddress`` content (binary form)."""
    packed = ipaddress.ip_address(address).packed
    return prim(1, uint(0 if len(packed) == 4 else 1)) + cons(2, prim(1, packed))


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
    sip = cons(0, ip_address(source)) + cons(1, ip_address(destination)) + prim(2, message)
    ipmmiri = cons(
        11,
        prim(0, oid_content(IPMMIRI_OID, relative=True)),
        cons(1, cons(6 if iri_only else 1, sip)),
    )
    return ps_pdu(h, cons(0, _iri_payload(iri_type, ipmmiri, timestamp)))
