"""The vault object format, version 1 — mirrors docs/formats/vault-object.md.

    object = header ‖ chunk frame₀ ‖ … ‖ chunk frameₙ₋₁ ‖ table frame ‖ footer

Each chunk is compressed (when it pays) and sealed with AES-256-GCM under a per-object
key; the nonce carries the chunk index and flags (STREAM), the associated data binds the
header (version, kind, object id) and the case id.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import zstandard

from custodio.crypto.aead import TAG_SIZE, Aead, BytesLike
from custodio.crypto.kdf import hkdf_sha256
from custodio.crypto.keys import KeyedDigest, keyed_digest
from custodio.errors import IntegrityError, InvalidInput

MAGIC = b"CVLT"
VERSION = 1
AEAD_AES_256_GCM = 1
HEADER = struct.Struct(">4sBBBBI32s32s")  # magic version aead kind reserved chunk id salt
FRAME = struct.Struct(">BI")  # flags, sealed length
FOOTER = struct.Struct(">I")  # chunk count
TABLE_ENTRY = struct.Struct(">I")
PLAIN_SIZE = struct.Struct(">Q")
NONCE = struct.Struct(">3xQB")  # 3 zero bytes, chunk index, flags

FINAL = 0x01
ZSTD = 0x02
TABLE = 0x04

MIN_CHUNK = 16
MAX_CHUNK = 64 * 1024 * 1024
DEFAULT_CHUNK = 1024 * 1024
ID_SIZE = 32
SALT_SIZE = 32
INFO_NAME = b"custodio/vault/v1/name"
INFO_OBJECT = b"custodio/vault/v1/object"


class Kind(enum.IntEnum):
    """What an object holds; its code is in the header and in the object id."""

    PDU = 1
    AUDIO = 2
    MESSAGE = 3
    TRANSCRIPT = 4
    EXPORT = 5
    DOCUMENT = 6
    JOURNAL = 7
    QUARANTINE = 8
    IRI = 9

    @classmethod
    def parse(cls, name: str) -> Kind:
        try:
            return cls[name.upper()]
        except KeyError:
            known = ", ".join(k.name.lower() for k in cls)
            raise InvalidInput(
                f"unknown object kind {name!r}", hint=f"use one of {known}"
            ) from None


class ObjectCorrupt(IntegrityError):
    """A vault object failed authentication or is malformed."""

    def __init__(self, label: str, detail: str) -> None:
        super().__init__(
            f"vault object {label} is corrupt: {detail}",
            hint="its stored bytes were changed, truncated or moved; restore it from a "
            "replica and run `custodio vault verify` to find others",
        )
        self.label = label


class Reader(Protocol):
    """The part of a binary file object that opening needs."""

    def read(self, size: int, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Header:
    kind: Kind
    chunk_size: int
    object_id: bytes
    salt: bytes

    def pack(self) -> bytes:
        return HEADER.pack(
            MAGIC,
            VERSION,
            AEAD_AES_256_GCM,
            self.kind,
            0,
            self.chunk_size,
            self.object_id,
            self.salt,
        )

    @classmethod
    def parse(cls, raw: bytes, label: str) -> Header:
        if len(raw) != HEADER.size:
            raise ObjectCorrupt(label, f"header is {len(raw)} bytes, expected {HEADER.size}")
        magic, version, aead, kind, reserved, chunk, oid, salt = HEADER.unpack(raw)
        if magic != MAGIC:
            raise ObjectCorrupt(label, "not a vault object (bad magic)")
        if version != VERSION or aead != AEAD_AES_256_GCM or reserved:
            raise ObjectCorrupt(label, f"unsupported version {version} / aead {aead}")
        if kind not in Kind._value2member_map_:
            raise ObjectCorrupt(label, f"unknown kind code {kind}")
        check_chunk_size(chunk, label)
        return cls(Kind(kind), chunk, oid, salt)


def check_chunk_size(chunk_size: int, label: str = "-") -> None:
    if not MIN_CHUNK <= chunk_size <= MAX_CHUNK:
        raise ObjectCorrupt(label, f"chunk size {chunk_size} outside {MIN_CHUNK}..{MAX_CHUNK}")


def check_case_id(case_id: str) -> bytes:
    raw = case_id.encode()
    if not 1 <= len(raw) <= 255:
        raise InvalidInput(f"case id {case_id!r} must be 1 to 255 bytes of UTF-8")
    return raw


class CaseKeys:
    """The keys of one case, derived from its data key."""

    __slots__ = ("_data_key", "case_id", "naming_key")

    def __init__(self, case_id: str, data_key: bytes) -> None:
        check_case_id(case_id)
        self.case_id = case_id
        self._data_key = data_key
        self.naming_key = hkdf_sha256(data_key, salt=b"", info=INFO_NAME)

    def id_digest(self, kind: Kind) -> KeyedDigest:
        """A streaming HMAC already fed the kind code; feed it the plaintext."""
        mac = KeyedDigest(self.naming_key)
        mac.update(bytes([kind]))
        return mac

    def object_id(self, kind: Kind, plaintext: BytesLike) -> bytes:
        return keyed_digest(self.naming_key, bytes([kind]), plaintext)

    def object_aead(self, salt: bytes) -> Aead:
        return Aead(hkdf_sha256(self._data_key, salt=salt, info=INFO_OBJECT))

    def aad(self, header: bytes) -> bytes:
        raw = check_case_id(self.case_id)
        return header + bytes([len(raw)]) + raw


def nonce(index: int, flags: int) -> bytes:
    return NONCE.pack(index, flags)


def object_name(object_id: bytes) -> str:
    """Where the backend keeps an object: ``objects/<id[0:2]>/<id>``."""
    hexid = object_id.hex()
    return f"objects/{hexid[:2]}/{hexid}"


class Sealer:
    """Seals the chunks of one object, in order."""

    def __init__(self, keys: CaseKeys, header: Header, zstd_level: int | None) -> None:
        self._header = header
        self._aead = keys.object_aead(header.salt)
        self._aad = keys.aad(header.pack())
        self._zstd = zstandard.ZstdCompressor(level=zstd_level) if zstd_level else None
        self._lengths: list[int] = []
        self._plain_size = 0

    def _body(self, chunk: memoryview) -> tuple[BytesLike, int]:
        if self._zstd is None or not chunk.nbytes:
            return chunk, 0
        packed = self._zstd.compress(chunk)
        if len(packed) <= chunk.nbytes - chunk.nbytes // 32 and len(packed) < chunk.nbytes:
            return packed, ZSTD
        return chunk, 0

    def seal_chunk(self, chunk: memoryview, final: bool) -> tuple[bytes, bytes]:
        """Frame header and sealed body of the next chunk."""
        body, flags = self._body(chunk)
        flags |= FINAL if final else 0
        sealed = self._aead.seal(nonce(len(self._lengths), flags), body, self._aad)
        self._lengths.append(len(sealed))
        self._plain_size += chunk.nbytes
        return FRAME.pack(flags, len(sealed)), sealed

    def seal_table(self) -> bytes:
        """Table frame and footer; call after the final chunk."""
        n = len(self._lengths)
        table = b"".join(TABLE_ENTRY.pack(x) for x in self._lengths)
        table += PLAIN_SIZE.pack(self._plain_size)
        sealed = self._aead.seal(nonce(n, TABLE), table, self._aad)
        return FRAME.pack(TABLE, len(sealed)) + sealed + FOOTER.pack(n)


def seal(
    keys: CaseKeys,
    header: Header,
    chunks: Iterable[tuple[memoryview, bool]],
    zstd_level: int | None,
) -> Iterator[bytes]:
    """The stored bytes of an object, piece by piece, from (chunk, is_final) pairs."""
    sealer = Sealer(keys, header, zstd_level)
    yield header.pack()
    for chunk, final in chunks:
        yield from sealer.seal_chunk(chunk, final)
    yield sealer.seal_table()


def split(data: memoryview, chunk_size: int) -> Iterator[tuple[memoryview, bool]]:
    """Chunks of an in-memory plaintext, without copies."""
    size = data.nbytes
    if size == 0:
        yield data, True
        return
    for start in range(0, size, chunk_size):
        yield data[start : start + chunk_size], start + chunk_size >= size


class ObjectMisplaced(ObjectCorrupt):
    """An intact-looking object stored under another name or kind than expected."""


def check_placement(header: Header, object_id: bytes, kind: Kind, label: str) -> None:
    if header.object_id != object_id:
        raise ObjectMisplaced(label, f"its header names object {header.object_id.hex()}")
    if header.kind != kind:
        raise ObjectMisplaced(
            label, f"it holds kind {header.kind.name.lower()}, not {kind.name.lower()}"
        )


def read_exact(reader: Reader, size: int, label: str) -> bytes:
    data = reader.read(size)
    while len(data) < size:
        more = reader.read(size - len(data))
        if not more:
            raise ObjectCorrupt(label, "truncated")
        data += more
    return data


class Opener:
    """Opens the frames of one object."""

    def __init__(self, keys: CaseKeys, header: Header, label: str) -> None:
        self.header = header
        self.label = label
        self._aead = keys.object_aead(header.salt)
        self._aad = keys.aad(header.pack())

    def check_length(self, length: int) -> None:
        if not TAG_SIZE <= length <= self.header.chunk_size + TAG_SIZE:
            raise ObjectCorrupt(self.label, f"chunk length {length} out of bounds")

    def _open(self, index: int, flags: int, sealed: BytesLike, what: str) -> bytes:
        try:
            return self._aead.open(nonce(index, flags), sealed, self._aad)
        except IntegrityError:
            raise ObjectCorrupt(self.label, f"{what} failed authentication") from None

    def open_chunk(self, index: int, flags: int, sealed: BytesLike) -> bytes:
        if flags & ~(FINAL | ZSTD):
            raise ObjectCorrupt(self.label, f"chunk {index} has unknown flags {flags:#x}")
        body = self._open(index, flags, sealed, f"chunk {index}")
        plain = self._inflate(body, index) if flags & ZSTD else body
        size, full = len(plain), self.header.chunk_size
        if size > full or (not flags & FINAL and size != full) or (size == 0 and index > 0):
            raise ObjectCorrupt(self.label, f"chunk {index} holds {size} bytes")
        return plain

    def _inflate(self, body: bytes, index: int) -> bytes:
        limit = self.header.chunk_size
        try:
            if not 0 <= zstandard.frame_content_size(body) <= limit:
                raise ObjectCorrupt(self.label, f"chunk {index} inflates beyond {limit} bytes")
            return zstandard.ZstdDecompressor().decompress(body, max_output_size=limit)
        except zstandard.ZstdError as exc:
            raise ObjectCorrupt(self.label, f"chunk {index} does not decompress: {exc}") from None

    def open_table(self, count: int, frame: bytes) -> tuple[list[int], int]:
        """Chunk lengths and plaintext size from the table frame (flags and length too)."""
        flags, length = FRAME.unpack_from(frame)
        if flags != TABLE or length != table_length(count) or len(frame) != FRAME.size + length:
            raise ObjectCorrupt(self.label, "chunk table frame is malformed")
        table = self._open(count, TABLE, memoryview(frame)[FRAME.size :], "chunk table")
        lengths = [x for (x,) in TABLE_ENTRY.iter_unpack(table[: 4 * count])]
        (plain_size,) = PLAIN_SIZE.unpack_from(table, 4 * count)
        return lengths, plain_size


def table_length(count: int) -> int:
    return TABLE_ENTRY.size * count + PLAIN_SIZE.size + TAG_SIZE


def open_stream(
    reader: Reader, keys: CaseKeys, object_id: bytes, kind: Kind, label: str
) -> Iterator[bytes]:
    """Plaintext chunks of a whole object, read sequentially.

    Every chunk yielded is authentic; a truncation after the last one raises at the end.
    """
    header = Header.parse(read_exact(reader, HEADER.size, label), label)
    check_placement(header, object_id, kind, label)
    opener = Opener(keys, header, label)
    lengths: list[int] = []
    size = 0
    final = False
    while not final:
        flags, length = FRAME.unpack(read_exact(reader, FRAME.size, label))
        opener.check_length(length)
        plain = opener.open_chunk(len(lengths), flags, read_exact(reader, length, label))
        lengths.append(length)
        size += len(plain)
        final = bool(flags & FINAL)
        yield plain
    _check_tail(reader, opener, lengths, size)


def _check_tail(reader: Reader, opener: Opener, lengths: list[int], size: int) -> None:
    count, label = len(lengths), opener.label
    frame = read_exact(reader, FRAME.size + table_length(count), label)
    if opener.open_table(count, frame) != (lengths, size):
        raise ObjectCorrupt(label, "chunk table does not match the chunks")
    (footer,) = FOOTER.unpack(read_exact(reader, FOOTER.size, label))
    if footer != count or reader.read(1):
        raise ObjectCorrupt(label, "bytes after the end of the object")


class Fetch(Protocol):
    """Reads ``length`` bytes at ``start`` of one stored object."""

    def __call__(self, start: int, length: int, /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each chunk frame of an object lies, from its table."""

    header: Header
    offsets: list[int]  # offset of each chunk frame, then of the table frame
    plain_size: int


def read_layout(
    fetch: Fetch, stored_size: int, keys: CaseKeys, object_id: bytes, kind: Kind, *, label: str
) -> tuple[Layout, Opener]:
    """Header and chunk table of an object, authenticated, for range reads."""
    if stored_size < HEADER.size + 2 * FRAME.size + TAG_SIZE + table_length(1) + FOOTER.size:
        raise ObjectCorrupt(label, f"only {stored_size} bytes")
    header = Header.parse(fetch(0, HEADER.size), label)
    check_placement(header, object_id, kind, label)
    opener = Opener(keys, header, label)
    (count,) = FOOTER.unpack(fetch(stored_size - FOOTER.size, FOOTER.size))
    table_size = FRAME.size + table_length(count)
    if count < 1 or HEADER.size + count * (FRAME.size + TAG_SIZE) + table_size > stored_size:
        raise ObjectCorrupt(label, f"footer claims {count} chunks")
    frame = fetch(stored_size - FOOTER.size - table_size, table_size)
    lengths, plain_size = opener.open_table(count, frame)
    offsets = [HEADER.size]
    for length in lengths:
        opener.check_length(length)
        offsets.append(offsets[-1] + FRAME.size + length)
    if offsets[-1] + table_size + FOOTER.size != stored_size:
        raise ObjectCorrupt(label, "chunk table does not match the stored size")
    return Layout(header, offsets, plain_size), opener


def read_range(fetch: Fetch, layout: Layout, opener: Opener, start: int, length: int) -> bytes:
    """Plaintext bytes [start, start + length) of an object, fetching only their chunks."""
    end = min(start + length, layout.plain_size)
    if start < 0 or length < 0:
        raise InvalidInput(f"bad range start={start} length={length} for {opener.label}")
    if start >= end:
        return b""
    size = layout.header.chunk_size
    first, last = start // size, (end - 1) // size
    base = layout.offsets[first]
    raw = memoryview(fetch(base, layout.offsets[last + 1] - base))
    parts = [_chunk_at(raw, layout, opener, index, base) for index in range(first, last + 1)]
    joined = b"".join(parts)
    return joined[start - first * size : end - first * size]


def _chunk_at(raw: memoryview, layout: Layout, opener: Opener, index: int, base: int) -> bytes:
    at = layout.offsets[index] - base
    flags, length = FRAME.unpack_from(raw, at)
    final = index == len(layout.offsets) - 2
    if bool(flags & FINAL) != final or at + FRAME.size + length != layout.offsets[index + 1] - base:
        raise ObjectCorrupt(opener.label, f"chunk {index} frame does not match the table")
    return opener.open_chunk(index, flags, raw[at + FRAME.size : at + FRAME.size + length])
