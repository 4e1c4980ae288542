"""Spool sinks: files kept open between flushes, and never more than the spool's limit."""

from __future__ import annotations

import os
from pathlib import Path

from custodio.assemble import spool
from custodio.assemble.spool import OpenFiles, Spool


def _open_fds() -> set[str]:
    """The files this process holds open (those deleted since by their former name)."""
    links = [f"/proc/self/fd/{fd}" for fd in os.listdir("/proc/self/fd")]
    return {os.readlink(link).removesuffix(" (deleted)") for link in links if os.path.exists(link)}


def test_sinks_beyond_the_limit_reopen_their_files_and_lose_nothing(tmp_path: Path) -> None:
    store = Spool(tmp_path / "spool")
    store.files = OpenFiles(2)  # three sinks written in turn: each flush evicts one
    sinks = [store.sink() for _ in range(3)]
    chunk = spool.FLUSH_BYTES
    for round_ in range(4):
        for i, sink in enumerate(sinks):
            sink.append(bytes([16 * i + round_]) * chunk)
            assert len([p for p in _open_fds() if p.endswith(".spool")]) <= 2
    for i, sink in enumerate(sinks):
        assert sink.flushed == 4 * chunk and sink.tail == b""
        assert sink.read() == b"".join(bytes([16 * i + r]) * chunk for r in range(4))


def test_a_discarded_sink_closes_its_file_and_a_cleared_spool_all_of_them(tmp_path: Path) -> None:
    store = Spool(tmp_path / "spool")
    first, second = store.sink(), store.sink()
    for sink in (first, second):
        sink.append(b"\x55" * spool.FLUSH_BYTES)
        assert sink.path is not None and str(sink.path) in _open_fds()
    first.discard()
    assert first.path is not None and not first.path.exists()
    assert str(first.path) not in _open_fds() and str(second.path) in _open_fds()
    store.clear()
    assert not [p for p in _open_fds() if p.endswith(".spool")]
    assert list((tmp_path / "spool").iterdir()) == []


def test_a_late_write_below_the_tail_reaches_the_open_file(tmp_path: Path) -> None:
    sink = Spool(tmp_path / "spool").sink()
    sink.append(b"a" * spool.FLUSH_BYTES)
    sink.write(10, b"ZZ")  # into the file, not through the appending descriptor
    sink.append(b"b" * spool.FLUSH_BYTES)
    data = sink.read()
    assert data[:10] == b"a" * 10 and data[10:12] == b"ZZ"
    assert data[12:] == b"a" * (spool.FLUSH_BYTES - 12) + b"b" * spool.FLUSH_BYTES
