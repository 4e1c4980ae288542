"""Journal behaviour: recovery, consumers, group commit, backpressure, disk full, rotation.

Where a test wraps ``os.fsync`` or ``os.pwrite`` it still calls the real one: it counts the
real system calls (so the journal's own counters are checked against what happened),
holds fsync back to make a slow disk (backpressure), or raises the errors a real disk
raises and this machine cannot be made to (a partial write then ENOSPC, EIO). A real full
filesystem is in tests/integration/handover/test_handover_serve.py (a tmpfs that fills).
"""

from __future__ import annotations

import asyncio
import errno
import os
import threading
from pathlib import Path

import pytest

from custodio.errors import JournalError
from custodio.journal import Journal, JournalCorrupt, Routing
from custodio.journal import segments as segments_module
from custodio.journal.format import encode_routing


def routing(n: int) -> Routing:
    return Routing(3, 1, 12, n % 2, n, b"LIID-1", b"OP", b"NE", n, False, "peer#1")


def pdu(n: int) -> bytes:
    return b"\x30\x03\x02\x01" + bytes((n % 256,))


def fill(journal: Journal, count: int, start: int = 0) -> list[int]:
    return journal.append_sync((routing(n), pdu(n)) for n in range(start, start + count))


def active_path(tmp_path: Path) -> Path:
    return sorted((tmp_path / "segments").iterdir())[-1]


def hold_fsync(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """A slow disk: every fsync from now on waits for the returned gate (then runs)."""
    gate = threading.Event()
    real_fsync = os.fsync

    def held(fd: int) -> None:
        gate.wait(5)
        real_fsync(fd)

    monkeypatch.setattr(segments_module.os, "fsync", held)
    return gate


async def on_slow_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, max_pending: int
) -> tuple[Journal, threading.Event]:
    """A started journal whose fsyncs wait for the returned gate."""
    j = Journal.open(tmp_path, max_pending=max_pending)
    gate = hold_fsync(monkeypatch)
    await j.start()
    return j, gate


def test_records_survive_reopen(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    assert fill(j, 5) == [1, 2, 3, 4, 5]
    j.close_sync()
    j = Journal.open(tmp_path)
    assert j.recovery.torn_tail is None and j.durable_seq == 5
    records = j.read(0, 100)
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert records[2].routing == routing(2) and records[2].pdu == pdu(2)
    assert fill(j, 1, 5) == [6]


@pytest.mark.parametrize("cut", [1, 10, 31, 33, 40])
def test_torn_tail_is_cut_and_reported(tmp_path: Path, cut: int) -> None:
    j = Journal.open(tmp_path)
    fill(j, 3)
    j.close_sync()
    path = active_path(tmp_path)
    whole = path.stat().st_size
    with path.open("r+b") as f:
        f.truncate(whole - cut)
    j = Journal.open(tmp_path)
    torn = j.recovery.torn_tail
    assert torn is not None and torn.cut_bytes == whole - cut - torn.offset
    assert j.durable_seq == 2
    assert [r.seq for r in j.read(0, 10)] == [1, 2]
    assert fill(j, 1) == [3]  # numbering goes on from the cut


def test_garbage_tail_is_cut(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    fill(j, 2)
    j.close_sync()
    with active_path(tmp_path).open("ab") as f:
        f.write(b"CJR1\x01\x01" + b"\xff" * 50)
    j = Journal.open(tmp_path)
    assert j.recovery.torn_tail is not None
    assert j.durable_seq == 2


def test_corruption_before_good_records_is_refused(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    fill(j, 3)
    j.close_sync()
    path = active_path(tmp_path)
    data = bytearray(path.read_bytes())
    data[32 + 40] ^= 0xFF  # inside the first record
    path.write_bytes(bytes(data))
    with pytest.raises(JournalCorrupt, match="good records after it"):
        Journal.open(tmp_path)
    assert path.read_bytes() == bytes(data)  # nothing was cut


def test_damaged_sealed_segment_is_refused(tmp_path: Path) -> None:
    j = Journal.open(tmp_path, segment_size=4096)
    for i in range(60):
        fill(j, 2, 2 * i)
    j.close_sync()
    first = sorted((tmp_path / "segments").iterdir())[0]
    data = bytearray(first.read_bytes())
    data[-1] ^= 0xFF
    first.write_bytes(bytes(data))
    with pytest.raises(JournalCorrupt, match="sealed segment"):
        Journal.open(tmp_path)


def test_consumer_replays_exactly_once(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    fill(j, 10)
    c = j.consumer("assemble")
    first = c.read(4)
    assert [r.seq for r in first] == [1, 2, 3, 4]
    c.commit(4)
    assert [r.seq for r in c.read(100)] == [5, 6, 7, 8, 9, 10]  # not committed
    assert c.read(100) == []
    j.close_sync()
    # restart: the uncommitted records come back once, the committed never
    j = Journal.open(tmp_path)
    c = j.consumer("assemble")
    assert [r.seq for r in c.read(100)] == [5, 6, 7, 8, 9, 10]
    c.commit(10)
    fill(j, 2, 10)
    assert [r.seq for r in c.read(100)] == [11, 12]
    assert j.consumer_positions() == {"assemble": 10}


def test_consumer_refuses_bad_commit_and_name(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    fill(j, 3)
    c = j.consumer("x")
    with pytest.raises(JournalError):
        c.commit(2)  # not read yet
    with pytest.raises(JournalError):
        j.consumer("../evil")


def test_consumer_past_the_end_means_rollback(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    fill(j, 3)
    c = j.consumer("x")
    c.read()
    c.commit(3)
    j.close_sync()
    path = active_path(tmp_path)
    path.unlink()
    with pytest.raises(JournalError, match="rolled back"):
        Journal.open(tmp_path).consumer("x")


def test_rotation_and_consumed_segments(tmp_path: Path) -> None:
    j = Journal.open(tmp_path, segment_size=4096)
    sealed_seen = []
    j.on_sealed = sealed_seen.append
    for i in range(100):
        fill(j, 3, 3 * i)
    assert len(j.segments()) > 2 and sealed_seen
    assert j.consumed_segments() == []  # no consumer registered: nothing is consumed
    c = j.consumer("a")
    records = c.read(150)
    c.commit(records[-1].seq)
    ready = j.consumed_segments()
    assert ready and all(s.last_seq <= 150 for s in ready)
    j.retire(ready[0])
    assert not ready[0].path.exists()
    with pytest.raises(JournalError):
        j.retire(j.segments()[-1])  # the active segment is never retired
    j.close_sync()
    j = Journal.open(tmp_path)  # retired segments are gone, numbering stays whole
    assert j.durable_seq == 300
    assert j.consumer("a").read(1)[0].seq == 151


def test_group_commit_batches_concurrent_appends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real_fsync = os.fsync
    monkeypatch.setattr(segments_module.os, "fsync", lambda fd: (calls.append(fd), real_fsync(fd)))

    async def main() -> list[int]:
        j = Journal.open(tmp_path)
        calls.clear()
        await j.start()
        seqs = await asyncio.gather(*(j.append(routing(n), pdu(n)) for n in range(500)))
        await j.close()
        assert j.stats.records == 500
        assert j.stats.batches == len(calls) <= 3
        assert j.stats.largest_batch >= 250
        return list(seqs)

    seqs = asyncio.run(main())
    assert sorted(seqs) == list(range(1, 501))
    assert len(Journal.open(tmp_path).read(0, 1000)) == 500


def test_backpressure_when_queue_is_full(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    async def main() -> None:
        j, gate = await on_slow_disk(tmp_path, monkeypatch, max_pending=4)
        tasks = [asyncio.create_task(j.append(routing(n), pdu(n))) for n in range(10)]
        await asyncio.sleep(0.05)
        assert j.waiting == 4  # the other six are held back before entering the queue
        assert not any(t.done() for t in tasks)
        gate.set()
        assert sorted(await asyncio.gather(*tasks)) == list(range(1, 11))
        await j.close()

    asyncio.run(main())


def test_disk_full_retries_without_loss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Injected at the system call: a torn write then ENOSPC, three times, exactly. A real
    # full disk (a small tmpfs under `custodio serve`) is tested in
    # tests/integration/handover/test_handover_serve.py; this pins the retry's accounting.
    real_pwrite = os.pwrite
    failures = {"left": 3}

    def flaky_pwrite(fd: int, data: bytes, offset: int) -> int:
        if failures["left"] > 0:
            failures["left"] -= 1
            real_pwrite(fd, bytes(data)[:7], offset)  # a partial write, then the error
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_pwrite(fd, data, offset)

    async def main() -> list[int]:
        j = Journal.open(tmp_path, retry_interval=0.01)
        monkeypatch.setattr(segments_module.os, "pwrite", flaky_pwrite)
        await j.start()
        seqs = await asyncio.gather(*(j.append(routing(n), pdu(n)) for n in range(20)))
        await j.close()
        assert j.stats.write_retries == 3
        return list(seqs)

    assert sorted(asyncio.run(main())) == list(range(1, 21))
    j = Journal.open(tmp_path)
    assert j.recovery.torn_tail is None
    assert [r.pdu for r in j.read(0, 100)] == [pdu(n) for n in range(20)]


def test_hard_write_error_fails_appends_and_the_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_fsync(fd: int) -> None:  # a failing disk: no real EIO without device-mapper
        raise OSError(errno.EIO, "I/O error")

    async def main() -> None:
        j = Journal.open(tmp_path)
        monkeypatch.setattr(segments_module.os, "fsync", broken_fsync)
        await j.start()
        with pytest.raises(JournalError, match="I/O error"):
            await j.append(routing(1), pdu(1))
        with pytest.raises(JournalError):
            await j.append(routing(2), pdu(2))
        monkeypatch.undo()
        await j.close()

    asyncio.run(main())


def blocks(numbers: range) -> list[tuple[bytes, bytes]]:
    return [(encode_routing(routing(n)), pdu(n)) for n in numbers]


def test_append_many_numbers_a_chunk_consecutively_with_one_future(tmp_path: Path) -> None:
    async def main() -> list[int]:
        j = Journal.open(tmp_path)
        await j.start()
        lasts = await asyncio.gather(
            j.append_many(blocks(range(0, 100))),
            j.append(routing(100), pdu(100)),
            j.append_many(blocks(range(101, 150))),
        )
        await j.close()
        assert j.stats.batches == 1 and j.waiting == 0
        return list(lasts)

    assert asyncio.run(main()) == [100, 101, 150]
    records = Journal.open(tmp_path).read(0, 1000)
    assert [r.routing for r in records] == [routing(n) for n in range(150)]
    assert [r.pdu for r in records] == [pdu(n) for n in range(150)]


def test_append_many_waits_its_turn_and_a_large_one_goes_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main() -> None:
        j, gate = await on_slow_disk(tmp_path, monkeypatch, max_pending=10)
        first = asyncio.create_task(j.append_many(blocks(range(0, 6))))
        second = asyncio.create_task(j.append_many(blocks(range(6, 12))))  # 12 > 10: waits
        large = asyncio.create_task(j.append_many(blocks(range(12, 40))))  # > max: alone
        single = asyncio.create_task(j.append(routing(40), pdu(40)))  # behind, in order
        await asyncio.sleep(0.05)
        assert j.waiting == 6 and not any(t.done() for t in (first, second, large, single))
        assert j.backlogged  # readers of sockets hold back
        gate.set()
        assert await asyncio.gather(first, second, large, single) == [6, 12, 40, 41]
        assert j.waiting == 0 and not j.backlogged
        await j.close()

    asyncio.run(main())


def test_an_append_cancelled_while_waiting_gives_its_place_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def main() -> None:
        j, gate = await on_slow_disk(tmp_path, monkeypatch, max_pending=4)
        first = asyncio.create_task(j.append_many(blocks(range(0, 4))))
        cancelled = asyncio.create_task(j.append_many(blocks(range(4, 8))))
        after = asyncio.create_task(j.append_many(blocks(range(8, 10))))
        await asyncio.sleep(0.05)
        cancelled.cancel()
        gate.set()
        assert await first == 4 and await after == 6
        assert cancelled.cancelled() and j.waiting == 0
        await j.close()

    asyncio.run(main())
    assert [r.pdu for r in Journal.open(tmp_path).read(0, 100)] == [
        pdu(n) for n in (*range(4), 8, 9)
    ]


def test_submit_joins_the_batch_without_a_task_and_waits_its_turn_when_backlogged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The listener submits one read's records from a protocol callback: with room they join
    # the next batch as they are (a plain future); past max_pending they queue in order
    # behind the ones already waiting, exactly as append_many would.
    async def main() -> None:
        j, gate = await on_slow_disk(tmp_path, monkeypatch, max_pending=10)
        first = j.submit(blocks(range(0, 6)))
        assert not isinstance(first, asyncio.Task) and j.waiting == 6
        second = j.submit(blocks(range(6, 12)))  # 12 > 10: waits for room, in a task
        third = j.submit(blocks(range(12, 14)))  # behind it, in order, though it would fit
        await asyncio.sleep(0.05)
        assert isinstance(second, asyncio.Task) and isinstance(third, asyncio.Task)
        assert j.waiting == 6 and j.backlogged and not any(f.done() for f in (second, third))
        gate.set()
        assert await asyncio.gather(first, second, third) == [6, 12, 14]
        assert j.waiting == 0
        await j.close()

    asyncio.run(main())
    assert [r.pdu for r in Journal.open(tmp_path).read(0, 100)] == [pdu(n) for n in range(14)]


def test_reads_cut_records_across_read_chunks(tmp_path: Path) -> None:
    """Records straddle the reader's chunks, and one PDU is larger than a chunk."""
    sizes = [300 + (n * 7919) % 9000 for n in range(400)]  # ≈ 4 MB: several chunks
    sizes[123] = 2 * segments_module.READ_CHUNK + 5000
    pdus = [bytes((n + i) % 251 for i in range(size)) for n, size in enumerate(sizes)]
    j = Journal.open(tmp_path)
    j.append_sync((routing(n), p) for n, p in enumerate(pdus))
    j.close_sync()
    j = Journal.open(tmp_path)
    for after in (0, 122, 123, 350):
        records = j.read(after, 1000)
        assert [r.seq for r in records] == list(range(after + 1, 401))
        assert [r.pdu for r in records] == pdus[after:]
        assert [r.routing for r in records] == [routing(n) for n in range(after, 400)]
    c = j.consumer("assemble")  # in several reads, each resuming where the last stopped
    got = [r.pdu for _ in range(9) for r in c.read(50)]
    assert got == pdus


def test_a_record_changed_on_disk_after_opening_is_refused_when_read(tmp_path: Path) -> None:
    j = Journal.open(tmp_path)
    fill(j, 20)
    path = active_path(tmp_path)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01  # in the last record's PDU
    path.write_bytes(bytes(data))
    assert [r.seq for r in j.read(0, 19)] == list(range(1, 20))  # the others still read
    with pytest.raises(JournalCorrupt, match="record 20 changed on disk"):
        j.read(0, 100)
