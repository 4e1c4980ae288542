"""A local directory backend: ``<root>/objects/…`` and ``<root>/tmp/`` for writes in progress.

A write goes to a temporary file, is fsync'd and read back, then renamed into place and the
directory fsync'd: after a crash an object is either whole under its name or absent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from custodio.errors import BackendError, InvalidInput, NotFound
from custodio.vault.backends import BytesLike, Hashing, ReadStream, Stored

NAME = re.compile(r"[a-z0-9_-]+(/[a-z0-9_-]+)*")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _error(exc: OSError, doing: str) -> BackendError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return BackendError(f"vault directory full while {doing}", hint="free space or add storage")
    return BackendError(f"vault directory failed while {doing}: {exc}", hint="check the disk")


def _discard(tmp: Path) -> None:
    """Remove a temporary file; a failure here must not hide the error being raised."""
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)


class DirectoryBackend:
    """Objects as files under a root directory."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self._tmp = self.root / "tmp"
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            (self.root / "objects").mkdir(mode=0o700, exist_ok=True)
            self._tmp.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise _error(exc, f"opening {self.root}") from exc

    def _path(self, name: str) -> Path:
        if not NAME.fullmatch(name):
            raise InvalidInput(f"bad object name {name!r}")
        return self.root / name

    def write(self, name: str, pieces: Iterable[BytesLike]) -> int:
        path = self._path(name)
        tmp = self._tmp / f"{path.name}.{secrets.token_hex(8)}"
        try:
            hashing = self._write_tmp(tmp, pieces)
            with tmp.open("rb") as stream:
                hashing.check(stream, name)
            self._publish(tmp, path)
        except OSError as exc:
            raise _error(exc, f"writing object {name}") from exc
        finally:
            _discard(tmp)
        return hashing.size

    @staticmethod
    def _write_tmp(tmp: Path, pieces: Iterable[BytesLike]) -> Hashing:
        hashing = Hashing()
        with tmp.open("xb", buffering=0) as out:
            for piece in pieces:
                view = memoryview(hashing.feed(piece))
                while view.nbytes:
                    view = view[out.write(view) :]
            os.fsync(out.fileno())
        return hashing

    def _publish(self, tmp: Path, path: Path) -> None:
        created = not path.parent.exists()
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.replace(tmp, path)
        _fsync_dir(path.parent)
        if created:
            _fsync_dir(path.parent.parent)

    def open(self, name: str) -> ReadStream:
        try:
            return self._path(name).open("rb")
        except FileNotFoundError:
            raise NotFound(f"object {name} is not in the vault directory {self.root}") from None
        except OSError as exc:
            raise _error(exc, f"reading object {name}") from exc

    def read_range(self, name: str, start: int, length: int) -> bytes:
        path = self._path(name)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise NotFound(f"object {name} is not in the vault directory {self.root}") from None
        try:
            return os.pread(fd, length, start)
        except OSError as exc:
            raise _error(exc, f"reading object {name}") from exc
        finally:
            os.close(fd)

    def size(self, name: str) -> int:
        try:
            return self._path(name).stat().st_size
        except FileNotFoundError:
            raise NotFound(f"object {name} is not in the vault directory {self.root}") from None

    def delete(self, name: str) -> bool:
        path = self._path(name)
        try:
            path.unlink(missing_ok=True)
            _fsync_dir(path.parent)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise _error(exc, f"deleting object {name}") from exc
        return True

    def list(self) -> Iterator[Stored]:
        for dirpath, _dirs, files in os.walk(self.root / "objects"):
            for filename in sorted(files):
                path = Path(dirpath, filename)
                stat = path.stat()
                name = path.relative_to(self.root).as_posix()
                yield Stored(name, stat.st_size, dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC))

    def discard_incomplete(self, older_than: dt.timedelta) -> int:
        limit = (dt.datetime.now(dt.UTC) - older_than).timestamp()
        stale = [p for p in self._tmp.iterdir() if p.stat().st_mtime < limit]
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)
