"""Replay recorded operator streams into `custodio serve` as fast as it accepts them.

The simulator encodes each PDU in Python (tens of µs each), so past ≈ 30,000 PDUs/s it,
not the receiver, is what a benchmark would measure. This module records what the
simulator sent once — the PDUs read back from a journal, grouped by the connection they
came in on, in order — and plays those byte streams back over fresh connections, from
threads that only ``sendall`` and drain the replies (keep-alive and acknowledgement
responses), so nearly all of one core is left to the receiver.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from custodio.journal import Journal

_STREAM = struct.Struct(">BQ")  # channel, octets
SEND_SIZE = 256 << 10


@dataclass(frozen=True)
class Stream:
    """What one connection of the simulator sent, in order."""

    channel: int  # 2 HI2, 3 HI3
    data: bytes
    pdus: int


def record(journal_dir: Path) -> list[Stream]:
    """The streams held by a journal, grouped by connection label, in record order."""
    journal = Journal.open(journal_dir)
    parts: dict[str, list[bytes]] = {}
    channels: dict[str, int] = {}
    try:
        after = 0
        while records := journal.read(after, 10_000):
            for r in records:
                parts.setdefault(r.routing.connection, []).append(r.pdu)
                channels[r.routing.connection] = r.routing.channel
            after = records[-1].seq
    finally:
        journal.close_sync()
    return [Stream(channels[k], b"".join(v), len(v)) for k, v in sorted(parts.items())]


def save(path: Path, streams: list[Stream]) -> None:
    with path.open("wb") as out:
        for s in streams:
            out.write(_STREAM.pack(s.channel, len(s.data)) + struct.pack(">Q", s.pdus) + s.data)


def load(path: Path) -> list[Stream]:
    data = path.read_bytes()
    return list(_iter_streams(data))


def _iter_streams(data: bytes) -> Iterator[Stream]:
    pos = 0
    while pos < len(data):
        channel, size = _STREAM.unpack_from(data, pos)
        (pdus,) = struct.unpack_from(">Q", data, pos + _STREAM.size)
        start = pos + _STREAM.size + 8
        yield Stream(channel, data[start : start + size], pdus)
        pos = start + size


def _drain(sock: socket.socket) -> None:
    try:
        while sock.recv(1 << 16):
            pass
    except OSError:
        pass


def _play(stream: Stream, address: tuple[str, int], started: threading.Barrier) -> None:
    sock = socket.create_connection(address)
    drain = threading.Thread(target=_drain, args=(sock,), daemon=True)
    drain.start()
    started.wait()
    view = memoryview(stream.data)
    for pos in range(0, len(view), SEND_SIZE):
        sock.sendall(view[pos : pos + SEND_SIZE])
    sock.shutdown(socket.SHUT_WR)
    drain.join()
    sock.close()


def replay(streams: list[Stream], hi2: tuple[str, int], hi3: tuple[str, int]) -> threading.Event:
    """Start playing every stream on its own connection; the event is set when all sent."""
    started = threading.Barrier(len(streams) + 1)
    threads = [
        threading.Thread(target=_play, args=(s, hi2 if s.channel == 2 else hi3, started))
        for s in streams
    ]
    for t in threads:
        t.start()
    done = threading.Event()

    def wait_all() -> None:
        for t in threads:
            t.join()
        done.set()

    threading.Thread(target=wait_all, daemon=True).start()
    started.wait()
    return done
