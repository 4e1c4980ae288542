"""Robustness: any bytes give a decode or our own error; round trips; BER forms; limits."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from handover_berforms import reform
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custodio.errors import DecodeError
from custodio.etsi import encode as E
from custodio.etsi.ber import DEFAULT_LIMITS, Limits
from custodio.etsi.pdu import (
    Direction,
    FrameType,
    IRIType,
    PDUError,
    StreamFramer,
    decode,
    frame_length,
)

ASSETS = Path(__file__).parents[2] / "assets" / "captures"
SAMPLES = [
    bytes(p)
    for name in ("etsi_file.test", "etsi_file_iri.test", "etsi_10_pings_HI2.raw_tcp")
    for p in StreamFramer().feed((ASSETS / name).read_bytes())[0][:6]
] + [(ASSETS / n).read_bytes() for n in ("iri_begin_pycrate.ber", "keepalive_pycrate.ber")]

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def decode_or_own_error(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    with contextlib.suppress(DecodeError):
        decode(raw, limits)


@FAST
@given(st.binary(max_size=400))
def test_any_bytes_give_only_decode_error(raw: bytes) -> None:
    decode_or_own_error(raw)
    decode_or_own_error(b"\x30" + raw)


@FAST
@given(st.sampled_from(SAMPLES), st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255))))
def test_mutated_pdus_give_only_decode_error(sample: bytes, edits: list[tuple[int, int]]) -> None:
    raw = bytearray(sample)
    for where, value in edits:
        raw[where % len(raw)] = value
    decode_or_own_error(bytes(raw), Limits(max_depth=12))


@FAST
@given(st.binary(max_size=600), st.integers(1, 64))
def test_framer_on_garbage_never_raises(data: bytes, chunk: int) -> None:
    framer = StreamFramer(Limits(max_pdu_size=512))
    for i in range(0, len(data), chunk):
        pdus, error = framer.feed(data[i : i + chunk])
        for pdu in pdus:
            decode_or_own_error(bytes(pdu))
        if error is not None:
            assert isinstance(error, DecodeError)
            break


@pytest.mark.parametrize("sample", SAMPLES[:8])
def test_truncation_at_every_length(sample: bytes) -> None:
    for n in range(len(sample)):
        assert frame_length(sample[:n], 0) is None
        with pytest.raises(DecodeError):
            decode(sample[:n])


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("form", ["long", "indefinite", "both"])
def test_other_ber_forms_decode_the_same(sample: bytes, form: str) -> None:
    other = reform(
        sample, long_lengths=form in ("long", "both"), indefinite=form in ("indefinite", "both")
    )
    assert other != sample
    a, b = decode(sample), decode(other)
    assert (a.liid, a.cin, a.sequence_number, a.kind) == (b.liid, b.cin, b.sequence_number, b.kind)
    assert [bytes(c.content) for c in a.cc] == [bytes(c.content) for c in b.cc]
    assert [i.effective_type for i in a.iri] == [i.effective_type for i in b.iri]
    framer = StreamFramer()
    pdus, error = framer.feed(other * 3)
    assert error is None and len(pdus) == 3 and framer.pending == 0
    for n in range(0, len(other), 7):  # an incomplete indefinite PDU waits for its bytes
        assert frame_length(other[:n], 0) is None


def test_limits_are_enforced_before_reading() -> None:
    with pytest.raises(PDUError, match="above the limit"):
        frame_length(b"\x30\x84\x7f\xff\xff\xff", 0)  # 2 GiB announced: refused at once
    endless = b"\x30\x80" * 5 + b"\x04\x01x" * 100  # indefinite, no end in sight
    with pytest.raises(PDUError, match="above the limit"):
        frame_length(endless, 0, Limits(max_pdu_size=100))
    deep = b"\x30\x80" * 40
    with pytest.raises(DecodeError, match="nesting deeper"):
        frame_length(deep + b"\x00\x00" * 40, 0)
    big = E.cc_ipmm(E.Header(b"L", b"O", 1), b"x" * 5000)
    with pytest.raises(PDUError, match="above the limit"):
        decode(big, Limits(max_pdu_size=1000))


def test_stream_not_starting_with_a_pdu_is_refused_but_keeps_what_came_before() -> None:
    good = SAMPLES[0]
    pdus, error = StreamFramer().feed(good + b"GET / HTTP/1.1\r\n")
    assert len(pdus) == 1 and bytes(pdus[0]) == good
    assert error is not None and "does not start a PS-PDU" in str(error)


@pytest.mark.parametrize(
    ("stamp", "ok"),
    [
        (b"20261129103105Z", True),
        (b"20261129103105.5+0100", True),
        (b"20261129103105.Z", True),  # empty fraction: accepted, recorded as a quirk
        (b"261129103105Z", False),  # two-digit year
        (b"210526012853.615Z", False),  # the real one from the pcap
        (b"25010112000000Z", False),  # year 2501
        (b"20261329103105Z", False),  # month 13
        (b"20261129103105.123", True),  # local time: accepted, flagged
    ],
)
def test_generalized_time_validation(stamp: bytes, ok: bool) -> None:
    header = E.header(E.Header(b"L", b"O", 1))
    # splice a raw timestamp [5] into the header
    body = header[2:] + b"\x85" + bytes((len(stamp),)) + stamp
    pdu = E.sequence(E.tlv(b"\xa1", body), E.cons(2, E.cons(2, E.prim(3, b""))))
    if ok:
        assert decode(pdu).timestamp is not None
    else:
        with pytest.raises(DecodeError, match="timeStamp"):
            decode(pdu)


headers = st.builds(
    E.Header,
    liid=st.binary(min_size=1, max_size=25),
    operator_id=st.binary(min_size=1, max_size=16),
    sequence_number=st.integers(0, 2**32 - 1),
    cin=st.none() | st.integers(0, 2**32 - 1),
    network_element_id=st.none() | st.binary(min_size=1, max_size=16),
    timestamp=st.none()
    | st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
)


@FAST
@given(
    headers,
    st.binary(max_size=300),
    st.sampled_from(list(Direction)[1:]),
    st.sampled_from(list(FrameType)[1:]),
)
def test_cc_round_trip(h: E.Header, media: bytes, direction: Direction, frame: FrameType) -> None:
    d = decode(E.cc_ipmm(h, media, direction=direction, frame_type=frame))
    assert (d.liid, d.operator_id, d.network_element_id) == (
        h.liid,
        h.operator_id,
        h.network_element_id,
    )
    assert (d.cin, d.sequence_number, d.timestamp) == (h.cin, h.sequence_number, h.timestamp)
    (cc,) = d.cc
    assert (bytes(cc.content), cc.direction, cc.frame_type) == (media, direction, frame)


@FAST
@given(headers, st.sampled_from(list(IRIType)), st.binary(min_size=1, max_size=200))
def test_sip_iri_round_trip(h: E.Header, iri_type: IRIType, sip: bytes) -> None:
    d = decode(E.iri_sip(h, iri_type, "192.0.2.1", "192.0.2.2", sip))
    assert d.sequence_number == h.sequence_number
    (item,) = d.iri
    assert item.iri_type is iri_type and item.sip is not None and bytes(item.sip.content) == sip
