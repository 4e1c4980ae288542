"""A real Receiver on 127.0.0.1 (random ports) over a real journal, for the listener tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from custodio.etsi import encode as E
from custodio.etsi.pdu import Direction, FrameType, StreamFramer, decode
from custodio.handover.listener import HI2, HI3, Receiver
from custodio.handover.quarantine import Quarantine
from custodio.journal import Journal

WHEN = datetime(2026, 11, 29, 10, 31, 5, 123000, tzinfo=UTC)


@dataclass
class Running:
    receiver: Receiver
    hi2: tuple[str, int]
    hi3: tuple[str, int]
    directory: Path


@contextlib.asynccontextmanager
async def running(directory: Path, **kw: object) -> AsyncIterator[Running]:
    journal = Journal.open(directory / "journal", max_pending=kw.pop("max_pending", 10_000))  # type: ignore[arg-type]
    await journal.start()
    quarantine = Quarantine(directory / "quarantine")
    receiver = Receiver(journal, quarantine, **kw)  # type: ignore[arg-type]
    hi2 = await receiver.listen(HI2, "127.0.0.1", 0)
    hi3 = await receiver.listen(HI3, "127.0.0.1", 0)
    try:
        yield Running(receiver, hi2, hi3, directory)
    finally:
        await receiver.close()
        await journal.close()
        await quarantine.close()


def header(seq: int, liid: bytes = b"LIID-1", cin: int = 7, operator: bytes = b"OP") -> E.Header:
    return E.Header(liid=liid, operator_id=operator, cin=cin, sequence_number=seq, timestamp=WHEN)


def cc(seq: int, liid: bytes = b"LIID-1", cin: int = 7, operator: bytes = b"OP") -> bytes:
    rtp = bytes.fromhex("80081267000B80601234ABCD") + bytes([seq % 256]) * 160
    h = header(seq, liid, cin, operator)
    return E.cc_ipmm(h, rtp, direction=Direction.FROM_TARGET, frame_type=FrameType.RTP)


def keepalive(seq: int, operator: bytes = b"OP") -> bytes:
    return E.keepalive(header(seq, b"-", 0, operator))


def ack_request(seq: int, operator: bytes = b"OP") -> bytes:
    from custodio.etsi.pdu import TRIKind  # noqa: PLC0415

    return E.tri(header(seq, b"-", 0, operator), TRIKind.PDU_ACK_REQUEST)


async def read_pdus(reader: asyncio.StreamReader, count: int, timeout: float = 10.0) -> list[bytes]:
    """Read ``count`` whole PDUs from the receiver's answers."""
    framer = StreamFramer()
    out: list[bytes] = []
    async with asyncio.timeout(timeout):
        while len(out) < count:
            data = await reader.read(65536)
            if not data:
                break
            pdus, error = framer.feed(data)
            assert error is None
            out.extend(bytes(p) for p in pdus)
    return out


async def wait_for(predicate: object, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.01)


def journal_pdus(directory: Path) -> list[bytes]:
    journal = Journal.open(directory / "journal")
    try:
        return [r.pdu for r in journal.read(0, 10**9)]
    finally:
        journal.close_sync()


__all__ = ["decode"]
