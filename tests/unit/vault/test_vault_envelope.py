"""The object format: golden vector, tampering, truncation, context binding."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from custodio.errors import IntegrityError
from custodio.vault import envelope
from custodio.vault.envelope import CaseKeys, Header, Kind, ObjectCorrupt

GOLDEN = json.loads((Path(__file__).parent / "golden" / "message-v1.json").read_text())
KEYS = CaseKeys(GOLDEN["case_id"], bytes.fromhex(GOLDEN["data_key"]))
OID = bytes.fromhex(GOLDEN["object_id"])
OBJECT = bytes.fromhex(GOLDEN["object"])
PLAIN = GOLDEN["plaintext"].encode()


def seal(
    keys: CaseKeys, kind: Kind, data: bytes, chunk: int = 64, salt: bytes = b"s" * 32
) -> bytes:
    header = Header(kind, chunk, keys.object_id(kind, data), salt)
    return b"".join(envelope.seal(keys, header, envelope.split(memoryview(data), chunk), 1))


def open_all(
    blob: bytes, keys: CaseKeys = KEYS, oid: bytes = OID, kind: Kind = Kind.MESSAGE
) -> bytes:
    return b"".join(envelope.open_stream(io.BytesIO(blob), keys, oid, kind, "test"))


def open_range(blob: bytes, start: int, length: int, keys: CaseKeys = KEYS) -> bytes:
    def fetch(at: int, n: int, /) -> bytes:
        return blob[at : at + n]

    layout, opener = envelope.read_layout(fetch, len(blob), keys, OID, Kind.MESSAGE, label="t")
    return envelope.read_range(fetch, layout, opener, start, length)


def test_golden_vector_opens() -> None:
    assert KEYS.object_id(Kind.MESSAGE, PLAIN) == OID
    assert open_all(OBJECT) == PLAIN


def test_golden_vector_is_reproduced() -> None:
    salt = bytes.fromhex(GOLDEN["salt"])
    assert seal(KEYS, Kind.MESSAGE, PLAIN, GOLDEN["chunk_size"], salt) == OBJECT


def test_golden_vector_layout_matches_the_document() -> None:
    assert OBJECT[:4] == b"CVLT" and OBJECT[4:8] == bytes([1, 1, 3, 0])
    assert OBJECT[12:44] == OID
    assert OBJECT[-4:] == (3).to_bytes(4, "big")  # three chunk frames
    flags = [OBJECT[76], OBJECT[76 + 5 + 48], OBJECT[76 + 2 * (5 + 48)]]
    assert flags == [envelope.ZSTD, envelope.ZSTD, envelope.FINAL]


def test_every_flipped_byte_is_detected() -> None:
    for i in range(len(OBJECT)):
        for bit in (0x01, 0x80):
            bad = bytearray(OBJECT)
            bad[i] ^= bit
            with pytest.raises(IntegrityError):
                open_all(bytes(bad))


def test_every_truncation_and_extension_is_detected() -> None:
    for n in range(len(OBJECT)):
        with pytest.raises(IntegrityError):
            open_all(OBJECT[:n])
        with pytest.raises(IntegrityError):
            open_range(OBJECT[:n], 0, len(PLAIN))
    with pytest.raises(IntegrityError):
        open_all(OBJECT + b"\0")


def test_every_flipped_byte_is_detected_by_range_reads() -> None:
    for i in range(len(OBJECT)):
        bad = bytearray(OBJECT)
        bad[i] ^= 0x01
        with pytest.raises(IntegrityError):
            open_range(bytes(bad), 0, len(PLAIN))


@pytest.mark.parametrize(
    ("start", "length"), [(0, 1), (0, 161), (63, 2), (64, 64), (100, 1000), (160, 1), (161, 5)]
)
def test_range_reads(start: int, length: int) -> None:
    assert open_range(OBJECT, start, length) == PLAIN[start : start + length]


def test_swapped_chunks_are_rejected() -> None:
    frame = 5 + 48
    a, b = slice(76, 76 + frame), slice(76 + frame, 76 + 2 * frame)
    swapped = OBJECT[:76] + OBJECT[b] + OBJECT[a] + OBJECT[76 + 2 * frame :]
    assert swapped != OBJECT
    data = seal(KEYS, Kind.MESSAGE, b"x" * 64 + b"y" * 64 + b"z")
    with pytest.raises(IntegrityError):
        open_all(swapped)
    with pytest.raises(IntegrityError):  # a dropped chunk
        open_all(data[:76] + data[76 + frame :])


def test_ciphertext_moved_to_another_case_kind_or_id_fails() -> None:
    other_case = CaseKeys("CASE-2024-0002", bytes.fromhex(GOLDEN["data_key"]))
    with pytest.raises(IntegrityError):  # same data key, other case id: the AAD differs
        open_all(OBJECT, keys=other_case)
    with pytest.raises(IntegrityError):
        open_all(OBJECT, kind=Kind.AUDIO)
    with pytest.raises(IntegrityError):
        open_all(OBJECT, oid=bytes(32))


def test_header_rewritten_to_another_kind_or_id_fails() -> None:
    for offset, value in ((6, Kind.AUDIO), (12, 0x00)):
        bad = bytearray(OBJECT)
        bad[offset] = value
        kind = Kind.AUDIO if offset == 6 else Kind.MESSAGE
        oid = bytes(bad[12:44])
        with pytest.raises(IntegrityError):
            open_all(bytes(bad), oid=oid, kind=kind)


def test_empty_and_exact_multiple_sizes_round_trip() -> None:
    for data in (b"", b"a" * 64, b"b" * 128, b"c" * 65):
        blob = seal(KEYS, Kind.PDU, data)
        assert open_all(blob, oid=KEYS.object_id(Kind.PDU, data), kind=Kind.PDU) == data


def test_ids_are_keyed_per_case_and_kind() -> None:
    other = CaseKeys("CASE-2", bytes(range(1, 33)))
    assert KEYS.object_id(Kind.AUDIO, b"x") != other.object_id(Kind.AUDIO, b"x")
    assert KEYS.object_id(Kind.AUDIO, b"x") != KEYS.object_id(Kind.DOCUMENT, b"x")


def test_compression_only_where_it_pays() -> None:
    random_blob = seal(KEYS, Kind.AUDIO, os.urandom(64))
    assert random_blob[76] & envelope.ZSTD == 0


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_opening_any_bytes_raises_only_integrity_errors(blob: bytes) -> None:
    with pytest.raises(ObjectCorrupt):
        open_all(blob)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(list(Kind)))
def test_round_trip(data: bytes, kind: Kind) -> None:
    blob = seal(KEYS, kind, data, chunk=32)
    assert open_all(blob, oid=KEYS.object_id(kind, data), kind=kind) == data
