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
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime

from custodio.handover.pdu import (
    CCItem,
    DecodedPDU,
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


class _Template:
    __slots__ = ("decoded", "fixed", "media", "micro", "sequence", "times")

    def __init__(self, decoded: DecodedPDU, marks: Sequence[Mark]) -> None:
        raw = bytes(decoded.raw)
        ordered = sorted(marks, key=lambda m: m[1])
        self.decoded = decoded
        self.sequence = next((m[1], m[2]) for m in ordered if m[0] is Leaf.SEQUENCE_NUMBER)
        self.media = next((m[1], m[2]) for m in ordered if m[0] is Leaf.OCTETS)
        self.times = [(m[1], m[2]) for m in ordered if m[0] is Leaf.TIME]
        uints = [(m[1], m[2]) for m in ordered if m[0] is Leaf.UINT]
        self.micro = [(uints[i], uints[i + 1]) for i in range(0, len(uints), 2)]
        changing = [m for m in ordered if m[0] is not Leaf.DIRECTION]  # in the key: literal
        self.fixed: list[tuple[int, int, bytes]] = []
        pos = 0
        for _, start, stop, _ in changing:
            self.fixed.append((pos, start, raw[pos:start]))
            pos = stop
        self.fixed.append((pos, len(raw), raw[pos:]))

    def read(self, pdu: bytes) -> DecodedPDU | None:
        for start, stop, literal in self.fixed:
            if pdu[start:stop] != literal:
                return None
        d = self.decoded
        item = d.cc[0]
        times = [_time(pdu[a:b]) for a, b in self.times]
        micros = [MicroTime(_uint(pdu, s), _uint(pdu, u)) for s, u in self.micro]
        header_time = times.pop(0) if d.timestamp is not None else None
        header_micro = micros.pop(0) if d.micro_timestamp is not None else None
        view = memoryview(pdu)
        cc = CCItem(  # direct construction: dataclasses.replace costs several times more
            item.direction, times[0] if times else None, micros[0] if micros else None,
            item.contents_kind, item.contents_tag, item.frame_type, item.mmcc_protocol,
            item.stream_identifier, item.cc_link_id, view[self.media[0] : self.media[1]],
        )  # fmt: skip
        return DecodedPDU(
            view, d.domain_id, d.liid, d.authorization_country, d.operator_id,
            d.network_element_id, d.cin, d.delivery_country, _uint(pdu, self.sequence),
            header_time, header_micro, d.timestamp_qualifier, d.interception_point_id, d.kind,
            d.payload_tag, d.iri, (cc,), d.tri, d.payload, d.quirks,
        )  # fmt: skip


def _time(raw: bytes) -> datetime:
    """A GeneralizedTime the receiver validated: ``YYYYMMDDHHMMSS.fffZ`` from the whole
    second (cached: a stream's PDUs share it) plus the fraction; anything else in full."""
    if len(raw) > 15 and raw[14] in b".," and raw[-1] == 0x5A and raw[15:-1].isdigit():
        micro = int(raw[15:-1][:6].ljust(6, b"0"))
        return _second(raw[:14]).replace(microsecond=micro)
    return parse_generalized_time(raw, "timeStamp", 0)[0]


@functools.lru_cache(maxsize=1024)
def _second(digits: bytes) -> datetime:
    return parse_generalized_time(digits + b"Z", "timeStamp", 0)[0]


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
