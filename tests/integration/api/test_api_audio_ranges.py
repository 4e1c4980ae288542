"""A call's audio read by ranges through the served API: each Range request answers that
slice of the stored WAV and reads from the vault's backend only the chunks it lies in
(the real backend, wrapped to count), after one content.read entry with its purpose."""

from __future__ import annotations

from typing import Any, cast

from custodio.crypto.aead import TAG_SIZE
from custodio.vault.backends import Backend
from custodio.vault.envelope import FRAME
from custodio.vault.store import VaultSettings
from tests.integration.api.conftest import Served, error
from tests.integration.api.test_api_content import PURPOSE, reads

CHUNK = 4096  # small chunks, so that a 3 s call's WAV (24,044 bytes) has six


class Counting:
    """The line's real backend, recording each ranged read and each whole-object open."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.reads: list[tuple[int, int]] = []
        self.opened = 0

    def read_range(self, name: str, start: int, length: int) -> bytes:
        self.reads.append((start, length))
        return self.inner.read_range(name, start, length)

    def open(self, name: str) -> Any:
        self.opened += 1
        return self.inner.open(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_range_of_a_calls_audio_reads_only_its_chunks(served: Served) -> None:
    line = served.line
    line.vault.settings = VaultSettings(chunk_size=CHUNK)  # what the assembler writes with
    line.deliver(profile="voip", calls=1, duration=3.0)
    line.assemble()
    (row,) = line.rows("SELECT id FROM communications WHERE kind = 'voice'")
    url = f"/communications/{row['id']}/audio"
    params = {"direction": "target", "purpose": PURPOSE}
    inv1 = served.client("inv1")
    data = inv1.get(url, params=params).content
    size = len(data)
    assert size > 5 * CHUNK and data[:4] == b"RIFF"
    counting = Counting(line.vault.backend)
    line.vault.backend = cast(Backend, counting)
    cases = [("bytes=0-4095", 0, 4095), ("bytes=0-43", 0, 43),  # the start
             ("bytes=9000-9999", 9000, 9999),  # the middle, inside chunk 2
             (f"bytes={CHUNK - 10}-{CHUNK + 9}", CHUNK - 10, CHUNK + 9),  # across a boundary
             (f"bytes={size - 50}-", size - 50, size - 1),  # the end
             ("bytes=-10", size - 10, size - 1),  # a suffix
             (f"bytes=-{size - 4 * CHUNK + 5}", 4 * CHUNK - 5, size - 1)]  # fmt: skip
    for header, first, last in cases:
        counting.reads.clear()
        before = served.last_seq()
        part = inv1.get(url, params=params, headers={"Range": header})
        assert part.status_code == 206, (header, part.text)
        assert part.headers["Content-Range"] == f"bytes {first}-{last}/{size}"
        assert part.content == data[first : last + 1]
        chunks = last // CHUNK - first // CHUNK + 1
        *layout, (_, fetched) = counting.reads  # header, footer, table; the chunks at once
        assert len(layout) == 3
        assert fetched <= chunks * (FRAME.size + CHUNK + TAG_SIZE), (header, fetched)
        assert reads(served, before) == [("inv1", "allowed", PURPOSE, f"communication:{row['id']}")]
    counting.reads.clear()
    whole = inv1.get(url, params=params)  # streamed: the chunks once, nothing held
    assert whole.content == data and whole.headers["Content-Length"] == str(size)
    assert sum(n for _, n in counting.reads) < size + 6 * (FRAME.size + TAG_SIZE) + 200
    past = inv1.get(url, params=params, headers={"Range": f"bytes={size}-"})
    error(past, 416, "range_not_satisfiable", "past the end")
    assert counting.opened == 0
