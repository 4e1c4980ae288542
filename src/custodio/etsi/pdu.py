"""ETSI TS 102 232-1 PS-PDUs: framing on a TCP stream and the fields routing needs.

:class:`StreamFramer` splits a byte stream into PDUs (back to back, no other framing).
:func:`decode` walks one PS-PDU and returns a :class:`DecodedPDU`: the header (LIID, CIN
and network identifier, sequence number, timestamps), the payload kind and, per payload
item, what routing needs (IRI type and contents, CC alternative and frame type,
direction, TRI kind) with the payload bytes as ``memoryview`` slices of the PDU, never
copies. Every element of the PDU is checked to be well-formed BER within the limits;
anything else raises :class:`PDUError` (a :class:`custodio.errors.DecodeError`) naming the
field and the offset. What is accepted is documented in ``docs/handover.md``.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import TypeVar

from custodio.etsi import li_ps_pdu as S
from custodio.etsi.ber import (
    CONTEXT,
    DEFAULT_LIMITS,
    INDEFINITE,
    BerError,
    Limits,
    Truncated,
    ctx,
    describe,
    element_end,
    expect_null,
    expect_primitive,
    indefinite_content_end,
    read_header_only,
    read_oid,
    read_relative_oid,
    read_uint,
    validate,
)

UINT32_MAX = S.UINT32_MAX
UINT64_MAX = S.UINT64_MAX
SEQUENCE = (16 << 3) | 1  # UNIVERSAL 16, constructed
LI_PS_DOMAIN_PREFIX = S.LI_PS_DOMAIN_PREFIX
YEAR_RANGE = (1970, 2099)


class PDUError(BerError):
    """A PS-PDU is malformed: a field is missing, duplicated, out of range or mis-encoded."""


# The enumerations below take their values from the description (li_ps_pdu): the tag
# number of each alternative, or the value of each ENUMERATED name.
_PL, _TRI, _CCC, _IRIC = S.PAYLOAD, S.TRI_PAYLOAD, S.CC_CONTENTS, S.IRI_CONTENTS
_DIR, _IRT, _FT = S.PAYLOAD_DIRECTION, S.IRI_TYPE, S.FRAME_TYPE


class PayloadKind(enum.IntEnum):
    """The alternative of ``Payload`` (its context tag number)."""

    UNKNOWN = -1
    IRI = _PL.tag("iRIPayloadSequence")
    CC = _PL.tag("cCPayloadSequence")
    TRI = _PL.tag("tRIPayload")
    HI1_OPERATION = _PL.tag("hI1-Operation")
    ENCRYPTED = _PL.tag("encryptionContainer")
    THREEGPP_HI1_OPERATION = _PL.tag("threeGPP-HI1-Operation")
    ILHI = _PL.tag("iLHIPayload")
    HI4 = _PL.tag("hI4Payload")


class TRIKind(enum.IntEnum):
    """The alternative of ``TRIPayload`` (its context tag number)."""

    UNKNOWN = -1
    INTEGRITY_CHECK = _TRI.tag("integrityCheck")
    TEST = _TRI.tag("testPDU")
    PADDING = _TRI.tag("paddingPDU")
    KEEP_ALIVE = _TRI.tag("keep-alive")
    KEEP_ALIVE_RESPONSE = _TRI.tag("keep-aliveResponse")
    FIRST_SEGMENT = _TRI.tag("firstSegmentFlag")
    LAST_SEGMENT = _TRI.tag("lastSegmentFlag")
    CIN_RESET = _TRI.tag("cINReset")
    OPERATOR_LEA_MESSAGE = _TRI.tag("operatorLeaMessage")
    OPTION_REQUEST = _TRI.tag("optionRequest")
    OPTION_RESPONSE = _TRI.tag("optionResponse")
    OPTION_COMPLETE = _TRI.tag("optionComplete")
    PDU_ACK_REQUEST = _TRI.tag("pDUAcknowledgementRequest")
    PDU_ACK_RESPONSE = _TRI.tag("pDUAcknowledgementResponse")


class Direction(enum.IntEnum):
    """``PayloadDirection``."""

    UNKNOWN = -1
    FROM_TARGET = _DIR["fromTarget"]
    TO_TARGET = _DIR["toTarget"]
    INDETERMINATE = _DIR["indeterminate"]
    COMBINED = _DIR["combined"]
    NOT_APPLICABLE = _DIR["notapplicable"]


class IRIType(enum.IntEnum):
    """``IRIType``, and the record alternatives of TS 101 671 ``IRIContent``."""

    BEGIN = _IRT["iRI-Begin"]
    END = _IRT["iRI-End"]
    CONTINUE = _IRT["iRI-Continue"]
    REPORT = _IRT["iRI-Report"]


class IRIContentsKind(enum.IntEnum):
    """The alternative of ``IRIContents`` (its context tag number)."""

    UNKNOWN = -1
    EMAIL = _IRIC.tag("emailIRI")
    IP = _IRIC.tag("iPIRI")
    IP_ONLY = _IRIC.tag("iPIRIOnly")
    UMTS = _IRIC.tag("uMTSIRI")
    ETSI671 = _IRIC.tag("eTSI671IRI")
    L2 = _IRIC.tag("l2IRI")
    L2_ONLY = _IRIC.tag("l2IRIOnly")
    TARGET_ACTIVITY_MONITOR_1 = _IRIC.tag("tARGETACTIVITYMONITOR-1")
    TARGET_ACTIVITY_MONITOR = _IRIC.tag("tARGETACTIVITYMONITOR-2")
    PSTN_ISDN = _IRIC.tag("pstnIsdnIRI")
    IPMM = _IRIC.tag("iPMMIRI")
    MESSAGING = _IRIC.tag("messagingIRI")
    EPS = _IRIC.tag("ePSIRI")
    CONF = _IRIC.tag("confIRI")
    PROSE = _IRIC.tag("proseIRI")
    GCSE = _IRIC.tag("gcseIRI")
    THREEGPP_33128 = _IRIC.tag("threeGPP33128DefinedIRI")
    IP_PACKET_REPORT = _IRIC.tag("iPIRIPacketReport")


class CCContentsKind(enum.IntEnum):
    """The alternative of ``CCContents`` (its context tag number)."""

    UNKNOWN = -1
    EMAIL = _CCC.tag("emailCC")
    IP = _CCC.tag("iPCC")
    UMTS = _CCC.tag("uMTSCC")
    L2 = _CCC.tag("l2CC")
    TTRAFFIC_1 = _CCC.tag("tTRAFFIC-1")
    CTTRAFFIC_1 = _CCC.tag("cTTRAFFIC-1")
    TTRAFFIC_2 = _CCC.tag("tTRAFFIC-2")
    CTTRAFFIC_2 = _CCC.tag("cTTRAFFIC-2")
    PSTN_ISDN = _CCC.tag("pstnIsdnCC")
    IPMM = _CCC.tag("iPMMCC")
    MESSAGING = _CCC.tag("messagingCC")
    EPS = _CCC.tag("ePSCC")
    UMTS_CC_PDU = _CCC.tag("uMTSCC-CC-PDU")
    EPS_CC_PDU = _CCC.tag("ePSCC-CC-PDU")
    MESSAGING_MM = _CCC.tag("messagingMMCC")
    CONF = _CCC.tag("confCC-CC-PDU")
    VOIP = _CCC.tag("voipCC-CC-PDU")
    GCSE = _CCC.tag("gcseCC-CC-PDU")
    CS_VOICE = _CCC.tag("cSvoice-CC-PDU")
    THREEGPP_33128 = _CCC.tag("threeGPP33128DefinedCC")


class FrameType(enum.IntEnum):
    """``IPMMCC.frameType`` (TS 102 232-5)."""

    UNKNOWN = -1
    IP = _FT["ipFrame"]
    UDP = _FT["udpFrame"]
    RTP = _FT["rtpFrame"]
    AUDIO = _FT["audioFrame"]
    TCP = _FT["tcpFrame"]
    ARTIFICIAL_RTP = _FT["artificialRtpFrame"]
    UDPTL = _FT["udptlFrame"]
    MSRP = _FT["msrpFrame"]


class Quirk(enum.IntFlag):
    """Accepted oddities, recorded so that an operator report can name them."""

    NONE = 0
    DOMAIN_ID = 1  # li-psDomainId is not 0.4.0.2.2.5.1.<version> (e.g. a trailing arc)
    UNKNOWN_EXTENSION = 2  # an extension field or alternative this decoder does not know
    EMPTY_TIME_FRACTION = 4  # a GeneralizedTime with "." and no digits
    LOCAL_TIME = 8  # a GeneralizedTime without a zone: local time of the sender
    UNKNOWN_ENUM_VALUE = 16  # an ENUMERATED value past the extension marker
    IRI_TYPE_MISMATCH = 32  # iRIType disagrees with the TS 101 671 record carried


class Leaf(enum.IntEnum):
    """The fields that change from one PDU to the next of a stream (see ``decode(marks=)``)."""

    SEQUENCE_NUMBER = 0  # PSHeader sequenceNumber
    UINT = 1  # an INTEGER of a microSecondTimeStamp
    TIME = 2  # a GeneralizedTime
    DIRECTION = 3  # a CCPayload/IRIPayload payloadDirection
    OCTETS = 4  # the media of an IPMMCC or PSTN/ISDN CC


Mark = tuple[Leaf, int, int, int]  # leaf, content start, content stop, maximum (integers)


# The value objects built for every PDU (MicroTime, CCItem, DecodedPDU) are not frozen: a
# frozen dataclass costs ≈ 5× as much to build (each field set through object.__setattr__),
# and the receiver and the assembler build them hundreds of thousands of times a second.
# Nothing changes them after construction.


@dataclass(slots=True)
class MicroTime:
    """``MicroSecondTimeStamp``: seconds since the Unix epoch and microseconds."""

    seconds: int
    microseconds: int


@dataclass(frozen=True, slots=True)
class SIPMessage:
    """TS 102 232-5 ``SIPMessage``: the SIP text and the IP addresses it travelled between."""

    source: str
    destination: str
    content: memoryview
    iri_only: bool


@dataclass(frozen=True, slots=True)
class IRIItem:
    """One ``IRIPayload``."""

    iri_type: IRIType | None
    record: IRIType | None  # the TS 101 671 record (iRIsContent) when one is carried
    contents_kind: IRIContentsKind
    contents_tag: int
    timestamp: datetime | None
    micro_timestamp: MicroTime | None
    direction: Direction | None
    session_direction: Direction | None
    contents: memoryview  # the content octets of the IRIContents alternative
    sip: SIPMessage | None

    @property
    def effective_type(self) -> IRIType | None:
        """``iRIType``, or failing it the type of the TS 101 671 record carried."""
        return self.iri_type if self.iri_type is not None else self.record


@dataclass(slots=True)
class CCItem:
    """One ``CCPayload``."""

    direction: Direction | None
    timestamp: datetime | None
    micro_timestamp: MicroTime | None
    contents_kind: CCContentsKind
    contents_tag: int
    frame_type: FrameType | None  # IPMMCC only
    mmcc_protocol: int | None  # IPMMCC only: rTP(0), mSRP(1), uDPTL(2)
    stream_identifier: memoryview | None  # IPMMCC only
    cc_link_id: int | None  # PSTN/ISDN only
    content: memoryview  # the media: mMCCContents, pstnIsdnCCContents, or the alternative


@dataclass(frozen=True, slots=True)
class IntegrityCheck:
    """TS 102 232-1 ``IntegrityCheck`` (checked against the operator's key elsewhere)."""

    sequence_numbers: tuple[int, ...]
    check_type: int  # hash(1), signature(2)
    data_type: int | None  # iRI(1), cC(2), iLHI(3)
    check_value: memoryview
    hash_algorithm: int | None  # sHA-1(1), sHA-256(2), sHA-384(3), sHA-512(4)


@dataclass(frozen=True, slots=True)
class TRIItem:
    """``TRIPayload``."""

    kind: TRIKind
    tag: int
    content: memoryview
    integrity: IntegrityCheck | None


@dataclass(slots=True)
class DecodedPDU:
    """What routing needs from one PS-PDU; ``raw`` is the whole PDU as received."""

    raw: memoryview
    domain_id: tuple[int, ...]
    liid: bytes
    authorization_country: str | None
    operator_id: bytes
    network_element_id: bytes | None
    cin: int | None
    delivery_country: str | None
    sequence_number: int
    timestamp: datetime | None
    micro_timestamp: MicroTime | None
    timestamp_qualifier: int | None
    interception_point_id: str | None
    kind: PayloadKind
    payload_tag: int
    iri: tuple[IRIItem, ...]
    cc: tuple[CCItem, ...]
    tri: TRIItem | None
    payload: memoryview  # content of the payload alternative (for kinds not walked here)
    quirks: Quirk

    @property
    def is_keepalive(self) -> bool:
        """A keep-alive that must be answered with a keep-aliveResponse."""
        return self.tri is not None and self.tri.kind is TRIKind.KEEP_ALIVE


Buf = bytes | bytearray | memoryview
_Element = tuple[int, int, int]  # identifier, content start, content stop


class _Walk:
    """The state of one decode: the buffer, limits and the quirks seen so far."""

    __slots__ = ("buf", "limits", "marks", "quirks", "view")

    def __init__(
        self, buf: Buf, view: memoryview, limits: Limits, marks: list[Mark] | None = None
    ) -> None:
        self.buf = buf
        self.view = view
        self.limits = limits
        self.quirks = Quirk.NONE
        self.marks = marks

    def mark(self, leaf: Leaf, start: int, stop: int, maximum: int = 0) -> None:
        """Note where a changing field lies (when the caller asked for marks)."""
        if self.marks is not None:
            self.marks.append((leaf, start, stop, maximum))

    def children(self, start: int, stop: int, depth: int) -> Iterator[tuple[int, int, int]]:
        """``(identifier, content_start, content_stop)`` of each element in a container."""
        if depth > self.limits.max_depth:
            raise PDUError(f"nesting deeper than {self.limits.max_depth}", start)
        buf = self.buf
        pos = start
        while pos < stop:
            first = buf[pos]
            if first & 0x1F != 0x1F and pos + 1 < stop and buf[pos + 1] < 0x80:
                # fast path: low tag number, short definite length (the usual case)
                cstart = pos + 2
                cstop = cstart + buf[pos + 1]
                if cstop > stop:
                    raise Truncated(f"{describe((first & 0x1F) << 3 | first >> 5)}: length "
                                    f"{cstop - cstart} runs past its container", pos)  # fmt: skip
                identifier = ((first & 0x1F) << 3) | (first >> 5)
                pos = cstop
            else:
                identifier, cstart, cstop, pos = element_end(buf, pos, stop, depth, self.limits)
            if identifier == 0:
                raise PDUError("end-of-contents octets outside an indefinite length", cstart)
            yield identifier, cstart, cstop

    def open(self, pos: int, stop: int, depth: int) -> tuple[int, int, int]:
        """The single element at ``pos`` that must fill ``[pos, stop)`` exactly."""
        identifier, cstart, cstop, after = element_end(self.buf, pos, stop, depth, self.limits)
        if after != stop:
            raise PDUError(f"{stop - after} octets after {describe(identifier)}", after)
        return identifier, cstart, cstop

    def skip_unknown(self, field: str, identifier: int, start: int, stop: int, depth: int) -> None:
        """An unknown extension: context class only, checked to be well-formed, skipped."""
        if (identifier >> 1) & 3 != CONTEXT:
            raise PDUError(f"{field}: unexpected {describe(identifier)}", start)
        if identifier & 1:
            validate(self.buf, start, stop, depth + 1, self.limits)
        self.quirks |= Quirk.UNKNOWN_EXTENSION

    def octets(
        self, identifier: int, start: int, stop: int, field: str, *, low: int, high: int
    ) -> bytes:
        expect_primitive(identifier, start, field)
        if not low <= stop - start <= high:
            raise PDUError(f"{field}: {stop - start} octets, expected {low}..{high}", start)
        return bytes(self.buf[start:stop])

    def printable(self, identifier: int, start: int, stop: int, field: str, high: int) -> str:
        raw = self.octets(identifier, start, stop, field, low=1, high=high)
        if not _PRINTABLE.fullmatch(raw):
            raise PDUError(f"{field}: not a PrintableString", start)
        return raw.decode("ascii")

    def uint(self, identifier: int, start: int, stop: int, field: str, maximum: int) -> int:
        expect_primitive(identifier, start, field)
        return read_uint(self.buf, start, stop, field, maximum)

    def enum(self, identifier: int, start: int, stop: int, field: str, known: int) -> int:
        """An ENUMERATED whose values ``0..known`` are known; later ones are a quirk."""
        value = self.uint(identifier, start, stop, field, UINT32_MAX)
        if value > known:
            self.quirks |= Quirk.UNKNOWN_ENUM_VALUE
        return value

    def time(self, identifier: int, start: int, stop: int, field: str) -> datetime:
        expect_primitive(identifier, start, field)
        value, quirks = parse_generalized_time(bytes(self.buf[start:stop]), field, start)
        self.quirks |= quirks
        return value

    def direction(self, identifier: int, start: int, stop: int, field: str) -> Direction:
        value = self.enum(identifier, start, stop, field, _DIRECTION_KNOWN)
        return Direction(value) if value <= _DIRECTION_KNOWN else Direction.UNKNOWN

    def micro_time(self, start: int, stop: int, depth: int) -> MicroTime:
        found: dict[int, int] = {}
        for identifier, cstart, cstop in self.children(start, stop, depth):
            number = _context_number(identifier)
            if number in _MICRO_FIELDS:
                _once(found, number, cstart, "microSecondTimeStamp")
                limit = _SECONDS_MAX if number == _SECONDS else _MICROS_MAX
                found[number] = self.uint(identifier, cstart, cstop, "microSecondTimeStamp", limit)
                self.mark(Leaf.UINT, cstart, cstop, limit)
            else:
                self.skip_unknown("microSecondTimeStamp", identifier, cstart, cstop, depth)
        if _SECONDS not in found or _MICROS not in found:
            raise PDUError("microSecondTimeStamp: seconds or microSeconds missing", start)
        return MicroTime(found[_SECONDS], found[_MICROS])


# The numbers of the description (li_ps_pdu) that the walk uses, bound here once: the walk
# compares plain integers, never looks a field up per PDU.
_SECONDS, _MICROS = (
    S.MICRO_SECOND_TIME_STAMP.tag("seconds"),
    S.MICRO_SECOND_TIME_STAMP.tag("microSeconds"),
)
_MICRO_FIELDS = frozenset((_SECONDS, _MICROS))
_SECONDS_MAX = S.MICRO_SECOND_TIME_STAMP["seconds"].maximum
_MICROS_MAX = S.MICRO_SECOND_TIME_STAMP["microSeconds"].maximum
_QUALIFIER_KNOWN = S.TIME_STAMP_QUALIFIER.highest


_PRINTABLE = re.compile(rb"[A-Za-z0-9 '()+,\-./:=?]*")
# GeneralizedTime as the decoder accepts it (the recognised layouts check theirs with it)
GENERALIZED_TIME = re.compile(
    rb"(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:[.,](\d*))?(Z|[+-]\d\d\d\d)?",
)


def _context_number(identifier: int) -> int:
    """The tag number of a context-class identifier, ``-1`` for any other class."""
    return identifier >> 3 if (identifier >> 1) & 3 == CONTEXT else -1


def _once(found: Mapping[int, object], number: int, offset: int, field: str) -> None:
    if number in found:
        raise PDUError(f"{field}: [{number}] appears twice", offset)


@functools.lru_cache(maxsize=4096)
def parse_generalized_time(raw: bytes, field: str, offset: int) -> tuple[datetime, Quirk]:
    """A GeneralizedTime with a four-digit year and seconds; a fraction and zone optional.

    A two-digit year (``210526012853.615Z``) is refused, never read as a century.
    """
    match = GENERALIZED_TIME.fullmatch(raw)
    if match is None:
        shown = raw[:32].decode("ascii", "replace")
        raise PDUError(
            f"{field}: {shown!r} is not YYYYMMDDHHMMSS[.fff][Z|±hhmm] (two-digit year?)", offset
        )
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        raise PDUError(f"{field}: year {year} outside {YEAR_RANGE} (two-digit year?)", offset)
    fraction, zone = match.group(7), match.group(8)
    quirks = Quirk.NONE
    if fraction == b"":
        quirks |= Quirk.EMPTY_TIME_FRACTION
    micro = int((fraction or b"0")[:6].ljust(6, b"0"))
    tz = _zone(zone, field, offset)
    if tz is None:
        quirks |= Quirk.LOCAL_TIME
    try:
        value = datetime(
            year, month, day, hour, minute, 59 if second == 60 else second, micro, tzinfo=tz
        )
    except ValueError as exc:
        raise PDUError(f"{field}: {exc}", offset) from None
    return value, quirks


def _zone(zone: bytes | None, field: str, offset: int) -> timezone | None:
    if zone is None:
        return None
    if zone == b"Z":
        return UTC
    hours, minutes = int(zone[1:3]), int(zone[3:5])
    if hours > 23 or minutes > 59:
        raise PDUError(f"{field}: bad zone offset {zone.decode()}", offset)
    sign = -1 if zone[:1] == b"-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _expect_constructed(identifier: int, start: int, field: str) -> None:
    if not identifier & 1:
        raise PDUError(f"{field}: expected a constructed encoding", start)


# --- PSHeader ------------------------------------------------------------------------

_PSH = S.PS_HEADER
(_H_DOMAIN_ID, _H_LIID, _H_AUTH_COUNTRY, _H_CID, _H_SEQ, _H_TIME, _H_IPID, _H_MICRO,
 _H_QUALIFIER) = (_PSH.tag(name) for name in (
    "li-psDomainId", "lawfulInterceptionIdentifier", "authorizationCountryCode",
    "communicationIdentifier", "sequenceNumber", "timeStamp", "interceptionPointID",
    "microSecondTimeStamp", "timeStampQualifier",
))  # fmt: skip
_H_LAST = _PSH.last_tag  # later tags are extensions not known here
_PREFIX_ARCS = len(LI_PS_DOMAIN_PREFIX)  # and one arc more, the version
_DOMAIN_ARCS = _PREFIX_ARCS + 1
_H_REQUIRED = tuple((f.tag, f.name) for f in _PSH.required)
_LIID_LOW, _LIID_HIGH = (
    _PSH["lawfulInterceptionIdentifier"].low,
    _PSH["lawfulInterceptionIdentifier"].high,
)
_COUNTRY_HIGH = _PSH["authorizationCountryCode"].high
_IPID_HIGH = _PSH["interceptionPointID"].high
_SEQ_MAX = _PSH["sequenceNumber"].maximum
# the header's OCTET STRINGs that are checked and not kept (extendedInterceptionPointID...)
_H_OCTETS = {f.tag: (f.low, f.high) for f in _PSH.fields if f.type == S.OCTET_STRING}
_CID = S.COMMUNICATION_IDENTIFIER
_C_NETWORK, _C_CIN, _C_DELIVERY = (
    _CID.tag(n) for n in ("networkIdentifier", "communicationIdentityNumber", "deliveryCountryCode")
)
_C_KNOWN = frozenset((_C_NETWORK, _C_CIN, _C_DELIVERY))  # cINExtension: skipped, a quirk
_CIN_MAX = _CID["communicationIdentityNumber"].maximum
_DELIVERY_HIGH = _CID["deliveryCountryCode"].high
_NID = S.NETWORK_IDENTIFIER
_N_OPERATOR, _N_ELEMENT = _NID.tag("operatorIdentifier"), _NID.tag("networkElementIdentifier")
_N_KNOWN = frozenset((_N_OPERATOR, _N_ELEMENT))  # eTSI671NEID: skipped, a quirk
_OPERATOR_LOW, _OPERATOR_HIGH = _NID["operatorIdentifier"].low, _NID["operatorIdentifier"].high
_ELEMENT_LOW, _ELEMENT_HIGH = (
    _NID["networkElementIdentifier"].low,
    _NID["networkElementIdentifier"].high,
)


class _Header:
    """The PSHeader fields while they are being read."""

    __slots__ = (
        "auth_country",
        "cin",
        "delivery_country",
        "domain_id",
        "element_id",
        "ipid",
        "liid",
        "micro",
        "operator_id",
        "qualifier",
        "seq",
        "timestamp",
    )

    def __init__(self) -> None:
        self.domain_id: tuple[int, ...] | None = None
        self.liid: bytes | None = None
        self.auth_country: str | None = None
        self.operator_id: bytes | None = None
        self.element_id: bytes | None = None
        self.cin: int | None = None
        self.delivery_country: str | None = None
        self.seq: int | None = None
        self.timestamp: datetime | None = None
        self.micro: MicroTime | None = None
        self.qualifier: int | None = None
        self.ipid: str | None = None


def _read_header(w: _Walk, start: int, stop: int, depth: int) -> _Header:
    h = _Header()
    seen: dict[int, object] = {}
    for identifier, cstart, cstop in w.children(start, stop, depth):
        number = _context_number(identifier)
        if 0 <= number <= _H_LAST:
            _once(seen, number, cstart, "pSHeader")
            seen[number] = None
            _header_field(w, h, number, (identifier, cstart, cstop), depth)
        else:
            w.skip_unknown("pSHeader", identifier, cstart, cstop, depth)
    for number, name in _H_REQUIRED:
        if number not in seen:
            raise PDUError(f"pSHeader: {name} [{number}] missing", start)
    return h


def _header_field(w: _Walk, h: _Header, number: int, element: _Element, depth: int) -> None:
    identifier, start, stop = element
    if number == _H_DOMAIN_ID:
        expect_primitive(identifier, start, "li-psDomainId")
        h.domain_id = read_oid(w.buf, start, stop, "li-psDomainId")
        if h.domain_id[:_PREFIX_ARCS] != LI_PS_DOMAIN_PREFIX or len(h.domain_id) != _DOMAIN_ARCS:
            w.quirks |= Quirk.DOMAIN_ID
    elif number == _H_LIID:
        h.liid = w.octets(
            identifier, start, stop, "lawfulInterceptionIdentifier", low=_LIID_LOW, high=_LIID_HIGH
        )
    elif number == _H_AUTH_COUNTRY:
        h.auth_country = w.printable(
            identifier, start, stop, "authorizationCountryCode", _COUNTRY_HIGH
        )
    elif number == _H_CID:
        _expect_constructed(identifier, start, "communicationIdentifier")
        _read_communication_identifier(w, h, start, stop, depth + 1)
    elif number == _H_SEQ:
        h.seq = w.uint(identifier, start, stop, "sequenceNumber", _SEQ_MAX)
        w.mark(Leaf.SEQUENCE_NUMBER, start, stop, _SEQ_MAX)
    elif number == _H_TIME:
        h.timestamp = w.time(identifier, start, stop, "pSHeader.timeStamp")
        w.mark(Leaf.TIME, start, stop)
    elif number == _H_IPID:
        h.ipid = w.printable(identifier, start, stop, "interceptionPointID", _IPID_HIGH)
    elif number == _H_MICRO:
        _expect_constructed(identifier, start, "pSHeader.microSecondTimeStamp")
        h.micro = w.micro_time(start, stop, depth + 1)
    elif number == _H_QUALIFIER:
        h.qualifier = w.enum(identifier, start, stop, "timeStampQualifier", _QUALIFIER_KNOWN)
    else:  # extendedInterceptionPointID, networkFunctionIdentifier: checked, not kept
        low, high = _H_OCTETS[number]
        w.octets(identifier, start, stop, f"pSHeader [{number}]", low=low, high=high)


def _read_communication_identifier(w: _Walk, h: _Header, start: int, stop: int, depth: int) -> None:
    seen: dict[int, object] = {}
    for identifier, cstart, cstop in w.children(start, stop, depth):
        number = _context_number(identifier)
        if number in _C_KNOWN:
            _once(seen, number, cstart, "communicationIdentifier")
            seen[number] = None
        if number == _C_NETWORK:
            _expect_constructed(identifier, cstart, "networkIdentifier")
            _read_network_identifier(w, h, cstart, cstop, depth + 1)
        elif number == _C_CIN:
            h.cin = w.uint(identifier, cstart, cstop, "communicationIdentityNumber", _CIN_MAX)
        elif number == _C_DELIVERY:
            h.delivery_country = w.printable(
                identifier, cstart, cstop, "deliveryCountryCode", _DELIVERY_HIGH
            )
        else:  # cINExtension and later extensions
            w.skip_unknown("communicationIdentifier", identifier, cstart, cstop, depth)
    if _C_NETWORK not in seen:
        raise PDUError(f"communicationIdentifier: networkIdentifier [{_C_NETWORK}] missing", start)


def _read_network_identifier(w: _Walk, h: _Header, start: int, stop: int, depth: int) -> None:
    seen: dict[int, object] = {}
    for identifier, cstart, cstop in w.children(start, stop, depth):
        number = _context_number(identifier)
        if number in _N_KNOWN:
            _once(seen, number, cstart, "networkIdentifier")
            seen[number] = None
        if number == _N_OPERATOR:
            h.operator_id = w.octets(
                identifier,
                cstart,
                cstop,
                "operatorIdentifier",
                low=_OPERATOR_LOW,
                high=_OPERATOR_HIGH,
            )
        elif number == _N_ELEMENT:
            h.element_id = w.octets(
                identifier,
                cstart,
                cstop,
                "networkElementIdentifier",
                low=_ELEMENT_LOW,
                high=_ELEMENT_HIGH,
            )
        else:  # eTSI671NEID and later extensions
            w.skip_unknown("networkIdentifier", identifier, cstart, cstop, depth)
    if _N_OPERATOR not in seen:
        raise PDUError(f"networkIdentifier: operatorIdentifier [{_N_OPERATOR}] missing", start)


# --- Payload -------------------------------------------------------------------------


class _Payload:
    __slots__ = ("cc", "content", "iri", "kind", "tag", "tri")

    def __init__(self, kind: PayloadKind, tag: int, content: memoryview) -> None:
        self.kind = kind
        self.tag = tag
        self.content = content
        self.iri: tuple[IRIItem, ...] = ()
        self.cc: tuple[CCItem, ...] = ()
        self.tri: TRIItem | None = None


def _read_payload(w: _Walk, start: int, stop: int, depth: int) -> _Payload:
    identifier, cstart, cstop = w.open(start, stop, depth)
    number = _context_number(identifier)
    kind = _enum_or_unknown(PayloadKind, number)
    p = _Payload(kind, number, w.view[cstart:cstop])
    if kind is PayloadKind.IRI or kind is PayloadKind.CC:
        _expect_constructed(identifier, cstart, f"payload {kind.name}")
        items = [
            _read_item(w, kind, element, depth + 1)
            for element in w.children(cstart, cstop, depth + 1)
        ]
        if kind is PayloadKind.IRI:
            p.iri = tuple(items)  # type: ignore[arg-type]
        else:
            p.cc = tuple(items)  # type: ignore[arg-type]
    elif kind is PayloadKind.TRI:
        _expect_constructed(identifier, cstart, "tRIPayload")
        p.tri = _read_tri(w, cstart, cstop, depth + 1)
    else:
        if number < 0:
            raise PDUError(f"payload: unexpected {describe(identifier)}", cstart)
        if kind is PayloadKind.UNKNOWN:
            w.quirks |= Quirk.UNKNOWN_EXTENSION
        if identifier & 1:
            validate(w.buf, cstart, cstop, depth + 1, w.limits)
    return p


def _read_item(w: _Walk, kind: PayloadKind, element: _Element, depth: int) -> IRIItem | CCItem:
    identifier, start, stop = element
    name = "iRIPayload" if kind is PayloadKind.IRI else "cCPayload"
    if identifier != SEQUENCE:
        raise PDUError(f"{name}: expected a SEQUENCE, found {describe(identifier)}", start)
    if kind is PayloadKind.IRI:
        return _read_iri(w, start, stop, depth)
    return _read_cc(w, start, stop, depth)


_E = TypeVar("_E", bound=enum.IntEnum)


def _enum_or_unknown(cls: type[_E], value: int) -> _E:
    """The member for ``value``, or the class's ``UNKNOWN`` (-1) member."""
    try:
        return cls(value)
    except ValueError:
        return cls(-1)


class _Common:
    """The fields IRIPayload and CCPayload share (timestamps, direction)."""

    __slots__ = ("direction", "micro", "qualifier", "session_direction", "timestamp")

    def __init__(self) -> None:
        self.timestamp: datetime | None = None
        self.micro: MicroTime | None = None
        self.qualifier: int | None = None
        self.direction: Direction | None = None
        self.session_direction: Direction | None = None


def _read_iri(w: _Walk, start: int, stop: int, depth: int) -> IRIItem:
    common = _Common()
    iri_type: IRIType | None = None
    contents: tuple[int, int, int] | None = None
    seen: dict[int, object] = {}
    for identifier, cstart, cstop in w.children(start, stop, depth):
        number = _context_number(identifier)
        if 0 <= number <= _I_LAST:
            _once(seen, number, cstart, "iRIPayload")
            seen[number] = None
        if number == _I_TYPE:
            value = w.uint(identifier, cstart, cstop, "iRIType", UINT32_MAX)
            if not _IRI_TYPE_LOW <= value <= _IRI_TYPE_HIGH:
                raise PDUError(f"iRIType: {value} is not {_IRI_TYPE_LOW}..{_IRI_TYPE_HIGH}", cstart)
            iri_type = IRIType(value)
        elif number == _I_CONTENTS:
            _expect_constructed(identifier, cstart, "iRIContents")
            contents = (identifier, cstart, cstop)
        elif number in _IRI_ROLES:
            _common_field(w, common, _IRI_ROLES[number], (identifier, cstart, cstop), depth)
        else:
            w.skip_unknown("iRIPayload", identifier, cstart, cstop, depth)
    if contents is None:
        raise PDUError(f"iRIPayload: iRIContents [{_I_CONTENTS}] missing", start)
    return _iri_contents(w, iri_type, common, contents, depth + 1)


# The fields IRIPayload and CCPayload share, by role (their tags differ between the two).
_DIRECTION, _STAMP, _MICRO, _QUALIFIER, _SESSION = range(5)
_ROLE_NAMES = {
    "payloadDirection": _DIRECTION, "timeStamp": _STAMP, "microSecondTimeStamp": _MICRO,
    "timeStampQualifier": _QUALIFIER, "sessionDirection": _SESSION,
}  # fmt: skip
_IRI_ROLES = {f.tag: _ROLE_NAMES[f.name] for f in S.IRI_PAYLOAD.fields if f.name in _ROLE_NAMES}
_CC_ROLES = {f.tag: _ROLE_NAMES[f.name] for f in S.CC_PAYLOAD.fields if f.name in _ROLE_NAMES}
_I_TYPE, _I_CONTENTS = S.IRI_PAYLOAD.tag("iRIType"), S.IRI_PAYLOAD.tag("iRIContents")
_I_LAST = S.IRI_PAYLOAD.last_tag
_IRI_TYPE_LOW, _IRI_TYPE_HIGH = min(IRIType), max(IRIType)
_K_CONTENTS, _K_LAST = S.CC_PAYLOAD.tag("cCContents"), S.CC_PAYLOAD.last_tag
_DIRECTION_KNOWN = S.PAYLOAD_DIRECTION.highest


def _common_field(w: _Walk, c: _Common, role: int, element: _Element, depth: int) -> None:
    """One of the fields IRIPayload and CCPayload share, by its ``role``."""
    identifier, start, stop = element
    if role == _DIRECTION:
        c.direction = w.direction(identifier, start, stop, "payloadDirection")
        w.mark(Leaf.DIRECTION, start, stop, _DIRECTION_KNOWN)
    elif role == _STAMP:
        c.timestamp = w.time(identifier, start, stop, "payload timeStamp")
        w.mark(Leaf.TIME, start, stop)
    elif role == _MICRO:
        _expect_constructed(identifier, start, "payload microSecondTimeStamp")
        c.micro = w.micro_time(start, stop, depth + 1)
    elif role == _QUALIFIER:
        c.qualifier = w.enum(identifier, start, stop, "timeStampQualifier", _QUALIFIER_KNOWN)
    else:
        c.session_direction = w.direction(identifier, start, stop, "sessionDirection")


def _iri_contents(
    w: _Walk, iri_type: IRIType | None, common: _Common, element: _Element, depth: int
) -> IRIItem:
    identifier, cstart, cstop = w.open(element[1], element[2], depth)
    number = _context_number(identifier)
    if number < 0:
        raise PDUError(f"iRIContents: unexpected {describe(identifier)}", cstart)
    kind = _enum_or_unknown(IRIContentsKind, number)
    record: IRIType | None = None
    sip: SIPMessage | None = None
    if kind is IRIContentsKind.IPMM:
        _expect_constructed(identifier, cstart, "iPMMIRI")
        sip = _read_ipmmiri(w, cstart, cstop, depth + 1)
    elif identifier & 1:
        validate(w.buf, cstart, cstop, depth + 1, w.limits)
        if kind is IRIContentsKind.ETSI671:
            record = _etsi671_record(w, cstart, cstop, depth + 1)
    if kind is IRIContentsKind.UNKNOWN:
        w.quirks |= Quirk.UNKNOWN_EXTENSION
    if iri_type is not None and record is not None and iri_type is not record:
        w.quirks |= Quirk.IRI_TYPE_MISMATCH
    return IRIItem(
        iri_type=iri_type,
        record=record,
        contents_kind=kind,
        contents_tag=number,
        timestamp=common.timestamp,
        micro_timestamp=common.micro,
        direction=common.direction,
        session_direction=common.session_direction,
        contents=w.view[cstart:cstop],
        sip=sip,
    )


_IRI_PARAMETERS = ctx(S.ETSI671_IRI.tag("iRI-Parameters"), True)
_IRIS_CONTENT = ctx(S.ETSI671_IRI.tag("iRIsContent"), True)


def _etsi671_record(w: _Walk, start: int, stop: int, depth: int) -> IRIType | None:
    """ETSI671IRI: iRI-Parameters [0] (no record) or iRIsContent [1] (a record, or several)."""
    identifier, cstart, cstop = w.open(start, stop, depth)
    if identifier == _IRI_PARAMETERS:
        return None
    if identifier != _IRIS_CONTENT:
        raise PDUError(f"eTSI671IRI: unexpected {describe(identifier)}", cstart)
    inner, istart, istop = w.open(cstart, cstop, depth + 1)
    if inner == SEQUENCE:  # IRISequence: the first record names the type
        records = list(w.children(istart, istop, depth + 2))
        if not records:
            raise PDUError("iRISequence: no IRI record", istart)
        inner, istart = records[0][0], records[0][1]
    number = _context_number(inner)
    if not 1 <= number <= 4 or not inner & 1:
        raise PDUError(f"iRIsContent: unexpected {describe(inner)}", istart)
    return IRIType(number)


def _read_ipmmiri(w: _Walk, start: int, stop: int, depth: int) -> SIPMessage | None:
    seen: dict[int, object] = {}
    sip: SIPMessage | None = None
    for identifier, cstart, cstop in w.children(start, stop, depth):
        number = _context_number(identifier)
        if number in _MI_KNOWN:
            _once(seen, number, cstart, "iPMMIRI")
            seen[number] = None
        if number == _MI_OID:
            expect_primitive(identifier, cstart, "iPMMIRIObjId")
            read_relative_oid(w.buf, cstart, cstop, "iPMMIRIObjId")
        elif number == _MI_CONTENTS:
            _expect_constructed(identifier, cstart, "iPMMIRIContents")
            sip = _ipmmiri_contents(w, cstart, cstop, depth + 1)
        else:  # targetLocation, additionalSignalling, extensions
            if identifier & 1:
                validate(w.buf, cstart, cstop, depth + 1, w.limits)
            if number > _MI_LAST:
                w.quirks |= Quirk.UNKNOWN_EXTENSION
    if _MI_OID not in seen or _MI_CONTENTS not in seen:
        raise PDUError(
            f"iPMMIRI: iPMMIRIObjId [{_MI_OID}] or iPMMIRIContents [{_MI_CONTENTS}] missing",
            start,
        )
    return sip


_MI_OID, _MI_CONTENTS = S.IPMMIRI.tag("iPMMIRIObjId"), S.IPMMIRI.tag("iPMMIRIContents")
_MI_LAST = S.IPMMIRI.last_tag
_MI_KNOWN = frozenset((_MI_OID, _MI_CONTENTS))
_SIP, _SIP_IRI_ONLY = (
    S.IP_IRI_CONTENTS.tag("sIPMessage"),
    S.IP_IRI_CONTENTS.tag("iRIOnlySIPMessage"),
)
_IPIRI_LAST = S.IP_IRI_CONTENTS.last_tag
_SIP_ALTERNATIVES = frozenset((_SIP, _SIP_IRI_ONLY))


def _ipmmiri_contents(w: _Walk, start: int, stop: int, depth: int) -> SIPMessage | None:
    identifier, cstart, cstop = w.open(start, stop, depth)
    number = _context_number(identifier)
    if number in _SIP_ALTERNATIVES:
        _expect_constructed(identifier, cstart, "sIPMessage")
        return _read_sip_message(w, cstart, cstop, depth + 1, iri_only=number == _SIP_IRI_ONLY)
    if number < 0:
        raise PDUError(f"iPMMIRIContents: unexpected {describe(identifier)}", cstart)
    if identifier & 1:
        validate(w.buf, cstart, cstop, depth + 1, w.limits)
    if number > _IPIRI_LAST:
        w.quirks |= Quirk.UNKNOWN_EXTENSION
    return None


_S_SOURCE, _S_DESTINATION, _S_CONTENT = (
    S.SIP_MESSAGE.tag(n) for n in ("iPSourceAddress", "iPDestinationAddress", "sIPContent")
)


_S_ADDRESSES = frozenset((_S_SOURCE, _S_DESTINATION))


def _read_sip_message(w: _Walk, start: int, stop: int, depth: int, *, iri_only: bool) -> SIPMessage:
    found: dict[int, object] = {}
    for identifier, cstart, cstop in w.children(start, stop, depth):
        number = _context_number(identifier)
        if number in _S_ADDRESSES:
            _once(found, number, cstart, "sIPMessage")
            _expect_constructed(identifier, cstart, "sIPMessage address")
            found[number] = _read_ip_address(w, cstart, cstop, depth + 1)
        elif number == _S_CONTENT:
            _once(found, number, cstart, "sIPMessage")
            expect_primitive(identifier, cstart, "sIPContent")
            found[number] = w.view[cstart:cstop]
        else:
            w.skip_unknown("sIPMessage", identifier, cstart, cstop, depth)
    if len(found) != 3:
        raise PDUError(
            "sIPMessage: iPSourceAddress, iPDestinationAddress or sIPContent missing", start
        )
    source, destination, content = found[_S_SOURCE], found[_S_DESTINATION], found[_S_CONTENT]
    assert isinstance(source, str) and isinstance(destination, str)
    assert isinstance(content, memoryview)
    return SIPMessage(source, destination, content, iri_only)


def _read_ip_address(w: _Walk, start: int, stop: int, depth: int) -> str:
    value: str | None = None
    for identifier, cstart, cstop in w.children(start, stop, depth):
        number = _context_number(identifier)
        if number == _A_VALUE:
            if value is not None:
                raise PDUError("iP-value appears twice", cstart)
            _expect_constructed(identifier, cstart, "iP-value")
            value = _read_ip_value(w, cstart, cstop, depth + 1)
        elif number in _A_PRIMITIVE:
            expect_primitive(identifier, cstart, "IPAddress")
        else:
            w.skip_unknown("IPAddress", identifier, cstart, cstop, depth)
    if value is None:
        raise PDUError(f"IPAddress: iP-value [{_A_VALUE}] missing", start)
    return value


_A_VALUE = S.IP_ADDRESS.tag("iP-value")
_A_PRIMITIVE = frozenset(f.tag for f in S.IP_ADDRESS.fields if not f.constructed)
_BINARY, _TEXT = S.IP_VALUE["iPBinaryAddress"], S.IP_VALUE["iPTextAddress"]
_BINARY_ID, _TEXT_ID = ctx(_BINARY.tag), ctx(_TEXT.tag)


def _read_ip_value(w: _Walk, start: int, stop: int, depth: int) -> str:
    identifier, cstart, cstop = w.open(start, stop, depth)
    if identifier == _BINARY_ID:
        raw = w.octets(
            identifier, cstart, cstop, "iPBinaryAddress", low=_BINARY.low, high=_BINARY.high
        )
        if len(raw) not in (4, 16):
            raise PDUError(f"iPBinaryAddress: {len(raw)} octets", cstart)
        return str(ipaddress.ip_address(raw))
    if identifier == _TEXT_ID:
        text = w.octets(identifier, cstart, cstop, "iPTextAddress", low=_TEXT.low, high=_TEXT.high)
        try:
            return str(ipaddress.ip_address(text.decode("ascii")))
        except (UnicodeDecodeError, ValueError):
            raise PDUError("iPTextAddress: not an IP address", cstart) from None
    raise PDUError(f"iP-value: unexpected {describe(identifier)}", cstart)


def _read_cc(w: _Walk, start: int, stop: int, depth: int) -> CCItem:
    common = _Common()
    contents: tuple[int, int] | None = None
    seen: dict[int, object] = {}
    for identifier, cstart, cstop in w.children(start, stop, depth):
        number = _context_number(identifier)
        if 0 <= number <= _K_LAST:
            _once(seen, number, cstart, "cCPayload")
            seen[number] = None
        if number == _K_CONTENTS:
            _expect_constructed(identifier, cstart, "cCContents")
            contents = (cstart, cstop)
        elif number in _CC_ROLES:
            _common_field(w, common, _CC_ROLES[number], (identifier, cstart, cstop), depth)
        else:
            w.skip_unknown("cCPayload", identifier, cstart, cstop, depth)
    if contents is None:
        raise PDUError(f"cCPayload: cCContents [{_K_CONTENTS}] missing", start)
    return _cc_contents(w, common, contents[0], contents[1], depth + 1)


class _CCFields:
    __slots__ = ("cc_link_id", "content", "frame_type", "protocol", "stream_id")

    def __init__(self, content: memoryview) -> None:
        self.content = content
        self.frame_type: FrameType | None = None
        self.protocol: int | None = None
        self.stream_id: memoryview | None = None
        self.cc_link_id: int | None = None


def _cc_contents(w: _Walk, common: _Common, start: int, stop: int, depth: int) -> CCItem:
    identifier, cstart, cstop = w.open(start, stop, depth)
    number = _context_number(identifier)
    if number < 0:
        raise PDUError(f"cCContents: unexpected {describe(identifier)}", cstart)
    kind = _enum_or_unknown(CCContentsKind, number)
    f = _CCFields(w.view[cstart:cstop])
    if kind is CCContentsKind.IPMM:
        _expect_constructed(identifier, cstart, "iPMMCC")
        _read_ipmmcc(w, f, cstart, cstop, depth + 1)
    elif kind is CCContentsKind.PSTN_ISDN:
        _expect_constructed(identifier, cstart, "pstnIsdnCC")
        _read_pstn_cc(w, f, cstart, cstop, depth + 1)
    elif kind in (CCContentsKind.UMTS, CCContentsKind.EPS, CCContentsKind.THREEGPP_33128):
        expect_primitive(identifier, cstart, kind.name)
    elif identifier & 1:
        validate(w.buf, cstart, cstop, depth + 1, w.limits)
    if kind is CCContentsKind.UNKNOWN:
        w.quirks |= Quirk.UNKNOWN_EXTENSION
    return CCItem(
        direction=common.direction,
        timestamp=common.timestamp,
        micro_timestamp=common.micro,
        contents_kind=kind,
        contents_tag=number,
        frame_type=f.frame_type,
        mmcc_protocol=f.protocol,
        stream_identifier=f.stream_id,
        cc_link_id=f.cc_link_id,
        content=f.content,
    )


def _read_ipmmcc(w: _Walk, f: _CCFields, start: int, stop: int, depth: int) -> None:
    seen: dict[int, object] = {}
    for identifier, cstart, cstop in w.children(start, stop, depth):
        number = _context_number(identifier)
        if 0 <= number <= _M_LAST:
            _once(seen, number, cstart, "iPMMCC")
            seen[number] = None
        if number == _M_OID:
            expect_primitive(identifier, cstart, "iPMMCCObjId")
            read_relative_oid(w.buf, cstart, cstop, "iPMMCCObjId")
        elif number == _M_CONTENTS:
            expect_primitive(identifier, cstart, "mMCCContents")
            f.content = w.view[cstart:cstop]
            w.mark(Leaf.OCTETS, cstart, cstop)
        elif number == _M_FRAME:
            value = w.enum(identifier, cstart, cstop, "frameType", _FRAME_KNOWN)
            f.frame_type = _enum_or_unknown(FrameType, value)
        elif number == _M_STREAM:
            expect_primitive(identifier, cstart, "streamIdentifier")
            f.stream_id = w.view[cstart:cstop]
        elif number == _M_PROTOCOL:
            f.protocol = w.enum(identifier, cstart, cstop, "mMCCprotocol", _PROTOCOL_KNOWN)
        else:
            w.skip_unknown("iPMMCC", identifier, cstart, cstop, depth)
    if _M_OID not in seen or _M_CONTENTS not in seen:
        raise PDUError(
            f"iPMMCC: iPMMCCObjId [{_M_OID}] or mMCCContents [{_M_CONTENTS}] missing", start
        )


_M_OID, _M_CONTENTS, _M_FRAME, _M_STREAM, _M_PROTOCOL = (S.IPMMCC.tag(n) for n in (
    "iPMMCCObjId", "mMCCContents", "frameType", "streamIdentifier", "mMCCprotocol",
))  # fmt: skip
_M_LAST = S.IPMMCC.last_tag
_FRAME_KNOWN, _PROTOCOL_KNOWN = S.FRAME_TYPE.highest, S.MMCC_PROTOCOL.highest
_P_OID, _P_CONTENTS, _P_LINK, _P_SUPPLEMENTARY = (S.PSTN_ISDN_CC.tag(n) for n in (
    "pstnIsdnCCObjId", "pstnIsdnCCContents", "cCLinkID", "supplementaryInfo",
))  # fmt: skip
_P_LAST = S.PSTN_ISDN_CC.last_tag
_LINK_MAX = S.PSTN_ISDN_CC["cCLinkID"].maximum


def _read_pstn_cc(w: _Walk, f: _CCFields, start: int, stop: int, depth: int) -> None:
    seen: dict[int, object] = {}
    for identifier, cstart, cstop in w.children(start, stop, depth):
        number = _context_number(identifier)
        if 0 <= number <= _P_LAST:
            _once(seen, number, cstart, "pstnIsdnCC")
            seen[number] = None
        if number == _P_OID:
            expect_primitive(identifier, cstart, "pstnIsdnCCObjId")
            read_relative_oid(w.buf, cstart, cstop, "pstnIsdnCCObjId")
        elif number == _P_CONTENTS:
            expect_primitive(identifier, cstart, "pstnIsdnCCContents")
            f.content = w.view[cstart:cstop]
            w.mark(Leaf.OCTETS, cstart, cstop)
        elif number == _P_LINK:
            f.cc_link_id = w.uint(identifier, cstart, cstop, "cCLinkID", _LINK_MAX)
        elif number == _P_SUPPLEMENTARY:
            _expect_constructed(identifier, cstart, "supplementaryInfo")
            validate(w.buf, cstart, cstop, depth + 1, w.limits)
        else:
            w.skip_unknown("pstnIsdnCC", identifier, cstart, cstop, depth)
    if _P_OID not in seen or _P_CONTENTS not in seen:
        raise PDUError(
            f"pstnIsdnCC: pstnIsdnCCObjId [{_P_OID}] or pstnIsdnCCContents [{_P_CONTENTS}] missing",
            start,
        )


# --- TRIPayload ----------------------------------------------------------------------

_NULL_TRI = frozenset(f.tag for f in S.TRI_PAYLOAD.fields if f.type == S.NULL)


def _read_tri(w: _Walk, start: int, stop: int, depth: int) -> TRIItem:
    identifier, cstart, cstop = w.open(start, stop, depth)
    number = _context_number(identifier)
    if number < 0:
        raise PDUError(f"tRIPayload: unexpected {describe(identifier)}", cstart)
    kind = _enum_or_unknown(TRIKind, number)
    integrity: IntegrityCheck | None = None
    if number in _NULL_TRI:
        expect_primitive(identifier, cstart, kind.name)
        expect_null(cstart, cstop, kind.name)
    elif kind is TRIKind.INTEGRITY_CHECK:
        _expect_constructed(identifier, cstart, "integrityCheck")
        integrity = _read_integrity(w, cstart, cstop, depth + 1)
    elif kind is TRIKind.PADDING:
        expect_primitive(identifier, cstart, "paddingPDU")
    elif identifier & 1:
        validate(w.buf, cstart, cstop, depth + 1, w.limits)
    if kind is TRIKind.UNKNOWN:
        w.quirks |= Quirk.UNKNOWN_EXTENSION
    return TRIItem(kind, number, w.view[cstart:cstop], integrity)


_IC = S.INTEGRITY_CHECK
_G_NUMBERS, _G_CHECK_TYPE, _G_DATA_TYPE, _G_VALUE, _G_HASH = (_IC.tag(n) for n in (
    "includedSequenceNumbers", "checkType", "dataType", "checkValue", "hashAlgorithm",
))  # fmt: skip
_G_LAST = _IC.last_tag
_G_REQUIRED = frozenset(f.tag for f in _IC.required)
_G_ENUMS = {  # the ENUMERATED fields, and the greatest value each has known
    _G_CHECK_TYPE: S.CHECK_TYPE.highest,
    _G_DATA_TYPE: S.DATA_TYPE.highest,
    _G_HASH: S.HASH_ALGORITHM.highest,
}
_G_NUMBER_MAX = _IC["includedSequenceNumbers"].maximum


def _read_integrity(w: _Walk, start: int, stop: int, depth: int) -> IntegrityCheck:
    found: dict[int, object] = {}
    for identifier, cstart, cstop in w.children(start, stop, depth):
        number = _context_number(identifier)
        if 0 <= number <= _G_LAST:
            _once(found, number, cstart, "integrityCheck")
        if number == _G_NUMBERS:
            _expect_constructed(identifier, cstart, "includedSequenceNumbers")
            found[number] = _read_sequence_numbers(w, cstart, cstop, depth + 1)
        elif number in _G_ENUMS:
            found[number] = w.enum(identifier, cstart, cstop, "integrityCheck", _G_ENUMS[number])
        elif number == _G_VALUE:
            expect_primitive(identifier, cstart, "checkValue")
            found[number] = w.view[cstart:cstop]
        else:
            w.skip_unknown("integrityCheck", identifier, cstart, cstop, depth)
    if not found.keys() >= _G_REQUIRED:
        raise PDUError(
            "integrityCheck: includedSequenceNumbers, checkType or checkValue missing", start
        )
    numbers, check_type, value = found[_G_NUMBERS], found[_G_CHECK_TYPE], found[_G_VALUE]
    data_type, algorithm = found.get(_G_DATA_TYPE), found.get(_G_HASH)
    assert isinstance(numbers, tuple) and isinstance(check_type, int)
    assert isinstance(value, memoryview)
    assert data_type is None or isinstance(data_type, int)
    assert algorithm is None or isinstance(algorithm, int)
    return IntegrityCheck(numbers, check_type, data_type, value, algorithm)


_INTEGER = 2 << 3  # UNIVERSAL 2, primitive


def _read_sequence_numbers(w: _Walk, start: int, stop: int, depth: int) -> tuple[int, ...]:
    numbers = []
    for identifier, cstart, cstop in w.children(start, stop, depth):
        if identifier != _INTEGER:
            raise PDUError(
                f"includedSequenceNumbers: {describe(identifier)} is not an INTEGER", cstart
            )
        numbers.append(read_uint(w.buf, cstart, cstop, "includedSequenceNumbers", _G_NUMBER_MAX))
    return tuple(numbers)


# --- decode and framing --------------------------------------------------------------


def decode(
    pdu: Buf, limits: Limits = DEFAULT_LIMITS, *, marks: list[Mark] | None = None
) -> DecodedPDU:
    """Decode one whole PS-PDU (exactly one, nothing after it).

    With ``marks``, the changing fields walked (:class:`Leaf`) are appended to it, in the
    order walked: what :mod:`custodio.handover.layout` needs to learn the PDU's layout.
    """
    view = memoryview(pdu)
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    if len(view) > limits.max_pdu_size:
        raise PDUError(f"PDU of {len(view)} octets is above the limit {limits.max_pdu_size}", 0)
    w = _Walk(pdu if isinstance(pdu, bytes) else view, view, limits, marks)
    identifier, start, stop = w.open(0, len(view), 0)
    if identifier != SEQUENCE:
        raise PDUError(f"PS-PDU: expected a SEQUENCE, found {describe(identifier)}", 0)
    header, payload = _read_top(w, start, stop)
    return _result(w, view, header, payload)


_PS_HEADER = ctx(S.PS_PDU.tag("pSHeader"), S.PS_PDU["pSHeader"].constructed)
_PS_PAYLOAD = ctx(S.PS_PDU.tag("payload"), S.PS_PDU["payload"].constructed)
_PS_PARTS = frozenset((_PS_HEADER, _PS_PAYLOAD))


def _read_top(w: _Walk, start: int, stop: int) -> tuple[_Header, _Payload]:
    header: _Header | None = None
    payload: _Payload | None = None
    for identifier, cstart, cstop in w.children(start, stop, 1):
        if identifier == _PS_HEADER and header is None:
            header = _read_header(w, cstart, cstop, 2)
        elif identifier == _PS_PAYLOAD and payload is None:
            payload = _read_payload(w, cstart, cstop, 2)
        elif identifier in _PS_PARTS:
            raise PDUError(f"PS-PDU: {describe(identifier)} appears twice", cstart)
        else:
            w.skip_unknown("PS-PDU", identifier, cstart, cstop, 1)
    if header is None or payload is None:
        raise PDUError(
            f"PS-PDU: pSHeader [{_PS_HEADER >> 3}] or payload [{_PS_PAYLOAD >> 3}] missing", start
        )
    return header, payload


def _result(w: _Walk, view: memoryview, h: _Header, p: _Payload) -> DecodedPDU:
    assert h.domain_id is not None and h.liid is not None
    assert h.operator_id is not None and h.seq is not None
    return DecodedPDU(
        raw=view,
        domain_id=h.domain_id,
        liid=h.liid,
        authorization_country=h.auth_country,
        operator_id=h.operator_id,
        network_element_id=h.element_id,
        cin=h.cin,
        delivery_country=h.delivery_country,
        sequence_number=h.seq,
        timestamp=h.timestamp,
        micro_timestamp=h.micro,
        timestamp_qualifier=h.qualifier,
        interception_point_id=h.ipid,
        kind=p.kind,
        payload_tag=p.tag,
        iri=p.iri,
        cc=p.cc,
        tri=p.tri,
        payload=p.content,
        quirks=w.quirks,
    )


def frame_length(buf: Buf, pos: int, limits: Limits = DEFAULT_LIMITS) -> int | None:
    """The length of the PDU starting at ``pos``, or ``None`` while more bytes are needed.

    Raises :class:`PDUError` when the stream cannot be framed: not a SEQUENCE, a length
    above ``limits.max_pdu_size``, or malformed indefinite-length content.
    """
    end = len(buf)
    if pos >= end:
        return None
    if buf[pos] != S.UNIVERSAL_SEQUENCE:
        raise PDUError(f"stream: 0x{buf[pos]:02x} does not start a PS-PDU (0x30)", pos)
    try:
        _, start, length = read_header_only(buf, pos, end)
    except Truncated:
        return None
    if length != INDEFINITE:
        total = start - pos + length
        if total > limits.max_pdu_size:
            raise PDUError(f"PDU of {total} octets is above the limit {limits.max_pdu_size}", pos)
        return total if end - pos >= total else None
    return _indefinite_length(buf, pos, start, limits)


def _indefinite_length(buf: Buf, pos: int, start: int, limits: Limits) -> int | None:
    cap = min(len(buf), pos + limits.max_pdu_size)
    try:
        return indefinite_content_end(buf, start, cap, 1, limits) + 2 - pos
    except Truncated:
        if cap - pos >= limits.max_pdu_size:
            raise PDUError(
                f"indefinite-length PDU above the limit {limits.max_pdu_size}", pos
            ) from None
        return None


class StreamFramer:
    """Splits one TCP stream into PDUs; keeps a partial PDU until its bytes arrive."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self._pending = b""

    @property
    def pending(self) -> int:
        """Octets of an incomplete PDU held back."""
        return len(self._pending)

    def feed(
        self, data: bytes | bytearray | memoryview
    ) -> tuple[list[memoryview], BerError | None]:
        """The whole PDUs now available, and the error that stops the stream, if any.

        The PDUs before a framing error are returned: nothing already read is lost. After
        an error the stream cannot be resynchronised and the connection should be closed.
        """
        buf = self._pending + bytes(data) if self._pending else bytes(data)
        view = memoryview(buf)
        pdus: list[memoryview] = []
        pos = 0
        error: BerError | None = None
        try:
            while (length := frame_length(buf, pos, self.limits)) is not None:
                pdus.append(view[pos : pos + length])
                pos += length
        except BerError as exc:
            error = exc
        self._pending = buf[pos:] if error is None else b""
        return pdus, error
