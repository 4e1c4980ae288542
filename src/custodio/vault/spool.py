"""An upload held on disk, sealed, until the vault stores it.

The vault needs a seekable file (:meth:`Vault.write_file` reads it twice: once for the
object id, once to encrypt). An upload arrives once, as a stream, and may be larger than
memory should hold; :class:`SealedSpool` keeps it in an unnamed temporary file encrypted
block by block (AES-256-GCM) under a key made for it and held only in memory: evidence is
never written to disk in clear, and the file is gone when the spool is closed (or the
process dies). Its SHA-256 and size are those of what arrived.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path
from typing import BinaryIO

from custodio.crypto.aead import NONCE_SIZE, TAG_SIZE, Aead
from custodio.crypto.keys import random_key

BLOCK = 1024 * 1024
"""Plaintext bytes per sealed block of the temporary file."""


class SealedSpool:
    """Write the upload's bytes, then :meth:`reader` reads them back (seekable)."""

    def __init__(self, directory: Path | None = None, block: int = BLOCK) -> None:
        self._file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 (closed in close)
        self._aead = Aead(random_key())
        self._block = block
        self._pending = bytearray()
        self._blocks = 0
        self._sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self._sha.update(data)
        self.size += len(data)
        self._pending += data
        while len(self._pending) >= self._block:
            self._seal(bytes(self._pending[: self._block]))
            del self._pending[: self._block]

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    def reader(self) -> BinaryIO:
        """The plaintext, from its start (seals what is still pending first)."""
        if self._pending:
            self._seal(bytes(self._pending))
            self._pending.clear()
        self._file.flush()
        raw = _Reader(self)
        return io.BufferedReader(raw, self._block)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> SealedSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _seal(self, plain: bytes) -> None:
        self._file.seek(self._blocks * (self._block + TAG_SIZE))
        self._file.write(self._aead.seal(_nonce(self._blocks), plain, b"custodio-spool"))
        self._blocks += 1

    def _open(self, index: int) -> bytes:
        self._file.seek(index * (self._block + TAG_SIZE))
        sealed = self._file.read(self._block + TAG_SIZE)
        return self._aead.open(_nonce(index), sealed, b"custodio-spool")


def _nonce(index: int) -> bytes:
    return index.to_bytes(NONCE_SIZE, "big")


class _Reader(io.RawIOBase):
    """The spool's plaintext as a seekable raw stream (one block opened at a time)."""

    def __init__(self, spool: SealedSpool) -> None:
        super().__init__()
        self._spool = spool
        self._at = 0
        self._index = -1
        self._plain = b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._at

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: self._spool.size}[whence]
        self._at = max(0, base + offset)
        return self._at

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._at >= self._spool.size:
            return 0
        index, offset = divmod(self._at, self._spool._block)
        if index != self._index:
            self._plain = self._spool._open(index)
            self._index = index
        piece = self._plain[offset : offset + len(buffer)]
        buffer[: len(piece)] = piece
        self._at += len(piece)
        return len(piece)
