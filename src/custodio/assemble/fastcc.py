"""CC PDUs decoded by their learnt layout: the full walk once per stream, then slices.

The PDUs of one media stream differ only in their sequence number, time stamps and media
(``custodio.handover.layout`` makes the same observation for the receiver). The journal
holds only PDUs the receiver's full walk accepted, so assembly need not validate them
again: it only needs their fields. :class:`Templates` decodes the first CC PDU of each
(LIID, operator, CIN, direction, length) with :func:`custodio.handover.pdu.decode` and
the changing fields it marks, and keeps it as a template. A later PDU of the same key
whose every other octet equals the template's has the same structure, so its fields are
read from the same places: the sequence number, the GeneralizedTime and microsecond time
stamps, the media octets. Any other PDU takes the full walk (and may become the template).

:meth:`Templates.read_rtp` reads the most common CC PDU — one bare RTP packet of the
simple form (version 2, no CSRC, extension or padding: first octet ``0x80``) in an
IPMMCC item — straight into :class:`RTPFields`, the values assembly uses, without
building the decoded objects: the assembler's fast lane (``Comm.apply_rtp``).
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import NamedTuple

from custodio.handover.pdu import (
    CCContentsKind,
    CCItem,
    DecodedPDU,
    Direction,
    FrameType,
    Leaf,
    Mark,
    MicroTime,
    PayloadKind,
    decode,
    parse_generalized_time,
)
from custodio.journal import Record

CAPACITY = 16384  # templates kept (the oldest learnt goes first)
CC = int(PayloadKind.CC)
TemplateKey = tuple[bytes, bytes, int | None, int, int]


Span = tuple[int, int]  # where a field's content lies in the PDU
_RTP = struct.Struct(">BBHII")  # first octet, marker and payload type, sequence, time, SSRC
_SIMPLE_RTP = 0x80  # version 2, no padding, no extension, no CSRC
_RTP_FRAMES = (FrameType.RTP, FrameType.ARTIFICIAL_RTP, None)  # what is parsed as bare RTP


class RTPFields(NamedTuple):
    """A CC PDU of one bare RTP packet: what assembly takes from it (``Comm.apply_rtp``)."""

    raw: bytes  # the whole PDU
    operator_id: bytes
    liid: bytes
    cin: int | None
    sequence_number: int  # the PDU's
    timestamp: datetime | None  # the PDU header's
    micro_timestamp: MicroTime | None
    direction: Direction | None  # the CC item's payloadDirection
    rtp_sequence: int
    rtp_timestamp: int
    ssrc: int
    payload_type: int
    payload: bytes


class _Template:
    __slots__ = ("decoded", "fixed", "header_micro", "header_time", "item_micro", "item_time",
                 "media", "rtp", "sequence")  # fmt: skip

    def __init__(self, decoded: DecodedPDU, marks: Sequence[Mark]) -> None:
        raw = bytes(decoded.raw)
        ordered = sorted(marks, key=lambda m: m[1])
        self.decoded = decoded
        self.sequence = next((m[1], m[2]) for m in ordered if m[0] is Leaf.SEQUENCE_NUMBER)
        self.media = next((m[1], m[2]) for m in ordered if m[0] is Leaf.OCTETS)
        times = [(m[1], m[2]) for m in ordered if m[0] is Leaf.TIME]
        uints = [(m[1], m[2]) for m in ordered if m[0] is Leaf.UINT]
        micros = [(uints[i], uints[i + 1]) for i in range(0, len(uints), 2)]
        # the header's time stamps come before the CC item's (_usable counted them)
        self.header_time: Span | None = times.pop(0) if decoded.timestamp is not None else None
        self.item_time: Span | None = times[0] if times else None
        self.header_micro: tuple[Span, Span] | None = (
            micros.pop(0) if decoded.micro_timestamp is not None else None
        )
        self.item_micro: tuple[Span, Span] | None = micros[0] if micros else None
        changing = [m for m in ordered if m[0] is not Leaf.DIRECTION]  # in the key: literal
        self.fixed: list[tuple[int, bytes]] = []  # the octets between the changing fields
        pos = 0
        for _, start, stop, _ in changing:
            self.fixed.append((pos, raw[pos:start]))
            pos = stop
        self.fixed.append((pos, raw[pos:]))
        item = decoded.cc[0]
        self.rtp = (  # whether its media is read as a bare RTP packet (as assembly would)
            item.contents_kind is CCContentsKind.IPMM and item.frame_type in _RTP_FRAMES
            and self.media[1] - self.media[0] >= _RTP.size
        )  # fmt: skip

    def matches(self, pdu: bytes) -> bool:
        """Whether ``pdu`` (of the template's length) has its octets outside the fields."""
        for start, literal in self.fixed:  # noqa: SIM110 (per PDU: all() costs more)
            if not pdu.startswith(literal, start):
                return False
        return True

    def read_rtp(self, pdu: bytes) -> RTPFields | None:
        """The RTP packet and header fields of a matching PDU whose packet is of the simple
        form (what :func:`~custodio.assemble.rtp.parse_rtp` gives for it), else None."""
        start, stop = self.media
        if not self.rtp or pdu[start] != _SIMPLE_RTP or not self.matches(pdu):
            return None
        _, second, sequence, timestamp, ssrc = _RTP.unpack_from(pdu, start)
        d = self.decoded
        at, micro = self.header_time, self.header_micro
        return RTPFields(
            pdu, d.operator_id, d.liid, d.cin, _uint(pdu, self.sequence),
            None if at is None else _time(pdu[at[0] : at[1]]),
            None if micro is None else MicroTime(_uint(pdu, micro[0]), _uint(pdu, micro[1])),
            d.cc[0].direction, sequence, timestamp, ssrc, second & 0x7F,
            pdu[start + _RTP.size : stop],
        )  # fmt: skip

    def read(self, pdu: bytes) -> DecodedPDU | None:
        if not self.matches(pdu):  # the template's length: ``len(pdu)`` is in the key
            return None
        d = self.decoded
        item = d.cc[0]
        at, micro = self.item_time, self.item_micro
        view = memoryview(pdu)
        cc = CCItem(  # direct construction: dataclasses.replace costs several times more
            item.direction,
            None if at is None else _time(pdu[at[0] : at[1]]),
            None if micro is None else MicroTime(_uint(pdu, micro[0]), _uint(pdu, micro[1])),
            item.contents_kind, item.contents_tag, item.frame_type, item.mmcc_protocol,
            item.stream_identifier, item.cc_link_id, view[self.media[0] : self.media[1]],
        )  # fmt: skip
        at, micro = self.header_time, self.header_micro
        return DecodedPDU(
            view, d.domain_id, d.liid, d.authorization_country, d.operator_id,
            d.network_element_id, d.cin, d.delivery_country, _uint(pdu, self.sequence),
            None if at is None else _time(pdu[at[0] : at[1]]),
            None if micro is None else MicroTime(_uint(pdu, micro[0]), _uint(pdu, micro[1])),
            d.timestamp_qualifier, d.interception_point_id, d.kind,
            d.payload_tag, d.iri, (cc,), d.tri, d.payload, d.quirks,
        )  # fmt: skip


def _time(raw: bytes) -> datetime:
    """A GeneralizedTime the receiver validated: ``YYYYMMDDHHMMSS.fffZ`` from the whole
    second (cached: a stream's PDUs share it) plus the fraction; anything else in full."""
    if len(raw) == _MICRO_TIME and raw[14] == 0x2E and raw[21] == 0x5A and raw[15:21].isdigit():
        micro = int(raw[15:21])  # the usual form: six digits of fraction
    elif len(raw) > 15 and raw[14] in b".," and raw[-1] == 0x5A and raw[15:-1].isdigit():
        micro = int(raw[15:-1][:6].ljust(6, b"0"))
    else:
        return parse_generalized_time(raw, "timeStamp", 0)[0]
    year, month, day, hour, minute, second, zone = _second(raw[:14])
    return datetime(year, month, day, hour, minute, second, micro, zone)  # 3× `replace`


_MICRO_TIME = len(b"YYYYMMDDHHMMSS.ffffffZ")


@functools.lru_cache(maxsize=1024)
def _second(digits: bytes) -> tuple[int, int, int, int, int, int, tzinfo | None]:
    at = parse_generalized_time(digits + b"Z", "timeStamp", 0)[0]
    return at.year, at.month, at.day, at.hour, at.minute, at.second, at.tzinfo


def _uint(pdu: bytes, at: tuple[int, int]) -> int:
    return int.from_bytes(pdu[at[0] : at[1]], "big")


def _usable(decoded: DecodedPDU, marks: Sequence[Mark]) -> bool:
    """One CC item, one media field, and every time stamp where the template expects it."""
    if decoded.kind is not PayloadKind.CC or len(decoded.cc) != 1 or decoded.tri is not None:
        return False
    count = {leaf: sum(1 for m in marks if m[0] is leaf) for leaf in Leaf}
    item = decoded.cc[0]
    times = (decoded.timestamp is not None) + (item.timestamp is not None)
    micros = (decoded.micro_timestamp is not None) + (item.micro_timestamp is not None)
    return (
        count[Leaf.SEQUENCE_NUMBER] == 1 and count[Leaf.OCTETS] == 1
        and count[Leaf.TIME] == times and count[Leaf.UINT] == 2 * micros
    )  # fmt: skip


class Templates:
    """The CC templates learnt so far; :meth:`decode` any journal record through them."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._templates: dict[TemplateKey, _Template] = {}
        self.hits = 0
        self.walks = 0

    def read_rtp(self, record: Record) -> RTPFields | None:
        """A CC record of one bare RTP packet read through its template, or None (no
        template yet, another layout, another form: :meth:`decode` it)."""
        r = record.routing
        if r.payload_kind != CC:
            return None
        template = self._templates.get((r.liid, r.operator_id, r.cin, r.direction, len(record.pdu)))
        found = None if template is None else template.read_rtp(record.pdu)
        self.hits += found is not None
        return found

    def decode(self, record: Record) -> DecodedPDU:
        r = record.routing
        if r.payload_kind != CC:
            return decode(record.pdu)
        key: TemplateKey = (r.liid, r.operator_id, r.cin, r.direction, len(record.pdu))
        template = self._templates.get(key)
        if template is not None:
            found = template.read(record.pdu)
            if found is not None:
                self.hits += 1
                return found
        self.walks += 1
        marks: list[Mark] = []
        decoded = decode(record.pdu, marks=marks)
        if _usable(decoded, marks):
            if key not in self._templates and len(self._templates) >= self.capacity:
                del self._templates[next(iter(self._templates))]
            self._templates[key] = _Template(decoded, marks)
        return decoded
