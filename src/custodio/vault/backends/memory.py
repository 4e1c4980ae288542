"""An in-memory backend for unit tests (the one allowed fake)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator

from custodio.errors import NotFound
from custodio.vault.backends import BytesLike, ReadStream, Stored


class MemoryBackend:
    """Objects in a dict; names in ``locked`` refuse deletion, like WORM storage."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.times: dict[str, dt.datetime] = {}
        self.locked: set[str] = set()

    def write(self, name: str, pieces: Iterable[BytesLike]) -> int:
        data = b"".join(pieces)
        self.objects[name] = data
        self.times[name] = dt.datetime.now(dt.UTC)
        return len(data)

    def _get(self, name: str) -> bytes:
        try:
            return self.objects[name]
        except KeyError:
            raise NotFound(f"object {name} is not in the backend") from None

    def open(self, name: str) -> ReadStream:
        return io.BytesIO(self._get(name))

    def read_range(self, name: str, start: int, length: int) -> bytes:
        return self._get(name)[start : start + length]

    def size(self, name: str) -> int:
        return len(self._get(name))

    def delete(self, name: str) -> bool:
        if name in self.locked:
            return False
        self.objects.pop(name, None)
        return True

    def list(self) -> Iterator[Stored]:
        for name, data in sorted(self.objects.items()):
            yield Stored(name, len(data), self.times[name])

    def discard_incomplete(self, older_than: dt.timedelta) -> int:
        return 0
