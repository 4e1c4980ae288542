"""Range requests over a vault object's view (the audio route's path): each range answers
the same bytes as that slice of the whole object, and reads and opens only the chunks it
lies in; the whole is streamed block by block. The backend is the real in-memory one,
wrapped to count what is read from it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Header, Response
from fastapi.testclient import TestClient

from custodio.access.api import ranges
from custodio.crypto.aead import TAG_SIZE
from custodio.vault.backends import ReadStream
from custodio.vault.backends.memory import MemoryBackend
from custodio.vault.envelope import FRAME, Kind
from custodio.vault.index import MemoryIndex
from custodio.vault.providers.keyfile import KeyFileProvider
from custodio.vault.store import Vault, VaultSettings

CHUNK = 64
DATA = os.urandom(10 * CHUNK + 17)  # 11 chunks, the last of 17 bytes
SIZE = len(DATA)


class Counting(MemoryBackend):
    """The in-memory backend, recording each ranged read and each whole-object open."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[tuple[int, int]] = []
        self.opened = 0

    def read_range(self, name: str, start: int, length: int) -> bytes:
        self.reads.append((start, length))
        return super().read_range(name, start, length)

    def open(self, name: str) -> ReadStream:
        self.opened += 1
        return super().open(name)


def frames(first: int, last: int) -> int:
    """Stored bytes of chunks first..last (uncompressed: zstd is off in this vault)."""
    plain = min(SIZE, (last + 1) * CHUNK) - first * CHUNK
    return plain + (last + 1 - first) * (FRAME.size + TAG_SIZE)


@pytest.fixture
def keyfile(tmp_path: Path) -> KeyFileProvider:
    return KeyFileProvider.create(tmp_path / "vault.keys", "a passphrase", scrypt_n=2**14)


@pytest.fixture
def backend() -> Counting:
    return Counting()


@pytest.fixture
def client(keyfile: KeyFileProvider, backend: Counting) -> Iterator[TestClient]:
    vault = Vault(backend, MemoryIndex(), keyfile, VaultSettings(chunk_size=CHUNK, zstd_level=0))
    ref = vault.put("C1", Kind.AUDIO, DATA)
    app = FastAPI()

    @app.get("/object")
    def whole(range_: str | None = Header(None, alias="Range")) -> Response:
        return ranges.respond(vault.view("C1", ref.object_id), range_, "audio/wav")

    with TestClient(app) as c:
        yield c


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-43", 0, 43),  # the start (a WAV header)
        ("bytes=200-250", 200, 250),  # the middle, inside chunk 3
        ("bytes=60-70", 60, 70),  # across the boundary of chunks 0 and 1
        ("bytes=100-400", 100, 400),  # several whole chunks
        (f"bytes=650-{SIZE + 100}", 650, SIZE - 1),  # the end, a last byte past it
        ("bytes=640-", 640, SIZE - 1),  # the last chunk exactly
        ("bytes=-10", SIZE - 10, SIZE - 1),  # a suffix inside the last chunk
        ("bytes=-100", SIZE - 100, SIZE - 1),  # a suffix across a boundary
        (f"bytes=-{SIZE * 2}", 0, SIZE - 1),  # a suffix longer than the whole
    ],
)
def test_a_range_is_that_slice_and_reads_only_its_chunks(
    client: TestClient, backend: Counting, header: str, first: int, last: int
) -> None:
    backend.reads.clear()
    part = client.get("/object", headers={"Range": header})
    assert part.status_code == 206, part.text
    assert part.headers["Content-Range"] == f"bytes {first}-{last}/{SIZE}"
    assert part.headers["Accept-Ranges"] == "bytes"
    assert part.content == DATA[first : last + 1]
    *layout, chunks = backend.reads  # header, footer, table; then the chunks, in one read
    assert len(layout) == 3 and sum(n for _, n in layout) < 200
    assert chunks[1] == frames(first // CHUNK, last // CHUNK)
    assert backend.opened == 0


@pytest.mark.parametrize(
    ("block", "steps"),
    [
        (3 * CHUNK, [(0, 2), (3, 5), (6, 8), (9, 10)]),
        (3 * CHUNK + 10, [(0, 2), (3, 5), (6, 8), (9, 10)]),  # whole chunks, never split
        (10, [(i, i) for i in range(11)]),  # at least one chunk
    ],
)
def test_the_whole_is_streamed_in_blocks_of_whole_chunks(
    client: TestClient,
    backend: Counting,
    monkeypatch: pytest.MonkeyPatch,
    block: int,
    steps: list[tuple[int, int]],
) -> None:
    monkeypatch.setattr(ranges, "BLOCK", block)
    backend.reads.clear()
    whole = client.get("/object")
    assert whole.status_code == 200 and whole.content == DATA
    assert whole.headers["Content-Length"] == str(SIZE)
    assert whole.headers["Accept-Ranges"] == "bytes" and "Content-Range" not in whole.headers
    assert [n for _, n in backend.reads[3:]] == [frames(a, b) for a, b in steps]
    assert backend.opened == 0


def test_past_the_end_reads_no_chunk(client: TestClient, backend: Counting) -> None:
    backend.reads.clear()
    past = client.get("/object", headers={"Range": f"bytes={SIZE}-"})
    assert past.status_code == 416
    assert past.headers["Content-Range"] == f"bytes */{SIZE}"
    assert len(backend.reads) == 3  # the layout only


def test_a_view_reads_like_the_whole_object(keyfile: KeyFileProvider, backend: Counting) -> None:
    vault = Vault(backend, MemoryIndex(), keyfile, VaultSettings(chunk_size=CHUNK))
    ref = vault.put("C1", Kind.AUDIO, DATA)
    view = vault.view("C1", ref.object_id)
    assert (view.size, view.chunk_size) == (SIZE, CHUNK)
    for start, length in [(0, 1), (63, 2), (0, SIZE), (SIZE - 1, 5), (SIZE, 5), (5, 0)]:
        assert view.read(start, length) == DATA[start : start + length]
