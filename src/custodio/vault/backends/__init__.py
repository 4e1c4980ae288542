"""Object storage behind one small interface.

A backend stores opaque, already-encrypted objects under names like
``objects/ab/ab12…``. It promises:

* ``write`` is atomic: afterwards the object is there whole, or not at all — a failure
  (disk full, server down, process killed) never leaves a partial object visible;
  it reads the object back before returning.
* ``read``/``read_range`` return exactly what was written, or raise.
* every failure of the storage itself is a :class:`custodio.errors.BackendError` naming
  the object; a missing object is :class:`custodio.errors.NotFound`.

Implementations: :mod:`.memory` (unit tests), :mod:`.fs` (local directory),
:mod:`.s3` (S3-compatible object storage).
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from custodio.errors import BackendError, IntegrityError

BytesLike = bytes | bytearray | memoryview


@dataclass(frozen=True, slots=True)
class Stored:
    """What a backend reports about one stored object."""

    name: str
    size: int
    modified: dt.datetime


class ReadStream(Protocol):
    def read(self, size: int, /) -> bytes: ...

    def close(self) -> None: ...


class Backend(Protocol):
    """Where the vault keeps its objects."""

    def write(self, name: str, pieces: Iterable[BytesLike]) -> int:
        """Store ``pieces`` joined under ``name`` atomically; return the size written."""
        ...

    def open(self, name: str) -> ReadStream:
        """A sequential reader over the object."""
        ...

    def read_range(self, name: str, start: int, length: int) -> bytes: ...

    def size(self, name: str) -> int: ...

    def delete(self, name: str) -> bool:
        """Delete every stored version; False when retention (WORM) refused it."""
        ...

    def list(self) -> Iterator[Stored]:
        """Every complete object (never a write in progress)."""
        ...

    def discard_incomplete(self, older_than: dt.timedelta) -> int:
        """Remove leftovers of interrupted writes; return how many."""
        ...


class Hashing:
    """Counts and checksums the pieces written, for the read-back check.

    CRC-32 suffices: it catches lost, short or misplaced writes, not an adversary (the
    objects' own authentication does that), and runs at several GB/s.
    """

    def __init__(self) -> None:
        self.size = 0
        self._crc = 0

    def feed(self, piece: BytesLike) -> BytesLike:
        self.size += len(piece)
        self._crc = zlib.crc32(piece, self._crc)
        return piece

    def check(self, stream: ReadStream, name: str) -> None:
        """Read the object back and compare with what was written."""
        crc, size = 0, 0
        while block := stream.read(4 << 20):
            crc = zlib.crc32(block, crc)
            size += len(block)
        if size != self.size or crc != self._crc:
            raise ReadBackMismatch(
                f"object {name} reads back {size} bytes that differ from the {self.size} "
                "written; the write was undone",
                hint="check the storage for faults (disk, controller, server) and retry",
            )


class ReadBackMismatch(BackendError, IntegrityError):
    """The backend returned other bytes than those just written."""
