"""Recognising a stream's PDU layout: validate a whole CC PDU in one compiled pattern.

The PDUs of one communication differ from each other in a few fields only: the sequence
number, timestamps, the direction and the media. Every other octet — identifiers, lengths,
LIID, network identifier, CIN, object identifiers, the tags of unknown extensions — is the
same from one PDU to the next while the layout holds. :class:`Recognizer` learns a layout
from a PDU that the full walk (:func:`custodio.etsi.pdu.decode`) accepted and the
changing fields it marked (:class:`~custodio.etsi.pdu.Leaf`), and compiles it into one
regular expression over the whole PDU:

- every octet outside the changing fields is a literal: same structure, same fixed
  fields, so the full walk would take the same path through the PDU. The header's first
  octets, up to the sequence number (the :func:`header_key`: LIID, CIN, lengths), are
  compared as they are (``startswith``), and the pattern covers the rest of the PDU: the
  rest is the same for all communications of one shape (a day's date, the frame type, the
  media's length), so one compiled pattern serves them all and a new call costs no compile
  (compiling one took ≈ 0.4 ms, and a mediator connecting with hundreds of calls in
  progress brought hundreds at once);
- every changing field gets exactly the check the full walk applies to it, for the length
  it has in the layout: an INTEGER's sign bit and range, a GeneralizedTime's clock (the
  date, the fraction's length and the zone are literals, so the quirks are those of the
  layout), a direction within the known ``PayloadDirection`` values, media of the same
  length (not inspected by the walk).

The identifier octets the header key looks for and the range of the direction are those of
the one description of the PS-PDU, :mod:`custodio.etsi.li_ps_pdu`.

A PDU that matches is therefore one the full walk accepts, with the same routing fields
but for the sequence number and direction read from their places; any other PDU (a
changed layout, a malformed one) does not match and goes to the full walk, which decides.
Only CC PDUs with one ``CCPayload`` are learnt: IRI and TRI PDUs (keep-alives,
acknowledgements) always take the full walk.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from custodio.etsi import li_ps_pdu as S
from custodio.etsi.pdu import GENERALIZED_TIME, DecodedPDU, Leaf, Mark, PayloadKind
from custodio.handover.routing import to_routing
from custodio.handover.sessions import Stream
from custodio.journal.format import split_routing

DEFAULT_CAPACITY = 8192  # keys (communications and their layouts) per channel
PER_KEY = 2
MAX_KEY_LENGTHS = 8
PS_PDU_OCTET = S.UNIVERSAL_SEQUENCE  # 0x30
HEADER_OCTET = S.PS_PDU["pSHeader"].octet  # 0xa1: [1] pSHeader, constructed
SEQUENCE_TAG = S.PS_HEADER["sequenceNumber"].octet  # 0x84: [4] sequenceNumber, primitive
_CLOCK = rb"(?:[01][0-9]|2[0-3])[0-5][0-9](?:[0-5][0-9]|60)"  # HHMMSS, a leap second too
_ANY = rb"."  # any octet (the patterns are compiled with DOTALL); "." repeats in O(1)
_DIRECTIONS = S.PAYLOAD_DIRECTION.highest + 1  # 0..4 known, later values are a quirk
_DIRECTION_PIECE = rb"[\x00-\x%02x]" % (_DIRECTIONS - 1)  # one octet, a known value


class Layout:
    """One learnt layout: the compiled pattern and what stays the same for its PDUs."""

    __slots__ = (
        "checks",
        "direction_at",
        "heads",
        "key",
        "operator_id",
        "pattern",
        "sequence_at",
        "size",
        "stream",
        "stream_key",
        "tail",
    )

    def __init__(
        self, decoded: DecodedPDU, marks: Sequence[Mark], channel: int, key: bytes
    ) -> None:
        raw = bytes(decoded.raw)
        if not raw.startswith(key) or any(start < len(key) for _, start, _, _ in marks):
            key = b""  # not a header key of this PDU: the pattern covers the whole of it
        self.key = key
        self.size = len(raw)  # its outer length octets are in the key (or the pattern)
        plan = _Plan(raw, marks, len(key))
        self.pattern = _compiled(plan.pattern)
        self.sequence_at = plan.sequence_at
        self.direction_at = plan.direction_at
        self.checks = tuple(plan.checks)
        routing = to_routing(decoded, channel, "")
        head, self.tail = split_routing(routing)
        self.heads: tuple[bytes, ...] = (head,)
        if self.direction_at >= 0:  # the direction octet of the routing head from the PDU
            self.heads = tuple(head[:3] + bytes((d,)) + head[4:] for d in range(_DIRECTIONS))
        self.operator_id = decoded.operator_id
        self.stream: Stream | None = None  # the receiver's sequence state, held
        self.stream_key = (
            decoded.liid, decoded.operator_id, decoded.network_element_id or b"",
            decoded.cin, channel,
        )  # fmt: skip

    def in_range(self, buf: bytes, pos: int) -> bool:
        """Whether the INTEGERs whose range the pattern cannot express are within it."""
        return all(
            int.from_bytes(buf[pos + start : pos + stop], "big") <= maximum
            for start, stop, maximum in self.checks
        )


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: bytes) -> re.Pattern[bytes]:
    """One compiled pattern for all the layouts that share it (compiling takes ≈ 0.4 ms)."""
    return re.compile(pattern, re.DOTALL)


class _Plan:
    """The pattern of a layout from octet ``skip`` on (the octets before it are compared
    as they are), built from the template PDU and its marks; offsets stay the PDU's."""

    def __init__(self, raw: bytes, marks: Sequence[Mark], skip: int) -> None:
        self.pieces: list[bytes] = []
        self.checks: list[tuple[int, int, int]] = []
        self.sequence_at = (0, 0)
        self.direction_at = -1
        pos = skip
        directions = 0
        for leaf, start, stop, maximum in sorted(marks, key=lambda m: m[1]):
            value = raw[start:stop]
            piece = self._piece(leaf, value, start, stop, maximum, first=directions == 0)
            directions += leaf is Leaf.DIRECTION
            if piece is None:
                continue  # left as literal octets
            self.pieces += (re.escape(raw[pos:start]), piece)
            pos = stop
        self.pieces.append(re.escape(raw[pos:]))
        self.pattern = b"".join(self.pieces)

    def _piece(
        self, leaf: Leaf, value: bytes, start: int, stop: int, maximum: int, *, first: bool
    ) -> bytes | None:
        if leaf is Leaf.OCTETS:
            return _ANY + b"{%d}" % len(value)
        if leaf is Leaf.TIME:
            return _time_piece(value)
        if leaf is Leaf.DIRECTION:
            if not first or len(value) != 1 or value[0] >= _DIRECTIONS:
                return None  # the routing direction is the first item's; unknown ones literal
            self.direction_at = start
            return _DIRECTION_PIECE
        piece, checked = _uint_piece(len(value), maximum)
        if checked:
            self.checks.append((start, stop, maximum))
        if leaf is Leaf.SEQUENCE_NUMBER:
            self.sequence_at = (start, stop)
        return piece


def _uint_piece(size: int, maximum: int) -> tuple[bytes, bool]:
    """A non-negative INTEGER of ``size`` octets; whether its value must still be compared."""
    rest = _ANY + b"{%d}" % (size - 1)
    if (1 << (8 * size - 1)) - 1 <= maximum:
        return rb"[\x00-\x7f]" + rest, False
    if maximum == (1 << (8 * (size - 1))) - 1:
        return rb"\x00" + rest, False
    return rb"[\x00-\x7f]" + rest, True


def _time_piece(value: bytes) -> bytes:
    """The date, fraction length and zone of ``value`` fixed; the clock free but valid."""
    match = GENERALIZED_TIME.fullmatch(value)
    assert match is not None  # the full walk accepted it
    fraction, zone = match.group(7), match.group(8) or b""
    rest = b"" if fraction is None else re.escape(value[14:15]) + b"[0-9]{%d}" % len(fraction)
    return re.escape(value[:8]) + _CLOCK + rest + re.escape(zone)


def header_key(buf: bytes, pos: int, end: int) -> bytes | None:
    """The octets from a PDU's start up to its sequenceNumber: the same for all the PDUs of
    one communication while its layout holds (they hold the LIID, network identifier, CIN
    and the lengths of the PDU and its header), so they find its :class:`Layout`."""
    if end - pos < 4 or buf[pos] != PS_PDU_OCTET:
        return None
    p = _content(buf, pos, end)
    if p < 0 or p + 1 >= end or buf[p] != HEADER_OCTET:
        return None
    p = _content(buf, p, end)
    while 0 <= p < end:
        if buf[p] == SEQUENCE_TAG:
            return buf[pos:p]
        p = _skip(buf, p, end)
    return None


def _content(buf: bytes, p: int, end: int) -> int:
    """Where the content of the element at ``p`` starts (-1 when beyond ``end``)."""
    if p + 1 >= end:
        return -1
    length = buf[p + 1]
    return p + 2 + (length & 0x7F if length > 0x80 else 0)


def _skip(buf: bytes, p: int, end: int) -> int:
    """Where the element at ``p`` (a low tag, definite length) ends; -1 when it cannot say."""
    if p + 1 >= end or buf[p] & 0x1F == 0x1F:
        return -1
    length = buf[p + 1]
    if length < 0x80:
        return p + 2 + length
    count = length & 0x7F
    if count == 0 or count > 4 or p + 2 + count > end:
        return -1
    return p + 2 + count + int.from_bytes(buf[p + 2 : p + 2 + count], "big")


class _Slot:
    """The layouts of one key (at most :data:`PER_KEY`, the latest first) and its misses."""

    __slots__ = ("layouts", "streak")

    def __init__(self) -> None:
        self.layouts: list[Layout] = []
        self.streak = 0  # PDUs in a row that matched none of them


class Recognizer:
    """The layouts learnt on one channel, found by their :func:`header_key`.

    To find a PDU's key without parsing its header, the recognizer keeps the lengths of the
    keys it learnt (a few: the header fields before the sequence number rarely change
    length) and looks up the PDU's first octets of each such length, the one that last
    matched first. A prefix found is only a candidate: its layouts' patterns decide.

    A key whose layouts keep missing is relearnt after 1, 2, 4, 8, … misses in a row only,
    so a stream whose fixed fields do change costs the full walk, not a compile per PDU.
    """

    def __init__(self, channel: int, capacity: int = DEFAULT_CAPACITY) -> None:
        self.channel = channel
        self.capacity = capacity
        self._slots: dict[bytes, _Slot] = {}
        self._lengths: list[int] = []  # of the keys learnt, the last one matched first
        self.learnt = 0  # layouts learnt so far (patterns compiled, or shared with one before)

    def __len__(self) -> int:
        return sum(len(slot.layouts) for slot in self._slots.values())

    def match(self, buf: bytes, pos: int, end: int) -> tuple[Layout, int, bytes] | None:
        """``(layout, sequence number, routing head)`` when the PDU at ``pos`` has a learnt
        layout, else None. ``end`` is where the octets read so far end: the PDU is the
        ``layout.size`` octets from ``pos`` (its outer length octets are part of what the
        layout compares, so this is its framing too), which must all be there."""
        for length in self._lengths:
            slot = self._slots.get(buf[pos : pos + length])
            if slot is None:
                continue
            for layout in slot.layouts:  # their key is the slot's (or empty)
                stop = pos + layout.size
                if (
                    stop > end
                    or layout.pattern.fullmatch(buf, pos + len(layout.key), stop) is None
                    or (layout.checks and not layout.in_range(buf, pos))
                ):
                    continue
                slot.streak = 0
                if length != self._lengths[0]:
                    self._lengths.remove(length)
                    self._lengths.insert(0, length)
                start, stop = layout.sequence_at
                d = layout.direction_at
                head = layout.heads[buf[pos + d] if d >= 0 else 0]
                return layout, int.from_bytes(buf[pos + start : pos + stop], "big"), head
            slot.streak += 1
        return None

    def learn(self, buf: bytes, pos: int, end: int, decoded: DecodedPDU, marks: list[Mark]) -> None:
        """Learn the layout of a PDU the full walk accepted (``decode(..., marks=marks)``)."""
        if decoded.kind is not PayloadKind.CC or len(decoded.cc) != 1:
            return
        key = header_key(buf, pos, end)
        if key is None:
            return
        slot = self._slots.get(key)
        if slot is None:
            if len(self._slots) >= self.capacity:
                del self._slots[next(iter(self._slots))]  # the oldest key learnt
            slot = self._slots[key] = _Slot()
            self._remember_length(len(key))
        elif slot.streak & (slot.streak - 1):
            return  # not a power of two: back off
        slot.layouts = [Layout(decoded, marks, self.channel, key), *slot.layouts[: PER_KEY - 1]]
        self.learnt += 1

    def _remember_length(self, length: int) -> None:
        if length in self._lengths:
            return
        self._lengths.append(length)
        if len(self._lengths) > MAX_KEY_LENGTHS:
            del self._lengths[-2]  # the least recently matched but the one just learnt
