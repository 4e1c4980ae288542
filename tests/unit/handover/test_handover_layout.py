"""Recognised layouts: the fast path agrees with the full walk on every input, mutated too.

The property: for any PDU, :meth:`Recognizer.match` either returns nothing (the full walk
decides) or exactly the routing block, stream and operator that the full walk gives — and
never accepts a PDU that the full walk refuses.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from handover_berforms import reform
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custodio.errors import DecodeError
from custodio.etsi import encode as E
from custodio.etsi.pdu import (
    DecodedPDU,
    Direction,
    FrameType,
    Leaf,
    Mark,
    MicroTime,
    PayloadKind,
    StreamFramer,
    decode,
    frame_length,
)
from custodio.handover.layout import Recognizer, header_key
from custodio.handover.routing import to_routing
from custodio.journal.format import encode_connection, encode_routing

ASSETS = Path(__file__).parents[2] / "assets" / "captures"
CHANNEL = 3
CONNECTION = "hi3:192.0.2.7:4100#3"
CAPTURED_CC = [
    bytes(p)
    for name in ("etsi_file.test", "etsi_10_pings_HI3.raw_tcp")
    for p in StreamFramer().feed((ASSETS / name).read_bytes())[0][:12]
    if decode(p).kind is PayloadKind.CC
]
CAPTURED = [*CAPTURED_CC[:12], (ASSETS / "cc_iPMMCC_pycrate.ber").read_bytes()]
LONG_LENGTHS = [reform(p, long_lengths=True) for p in CAPTURED[:3]]
INDEFINITE = [reform(p, indefinite=True) for p in CAPTURED[:3]]  # not learnt: walked each time
T0 = datetime(2026, 11, 29, 10, 31, 5, 123456, tzinfo=UTC)

PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def header(seq: int, when: datetime, micro: bool = True, cin: int = 305419896) -> E.Header:
    return E.Header(
        liid=b"ES-LIID-0001",
        operator_id=b"OPERADOR-ES",
        network_element_id=b"MSC-MAD-01",
        cin=cin,
        sequence_number=seq,
        timestamp=when,
        micro_timestamp=MicroTime(int(when.timestamp()), when.microsecond) if micro else None,
        timestamp_qualifier=1,
        authorization_country="ES",
        delivery_country="ES",
    )


def cc(seq: int, when: datetime, direction: Direction, media: bytes, pstn: bool = False) -> bytes:
    h = header(seq, when)
    if pstn:
        return E.cc_pstn(h, media, direction=direction, cc_link_id=1, timestamp=when)
    return E.cc_ipmm(h, media, direction=direction, frame_type=FrameType.RTP, timestamp=when)


GENERATED = [
    cc(300, T0, Direction.FROM_TARGET, bytes(range(160))),
    cc(70_000, T0, Direction.TO_TARGET, b"\xd5" * 160, pstn=True),
]
LEARNT = CAPTURED + LONG_LENGTHS + GENERATED
TEMPLATES = LEARNT + INDEFINITE


def learnt(template: bytes) -> tuple[Recognizer, DecodedPDU, list[Mark]]:
    recognizer = Recognizer(CHANNEL)
    marks: list[Mark] = []
    decoded = decode(template, marks=marks)
    recognizer.learn(template, 0, len(template), decoded, marks)
    return recognizer, decoded, marks


def full_walk(raw: bytes) -> DecodedPDU | None:
    with contextlib.suppress(DecodeError):
        return decode(raw)
    return None


def agrees(recognizer: Recognizer, raw: bytes, pos: int = 0) -> bool:
    """Whether the fast path took ``raw``; fails if it took it differently from the walk."""
    known = recognizer.match(raw, pos, len(raw))
    if known is None:
        return False
    layout, seq, head = known
    assert frame_length(raw, pos) == layout.size, "framed otherwise than the stream framer"
    full = full_walk(raw[pos : pos + layout.size])
    assert full is not None, "the fast path accepted a PDU the full walk refuses"
    fast = head + seq.to_bytes(4, "big") + layout.tail + encode_connection(CONNECTION)
    assert fast == encode_routing(to_routing(full, CHANNEL, CONNECTION))
    stream = (full.liid, full.operator_id, full.network_element_id or b"", full.cin, CHANNEL)
    assert layout.stream_key == stream and layout.operator_id == full.operator_id
    return True


@pytest.mark.parametrize("template", LEARNT, ids=range(len(LEARNT)))
def test_every_cc_template_is_learnt_and_recognises_itself(template: bytes) -> None:
    recognizer, decoded, _ = learnt(template)
    assert decoded.kind is PayloadKind.CC and len(recognizer) == 1
    assert agrees(recognizer, template)
    assert agrees(recognizer, b"\x00" * 5 + template, 5)  # at an offset of a read buffer


def test_siblings_of_a_call_are_recognised() -> None:
    recognizer, _, _ = learnt(GENERATED[0])
    later = T0 + timedelta(hours=3, minutes=7, seconds=41, microseconds=111_111)
    siblings = [
        cc(301, T0, Direction.FROM_TARGET, bytes(range(160))),
        cc(16_000, later, Direction.TO_TARGET, b"\x55" * 160),
        cc(200, T0.replace(second=59, microsecond=999_999), Direction.COMBINED, b"x" * 160),
    ]
    for sibling in siblings:
        assert len(sibling) == len(GENERATED[0])
        assert agrees(recognizer, sibling)


@pytest.mark.parametrize(
    "change",
    [
        lambda pdu: pdu.replace(b"20261129103105.123456Z", b"20261129243105.123456Z"),  # 24 h
        lambda pdu: pdu.replace(b"20261129103105.123456Z", b"20261129106105.123456Z"),  # :61
        lambda pdu: pdu.replace(b"20261129103105.123456Z", b"20261129103161.123456Z"),  # :61 s
        lambda pdu: pdu.replace(b"20261129103105.123456Z", b"2026112910310a.123456Z"),
        lambda pdu: pdu.replace(b"\x84\x02\x01\x2c", b"\x84\x02\x81\x2c"),  # negative seq
        lambda pdu: pdu.replace(b"\x81\x03\x01\xe2\x40", b"\x81\x03\x0f\x42\x40"),  # 1e6 µs
        lambda pdu: pdu.replace(b"\xa2\x81", b"\xa3\x81"),  # another tag
    ],
)
def test_what_the_walk_refuses_is_never_recognised(change: object) -> None:
    template = GENERATED[0]
    bad = change(template)  # type: ignore[operator]
    assert bad != template and len(bad) == len(template)
    recognizer, _, _ = learnt(template)
    assert recognizer.match(bad, 0, len(bad)) is None
    assert full_walk(bad) is None or full_walk(bad) is not None  # the walk decides either way


def test_indefinite_lengths_before_the_sequence_number_are_not_learnt() -> None:
    for template in INDEFINITE:
        assert header_key(template, 0, len(template)) is None
        assert len(learnt(template)[0]) == 0


def test_an_unknown_direction_is_left_to_the_walk() -> None:
    recognizer, _, marks = learnt(GENERATED[0])
    (where,) = [start for leaf, start, _, _ in marks if leaf is Leaf.DIRECTION]
    odd = bytearray(GENERATED[0])
    odd[where] = 7
    odd = bytes(odd)
    walked = full_walk(odd)
    assert walked is not None and walked.quirks  # accepted by the walk, as a quirk
    assert recognizer.match(odd, 0, len(odd)) is None


edits = st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), min_size=1, max_size=4)


@PROPERTY
@given(st.sampled_from(TEMPLATES), edits, st.booleans())
def test_mutations_anywhere_agree_with_the_walk(
    template: bytes, changes: list[tuple[int, int]], in_leaves: bool
) -> None:
    recognizer, _, marks = learnt(template)
    raw = bytearray(template)
    spans = [(start, stop) for _, start, stop, _ in marks if stop > start]
    for where, value in changes:
        if in_leaves and spans:  # most often where the fast path looks: the changing fields
            start, stop = spans[where % len(spans)]
            raw[start + where % (stop - start)] = value
        else:
            raw[where % len(raw)] = value
    agrees(recognizer, bytes(raw))


@PROPERTY
@given(
    st.integers(0, 2**32 - 1),
    st.datetimes(datetime(1990, 1, 1), datetime(2090, 1, 1), timezones=st.just(UTC)),
    st.sampled_from(list(Direction)[1:]),
    st.binary(min_size=160, max_size=160),
    st.booleans(),
)
def test_generated_siblings_agree_with_the_walk(
    seq: int, when: datetime, direction: Direction, media: bytes, pstn: bool
) -> None:
    template = GENERATED[1] if pstn else GENERATED[0]
    recognizer, _, _ = learnt(template)
    agrees(recognizer, cc(seq, when, direction, media, pstn))


def test_a_stream_of_many_calls_is_routed_as_the_walk_routes_it() -> None:
    recognizer = Recognizer(CHANNEL)
    recognised = 0
    for n in range(600):
        call = n % 7
        when = T0 + timedelta(milliseconds=20 * n)
        raw = E.cc_ipmm(
            header(n // 7, when, micro=call % 2 == 0, cin=1000 + call),
            bytes((n % 256,)) * 172,
            direction=Direction(n % 2),
        )
        if agrees(recognizer, raw):
            recognised += 1
            continue
        marks: list[Mark] = []
        recognizer.learn(raw, 0, len(raw), decode(raw, marks=marks), marks)
    assert recognised > 500


def test_a_key_whose_layout_keeps_changing_is_relearnt_rarely() -> None:
    recognizer = Recognizer(CHANNEL)
    for n in range(300):  # the stream identifier (a fixed field) differs in every PDU
        h = header(5, T0)
        raw = E.cc_ipmm(h, b"x" * 160, stream_identifier=n.to_bytes(2, "big"))
        assert recognizer.match(raw, 0, len(raw)) is None
        marks: list[Mark] = []
        recognizer.learn(raw, 0, len(raw), decode(raw, marks=marks), marks)
    assert recognizer.learnt <= 12  # after 1, 2, 4, 8, ... misses in a row


def test_iri_and_tri_are_never_learnt() -> None:
    recognizer = Recognizer(2)
    for raw in (
        E.iri_sip(header(1, T0), E.IRIType.BEGIN, "192.0.2.1", "192.0.2.2", b"INVITE"),
        E.keepalive(header(2, T0)),
    ):
        marks: list[Mark] = []
        recognizer.learn(raw, 0, len(raw), decode(raw, marks=marks), marks)
    assert len(recognizer) == 0


@given(st.binary(max_size=120))
def test_header_key_never_raises(raw: bytes) -> None:
    key = header_key(b"\x30" + raw, 0, len(raw) + 1)
    assert key is None or (b"\x30" + raw).startswith(key)


def test_calls_of_one_shape_share_one_compiled_pattern() -> None:
    # A mediator connecting with hundreds of calls in progress brings hundreds of new
    # layouts at once: they differ in their header key (LIID, CIN) only, so they must not
    # cost a compile each (≈ 0.4 ms).
    recognizer = Recognizer(CHANNEL)
    layouts = []
    for cin in (7001, 7002, 7003):
        raw = E.cc_ipmm(header(300, T0, cin=cin), bytes(range(160)), direction=Direction(1))
        marks: list[Mark] = []
        recognizer.learn(raw, 0, len(raw), decode(raw, marks=marks), marks)
        (layout, _, _) = recognizer.match(raw, 0, len(raw)) or (None, 0, b"")
        assert layout is not None
        layouts.append(layout)
    assert len({layout.stream_key for layout in layouts}) == 3
    assert layouts[0].pattern is layouts[1].pattern is layouts[2].pattern


def test_a_pdu_of_another_call_of_the_same_shape_is_not_taken_for_this_one() -> None:
    # The pattern starts after the header key and is shared by every call of one shape;
    # the key's octets (LIID, CIN) are what find the layout, so a PDU of another call is
    # not taken for this call's.
    template = GENERATED[0]
    recognizer, _, _ = learnt(template)
    other_call = cc(300, T0, Direction.FROM_TARGET, bytes(range(160))).replace(
        b"ES-LIID-0001", b"ES-LIID-0002"
    )
    assert len(other_call) == len(template) and full_walk(other_call) is not None
    assert recognizer.match(template, 0, len(template)) is not None
    assert recognizer.match(other_call, 0, len(other_call)) is None


def test_the_recognizer_frames_a_read_as_the_stream_framer_does() -> None:
    # A learnt layout's length octets are part of what it compares, so a recognised PDU is
    # also framed: back to back in a read, each one ends where the framer says; one the
    # read cut short is left for the next read.
    recognizer, _, _ = learnt(GENERATED[0])
    pdus = [cc(301 + n, T0, Direction(1 + n % 2), bytes((n,)) * 160) for n in range(3)]
    read = b"".join(pdus)
    pos = 0
    for pdu in pdus:
        known = recognizer.match(read, pos, len(read))
        assert known is not None and known[0].size == len(pdu) == frame_length(read, pos)
        pos += known[0].size
    assert pos == len(read)
    cut = len(pdus[0]) + len(pdus[1]) - 1
    assert recognizer.match(read, 0, cut) is not None
    assert recognizer.match(read, len(pdus[0]), cut) is None
