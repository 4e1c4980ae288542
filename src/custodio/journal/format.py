"""Byte layout of journal segments, records and consumer positions.

Mirrors ``docs/formats/journal.md`` constant by constant; change both together.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, replace

from zlib_ng import zlib_ng

from custodio.errors import JournalError

VERSION = 1

SEGMENT_MAGIC = b"CJSG"
SEGMENT_HEADER = struct.Struct(">4sB3xQQ4x")  # magic, version, first_seq, created_ns
SEGMENT_HEADER_SIZE = SEGMENT_HEADER.size + 4  # + crc
SEGMENT_SUFFIX = ".seg"

RECORD_MAGIC = b"CJR1"
RECORD_HEADER = struct.Struct(">4sBBHIQQ")  # magic, version, kind, meta_len, pdu_len, seq, ns
RECORD_HEADER_SIZE = RECORD_HEADER.size + 4  # + crc
RECORD_KIND_PDU = 1
MAX_PDU_LEN = 16 << 20

POSITION_MAGIC = b"CJCP"
POSITION = struct.Struct(">4sB3xQ4x")  # magic, version, seq
POSITION_SIZE = POSITION.size + 4

ROUTING_FIXED = struct.Struct(">BBBBBII")  # channel, kind, subkind, direction, flags, pdu_seq, cin
ROUTING_SEQ_OFFSET = 5  # pdu_seq follows channel, kind, subkind, direction and flags
NONE = 255
FLAG_CIN = 1
FLAG_QUIRKS = 2

_CRC = struct.Struct(">I")
RECORD_HEADER_AND_CRC = struct.Struct(RECORD_HEADER.format + "I")  # header, its CRC field


class JournalCorrupt(JournalError):
    """A journal file does not verify (and is not a torn tail that may be cut)."""


# Routing, Record and RecordHeader are built for every record read: not frozen, because a
# frozen dataclass costs ≈ 5× as much to build. Nothing changes them after construction.


@dataclass(slots=True)
class Routing:
    """The decoded routing fields kept beside each raw PDU."""

    channel: int  # 2 HI2, 3 HI3, 0 unknown
    payload_kind: int  # 0 IRI, 1 CC, 2 TRI, ... 255 unknown
    subkind: int  # IRI type, CC alternative tag, TRI alternative tag; 255 none
    direction: int  # PayloadDirection 0..4, 255 none
    pdu_seq: int
    liid: bytes
    operator_id: bytes
    network_element_id: bytes = b""
    cin: int | None = None
    quirks: bool = False
    connection: str = ""


@dataclass(slots=True)
class Record:
    """One journal record as read back."""

    seq: int
    received_ns: int
    routing: Routing
    pdu: bytes


RawRecord = tuple[int, int, bytes, bytes]  # seq, received_ns, routing block, PDU: as read


def record_from_raw(raw: RawRecord) -> Record:
    """The :class:`Record` of a raw record (its routing block decoded)."""
    seq, received_ns, block, pdu = raw
    return Record(seq, received_ns, decode_routing(block), pdu)


def crc32(*parts: bytes | memoryview) -> int:
    """CRC-32 (zlib's) over the concatenation of ``parts``.

    Computed by zlib-ng: the same CRC as ``zlib.crc32``, ≈ 50 ns for a record's parts of up
    to a few hundred octets where zlib takes 85-190 ns (a record takes three).
    """
    value = 0
    for part in parts:
        value = zlib_ng.crc32(part, value)
    return value


def _short(value: bytes, field: str, high: int) -> bytes:
    if len(value) > high:
        raise JournalError(f"routing {field}: {len(value)} octets, at most {high}")
    return bytes((len(value),)) + value


def encode_routing(r: Routing) -> bytes:
    """The routing block."""
    flags = (FLAG_CIN if r.cin is not None else 0) | (FLAG_QUIRKS if r.quirks else 0)
    fixed = ROUTING_FIXED.pack(
        r.channel, r.payload_kind, r.subkind, r.direction, flags, r.pdu_seq, r.cin or 0
    )
    return b"".join(
        (
            fixed,
            _short(r.liid, "liid", 25),
            _short(r.operator_id, "operator_id", 16),
            _short(r.network_element_id, "network_element_id", 16),
            _short(r.connection.encode("utf-8"), "connection", 255),
        )
    )


def decode_routing(block: bytes | memoryview) -> Routing:
    """Parse a routing block (already covered by the record CRC)."""
    try:
        channel, kind, subkind, direction, flags, pdu_seq, cin = ROUTING_FIXED.unpack_from(block)
    except struct.error:
        raise JournalCorrupt("routing block is truncated") from None
    names = bytes(block[ROUTING_FIXED.size :])
    strings = _NAMES.get(names)
    if strings is None:  # a stream's records share them: parsed once per stream
        strings = _parse_names(names)
        if len(_NAMES) >= _NAMES_KEPT:
            _NAMES.clear()
        _NAMES[names] = strings
    liid, operator_id, network_element_id, connection = strings
    cin_or_none = cin if flags & FLAG_CIN else None
    return Routing(
        channel, kind, subkind, direction, pdu_seq, liid, operator_id, network_element_id,
        cin_or_none, bool(flags & FLAG_QUIRKS), connection,
    )  # fmt: skip


_NAMES: dict[bytes, tuple[bytes, bytes, bytes, str]] = {}
_NAMES_KEPT = 4096


def _parse_names(names: bytes) -> tuple[bytes, bytes, bytes, str]:
    """LIID, operator, network element and connection: four length-prefixed strings."""
    pos = 0
    strings = []
    try:
        for _ in range(4):
            n = names[pos]
            strings.append(names[pos + 1 : pos + 1 + n])
            pos += 1 + n
    except IndexError:
        raise JournalCorrupt("routing block is truncated") from None
    if pos > len(names):
        raise JournalCorrupt("routing block is truncated")
    if pos < len(names):
        raise JournalCorrupt("routing block has trailing octets")
    return strings[0], strings[1], strings[2], strings[3].decode("utf-8", "replace")


def encode_record(seq: int, received_ns: int, routing: bytes, pdu: bytes | memoryview) -> bytes:
    """One record: header, routing block (already encoded), raw PDU."""
    return b"".join(record_parts(seq, [(routing, pdu)], received_ns))


def record_parts(
    first_seq: int, blocks: Iterable[tuple[bytes, bytes | memoryview]], received_ns: int
) -> list[bytes | memoryview]:
    """Consecutive records numbered from ``first_seq``, one per ``(routing block, pdu)``,
    as the parts to join: header, CRC, routing block, PDU for each."""
    pack, crc, pack_crc = RECORD_HEADER.pack, zlib_ng.crc32, _CRC.pack
    parts: list[bytes | memoryview] = []
    seq = first_seq
    for routing, pdu in blocks:
        if len(pdu) > MAX_PDU_LEN:
            raise JournalError(f"PDU of {len(pdu)} octets is above the journal limit {MAX_PDU_LEN}")
        head = pack(
            RECORD_MAGIC, VERSION, RECORD_KIND_PDU, len(routing), len(pdu), seq, received_ns
        )
        parts += (head, pack_crc(crc(pdu, crc(routing, crc(head)))), routing, pdu)
        seq += 1
    return parts


@dataclass(slots=True)
class RecordHeader:
    """The fixed part of a record, parsed."""

    meta_len: int
    pdu_len: int
    seq: int
    received_ns: int
    crc: int

    @property
    def size(self) -> int:
        """Octets of the whole record."""
        return RECORD_HEADER_SIZE + self.meta_len + self.pdu_len


def parse_record_header(raw: bytes | memoryview) -> RecordHeader | None:
    """The header, or None if these octets cannot start a record of this version."""
    if len(raw) < RECORD_HEADER_SIZE:
        return None
    magic, version, kind, meta_len, pdu_len, seq, ns, crc = RECORD_HEADER_AND_CRC.unpack_from(raw)
    if magic != RECORD_MAGIC or version != VERSION or kind != RECORD_KIND_PDU:
        return None
    if pdu_len > MAX_PDU_LEN:
        return None
    return RecordHeader(meta_len, pdu_len, seq, ns, crc)


def record_crc_ok(header: RecordHeader, raw: bytes | memoryview) -> bool:
    """Whether the record in ``raw`` (exactly ``header.size`` octets) matches its CRC."""
    view = memoryview(raw)
    crc = zlib_ng.crc32
    return crc(view[RECORD_HEADER_SIZE:], crc(view[: RECORD_HEADER.size])) == header.crc


def encode_segment_header(first_seq: int, created_ns: int) -> bytes:
    """The 32-octet segment header."""
    head = SEGMENT_HEADER.pack(SEGMENT_MAGIC, VERSION, first_seq, created_ns)
    return head + _CRC.pack(crc32(head))


def parse_segment_header(raw: bytes) -> int | None:
    """``first_seq``, or None when the header is incomplete or does not verify."""
    if len(raw) < SEGMENT_HEADER_SIZE:
        return None
    magic, version, first_seq, _ = SEGMENT_HEADER.unpack_from(raw)
    (crc,) = _CRC.unpack_from(raw, SEGMENT_HEADER.size)
    if magic != SEGMENT_MAGIC or version != VERSION or crc != crc32(raw[: SEGMENT_HEADER.size]):
        return None
    return int(first_seq)


def encode_position(seq: int) -> bytes:
    """A consumer position file."""
    head = POSITION.pack(POSITION_MAGIC, VERSION, seq)
    return head + _CRC.pack(crc32(head))


def parse_position(raw: bytes, name: str) -> int:
    """The position in a consumer file; a damaged one is an error, never a reset to 0."""
    if len(raw) != POSITION_SIZE:
        raise JournalCorrupt(f"consumer {name!r}: position file of {len(raw)} octets")
    magic, version, seq = POSITION.unpack_from(raw)
    (crc,) = _CRC.unpack_from(raw, POSITION.size)
    if magic != POSITION_MAGIC or version != VERSION or crc != crc32(raw[: POSITION.size]):
        raise JournalCorrupt(f"consumer {name!r}: position file does not verify")
    return int(seq)


def encode_connection(connection: str) -> bytes:
    """The last field of a routing block: the connection label, length first."""
    return _short(connection.encode("utf-8"), "connection", 255)


def split_routing(r: Routing) -> tuple[bytes, bytes]:
    """``(head, tail)`` with ``encode_routing(r) == head + pdu_seq (4 octets, big-endian) +
    tail + encode_connection(r.connection)``: the parts that stay the same for a stream."""
    block = encode_routing(replace(r, pdu_seq=0, connection=""))
    return block[:ROUTING_SEQ_OFFSET], block[ROUTING_SEQ_OFFSET + 4 : -1]
