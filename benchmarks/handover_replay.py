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
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from custodio.etsi.pdu import frame_length
from custodio.journal import Journal

_STREAM = struct.Struct(">BQ")  # channel, octets
SEND_SIZE = 256 << 10
TICK = 0.01  # seconds of traffic per send when paced


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


def _play(
    stream: Stream, address: tuple[str, int], started: threading.Barrier, rate: float | None
) -> None:
    sock = socket.create_connection(address)
    drain = threading.Thread(target=_drain, args=(sock,), daemon=True)
    drain.start()
    pieces = _pieces(stream, rate)
    started.wait()
    view = memoryview(stream.data)
    begin = time.monotonic()
    for tick, start, stop in pieces:
        if rate is not None:
            time.sleep(max(0.0, begin + tick * TICK - time.monotonic()))
        sock.sendall(view[start:stop])
    sock.shutdown(socket.SHUT_WR)
    drain.join()
    sock.close()


def _pieces(stream: Stream, rate: float | None) -> list[tuple[int, int, int]]:
    """Where to cut the stream and in which tick to send each piece: big pieces at once, or
    when paced, the whole PDUs of each tick (PDU ``i`` goes in tick ``i / (rate * TICK)``,
    so a stream of less than one PDU per tick leaves ticks empty rather than running ahead).
    """
    if rate is None:
        size = len(stream.data)
        return [(0, p, min(p + SEND_SIZE, size)) for p in range(0, size, SEND_SIZE)]
    per_tick = rate * TICK
    pieces: list[tuple[int, int, int]] = []
    start = pos = count = 0
    tick = 0
    while (length := frame_length(stream.data, pos)) is not None:
        due = int(count / per_tick)
        if due != tick and pos > start:
            pieces.append((tick, start, pos))
            start = pos
        tick = due
        pos += length
        count += 1
    if start != len(stream.data):
        pieces.append((tick, start, len(stream.data)))
    return pieces


def replay(
    streams: list[Stream], hi2: tuple[str, int], hi3: tuple[str, int], rate: float | None = None
) -> None:
    """Play every stream on its own connection at once; ``rate``: PDUs/s for all together
    (shared in proportion to the streams' PDUs), or as fast as the receiver takes them."""
    started = threading.Barrier(len(streams) + 1)
    total = sum(s.pdus for s in streams)
    threads = [
        threading.Thread(
            target=_play,
            args=(s, hi2 if s.channel == 2 else hi3, started, rate and rate * s.pdus / total),
            daemon=True,
        )
        for s in streams
    ]
    for t in threads:
        t.start()
    started.wait()
