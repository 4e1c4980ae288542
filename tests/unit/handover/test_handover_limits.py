"""The receiver's limits (docs/handover.md, "Limits") over real sockets on 127.0.0.1.

Addresses 127.0.0.2 and up stand for other peers: Linux routes all of 127/8 to loopback.
Each test sets small bounds so that it runs in a second or two.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from tests.unit.handover.handover_net import (
    ack_request,
    cc,
    header,
    journal_pdus,
    keepalive,
    read_pdus,
    running,
    wait_for,
)

from custodio import config
from custodio.errors import ConfigError
from custodio.etsi import encode as E
from custodio.etsi.ber import Limits
from custodio.handover.limits import DEFAULT_CONNECTION_LIMITS, ConnectionLimits
from custodio.handover.listener import READ_SIZE
from custodio.handover.quarantine import Item, read_items
from custodio.journal import Journal

Pair = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def limits(**changes: Any) -> ConnectionLimits:
    return replace(DEFAULT_CONNECTION_LIMITS, **changes)


async def connect(addr: tuple[str, int], source: str = "127.0.0.1") -> Pair:
    return await asyncio.open_connection(*addr, local_addr=(source, 0))


async def closed_at_once(pair: Pair) -> bool:
    """Whether the receiver closed ``pair`` without a word (then closed here too)."""
    try:
        got = await asyncio.wait_for(pair[0].read(), 5)
    except ConnectionError:
        got = b""  # reset: closed too
    await close(pair)
    return got == b""


async def answered(pair: Pair, seq: int = 1) -> bool:
    pair[1].write(keepalive(seq))
    return len(await read_pdus(pair[0], 1, timeout=5)) == 1


async def close(pair: Pair) -> None:
    pair[1].close()
    with contextlib.suppress(ConnectionError):
        await pair[1].wait_closed()


def quarantined(directory: Path) -> list[Item]:
    return list(read_items(directory / "quarantine" / "quarantine.log"))


def big_cc(seq: int, octets: int) -> bytes:
    """A valid HI3 PDU of about ``octets`` octets (a long RTP packet)."""
    rtp = bytes.fromhex("80081267000B80601234ABCD") + bytes([seq % 256]) * octets
    return E.cc_ipmm(header(seq), rtp)


# --- connections ------------------------------------------------------------------------


def test_connections_past_the_limit_per_address_are_closed_at_once(tmp_path: Path) -> None:
    async def main() -> None:
        async with running(tmp_path, connection_limits=limits(connections_per_peer=2)) as r:
            first = [await connect(r.hi3), await connect(r.hi2)]
            third = await connect(r.hi3)  # a third from 127.0.0.1, on either port
            assert await closed_at_once(third)
            other = await connect(r.hi3, "127.0.0.2")  # another address is not affected
            for pair in [*first, other]:
                assert await answered(pair)
            s = r.receiver.stats
            assert (s.connections, s.connections_open, s.connections_refused) == (3, 3, 1)
            await close(first[0])
            await wait_for(lambda: r.receiver.stats.connections_open == 2)
            again = await connect(r.hi3)  # a place is free again
            assert await answered(again)
            for pair in [first[1], other, again]:
                await close(pair)

    asyncio.run(main())


def test_connections_past_the_limit_in_all_are_closed_at_once(tmp_path: Path) -> None:
    async def main() -> None:
        async with running(tmp_path, connection_limits=limits(connections=3)) as r:
            held = [await connect(r.hi3, f"127.0.0.{n}") for n in (1, 2, 3)]
            late = await connect(r.hi2, "127.0.0.4")
            assert await closed_at_once(late)
            for pair in held:
                assert await answered(pair)
            s = r.receiver.stats
            assert (s.connections_open, s.connections_refused) == (3, 1)
            for pair in held:
                await close(pair)

    asyncio.run(main())


# --- idle -------------------------------------------------------------------------------


def test_idle_and_slow_loris_connections_are_closed_keepalives_keep_one_open(
    tmp_path: Path,
) -> None:
    loris = cc(1)

    async def drip(pair: Pair, seconds: float) -> None:
        """Send one octet of a PDU every 50 ms: never a whole PDU."""
        with contextlib.suppress(ConnectionError):
            for octet in loris[: int(seconds / 0.05)]:
                pair[1].write(bytes([octet]))
                await pair[1].drain()
                await asyncio.sleep(0.05)

    async def keep_alive(pair: Pair, seconds: float) -> int:
        answers = 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            answers += await answered(pair, answers)
            await asyncio.sleep(0.1)
        return answers

    async def main() -> None:
        async with running(tmp_path, connection_limits=limits(idle_timeout_s=0.4)) as r:
            idle, slow, alive = await connect(r.hi3), await connect(r.hi3), await connect(r.hi2)
            _, answers = await asyncio.gather(drip(slow, 1.2), keep_alive(alive, 1.5))
            assert answers >= 10  # the connection that sends keep-alives stays open
            assert await closed_at_once(idle) and await closed_at_once(slow)
            s = r.receiver.stats
            assert (s.idle_closed, s.truncated_tails, s.connections_open) == (2, 1, 1)
            await close(alive)

    asyncio.run(main())
    (item,) = quarantined(tmp_path)  # what the slow one sent of its PDU
    assert 4 <= len(item.raw) < len(loris) and loris.startswith(item.raw)
    assert item.reason.startswith(f"truncated PDU: {len(item.raw)} octets of {len(loris)}")
    assert "idle: no whole PDU for 0.4 s" in item.reason


# --- buffered octets --------------------------------------------------------------------


@contextlib.contextmanager
def stalled(journal: Journal) -> Any:
    """Appends wait (the journal lags) until the block ends; then they go on, in order."""
    real = journal.submit
    held: list[tuple[Any, int, asyncio.Future[Any]]] = []

    def submit(blocks: Any, received_ns: int) -> asyncio.Future[Any]:
        future = asyncio.get_running_loop().create_future()
        held.append((blocks, received_ns, future))
        return future

    journal.submit = submit  # type: ignore[method-assign]
    try:
        yield held
    finally:
        del journal.submit
        for blocks, received_ns, future in held:
            real(blocks, received_ns).add_done_callback(
                lambda done, future=future: future.set_result(done.result())
            )


def test_one_connection_holds_at_most_its_bound_while_the_journal_lags(tmp_path: Path) -> None:
    bound = 100_000
    pdus = [cc(s) for s in range(4000)]  # ≈ 1 MB

    async def main() -> None:
        bounds = limits(buffered_octets=bound)
        async with running(tmp_path, connection_limits=bounds, limits=Limits(65536)) as r:
            pair = await connect(r.hi3)
            (conn,) = r.receiver._handlers
            with stalled(r.receiver.journal):
                pair[1].write(b"".join(pdus) + ack_request(0))
                await wait_for(lambda: conn.paused)
                await asyncio.sleep(0.3)  # it stays held back
                assert conn.paused and bound <= r.receiver.buffered < bound + READ_SIZE
            await read_pdus(pair[0], 1)  # acknowledged once durable: nothing was lost
            assert r.receiver.buffered == 0
            await close(pair)

    asyncio.run(main())
    assert journal_pdus(tmp_path) == [*pdus, ack_request(0)]


def test_when_all_buffers_are_full_a_connection_with_only_an_unfinished_pdu_is_cut(
    tmp_path: Path,
) -> None:
    whole = big_cc(0, 250_000)
    other = big_cc(1, 250_000)

    async def main() -> None:
        bounds = limits(buffered_octets=300_000, buffered_octets_total=300_000)
        async with running(tmp_path, connection_limits=bounds) as r:
            first, second = await connect(r.hi3), await connect(r.hi3, "127.0.0.2")
            first[1].write(whole[:200_000])
            await wait_for(lambda: r.receiver.buffered == 200_000)
            second[1].write(other[:150_000])  # 350,000 in all: over
            assert await closed_at_once(second)
            first[1].write(whole[200_000:])  # the first goes on
            assert await answered(first)
            s = r.receiver.stats
            assert (s.over_buffer_cut, s.truncated_tails, s.connections_open) == (1, 1, 1)
            await close(first)
            await wait_for(lambda: r.receiver.stats.connections_open == 0)
            assert r.receiver.buffered == 0

    asyncio.run(main())
    assert journal_pdus(tmp_path) == [whole, keepalive(1)]
    (item,) = quarantined(tmp_path)
    assert 100_000 < len(item.raw) <= 150_000 and other.startswith(item.raw)
    assert item.reason.endswith("cut: the receiver's buffers were full")


def test_a_peer_that_does_not_read_its_answers_is_not_read_either(tmp_path: Path) -> None:
    count = 5000  # keep-alives: ≈ 300 kB of answers
    requests = b"".join(keepalive(n) for n in range(count))

    async def main() -> None:
        async with running(tmp_path) as r:
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, r.hi3)
            reader, writer = await asyncio.open_connection(sock=sock)
            (conn,) = r.receiver._handlers
            assert conn.transport is not None
            server_side = conn.transport.get_extra_info("socket")
            server_side.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
            writer.write(requests)  # and read nothing for a while
            await asyncio.sleep(1.0)
            assert conn.paused and conn.transport.get_write_buffer_size() < 3 * READ_SIZE
            answers = await read_pdus(reader, count, timeout=30)
            assert len(answers) == count  # every one answered in the end
            await close((reader, writer))

    asyncio.run(main())


def test_what_unfinished_pdus_hold_is_counted_and_let_go_on_close(tmp_path: Path) -> None:
    head = b"\x30\x83" + (900_000).to_bytes(3, "big")
    sent = [head + bytes([n]) * 300_000 for n in range(8)]

    async def main() -> None:
        async with running(tmp_path) as r:
            pairs = [await connect(r.hi3) for _ in sent]
            for pair, data in zip(pairs, sent, strict=True):
                pair[1].write(data)
            total = sum(map(len, sent))
            await wait_for(lambda: r.receiver.buffered == total)
            assert r.receiver.health()["buffered_octets"] == total
            for pair in pairs:
                await close(pair)
            await wait_for(lambda: r.receiver.stats.connections_open == 0)
            assert r.receiver.buffered == 0 and r.receiver.stats.truncated_tails == len(sent)
            assert all(not c.parts and not c.pending for c in r.receiver._handlers)

    asyncio.run(main())
    assert sorted(item.raw for item in quarantined(tmp_path)) == sorted(sent)  # verbatim


# --- the tail at close ------------------------------------------------------------------


def test_a_pdu_truncated_by_the_close_is_quarantined_and_counted(tmp_path: Path) -> None:
    tail = bytes.fromhex("308203e8") + bytes(range(250)) * 2  # 1,004 octets announced, 504 sent

    async def main() -> None:
        async with running(tmp_path) as r:
            reader, writer = await connect(r.hi3)
            writer.write(cc(0) + tail)
            writer.write_eof()
            assert await reader.read() == b""
            await close((reader, writer))
            await wait_for(lambda: r.receiver.stats.connections_open == 0)
            s = r.receiver.stats
            assert (s.truncated_tails, s.quarantined, s.pdus_durable) == (1, 1, 1)

    asyncio.run(main())
    assert journal_pdus(tmp_path) == [cc(0)]
    (item,) = quarantined(tmp_path)
    assert item.raw == tail and item.channel == 3
    assert item.reason == "truncated PDU: 504 octets of 1004 octets; the peer closed the connection"


# --- the quarantine quota ---------------------------------------------------------------


def malformed(seq: int) -> bytes:
    broken = bytearray(cc(seq))
    at = 2 + (broken[1] & 0x7F if broken[1] & 0x80 else 0)
    assert broken[at] == 0xA1
    broken[at] = 0xA5  # pSHeader [1] becomes an unknown [5]: it frames, it does not decode
    return bytes(broken)


def test_a_peer_that_spends_its_quarantine_quota_is_cut_off_and_audited(tmp_path: Path) -> None:
    from custodio.db import Database  # noqa: PLC0415
    from custodio.db.migrate import upgrade  # noqa: PLC0415

    db = Database(f"sqlite:///{tmp_path / 'catalog.sqlite3'}")
    upgrade(db)
    quota = 20_000
    good = [cc(s) for s in range(5)]
    bad = [malformed(s) for s in range(5, 205)]  # ≈ 50 kB, all in one read

    async def main() -> None:
        bounds = limits(quarantine_quota_octets=quota, quarantine_quota_s=60)
        async with running(tmp_path, connection_limits=bounds, db=db) as r:
            quiet = await connect(r.hi2)  # another connection of the same address
            sender = await connect(r.hi3)
            sender[1].write(b"".join(good + bad))
            assert await closed_at_once(sender) and await closed_at_once(quiet)
            assert await closed_at_once(await connect(r.hi3))  # new ones refused
            elsewhere = await connect(r.hi3, "127.0.0.2")
            assert await answered(elsewhere)  # other addresses are served
            await close(elsewhere)
            await wait_for(lambda: r.receiver.stats.pdus_durable == 6)  # 5, the keep-alive
            s = r.receiver.stats
            assert (s.quarantine_quota_cut, s.connections_refused) == (1, 1)

    try:
        asyncio.run(main())
        rows = db.read(lambda tx: tx.all(
            "SELECT * FROM audit_entries WHERE action = 'handover.peer_cut_off'"))  # fmt: skip
    finally:
        db.close()
    assert len(rows) == 1 and rows[0]["outcome"] == "denied"
    assert rows[0]["actor"] == "address:127.0.0.1"
    details = json.loads(rows[0]["details"])
    assert details["quota_octets"] == quota and details["quarantined_octets"] > quota
    assert journal_pdus(tmp_path)[:5] == good  # what was whole before the cut is kept
    items = quarantined(tmp_path)
    assert quota < sum(len(i.raw) for i in items) <= quota + READ_SIZE
    assert [i.raw for i in items] == bad[: len(items)]


# --- the settings -----------------------------------------------------------------------


def test_the_settings_give_the_limits_and_refuse_unsafe_ones() -> None:
    s = config.Settings()
    assert ConnectionLimits.from_settings(s) == DEFAULT_CONNECTION_LIMITS
    assert DEFAULT_CONNECTION_LIMITS.idle_timeout_s == s.handover_idle_timeout_seconds == 120
    unsafe = {
        "handover_idle_timeout_seconds": 10,  # not longer than a keep-alive interval
        "handover_max_buffered_octets": s.handover_max_pdu_octets - 1,
        "handover_max_buffered_octets_total": s.handover_max_buffered_octets - 1,
        "handover_quarantine_quota_octets": s.handover_max_pdu_octets - 1,
        "handover_max_connections": 0,
        "handover_max_connections_per_peer": 0,
        "handover_quarantine_quota_seconds": 0,
    }
    for name, value in unsafe.items():
        with pytest.raises(ConfigError, match=name):
            ConnectionLimits.from_settings(replace(s, **{name: value}))
