"""CC PDUs decoded by their learnt layout: the full walk once per stream, then slices.

The PDUs of one media stream differ only in their sequence number, time stamps and media
(``custodio.handover.layout`` makes the same observation for the receiver). The journal
holds only PDUs the receiver's full walk accepted, so assembly need not validate them
again: it only needs their fields. :class:`Templates` decodes the first CC PDU of each
(LIID, operator, CIN, direction, length) with :func:`custodio.etsi.pdu.decode` and
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
from datetime import UTC, datetime, tzinfo
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from custodio.etsi import li_ps_pdu, names
from custodio.etsi.pdu import (
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
from custodio.journal.format import ROUTING_SEQ_OFFSET, decode_routing

CAPACITY = 16384  # templates kept (the oldest learnt goes first)
CC = int(PayloadKind.CC)
_MICROS_LIMIT = li_ps_pdu.MICRO_SECOND_TIME_STAMP["microSeconds"].maximum + 1  # 1,000,000
TemplateKey = tuple[bytes, bytes, int | None, int, int]


Span = tuple[int, int]  # where a field's content lies in the PDU
_RTP_ROW = np.dtype(  # the RTP header of the simple form, as a numpy record (big-endian)
    [("first", "u1"), ("type", "u1"), ("sequence", ">u2"), ("timestamp", ">u4"), ("ssrc", ">u4")]
)
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


class RTPRun(NamedTuple):
    """CC PDUs of one template (one stream), each one bare RTP packet of the simple form,
    read together: what assembly takes from them as a batch (``Comm.apply_rtp_run``)."""

    numbers: list[int]  # the PDUs' sequence numbers, in journal order
    earliest: datetime  # the earliest and latest header time (``header_time``)
    latest: datetime
    direction: Direction | None  # the CC item's payloadDirection
    ssrc: int  # the same in every packet
    rtp_sequences: list[int]
    rtp_timestamps: list[int]
    payload_types: list[int]
    payloads: bytes  # back to back, ``payload_size`` octets each
    payload_size: int
    in_order: bool  # each packet's number and time follow the one before, one payload type


_Octets = npt.NDArray[np.uint8]
_Numbers = npt.NDArray[np.uint64]


class Template:
    """A CC PDU's structure, learnt from its full walk: where its changing fields lie."""

    __slots__ = ("array", "comm_key", "decoded", "fixed", "header_micro", "header_time",
                 "item_micro", "item_time", "media", "rtp", "run_mask", "sequence", "ssrc",
                 "time_usual")  # fmt: skip

    def __init__(self, decoded: DecodedPDU, marks: Sequence[Mark]) -> None:
        raw = bytes(decoded.raw)
        ordered = sorted(marks, key=lambda m: m[1])
        self.decoded = decoded
        self.comm_key = (_text(decoded.operator_id), _text(decoded.liid), decoded.cin)
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
        self._learn_runs(raw)

    def _learn_runs(self, raw: bytes) -> None:
        """What :meth:`read_run` compares: the fixed octets, the RTP packet's first octet
        and SSRC (a run keeps the template's), and whether the header time may be of the
        usual form. ``run_mask`` None: PDUs of this template are read one by one."""
        self.array: _Octets = np.frombuffer(raw, np.uint8)
        self.ssrc = 0
        self.run_mask: _Octets | None = None
        self.time_usual = False  # the header time has room for YYYYMMDDHHMMSS.f...Z
        start = self.media[0]
        numbers = [self.sequence, *(self.header_micro or ())]
        if not self.rtp or raw[start] != _SIMPLE_RTP or any(b - a > 8 for a, b in numbers):
            return
        mask = np.zeros(len(raw), np.uint8)
        for pos, literal in self.fixed:
            mask[pos : pos + len(literal)] = 0xFF
        mask[start] = mask[start + 8 : start + 12] = 0xFF
        self.run_mask, self.ssrc = mask, _RTP.unpack_from(raw, start)[4]
        at = self.header_time
        self.time_usual = at is not None and 16 < at[1] - at[0] <= _MICRO_TIME  # 1-6 digits

    def matches(self, pdu: bytes) -> bool:
        """Whether ``pdu`` (of the template's length) has its octets outside the fields."""
        for start, literal in self.fixed:  # noqa: SIM110 (per PDU: all() costs more)
            if not pdu.startswith(literal, start):
                return False
        return True

    def read_rtp(self, pdu: bytes) -> RTPFields | None:
        """The RTP packet and header fields of a matching PDU whose packet is of the simple
        form (what :func:`~custodio.etsi.rtp.parse_rtp` gives for it), else None."""
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

    def read_run(self, pdus: Sequence[bytes], received_ns: Sequence[int]) -> RTPRun | None:
        """:meth:`read_rtp` for many PDUs of this template at once (vectorised: one row of
        octets per PDU), or None unless every one matches, is of the simple form with the
        template's SSRC, and has header times of the usual form where it has them.

        Each numpy call costs microseconds whatever its size: few of them, on all rows."""
        if self.run_mask is None:
            return None
        start, stop = self.media
        rows = np.frombuffer(b"".join(pdus), np.uint8).reshape(len(pdus), len(self.array))
        if np.count_nonzero((rows ^ self.array) & self.run_mask):
            return None  # a fixed octet, the RTP packet's first or its SSRC differs
        times = self._times(rows, received_ns)
        if times is None:
            return None
        head = np.ascontiguousarray(rows[:, start : start + _RTP.size]).view(_RTP_ROW).ravel()
        sequences, stamps = head["sequence"].tolist(), head["timestamp"].tolist()
        types = (head["type"] & 0x7F).tolist()
        size, count = stop - start - _RTP.size, len(pdus)
        first, at = sequences[0], stamps[0]
        in_order = (  # no wrap inside the run: a run at a wrap is placed packet by packet
            sequences == list(range(first, first + count))
            and stamps == list(range(at, at + count * size, size))
            and types.count(types[0]) == count
        )  # fmt: skip
        return RTPRun(
            _be(rows, *self.sequence).tolist(), times[0], times[1], self.decoded.cc[0].direction,
            self.ssrc, sequences, stamps, types, rows[:, start + _RTP.size : stop].tobytes(),
            size, in_order,
        )  # fmt: skip

    def _times(self, rows: _Octets, received_ns: Sequence[int]) -> tuple[datetime, datetime] | None:
        """The earliest and latest of the PDUs' ``header_time``, or None when a time is not
        of the usual form (then each PDU is read alone)."""
        micro, at = self.header_micro, self.header_time
        if micro is not None:
            seconds, fraction = _be(rows, *micro[0]), _be(rows, *micro[1])
            if np.count_nonzero(fraction >= _MICROS_LIMIT):
                return None
            key = seconds * _MICROS_LIMIT + fraction
            return _micro_time(seconds, fraction, key.argmin()), _micro_time(
                seconds, fraction, key.argmax()
            )
        if at is not None:  # YYYYMMDDHHMMSS.f...Z (checked): its order is the times' order
            width, count = at[1] - at[0], len(rows)
            text = rows[:, at[0] : at[1]].tobytes()
            if (
                not self.time_usual
                or text.translate(None, b"0123456789") != b".Z" * count  # all else digits
                or text[14::width] != b"." * count
                or text[width - 1 :: width] != b"Z" * count
            ):
                return None
            strings = np.frombuffer(text, f"S{width}")
            return _utc(strings[strings.argmin()]), _utc(strings[strings.argmax()])
        first, last = min(received_ns), max(received_ns)
        return _received(first), _received(last)

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


_text = names.text  # as the assembler names the communication


def _be(rows: _Octets, start: int, stop: int) -> _Numbers:
    """The unsigned big-endian numbers in columns ``start:stop`` (at most 8) of ``rows``."""
    width = stop - start
    if width in (1, 2, 4, 8):  # a numpy type of that width
        return rows[:, start:stop].copy().view(f">u{width}").ravel().astype(np.uint64)
    padded = np.zeros((len(rows), 8), np.uint8)
    padded[:, 8 - (stop - start) :] = rows[:, start:stop]
    return padded.view(">u8").ravel().astype(np.uint64)


def _micro_time(seconds: _Numbers, fraction: _Numbers, i: np.intp) -> datetime:
    return datetime.fromtimestamp(int(seconds[i]), UTC).replace(microsecond=int(fraction[i]))


def _utc(text: bytes) -> datetime:
    return _time(bytes(text)).astimezone(UTC)  # as ``header_time`` gives it


def _received(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, UTC)


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


class _Stream:
    """A CC stream of the journal: its template key but the PDU size, and the templates
    that read its runs, by PDU size (kept equal to ``Templates._templates``)."""

    __slots__ = ("by_size", "prefix")

    def __init__(self, prefix: tuple[bytes, bytes, int | None, int]) -> None:
        self.prefix = prefix
        self.by_size: dict[int, Template | None] = {}


class Templates:
    """The CC templates learnt so far; :meth:`decode` any journal record through them."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._templates: dict[TemplateKey, Template] = {}
        self._streams: dict[bytes, _Stream | None] = {}  # by routing block less its PDU seq
        self._by_prefix: dict[tuple[bytes, bytes, int | None, int], _Stream] = {}
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

    def lane(self, block: bytes, size: int) -> Template | None:
        """The template that reads runs (:meth:`Template.read_run`) of the CC PDUs of
        ``size`` octets of the stream that the routing ``block`` names, else None.

        The stream is the block without its PDU sequence number: its routing is decoded
        once, and its templates by size are kept with it (per record, two lookups)."""
        stream = block[:ROUTING_SEQ_OFFSET] + block[ROUTING_SEQ_OFFSET + 4 :]
        try:
            found = self._streams[stream]
        except KeyError:
            found = self._stream(stream, block)
        if found is None:
            return None
        try:
            return found.by_size[size]
        except KeyError:
            template = self._templates.get((*found.prefix, size))
            runs = template if template is not None and template.run_mask is not None else None
            found.by_size[size] = runs
            return runs

    def _stream(self, stream: bytes, block: bytes) -> _Stream | None:
        if len(self._streams) >= self.capacity:
            self._streams.clear()
            self._by_prefix.clear()
        r = decode_routing(block)
        found = None
        if r.payload_kind == CC:
            prefix = (r.liid, r.operator_id, r.cin, r.direction)
            found = self._by_prefix.get(prefix) or _Stream(prefix)
            self._by_prefix[prefix] = found
        self._streams[stream] = found
        return found

    def _changed(self, key: TemplateKey) -> None:
        """The template of ``key`` was learnt, replaced or dropped: not cached for runs."""
        found = self._by_prefix.get(key[:4])
        if found is not None:
            found.by_size.pop(key[4], None)

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
                oldest = next(iter(self._templates))
                del self._templates[oldest]
                self._changed(oldest)
            self._templates[key] = Template(decoded, marks)
            self._changed(key)
        return decoded
