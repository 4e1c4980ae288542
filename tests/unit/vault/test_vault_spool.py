"""The sealed spool: an upload held on disk encrypted, read back whole and seekable."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from custodio.errors import IntegrityError
from custodio.vault.spool import SealedSpool


def test_the_bytes_come_back_and_the_file_holds_none_in_clear(tmp_path: Path) -> None:
    data = os.urandom(1000) + b"CLEAR-TEXT-MARK" * 700 + os.urandom(333)
    with SealedSpool(tmp_path, block=4096) as spool:
        for at in range(0, len(data), 1500):  # pieces that straddle the blocks
            spool.write(data[at : at + 1500])
        assert (spool.size, spool.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        spool._file.seek(0)
        assert b"CLEAR-TEXT-MARK" not in spool._file.read()
        assert list(tmp_path.iterdir()) == []  # unnamed: nothing to find, nothing left
        source = spool.reader()
        assert source.read() == data
        source.seek(0)
        assert source.tell() == 0
        pieces = []
        while block := source.read(777):
            pieces.append(block)
        assert b"".join(pieces) == data
        source.seek(5000)
        assert source.read(10) == data[5000:5010]


def test_an_empty_upload_and_a_tampered_spool(tmp_path: Path) -> None:
    with SealedSpool(tmp_path) as empty:
        assert empty.reader().read() == b"" and empty.size == 0
    with SealedSpool(tmp_path, block=16) as spool:
        spool.write(b"x" * 40)
        source = spool.reader()
        spool._file.seek(20)
        spool._file.write(b"\x00")
        with pytest.raises(IntegrityError):
            source.read()
