"""Decrypted evidence the service handed the CLI: the one writer of ``-o FILE``.

- A new file is created exclusively (``O_CREAT | O_EXCL | O_NOFOLLOW``), mode 0600
  whatever the umask: nobody else on the machine reads what the service handed out.
- An existing file is replaced only with ``--force``, and never written through: a
  temporary file beside it is written and renamed over it once complete, so the old file
  stays until the new one is whole.
- A symbolic link, a directory, a missing directory, something that is not a regular file
  or no permission is refused before any evidence is read (:class:`OutputError`, one
  line); a write that fails half-way leaves nothing behind.
- ``-`` is standard output (binary), refused when it is a terminal.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from custodio.client.text import printable
from custodio.errors import OutputError

STDOUT = "-"
MODE = 0o600
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def is_stdout(target: Path | str) -> bool:
    return str(target) == STDOUT


class Sink:
    """Where the bytes go; a failed write is an :class:`OutputError` naming the target."""

    def __init__(self, file: BinaryIO, shown: str, *, seekable: bool) -> None:
        self._file, self.shown, self.seekable = file, shown, seekable

    def write(self, data: bytes) -> None:
        try:
            self._file.write(data)
            self._file.flush()
        except OSError as e:
            raise _error(self.shown, e) from e

    def rewrite_start(self, data: bytes) -> None:
        """Overwrite the first bytes (a header whose length is known only at the end)."""
        try:
            self._file.seek(0)
            self._file.write(data)
            self._file.seek(0, os.SEEK_END)
        except OSError as e:
            raise _error(self.shown, e) from e


@contextmanager
def evidence_output(target: Path, *, force: bool = False) -> Iterator[Sink]:
    """A sink for decrypted evidence at ``target``: checked and created on entry, complete
    and in place on a normal exit, removed when the body raises (Ctrl-C included)."""
    if is_stdout(target):
        yield _stdout()
        return
    shown = printable(os.fspath(target))
    replace = _check(target, shown, force=force)
    path = _temporary(target) if replace else target
    fd = _create(path, shown)
    complete = False
    try:
        with os.fdopen(fd, "wb") as file:
            yield Sink(file, shown, seekable=True)
            _sync(file, shown)
        if replace:
            _rename(path, target, shown)
        complete = True
    finally:
        if not complete:
            path.unlink(missing_ok=True)


def _stdout() -> Sink:
    if sys.stdout.isatty():
        raise OutputError(
            "standard output is a terminal: evidence is not written to the screen",
            hint="redirect it (-o - > FILE, or | a player) or give -o FILE",
        )
    return Sink(sys.stdout.buffer, "standard output", seekable=False)


def _check(target: Path, shown: str, *, force: bool) -> bool:
    """Refuse what must not be written; True when an existing file is to be replaced."""
    parent = target.parent
    if not parent.is_dir():
        what = "is not a directory" if parent.exists() else "does not exist"
        raise OutputError(
            f"cannot write {shown}: {printable(os.fspath(parent))} {what}",
            hint="create the directory first, or give -o another path",
        )
    try:
        st = target.lstat()
    except FileNotFoundError:
        return False
    except OSError as e:
        raise _error(shown, e) from e
    if stat.S_ISLNK(st.st_mode):
        raise _error(shown, OSError(errno.ELOOP, "a symbolic link"))
    if stat.S_ISDIR(st.st_mode):
        raise _error(shown, OSError(errno.EISDIR, "a directory"))
    if not stat.S_ISREG(st.st_mode):
        raise OutputError(f"{shown} is not a regular file",
                          hint="give -o a file name, or - for standard output")  # fmt: skip
    if not force:
        raise _error(shown, OSError(errno.EEXIST, "exists"))
    return True


def _temporary(target: Path) -> Path:
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")


def _create(path: Path, shown: str) -> int:
    try:
        fd = os.open(path, _FLAGS, MODE)
    except OSError as e:
        raise _error(shown, e) from e
    try:
        os.fchmod(fd, MODE)  # the umask narrows the mode given to open; make it exact
    except OSError as e:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise _error(shown, e) from e
    return fd


def _sync(file: BinaryIO, shown: str) -> None:
    try:
        file.flush()
        os.fsync(file.fileno())
    except OSError as e:
        raise _error(shown, e) from e


def _rename(temporary: Path, target: Path, shown: str) -> None:
    try:
        os.replace(temporary, target)  # a link put there meanwhile is replaced, not followed
    except OSError as e:
        raise _error(shown, e) from e


def _error(shown: str, e: OSError) -> OutputError:
    if e.errno == errno.EEXIST:
        return OutputError(f"{shown} already exists",
                           hint="give --force to replace it, or -o another name")  # fmt: skip
    if e.errno == errno.ELOOP:
        return OutputError(f"{shown} is a symbolic link: evidence is never written through one",
                           hint="give -o the real path, or a new file name")  # fmt: skip
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputError(f"cannot write {shown}: permission denied",
                           hint="give -o a path in a directory you may write to")  # fmt: skip
    if e.errno == errno.EISDIR:
        return OutputError(f"{shown} is a directory",
                           hint="give -o a file name inside it, e.g. -o DIR/NAME")  # fmt: skip
    if e.errno == errno.EPIPE:
        return OutputError(f"cannot write {shown}: the reader closed it")
    return OutputError(f"cannot write {shown}: {e.strerror or e}",
                       hint="nothing was left behind; give -o another path")  # fmt: skip
