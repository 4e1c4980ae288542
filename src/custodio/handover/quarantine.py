"""Quarantine of malformed handover input: kept verbatim, durably, with the reason.

A PDU that frames but does not decode, the unframeable bytes that made a peer be dropped,
a PDU refused because it names another operator, and the unfinished PDU a connection
ended inside are each appended to
``<data>/quarantine/quarantine.log`` (layout in ``docs/handover.md``) with group commit:
every item waiting when the writer wakes goes into one write and one ``fsync``. A caller's
``await add(...)`` returns only once its item is durable. A full disk is retried, as in
the journal; a torn tail left by a crash is cut when the file is opened.

Record: ``CQR1``, meta length (4), raw length (4), CRC-32 of meta + raw (4), the meta as
UTF-8 JSON (``received_ns``, ``channel``, ``connection``, ``reason``), the raw octets.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import struct
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from custodio import datadir
from custodio.errors import JournalError
from custodio.journal.segments import RETRYABLE_ERRNOS

log = logging.getLogger(__name__)

MAGIC = b"CQR1"
HEAD = struct.Struct(">4sIII")  # magic, meta_len, raw_len, crc
FILE_NAME = "quarantine.log"
MAX_RAW = 16 << 20


class QuarantineError(JournalError):
    """The quarantine file could not be written or read."""


@dataclass(frozen=True, slots=True)
class Item:
    """One quarantined piece of input."""

    received_ns: int
    channel: int
    connection: str
    reason: str
    raw: bytes


def encode_item(item: Item) -> bytes:
    meta = json.dumps(
        {
            "received_ns": item.received_ns,
            "channel": item.channel,
            "connection": item.connection,
            "reason": item.reason,
        },
        sort_keys=True,
    ).encode("utf-8")
    raw = item.raw[:MAX_RAW]
    crc = zlib.crc32(raw, zlib.crc32(meta))
    return HEAD.pack(MAGIC, len(meta), len(raw), crc) + meta + raw


def _parse(data: bytes, pos: int) -> tuple[Item, int] | None:
    if len(data) - pos < HEAD.size:
        return None
    magic, meta_len, raw_len, crc = HEAD.unpack_from(data, pos)
    start = pos + HEAD.size
    end = start + meta_len + raw_len
    if magic != MAGIC or end > len(data):
        return None
    meta, raw = data[start : start + meta_len], data[start + meta_len : end]
    if zlib.crc32(raw, zlib.crc32(meta)) != crc:
        return None
    fields = json.loads(meta)
    item = Item(
        fields["received_ns"], fields["channel"], fields["connection"], fields["reason"], raw
    )
    return item, end


def log_of(data_dir: Path) -> Path:
    """The quarantine log of a data directory."""
    return data_dir / datadir.QUARANTINE / FILE_NAME


def read_items(path: Path) -> Iterator[Item]:
    """Every whole item of a quarantine file, in order."""
    if not path.exists():
        return
    data = path.read_bytes()
    pos = 0
    while (parsed := _parse(data, pos)) is not None:
        item, pos = parsed
        yield item


def _recover(path: Path) -> int:
    """Cut a torn tail; returns the number of items kept."""
    if not path.exists():
        return 0
    data = path.read_bytes()
    pos = count = 0
    while (parsed := _parse(data, pos)) is not None:
        pos = parsed[1]
        count += 1
    if pos != len(data):
        log.warning("quarantine: cut a torn tail of %d octets from %s", len(data) - pos, path)
        os.truncate(path, pos)
    return count


class Quarantine:
    """Append-only, group-committed file of malformed input."""

    def __init__(self, directory: Path, *, retry_interval: float = 0.5) -> None:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path = directory / FILE_NAME
        self.items = _recover(self.path)
        self.retry_interval = retry_interval
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._waiting: list[tuple[bytes, asyncio.Future[None]]] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    async def add(self, item: Item) -> None:
        """Append ``item``; returns once it is durable."""
        if self._closed:
            raise QuarantineError("quarantine is closed")
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="quarantine-writer")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((encode_item(item), future))
        self._wakeup.set()
        await asyncio.shield(future)

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            batch, self._waiting = self._waiting, []
            if batch:
                await self._commit(batch)
            del batch  # not held while the writer waits: items are up to MAX_RAW each
            if self._closed and not self._waiting:
                return

    async def _commit(self, batch: list[tuple[bytes, asyncio.Future[None]]]) -> None:
        data = b"".join(encoded for encoded, _ in batch)
        while True:
            try:
                await asyncio.to_thread(self._write, data)
                break
            except OSError as exc:
                if exc.errno in RETRYABLE_ERRNOS and not self._closed:
                    log.warning("quarantine: %s; retrying in %.1fs", exc, self.retry_interval)
                    await asyncio.sleep(self.retry_interval)
                    continue
                error = QuarantineError(f"quarantine write failed: {exc}")
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                return
        self.items += len(batch)
        for _, future in batch:
            if not future.done():
                future.set_result(None)

    def _write(self, data: bytes) -> None:
        start = os.lseek(self._fd, 0, os.SEEK_END)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
            os.fsync(self._fd)
        except OSError:
            os.ftruncate(self._fd, start)  # no half item stays behind a retry
            raise

    async def close(self) -> None:
        """Let waiting items become durable, then close the file."""
        self._closed = True
        if self._task is not None:
            self._wakeup.set()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(OSError):
            os.close(self._fd)


def now_ns() -> int:
    return time.time_ns()
