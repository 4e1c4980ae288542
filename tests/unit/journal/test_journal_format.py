"""The journal's byte layout: golden vector from the docs, tampering, truncation."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

import pytest

from custodio.journal.format import (
    RECORD_HEADER_SIZE,
    JournalCorrupt,
    Routing,
    decode_routing,
    encode_position,
    encode_record,
    encode_routing,
    parse_position,
    parse_record_header,
    record_crc_ok,
)

DOC = Path(__file__).parents[3] / "docs" / "formats" / "journal.md"

GOLDEN_ROUTING = Routing(
    channel=3,
    payload_kind=1,
    subkind=12,
    direction=0,
    pdu_seq=1001,
    liid=b"LIID-1",
    operator_id=b"OP",
    cin=305419896,
    connection="peer#1",
)


def golden_bytes() -> bytes:
    block = re.search(r"```golden-record\n(.*?)```", DOC.read_text(), re.S)
    assert block is not None
    return bytes.fromhex("".join(block.group(1).split()))


def make_golden() -> bytes:
    routing = encode_routing(GOLDEN_ROUTING)
    return encode_record(7, 1_700_000_000_123_456_789, routing, bytes.fromhex("30020500"))


def test_format_is_stable() -> None:
    assert make_golden() == golden_bytes()


@pytest.mark.parametrize("size", [0, 1, 31, 64, 337, 4096, 70_000])
def test_record_crc_is_zlibs_crc32_whatever_the_pdu_size(size: int) -> None:
    # The CRC is computed by zlib-ng (faster on small parts); the format says zlib's CRC-32,
    # and zlib-ng takes other code paths for other lengths: every one must give zlib's.
    pdu = bytes((n * 131 + 7) % 256 for n in range(size))
    raw = encode_record(9, 1, encode_routing(GOLDEN_ROUTING), pdu)
    header_octets = RECORD_HEADER_SIZE - 4
    stored = int.from_bytes(raw[header_octets:RECORD_HEADER_SIZE], "big")
    assert stored == zlib.crc32(raw[:header_octets] + raw[RECORD_HEADER_SIZE:])


def test_golden_parses_back() -> None:
    raw = golden_bytes()
    header = parse_record_header(raw)
    assert header is not None and header.seq == 7 and header.size == len(raw)
    assert record_crc_ok(header, raw)
    routing = decode_routing(raw[RECORD_HEADER_SIZE : RECORD_HEADER_SIZE + header.meta_len])
    assert routing == GOLDEN_ROUTING


def test_every_flipped_byte_is_detected() -> None:
    raw = make_golden()
    for i in range(len(raw)):
        bad = bytearray(raw)
        bad[i] ^= 0x01
        header = parse_record_header(bytes(bad))
        ok = header is not None and header.size == len(bad) and record_crc_ok(header, bad)
        assert not ok, f"flip at {i} not detected"


def test_truncated_record_never_verifies() -> None:
    raw = make_golden()
    for n in range(len(raw)):
        header = parse_record_header(raw[:n])
        assert header is None or header.size > n


def test_routing_without_cin_round_trips() -> None:
    r = Routing(2, 0, 1, 255, 0, b"L", b"O", b"", None, True, "")
    assert decode_routing(encode_routing(r)) == r


def test_routing_block_with_trailing_octets_is_refused() -> None:
    with pytest.raises(JournalCorrupt):
        decode_routing(encode_routing(GOLDEN_ROUTING) + b"\x00")


def test_position_file_verifies() -> None:
    raw = encode_position(42)
    assert parse_position(raw, "c") == 42
    for i in range(len(raw)):
        bad = bytearray(raw)
        bad[i] ^= 0x80
        with pytest.raises(JournalCorrupt):
            parse_position(bytes(bad), "c")
