"""Where an open communication keeps its growing bytes: decoded audio and held PDUs.

An open call cannot keep its packets in memory (1,000 ten-minute calls would need tens of
gigabytes) and the vault cannot append to an encrypted object. So each media stream and
each set of held PDUs writes into a :class:`Sink`: a small in-memory tail, flushed every
``FLUSH_BYTES`` by appending to a file in the assembler's spool directory (beside the
journal, on the same local disk, holding nothing the journal does not already hold).
At close the sink is read back whole into the vault object and deleted. The files being
appended to stay open (:class:`OpenFiles`, least recently written closed first): an open
and a close around each flush cost six times the write itself (ext4 here: ≈ 50 against
8 µs for 16 KiB).

The spool is a cache, never evidence: the journal is the durable copy. A restarted (or
failed) assembler empties its spool and rebuilds every open communication by replaying
its records from the journal (:mod:`custodio.assemble.worker`).

Without a directory (tests, ``comms audio --follow``) sinks stay in memory.
"""

from __future__ import annotations

import itertools
import os
import resource
import shutil
import weakref
from collections import OrderedDict
from pathlib import Path

FLUSH_BYTES = 16 << 10  # 2 s of one G.711 direction
OPEN_FILES = 8192  # spool files kept open at most (and half the process's soft limit)


class OpenFiles:
    """Spool files open for appending, the least recently written closed first."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._fds: OrderedDict[Path, int] = OrderedDict()
        weakref.finalize(self, _close_all, self._fds)

    def append(self, path: Path, data: bytes | bytearray) -> None:
        fd = self._fds.get(path)
        if fd is None:
            if len(self._fds) >= self.limit:
                os.close(self._fds.popitem(last=False)[1])
            fd = self._fds[path] = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        else:
            self._fds.move_to_end(path)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    def close(self, path: Path) -> None:
        fd = self._fds.pop(path, None)
        if fd is not None:
            os.close(fd)

    def close_all(self) -> None:
        _close_all(self._fds)


def _close_all(fds: dict[Path, int]) -> None:
    while fds:
        os.close(fds.popitem()[1])


def _open_files_limit() -> int:
    """:data:`OPEN_FILES`, or half the process's limit on open files when that is lower,
    after raising its soft limit towards the hard one (1,000 calls keep ≈ 2,000 sinks)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2 * OPEN_FILES if hard == resource.RLIM_INFINITY else min(hard, 2 * OPEN_FILES)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass  # kept as it is: fewer files open, more opened again
    return OPEN_FILES if soft == resource.RLIM_INFINITY else min(OPEN_FILES, soft // 2)


class Sink:
    """A byte string that grows at its end and may be overwritten below it."""

    def __init__(self, path: Path | None = None, files: OpenFiles | None = None) -> None:
        self.path = path
        self.files = files  # where a sink with a path appends (its spool's)
        self.flushed = 0  # bytes already in the file
        self.tail = bytearray()  # bytes [flushed, size)

    @property
    def size(self) -> int:
        return self.flushed + len(self.tail)

    def append(self, data: bytes) -> None:
        self.tail += data  # what :meth:`write` does at the end, without its checks
        if self.path is not None and len(self.tail) >= FLUSH_BYTES:
            self._flush()

    def write(self, offset: int, data: bytes) -> None:
        """Write ``data`` at ``offset`` (at most :attr:`size`: no holes)."""
        assert 0 <= offset <= self.size, (offset, self.size)
        if offset < self.flushed:  # below the tail: into the file
            head = data[: self.flushed - offset]
            assert self.path is not None
            fd = os.open(self.path, os.O_WRONLY)
            try:
                os.pwrite(fd, head, offset)
            finally:
                os.close(fd)
            data, offset = data[len(head) :], self.flushed
        start = offset - self.flushed
        self.tail[start : start + len(data)] = data
        if self.path is not None and len(self.tail) >= FLUSH_BYTES:
            self._flush()

    def _flush(self) -> None:
        assert self.path is not None and self.files is not None
        self.files.append(self.path, self.tail)
        self.flushed += len(self.tail)
        self.tail = bytearray()

    def read(self) -> bytes:
        """Everything written so far."""
        if self.path is None or self.flushed == 0:
            return bytes(self.tail)
        return self.path.read_bytes()[: self.flushed] + bytes(self.tail)

    def discard(self) -> None:
        if self.path is not None:
            if self.files is not None:
                self.files.close(self.path)
            self.path.unlink(missing_ok=True)
        self.flushed, self.tail = 0, bytearray()


class Spool:
    """Makes sinks: files in ``directory`` (emptied on start), or memory without one."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self._names = itertools.count(1)
        self.files = OpenFiles(_open_files_limit())
        self.clear()

    def sink(self) -> Sink:
        if self.directory is None:
            return Sink()
        return Sink(self.directory / f"{next(self._names)}.spool", self.files)

    def clear(self) -> None:
        """Forget every sink (their communications are rebuilt from the journal)."""
        if self.directory is None:
            return
        self.files.close_all()
        if self.directory.exists():
            shutil.rmtree(self.directory)
        self.directory.mkdir(parents=True, mode=0o700)


MEMORY = Spool()  # the default for a communication assembled outside a worker
