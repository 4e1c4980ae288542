"""The journal: group commit for many connections, recovery, consumers.

::

    journal = Journal.open(data_dir / "journal")       # recovers; see journal.recovery
    await journal.start()                              # the group-commit writer task
    seq = await journal.append(routing, pdu)           # returns once the record is durable
    last = await journal.append_many(blocks)           # many records, one future: the last
    future = journal.submit(blocks)                    # the same from a callback (no task)
    consumer = journal.consumer("assemble")
    for record in consumer.read(1000): ...             # records after its position
    consumer.commit(record.seq)                        # durable position
    await journal.close()

    reader = JournalReader(data_dir / "journal", durable=lambda: shared.value)
    reader.consumer("assemble").read(1000)             # from another process: read only

Every ``append`` or ``append_many`` waiting when the writer wakes goes into the same batch:
one write and one fsync for all of them. At most ``max_pending`` records wait at once (a
larger ``append_many`` is let in alone); past that the caller itself waits, in arrival order,
so a reader of a socket stops reading (TCP backpressure) instead of buffering without bound.
A full disk (ENOSPC/EDQUOT) does not fail the waiting appends: the batch is cut back and
retried every ``retry_interval`` seconds until space returns.

A :class:`JournalReader` reads the same files from another process (``custodio serve``
runs its assembler in a child process): it never writes a record, cuts nothing, and reads
no further than the durable end its writer publishes (``Journal.on_durable``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from custodio.errors import JournalError
from custodio.journal.format import (
    SEGMENT_HEADER_SIZE,
    SEGMENT_SUFFIX,
    RawRecord,
    Record,
    Routing,
    encode_position,
    encode_routing,
    parse_position,
    record_from_raw,
)
from custodio.journal.segments import (
    RETRYABLE_ERRNOS,
    Group,
    Segment,
    SegmentWriter,
    TornTail,
    fsync_directory,
    list_segments,
    recover,
    scan_raw,
)

log = logging.getLogger(__name__)

DEFAULT_SEGMENT_SIZE = 64 << 20
DEFAULT_MAX_PENDING = 10_000
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(slots=True)
class JournalStats:
    """Counters for metrics."""

    records: int = 0
    batches: int = 0
    fsyncs: int = 0
    bytes: int = 0
    write_retries: int = 0
    largest_batch: int = 0


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    """What :meth:`Journal.open` found."""

    segments: int
    last_seq: int
    torn_tail: TornTail | None


@dataclass(slots=True)
class _Waiter:
    group: Group
    future: asyncio.Future[int]  # the number of the last entry, once durable


@dataclass(slots=True)
class _Queue:
    waiters: list[_Waiter] = field(default_factory=list)
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)


class Journal:
    """Append-only, group-committed spool of raw PDUs with their routing fields."""

    def __init__(
        self,
        directory: Path,
        writer: SegmentWriter,
        recovery: RecoveryReport,
        *,
        max_pending: int,
        retry_interval: float,
    ) -> None:
        self.directory = directory
        self.recovery = recovery
        self.stats = JournalStats()
        self.max_pending = max_pending
        self.retry_interval = retry_interval
        self._writer = writer
        self._durable_seq = writer.next_seq - 1
        self._queue: _Queue | None = None
        self._admissions: deque[tuple[int, asyncio.Future[None]]] = deque()
        self._task: asyncio.Task[None] | None = None
        self._failed: JournalError | None = None
        self._closed = False
        self._waiting = 0
        self._resume: dict[Path, tuple[int, int]] = {}
        self.on_sealed: Callable[[Segment], None] | None = None
        # called with the new durable end after every batch, in the writer's thread: how a
        # reader in another process learns how far it may read
        self.on_durable: Callable[[int], None] | None = None

    @classmethod
    def open(
        cls,
        directory: Path,
        *,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        max_pending: int = DEFAULT_MAX_PENDING,
        retry_interval: float = 0.5,
    ) -> Journal:
        """Open (creating if needed) and recover: cut a torn tail, verify everything else."""
        if segment_size < 4096 or max_pending < 1:
            raise JournalError("segment_size must be >= 4096 and max_pending >= 1")
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # owner-only, whatever the umask
        (directory / "segments").mkdir(mode=0o700, exist_ok=True)
        (directory / "consumers").mkdir(mode=0o700, exist_ok=True)
        segments, torn = recover(directory / "segments")
        if torn is not None:
            log.warning(
                "journal: cut a torn tail of %d octets from %s at offset %d (%s)",
                torn.cut_bytes, torn.path.name, torn.offset, torn.reason,
            )  # fmt: skip
        writer = SegmentWriter(directory / "segments", segments, segment_size)
        report = RecoveryReport(len(segments), writer.next_seq - 1, torn)
        return cls(
            directory, writer, report, max_pending=max_pending, retry_interval=retry_interval
        )

    @property
    def durable_seq(self) -> int:
        """The number of the last record that is durable (0 when none)."""
        return self._durable_seq

    @property
    def backlogged(self) -> bool:
        """Whether appends are waiting for room (``max_pending`` records already wait)."""
        return bool(self._admissions)

    @property
    def waiting(self) -> int:
        """Records admitted and waiting for their batch to become durable."""
        return self._waiting

    # --- writing ---------------------------------------------------------------------

    def append_sync(
        self, items: Iterable[tuple[Routing, bytes | memoryview]], received_ns: int | None = None
    ) -> list[int]:
        """Append a batch now, from synchronous code (tests, tools): one fsync.

        Not to be mixed with a running :meth:`start` writer.
        """
        if self._task is not None:
            raise JournalError("append_sync while the asynchronous writer runs")
        now = received_ns if received_ns is not None else time.time_ns()
        group = Group([(encode_routing(r), pdu) for r, pdu in items], now)
        if not group.blocks:
            return []
        first = self._write([group])
        return list(range(first, first + len(group.blocks)))

    def _write(self, groups: Sequence[Group]) -> int:
        sealed_before = len(self._writer.sealed)
        first = self._writer.write_batch(groups)
        count = self._account(groups)
        self._durable_seq = first + count - 1
        if self.on_durable is not None:
            self.on_durable(self._durable_seq)
        for segment in self._writer.sealed[sealed_before:]:
            if self.on_sealed is not None:
                self.on_sealed(segment)
        return first

    def _account(self, groups: Sequence[Group]) -> int:
        count = sum(len(g.blocks) for g in groups)
        s = self.stats
        s.records += count
        s.batches += 1
        s.fsyncs = self._writer.fsyncs
        s.bytes += sum(len(pdu) for g in groups for _, pdu in g.blocks)
        s.largest_batch = max(s.largest_batch, count)
        return count

    async def start(self) -> None:
        """Start the group-commit writer on the running event loop."""
        if self._task is not None:
            return
        self._queue = _Queue()
        self._task = asyncio.create_task(self._run(), name="journal-writer")

    async def append(
        self, routing: Routing, pdu: bytes | memoryview, received_ns: int | None = None
    ) -> int:
        """Append one record; returns its number once it is durable.

        Waits first while ``max_pending`` records are already waiting (backpressure).
        """
        return await self.append_many([(encode_routing(routing), pdu)], received_ns)

    async def append_many(
        self, blocks: Sequence[tuple[bytes, bytes | memoryview]], received_ns: int | None = None
    ) -> int:
        """Append records given as ``(routing block, pdu)``, the blocks made by
        :func:`~custodio.journal.format.encode_routing` (or octet for octet the same);
        returns the number of the last once all of them are durable (they are numbered
        consecutively and go into the same batch).

        Waits first while the records would take the waiting ones past ``max_pending``.
        """
        group = self._group(blocks, received_ns)
        ticket = self._reserve(len(blocks))
        if ticket is not None:
            await self._wait_turn(len(blocks), ticket)
        return await self._enter(group)

    def submit(
        self, blocks: Sequence[tuple[bytes, bytes | memoryview]], received_ns: int | None = None
    ) -> asyncio.Future[int]:
        """:meth:`append_many` for a caller that holds no coroutine (a protocol callback):
        the future of the last record's number. With room, the records join the next batch
        at once, with no task of their own; otherwise their place in the queue is taken now
        (so later submissions stay behind them) and a task waits for it."""
        group = self._group(blocks, received_ns)
        ticket = self._reserve(len(blocks))
        if ticket is None:
            return self._enqueue(group)
        return asyncio.ensure_future(self._enter_after(ticket, group))

    def _group(
        self, blocks: Sequence[tuple[bytes, bytes | memoryview]], received_ns: int | None
    ) -> Group:
        if self._queue is None:
            raise JournalError("journal writer not started (call start())")
        self._check_open()
        if not blocks:
            raise JournalError("append_many of no records")
        return Group(blocks, received_ns if received_ns is not None else time.time_ns())

    def _reserve(self, n: int) -> asyncio.Future[None] | None:
        """Take ``n`` of the ``max_pending`` places now (None), or queue for them in arrival
        order: the ticket that is set once they are taken."""
        if not self._admissions and self._fits(n):
            self._waiting += n
            return None
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._admissions.append((n, ticket))
        return ticket

    async def _wait_turn(self, n: int, ticket: asyncio.Future[None]) -> None:
        try:
            await ticket
        except asyncio.CancelledError:
            if ticket.done() and not ticket.cancelled():
                self._release(n)  # admitted, then cancelled before it could enqueue
            else:
                self._admissions.remove((n, ticket))
                self._admit_waiting()
            raise

    async def _enter_after(self, ticket: asyncio.Future[None], group: Group) -> int:
        await self._wait_turn(len(group.blocks), ticket)
        return await self._enter(group)

    async def _enter(self, group: Group) -> int:
        """Join the next batch (the places taken); the last record's number once durable."""
        try:
            self._check_open()
        except JournalError:
            self._release(len(group.blocks))
            raise
        return await asyncio.shield(self._enqueue(group))

    def _enqueue(self, group: Group) -> asyncio.Future[int]:
        assert self._queue is not None
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.waiters.append(_Waiter(group, future))
        self._queue.wakeup.set()
        return future

    def _fits(self, n: int) -> bool:
        return self._waiting == 0 or self._waiting + n <= self.max_pending

    def _release(self, n: int) -> None:
        self._waiting -= n
        self._admit_waiting()

    def _admit_waiting(self) -> None:
        while self._admissions and self._fits(self._admissions[0][0]):
            n, ticket = self._admissions.popleft()
            self._waiting += n
            ticket.set_result(None)

    def _check_open(self) -> None:
        if self._failed is not None:
            raise self._failed
        if self._closed:
            raise JournalError("journal is closed")

    async def _run(self) -> None:
        assert self._queue is not None
        queue = self._queue
        while True:
            await queue.wakeup.wait()
            queue.wakeup.clear()
            batch, queue.waiters = queue.waiters, []
            if batch:
                await self._commit(batch)
                self._release(sum(len(w.group.blocks) for w in batch))
            if self._closed and not queue.waiters:
                return

    async def _commit(self, batch: list[_Waiter]) -> None:
        groups = [waiter.group for waiter in batch]
        while True:
            try:
                first = await asyncio.to_thread(self._write, groups)
            except OSError as exc:
                if exc.errno in RETRYABLE_ERRNOS and not self._closed:
                    self.stats.write_retries += 1
                    log.warning("journal: %s; retrying in %.1fs", exc, self.retry_interval)
                    await asyncio.sleep(self.retry_interval)
                    continue
                self._fail(batch, JournalError(f"journal write failed: {exc}"))
                return
            except JournalError as exc:
                self._fail(batch, exc)
                return
            break
        last = first - 1
        for waiter in batch:
            last += len(waiter.group.blocks)
            if not waiter.future.done():
                waiter.future.set_result(last)

    def _fail(self, batch: list[_Waiter], error: JournalError) -> None:
        """After a failed fsync the page cache cannot be trusted: stop accepting."""
        self._failed = error
        log.error("journal: %s; no further appends accepted", error)
        for waiter in batch:
            if not waiter.future.done():
                waiter.future.set_exception(error)

    async def close(self) -> None:
        """Let waiting appends finish, stop the writer, close the files."""
        self._closed = True
        if self._task is not None and self._queue is not None:
            self._queue.wakeup.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._writer.close()

    def close_sync(self) -> None:
        """Close from synchronous code (no writer task running)."""
        if self._task is not None:
            raise JournalError("close_sync while the asynchronous writer runs")
        self._closed = True
        self._writer.close()

    # --- reading ---------------------------------------------------------------------

    def segments(self) -> list[Segment]:
        """Sealed segments, then the active one."""
        return self._writer.segments()

    def read(self, after_seq: int, limit: int) -> list[Record]:
        """Up to ``limit`` durable records numbered above ``after_seq``."""
        return [record_from_raw(raw) for raw in self.read_raw(after_seq, limit)]

    def read_raw(self, after_seq: int, limit: int) -> list[RawRecord]:
        """:meth:`read` as :data:`RawRecord` tuples (routing blocks not decoded)."""
        until = self.durable_seq
        out: list[RawRecord] = []
        segments = self.segments()
        for segment in segments:
            if segment.last_seq <= after_seq or segment.first_seq > until:
                continue
            offset = self._offset(segment.path, after_seq)
            before = len(out)
            end = scan_raw(segment.path, offset, after_seq, until, limit - before, out)
            if len(out) > before:
                self._resume[segment.path] = (out[-1][0], end)
            if len(out) >= limit:
                break
        live = {s.path for s in segments}
        for path in [p for p in self._resume if p not in live]:
            del self._resume[path]
        return out

    def _offset(self, path: Path, after_seq: int) -> int:
        """Where to start reading ``path`` for records after ``after_seq``: just after the
        last record read from it when that is not past ``after_seq``, else its start."""
        seq, offset = self._resume.get(path, (0, SEGMENT_HEADER_SIZE))
        return offset if seq <= after_seq else SEGMENT_HEADER_SIZE

    def consumer(self, name: str) -> Consumer:
        """The named consumer (registered on first use, at position 0)."""
        return Consumer(self, name)

    def consumer_positions(self) -> dict[str, int]:
        """Every registered consumer's durable position."""
        positions = {}
        for path in sorted((self.directory / "consumers").glob("*.pos")):
            positions[path.stem] = parse_position(path.read_bytes(), path.stem)
        return positions

    def consumed_segments(self) -> list[Segment]:
        """Sealed segments every registered consumer is past: ready for the vault.

        With no consumer registered nothing is consumed (fail closed).
        """
        positions = self.consumer_positions()
        if not positions:
            return []
        low = min(positions.values())
        return [s for s in self._writer.sealed if s.last_seq <= low]

    def retire(self, segment: Segment) -> None:
        """Remove a consumed sealed segment — call only once the vault holds it."""
        if segment not in self.consumed_segments():
            raise JournalError(f"{segment.path.name} is not a consumed sealed segment")
        segment.path.unlink()
        fsync_directory(segment.path.parent)
        self._writer.sealed.remove(segment)


class JournalReader(Journal):
    """The read side of a journal that another process writes and owns.

    ``custodio serve`` appends and recovers; its assembler process reads through this.
    It finds the segments by listing their directory, and reads no record past
    ``durable()`` — the end the writer published after its last fsync — so it never sees
    a record that is not yet durable nor a tail that recovery might still cut. Consumers
    work as on a :class:`Journal` (their position files are shared by both processes);
    everything that writes records or removes segments refuses.
    """

    def __init__(self, directory: Path, durable: Callable[[], int]) -> None:
        # deliberately not Journal.__init__: no segment writer, no recovery
        if not (directory / "segments").is_dir():
            raise JournalError(f"no journal in {directory}")
        self.directory = directory
        self._durable = durable
        self._resume = {}
        self._closed = True  # append and append_many refuse

    @property
    def durable_seq(self) -> int:
        return self._durable()

    def segments(self) -> list[Segment]:
        """Every segment file, the records of each up to the next one's first (or the
        durable end); sizes are not known here (0)."""
        found: list[tuple[int, Path]] = []
        for path in list_segments(self.directory / "segments"):
            digits = path.name[: -len(SEGMENT_SUFFIX)]
            if digits.isdigit():
                found.append((int(digits), path))
        end = self.durable_seq
        out = []
        for index, (first, path) in enumerate(found):
            last = found[index + 1][0] - 1 if index + 1 < len(found) else end
            out.append(Segment(path, first, min(last, end), 0))
        return out

    def _read_only(self) -> JournalError:
        return JournalError("this journal is read here; the process that owns it writes it")

    async def start(self) -> None:
        raise self._read_only()

    def append_sync(
        self, items: Iterable[tuple[Routing, bytes | memoryview]], received_ns: int | None = None
    ) -> list[int]:
        raise self._read_only()

    def consumed_segments(self) -> list[Segment]:
        raise self._read_only()

    def retire(self, segment: Segment) -> None:
        raise self._read_only()

    async def close(self) -> None:
        return None

    def close_sync(self) -> None:
        return None


class Consumer:
    """Reads each record after its saved position once; commits positions durably."""

    def __init__(self, journal: Journal, name: str) -> None:
        if not name or not set(name) <= _NAME_CHARS or len(name) > 64:
            raise JournalError(f"consumer name {name!r}: use a-z, 0-9, '-' and '_'")
        self.journal = journal
        self.name = name
        self._path = journal.directory / "consumers" / f"{name}.pos"
        if self._path.exists():
            self.position = parse_position(self._path.read_bytes(), name)
        else:
            self.position = 0
            self._persist(0)
        if self.position > journal.durable_seq:
            raise JournalError(
                f"consumer {name!r} is at {self.position}, past the journal's end "
                f"{journal.durable_seq}: the journal was rolled back"
            )
        self._cursor = self.position

    def read(self, limit: int = 1000) -> list[Record]:
        """The next records not yet handed out by this consumer object."""
        records = self.journal.read(self._cursor, limit)
        if records:
            self._cursor = records[-1].seq
        return records

    def read_raw(self, limit: int = 1000) -> list[RawRecord]:
        """:meth:`read` as :data:`RawRecord` tuples (routing blocks not decoded)."""
        records = self.journal.read_raw(self._cursor, limit)
        if records:
            self._cursor = records[-1][0]
        return records

    def commit(self, seq: int) -> None:
        """Everything up to ``seq`` is consumed: store it durably."""
        if seq < self.position or seq > self._cursor:
            raise JournalError(
                f"consumer {self.name!r}: commit {seq} outside {self.position}..{self._cursor}"
            )
        self._persist(seq)
        self.position = seq

    def _persist(self, seq: int) -> None:
        tmp = self._path.with_suffix(".pos.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, encode_position(seq))
            os.fsync(fd)
        finally:
            os.close(fd)
        tmp.replace(self._path)
        fsync_directory(self._path.parent)
