"""Segment files: scanning and recovery on open, batched appends, reading back.

Everything here is synchronous and single-writer; :mod:`custodio.journal.journal` puts
the asyncio group commit on top.
"""

from __future__ import annotations

import errno
import os
import struct
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from zlib_ng import zlib_ng

from custodio.errors import JournalError
from custodio.journal.format import (
    MAX_PDU_LEN,
    RECORD_HEADER_AND_CRC,
    RECORD_HEADER_SIZE,
    RECORD_KIND_PDU,
    RECORD_MAGIC,
    SEGMENT_HEADER_SIZE,
    SEGMENT_SUFFIX,
    VERSION,
    JournalCorrupt,
    RawRecord,
    Record,
    encode_segment_header,
    parse_record_header,
    parse_segment_header,
    record_crc_ok,
    record_from_raw,
    record_parts,
)

RETRYABLE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
READ_CHUNK = 1 << 20  # octets read at once by scan_raw
READ_RECORDS = 10_000  # records read_records reads at once


@dataclass(frozen=True, slots=True)
class Segment:
    """A segment file: its records are ``first_seq .. last_seq`` (``last_seq < first_seq``
    when it holds none)."""

    path: Path
    first_seq: int
    last_seq: int
    size: int


@dataclass(frozen=True, slots=True)
class TornTail:
    """What recovery cut from the end of the active segment."""

    path: Path
    offset: int
    cut_bytes: int
    reason: str


@dataclass(frozen=True, slots=True)
class Group:
    """Records appended together: ``(routing block, raw PDU)`` each, one arrival time."""

    blocks: Sequence[tuple[bytes, bytes | memoryview]]
    received_ns: int


def segment_name(first_seq: int) -> str:
    """The file name of the segment starting at ``first_seq``."""
    return f"{first_seq:020d}{SEGMENT_SUFFIX}"


def fsync_directory(path: Path) -> None:
    """Make a creation, rename or removal in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _scan(data: bytes, first_seq: int) -> tuple[int, int, str | None]:
    """Walk the records of one segment image: ``(end_of_good, next_seq, why_stopped)``."""
    pos = SEGMENT_HEADER_SIZE
    seq = first_seq
    view = memoryview(data)
    while pos < len(data):
        header = parse_record_header(view[pos : pos + RECORD_HEADER_SIZE])
        if header is None:
            return pos, seq, "record header is incomplete or not a record"
        if pos + header.size > len(data):
            return pos, seq, f"record {header.seq} is incomplete"
        if not record_crc_ok(header, view[pos : pos + header.size]):
            return pos, seq, f"record {header.seq} fails its CRC"
        if header.seq != seq:
            raise JournalCorrupt(f"record number {header.seq} where {seq} was expected")
        pos += header.size
        seq += 1
    return pos, seq, None


def _good_record_after(data: bytes, start: int) -> bool:
    """Whether a record that verifies starts anywhere after ``start`` (so not a torn tail)."""
    view = memoryview(data)
    pos = data.find(b"CJR1", start + 1)
    while pos >= 0:
        header = parse_record_header(view[pos : pos + RECORD_HEADER_SIZE])
        end = pos + header.size if header else 0
        if header and end <= len(data) and record_crc_ok(header, view[pos:end]):
            return True
        pos = data.find(b"CJR1", pos + 1)
    return False


def list_segments(directory: Path) -> list[Path]:
    """Segment files in record order."""
    return sorted(p for p in directory.iterdir() if p.name.endswith(SEGMENT_SUFFIX))


def recover(directory: Path) -> tuple[list[Segment], TornTail | None]:
    """Verify every segment; cut a torn tail of the last one; refuse any other damage."""
    paths = list_segments(directory)
    segments: list[Segment] = []
    torn: TornTail | None = None
    expected: int | None = None
    for index, path in enumerate(paths):
        last = index == len(paths) - 1
        segment, cut = _recover_one(path, last=last)
        if segment.size == 0:  # a new segment whose header never became durable
            path.unlink()
            fsync_directory(directory)
            continue
        if expected is not None and segment.first_seq != expected:
            raise JournalCorrupt(f"{path.name}: starts at {segment.first_seq}, expected {expected}")
        segments.append(segment)
        expected = segment.last_seq + 1
        torn = cut or torn
    return segments, torn


def _recover_one(path: Path, *, last: bool) -> tuple[Segment, TornTail | None]:
    data = path.read_bytes()
    first_seq = parse_segment_header(data)
    if first_seq is None:
        if last and len(data) < SEGMENT_HEADER_SIZE:
            return Segment(path, 0, -1, 0), None
        raise JournalCorrupt(f"{path.name}: segment header does not verify")
    end, next_seq, why = _scan(data, first_seq)
    if why is None:
        return Segment(path, first_seq, next_seq - 1, end), None
    if not last:
        raise JournalCorrupt(f"{path.name}: sealed segment damaged at offset {end}: {why}")
    if _good_record_after(data, end):
        raise JournalCorrupt(
            f"{path.name}: damaged at offset {end} ({why}) with good records after it",
            hint="not a torn tail; keep the file for inspection and restore from the vault",
        )
    with path.open("r+b") as handle:
        handle.truncate(end)
        os.fsync(handle.fileno())
    return Segment(path, first_seq, next_seq - 1, end), TornTail(path, end, len(data) - end, why)


class SegmentWriter:
    """Appends batches to the active segment: one write and one fsync per batch."""

    def __init__(self, directory: Path, segments: list[Segment], segment_size: int) -> None:
        self.directory = directory
        self.segment_size = segment_size
        self.sealed: list[Segment] = segments[:-1]
        self.fsyncs = 0
        self.batches = 0
        if segments:
            active = segments[-1]
            self.next_seq = active.last_seq + 1
        else:
            active = self._create(1)
            self.next_seq = 1
        self.active_first = active.first_seq
        self.active_path = active.path
        self.size = active.size
        self._fd = os.open(active.path, os.O_WRONLY)

    def _create(self, first_seq: int) -> Segment:
        path = self.directory / segment_name(first_seq)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            _write_all(fd, encode_segment_header(first_seq, time.time_ns()), 0)
            os.fsync(fd)
        finally:
            os.close(fd)
        fsync_directory(self.directory)
        return Segment(path, first_seq, first_seq - 1, SEGMENT_HEADER_SIZE)

    def _rotate(self) -> None:
        self.sealed.append(
            Segment(self.active_path, self.active_first, self.next_seq - 1, self.size)
        )
        os.close(self._fd)
        active = self._create(self.next_seq)
        self.active_first, self.active_path, self.size = active.first_seq, active.path, active.size
        self._fd = os.open(active.path, os.O_WRONLY)

    def write_batch(self, groups: Sequence[Group]) -> int:
        """Write the records of ``groups``, in order, fsync once; returns the first's number.

        On ENOSPC/EDQUOT the partial write is cut back and the error re-raised (the caller
        may retry the same batch); the record numbers are not consumed.
        """
        if self.size >= self.segment_size and self.next_seq > self.active_first:
            self._rotate()
        first = seq = self.next_seq
        parts: list[bytes | memoryview] = []
        for group in groups:
            parts += record_parts(seq, group.blocks, group.received_ns)
            seq += len(group.blocks)
        data = b"".join(parts)
        try:
            _write_all(self._fd, data, self.size)
            os.fsync(self._fd)
        except OSError:
            self._cut_back()
            raise
        self.fsyncs += 1
        self.batches += 1
        self.size += len(data)
        self.next_seq = seq
        return first

    def _cut_back(self) -> None:
        try:
            os.ftruncate(self._fd, self.size)
        except OSError as exc:  # the file may now hold a torn tail; recovery will cut it
            raise JournalError(f"cannot cut back {self.active_path.name}: {exc}") from exc

    def close(self) -> None:
        """Close the active segment's file."""
        os.close(self._fd)

    def segments(self) -> list[Segment]:
        """Sealed segments then the active one."""
        active = Segment(self.active_path, self.active_first, self.next_seq - 1, self.size)
        return [*self.sealed, active]


def _write_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written


def read_records(path: Path, after_seq: int, until_seq: int) -> Iterator[Record]:
    """Records of one segment with ``after_seq < seq <= until_seq`` (already verified)."""
    offset = SEGMENT_HEADER_SIZE
    while True:
        raws: list[RawRecord] = []
        offset = scan_raw(path, offset, after_seq, until_seq, READ_RECORDS, raws)
        if not raws:
            return
        for raw in raws:
            yield record_from_raw(raw)
        after_seq = raws[-1][0]


def scan_raw(
    path: Path, offset: int, after_seq: int, until_seq: int, limit: int, out: list[RawRecord]
) -> int:
    """Append to ``out`` up to ``limit`` records of ``path`` with ``after_seq < seq <=
    until_seq``, read from ``offset`` (a record boundary), each checked against its CRC,
    as :data:`RawRecord` tuples (the routing block not decoded); the offset just after the
    last one appended (``offset`` when none was): a reader that keeps it starts its next
    read there instead of walking the segment from its header again.

    The file is read in chunks of :data:`READ_CHUNK` and the records are cut out of them:
    per record, one header unpack (magic, version and kind as one field), one CRC over the
    octets in place, as few operations as can be (this loop is most of the assembler's
    reading)."""
    unpack, crc = _SCAN_HEADER.unpack_from, zlib_ng.crc32
    stop, resume = len(out) + limit, offset
    with path.open("rb") as handle:
        handle.seek(offset)
        buf, pos, size, base = b"", 0, 0, offset  # base: the file offset of buf[0]
        while len(out) < stop:
            body = pos + RECORD_HEADER_SIZE
            if body > size:
                buf, base = buf[pos:] + handle.read(READ_CHUNK), base + pos
                pos, size, body = 0, len(buf), RECORD_HEADER_SIZE
                if body > size:
                    break
            prefix, meta_len, pdu_len, seq, ns, stored = unpack(buf, pos)
            if prefix != _PDU_PREFIX or pdu_len > MAX_PDU_LEN or seq > until_seq:
                break
            middle = body + meta_len
            end = middle + pdu_len
            if end > size:  # the record straddles the chunk: read the rest of it
                buf = buf[pos:] + handle.read(max(READ_CHUNK, end - pos))
                base, body, middle, end = base + pos, body - pos, middle - pos, end - pos
                pos, size = 0, len(buf)
            if seq > after_seq:
                if end > size or crc(buf[body:end], crc(buf[pos : body - 4])) != stored:
                    raise JournalCorrupt(f"{path.name}: record {seq} changed on disk")
                out.append((seq, ns, buf[body:middle], buf[middle:end]))
                resume = base + end
            pos = end
    return resume


# The record header as scan_raw reads it: magic, version and kind compared at once.
_SCAN_HEADER = struct.Struct(">6sHIQQI")
_PDU_PREFIX = RECORD_MAGIC + bytes((VERSION, RECORD_KIND_PDU))
assert _SCAN_HEADER.size == RECORD_HEADER_AND_CRC.size
