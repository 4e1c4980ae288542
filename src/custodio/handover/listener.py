"""The HI2 and HI3 listeners: operators' mediators connect and push PS-PDUs.

One :class:`Receiver` serves both ports. For each connection it reads the socket in
chunks, frames PDUs (:func:`custodio.etsi.pdu.frame_length`, the framing rule of
``StreamFramer``), decodes each one and then:

- answers a keep-alive at once with a keep-aliveResponse (before anything is durable);
- appends every PDU, raw and whole, to the journal (group commit);
- answers a ``pDUAcknowledgementRequest`` only once it and every PDU read before it on
  that connection are durable: the operator's proof that the receiver holds them;
- accounts its sequence number per (LIID, network identifier, CIN, channel);
- keeps a PDU that frames but does not decode verbatim in the quarantine, durably;
- drops a peer whose stream cannot be framed, after quarantining the unframeable bytes;
- refuses (quarantine, audit, disconnect) a PDU whose ``operatorIdentifier`` is not the
  operator its TLS client certificate stands for.

Backpressure: at most ``max_inflight_chunks`` chunks per connection wait for the journal,
and only one while the journal is backlogged (appends wait for room); past that the
connection stops reading its socket until its oldest chunk is durable, so TCP flow control
slows the operator down and the delay from socket to durable stays bounded. Nothing read
is ever dropped.

Limits (:class:`~custodio.handover.limits.ConnectionLimits`, docs/handover.md "Limits"):
connections in all and per address (more are closed at once), an idle timeout (no whole
PDU for so long), octets read and not yet durable per connection and in all (reading
stops; a connection that holds only an unfinished PDU when all are over is cut), and a
quarantine quota per address (spent: the address is cut off, audited). A connection that
ends inside a PDU has that unfinished PDU quarantined (``truncated_tails``). Every read is
copied out of one buffer the receiver shares among its connections, and an unfinished PDU
longer than a read is kept as the reads that bring it, joined once when it is whole.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import itertools
import logging
import ssl
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from custodio import audit
from custodio.db import Database
from custodio.errors import CustodioError, DecodeError
from custodio.etsi import encode, li_ps_pdu, names
from custodio.etsi.ber import DEFAULT_LIMITS, BerError, Limits
from custodio.etsi.pdu import DecodedPDU, Mark, TRIKind, decode, frame_length
from custodio.handover import integrity
from custodio.handover.integrity import IntegrityChecker, Verdict
from custodio.handover.layout import Layout, Recognizer
from custodio.handover.limits import DEFAULT_CONNECTION_LIMITS, ConnectionLimits, Peers
from custodio.handover.operators import OperatorMap, PeerIdentity
from custodio.handover.quarantine import Item, Quarantine
from custodio.handover.routing import to_routing
from custodio.handover.sessions import SequenceTracker, StreamKey
from custodio.journal import Journal
from custodio.journal.format import encode_connection, encode_routing

log = logging.getLogger(__name__)

HI2 = 2
HI3 = 3
CHANNEL_NAMES = {HI2: "hi2", HI3: "hi3"}
READ_SIZE = 64 << 10  # ≈ 200 CC PDUs: the unit of an append, and of the delay it adds
DEFAULT_INFLIGHT_CHUNKS = 4
TRIM_AFTER = 16 << 20  # octets of unfinished PDUs that closed connections let go: trim the heap
DELAY_SAMPLES = 20_000  # the latest reads' delays; /health sorts them (≈ 3 ms here, 100,000: 16)


@dataclass(slots=True)
class ReceiverStats:
    """Counters of one receiver (exposed on /health and /metrics)."""

    connections: int = 0
    connections_open: int = 0
    peers_dropped: int = 0  # unframeable stream
    peers_refused: int = 0  # TLS certificate that maps to no operator
    connections_refused: int = 0  # over a connection limit, or from a cut-off address
    idle_closed: int = 0  # no whole PDU within the idle timeout
    over_buffer_cut: int = 0  # held only an unfinished PDU when all buffers were full
    quarantine_quota_cut: int = 0  # addresses cut off: their quarantine quota spent
    truncated_tails: int = 0  # connections that ended inside a PDU
    pdus_read: int = 0
    pdus_recognised: int = 0  # of a learnt layout: validated without the full walk
    pdus_durable: int = 0
    bytes_durable: int = 0
    keepalives_answered: int = 0
    acks_answered: int = 0
    malformed: int = 0
    operator_refused: int = 0
    quarantined: int = 0
    journal_errors: int = 0
    integrity_ok: int = 0
    integrity_failed: int = 0
    integrity_unverifiable: int = 0


class _Connection(asyncio.BufferedProtocol):
    """One operator connection: an asyncio protocol, so each read is framed as it arrives
    (no ``StreamReader`` buffer, no task switch per read), reads of at most
    :data:`READ_SIZE` octets into the receiver's one read buffer, copied out at once (the
    transports call ``get_buffer`` and ``buffer_updated`` back to back)."""

    def __init__(self, receiver: Receiver, channel: int, tls: bool) -> None:
        self.receiver = receiver
        self.channel = channel
        self.tls = tls
        self.label = ""
        self.peer = ""  # the IP address: what the limits count per peer
        self.operator: bytes | None = None  # None: no TLS, any operator
        self.transport: asyncio.Transport | None = None
        self.pending = b""  # the unfinished PDU the last read ended in
        self.parts: list[bytes] = []  # or, for one longer than a read: it and the reads since
        self.need = 0  # with parts: that PDU's length
        self.held = 0  # octets of the unfinished PDU (pending or parts)
        self.octets = 0  # read and not yet durable: held, and the chunks in flight
        self.gone = False  # closed: its octets are no longer counted
        self.last_pdu = time.monotonic()  # when a read last brought a whole PDU
        self.cause = "the connection ended"  # why it ends, for its unfinished PDU
        self.routing_tail = b""  # the connection's field of the journal's routing block
        self.inflight: collections.deque[asyncio.Future[Any]] = collections.deque()
        self.paused = False  # reading held back (backpressure)
        self.writing_paused = False  # the peer does not read our answers
        self.ending: asyncio.Future[None] | None = None
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.buffer = receiver.read_buffer

    # --- protocol callbacks ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        r = self.receiver
        peer = transport.get_extra_info("peername") or ("?", 0)
        self.peer = str(peer[0])
        self.label = f"{CHANNEL_NAMES[self.channel]}:{peer[0]}:{peer[1]}#{next(r._ids)}"
        if not r._admit(self):
            self.ending = self.lost.get_loop().create_future()
            self.ending.set_result(None)  # never opened: nothing to end
            transport.close()
            return
        if self.tls:
            identity = _peer_identity(transport)
            name = None if identity is None else r.operators.operator_for(identity)
            if name is None:
                transport.pause_reading()
                self._end(r._refuse_peer(self.label, identity), settle=False)
                return
            self.operator = name.encode("utf-8")
            self.label += f"@{name}"
        self.routing_tail = encode_connection(self.label)
        log.info("handover: %s connected", self.label)

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(bytes(self.buffer[:nbytes]))  # one copy: the PDUs outlive the read

    def data_received(self, data: bytes) -> None:
        if self.ending is not None:
            return  # refused or failed: nothing more is read
        r = self.receiver
        size = len(data)
        self.octets += size
        r.buffered += size
        if self.need:  # a PDU longer than a read: keep the reads, join them once it is whole
            self.parts.append(data)
            self.held += size
            if self.held < self.need:
                self._after_read()
                return
            data = b"".join(self.parts)
            self.parts = []
            self.need = 0
        chunk = _Chunk(time.time_ns())
        try:
            error = r._frame(self, data, chunk)
            r._queue_chunk(self, chunk)
        except CustodioError as e:  # the journal or the quarantine failed
            self._fail(e)
            return
        if error is not None or chunk.refused is not None:
            reason = chunk.refused or f"unframeable stream ({error})"
            self._end(self._refused(reason))
            return
        if chunk.blocks or chunk.tasks:
            self.last_pdu = time.monotonic()
        pending = self.pending
        self.held = held = len(pending)
        if held > 1 and (need := _declared_length(pending)) - held > READ_SIZE:
            self.parts, self.pending, self.need = [pending], b"", need
        self._after_read()

    def eof_received(self) -> bool:
        log.info("handover: %s closed by the peer", self.label)
        self._end(None, cause="the peer closed the connection")
        return True  # answer the acknowledgements still due, then close

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None and self.ending is None:
            log.info("handover: %s: connection lost (%s)", self.label, exc)
        if not self.lost.done():
            self.lost.set_result(None)
        self._end(None, cause="the connection was lost")

    def pause_writing(self) -> None:
        self.writing_paused = True  # our answers pile up: read no more for now
        self._hold_back()

    def resume_writing(self) -> None:
        self.writing_paused = False
        self._hold_back()

    # --- backpressure and limits ---------------------------------------------------------

    def _after_read(self) -> None:
        self._hold_back()
        r = self.receiver
        over = r.buffered > r.max_buffered_total
        if over and self.held and not self.paused and self.ending is None:
            self._cut_over_buffer()  # all it holds is an unfinished PDU: it cannot wait

    def _hold_back(self, _: object = None) -> None:
        """Stop reading while this connection's reads wait for the journal past a bound
        (``max_inflight_chunks`` chunks, one while the journal is backlogged; its
        ``buffered_octets``; all connections' ``buffered_octets_total``), until the oldest
        is durable; and while the peer does not read what we answer."""
        if self.ending is not None:
            return
        inflight = self.inflight
        while inflight and inflight[0].done():
            failed = _failure(inflight.popleft())
            if failed is not None:
                self._fail(failed)
                return
        r = self.receiver
        waiting = bool(inflight) and (
            len(inflight) >= r.max_inflight_chunks
            or r.journal.backlogged
            or self.octets >= r.max_buffered
            or r.buffered >= r.max_buffered_total
        )
        if waiting or self.writing_paused:
            if not self.paused:
                self.paused = True
                assert self.transport is not None
                self.transport.pause_reading()
            if waiting:
                inflight[0].add_done_callback(self._hold_back)
        elif self.paused:
            self.paused = False
            self.last_pdu = time.monotonic()  # held back is not idle
            assert self.transport is not None
            self.transport.resume_reading()

    def waits_for_journal(self) -> bool:
        return self.paused and bool(self.inflight) and not self.inflight[-1].done()

    def idle(self, timeout: float) -> None:
        self.receiver.stats.idle_closed += 1
        why = f"idle: no whole PDU for {timeout:g} s"
        self._end(self._refused(why), cause=why)

    def _cut_over_buffer(self) -> None:
        r = self.receiver
        r.stats.over_buffer_cut += 1
        why = (
            f"cut: it holds {self.held} octets of an unfinished PDU and the connections"
            f" {r.buffered} octets in all (handover_max_buffered_octets_total)"
        )
        self._end(self._refused(why), cause="cut: the receiver's buffers were full")

    # --- the end -------------------------------------------------------------------------

    def _fail(self, error: BaseException) -> None:
        if isinstance(error, CustodioError):
            self.receiver.stats.journal_errors += 1
            log.error("handover: %s: %s; disconnected", self.label, error)
        else:
            log.info("handover: %s: connection lost (%s)", self.label, error)
        self._end(None, cause="the connection failed")

    async def _refused(self, reason: str) -> None:
        await self.settle()
        log.warning("handover: %s: %s; disconnected", self.label, reason)

    def _end(
        self,
        first: Coroutine[Any, Any, None] | None,
        *,
        settle: bool = True,
        cause: str | None = None,
    ) -> None:
        """Stop reading; once ``first`` ran and everything read is durable, quarantine an
        unfinished PDU (``cause`` says why the connection ended inside it) and close."""
        if self.ending is not None:
            if first is not None:
                first.close()
            return
        if cause is not None:
            self.cause = cause
        if self.transport is not None and not self.transport.is_closing():
            with contextlib.suppress(RuntimeError, AttributeError):
                self.transport.pause_reading()
        self.ending = asyncio.ensure_future(self._close(first, settle))

    async def _close(self, first: Coroutine[Any, Any, None] | None, settle: bool) -> None:
        r = self.receiver
        try:
            if first is not None:
                await first
            if settle:
                await self.settle()
            await r._keep_tail(self)
        finally:
            r.stats.connections_open -= 1
            r._leave(self)
            if self.transport is not None:
                self.transport.close()
            with contextlib.suppress(ConnectionError, ssl.SSLError, TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.lost), 5)

    async def settle(self) -> None:
        """Wait until everything read is durable (or failed)."""
        results = await asyncio.gather(*self.inflight, return_exceptions=True)
        self.inflight.clear()
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                log.error("handover: %s: %s", self.label, result)

    async def finish(self) -> None:
        """End the connection now (the receiver closes): what was read becomes durable."""
        self._end(None, cause="the receiver stopped")
        assert self.ending is not None
        await self.ending

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


_PS_PDU_OCTET = li_ps_pdu.UNIVERSAL_SEQUENCE  # a PS-PDU's first octet (0x30)


def _declared_length(buf: bytes) -> int:
    """The length (tag and length octets included) that the definite length at the start
    of ``buf`` declares; 0 when its length octets are not all there, or it is indefinite."""
    if len(buf) < 2 or buf[0] != _PS_PDU_OCTET:
        return 0
    first = buf[1]
    if first < 0x80:
        return first + 2
    count = first & 0x7F
    if not count or len(buf) < 2 + count:
        return 0
    return int.from_bytes(buf[2 : 2 + count], "big") + 2 + count


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, which gives the free pages inside the heap back to the
    system (``free`` gives back only its top); None where there is none."""
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    return trim


_TRIM = _malloc_trim()


def _frame_at(buf: bytes, pos: int, size: int, limits: Limits) -> int:
    """The length of the PDU at ``pos`` in ``buf[:size]``, 0 while more octets are needed:
    :func:`~custodio.etsi.pdu.frame_length` (which raises when the stream cannot be
    framed) with its usual case, a definite length of up to two octets, done here."""
    if pos + 4 <= size and buf[pos] == _PS_PDU_OCTET:
        first = buf[pos + 1]
        if first < 0x80:
            length = first + 2
        elif first == 0x82 and buf[pos + 2]:
            length = (buf[pos + 2] << 8 | buf[pos + 3]) + 4
        elif first == 0x81 and buf[pos + 2] >= 0x80:
            length = buf[pos + 2] + 3
        else:
            return frame_length(buf, pos, limits) or 0
        if length > limits.max_pdu_size:
            return frame_length(buf, pos, limits) or 0  # raises
        return length if pos + length <= size else 0
    return frame_length(buf, pos, limits) or 0


def _failure(future: asyncio.Future[Any]) -> BaseException | None:
    if future.cancelled():
        return None
    error = future.exception()
    if error is None or isinstance(error, CustodioError | ConnectionError | ssl.SSLError):
        return error
    return None


@dataclass(slots=True)
class _Chunk:
    """The work one read produced: its PDUs go to the journal in one ``append_many``."""

    received_ns: int
    blocks: list[tuple[bytes, memoryview]] = field(default_factory=list)  # routing, PDU
    tasks: list[asyncio.Future[object]] = field(default_factory=list)  # quarantine, audit
    acks: list[DecodedPDU] = field(default_factory=list)
    durable_bytes: int = 0
    octets: int = 0  # consumed of the read and the unfinished PDU before it (when framed)
    refused: str | None = None
    layouts: set[Layout] = field(default_factory=set)  # their streams used (LRU order)


class Receiver:
    """Both handover listeners over one journal and one quarantine."""

    def __init__(
        self,
        journal: Journal,
        quarantine: Quarantine,
        *,
        db: Database | None = None,
        operators: OperatorMap | None = None,
        limits: Limits = DEFAULT_LIMITS,
        max_inflight_chunks: int = DEFAULT_INFLIGHT_CHUNKS,
        integrity: IntegrityChecker | None = None,
        connection_limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
    ) -> None:
        self.journal = journal
        self.quarantine = quarantine
        self.db = db
        self.operators = operators or OperatorMap({})
        self.limits = limits
        self.max_inflight_chunks = max_inflight_chunks
        self.connection_limits = connection_limits
        self.max_buffered = connection_limits.buffered_octets
        self.max_buffered_total = connection_limits.buffered_octets_total
        self.peers = Peers(connection_limits)
        self.buffered = 0  # octets read from all connections and not yet durable
        self.read_buffer = memoryview(bytearray(READ_SIZE))  # every connection's reads
        self.stats = ReceiverStats()
        self.tracker = SequenceTracker()
        self.delays_ns: collections.deque[int] = collections.deque(maxlen=DELAY_SAMPLES)
        self._servers: list[asyncio.Server] = []
        self._handlers: set[_Connection] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._background: set[asyncio.Future[None]] = set()  # audits of cut-offs
        self._let_go = 0  # octets of unfinished PDUs freed since the heap was last trimmed
        self._ids = itertools.count(1)
        self._recognizers = {HI2: Recognizer(HI2), HI3: Recognizer(HI3)}
        self.integrity = integrity or IntegrityChecker({})
        self._checked = self.integrity.operators  # operators whose PDUs are hashed

    # --- servers ---------------------------------------------------------------------

    async def listen(
        self, channel: int, host: str, port: int, tls: ssl.SSLContext | None = None
    ) -> tuple[str, int]:
        """Start the listener of ``channel`` (HI2 or HI3); returns the bound address."""

        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: _Connection(self, channel, tls is not None),
            host,
            port,
            ssl=tls,
            ssl_handshake_timeout=10 if tls else None,
        )
        self._servers.append(server)
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep(), name="handover-idle")
        bound = server.sockets[0].getsockname()
        return str(bound[0]), int(bound[1])

    async def close(self) -> None:
        """Stop listening, end every connection (what was read still becomes durable)."""
        for server in self._servers:
            server.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        await asyncio.gather(*(c.finish() for c in list(self._handlers)), return_exceptions=True)
        await asyncio.gather(*self._background, return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()

    async def _sweep(self) -> None:
        """Close the connections idle past the timeout (no whole PDU, and not held back by
        the journal); forget expired quotas. Every quarter of the timeout, at most 5 s."""
        timeout = self.connection_limits.idle_timeout_s
        while True:
            await asyncio.sleep(min(max(timeout / 4, 0.05), 5.0))
            now = time.monotonic()
            for conn in [c for c in self._handlers if now - c.last_pdu > timeout]:
                if conn.ending is None and not conn.waits_for_journal():
                    conn.idle(timeout)
            self.peers.forget(now)
            if self._let_go >= TRIM_AFTER and _TRIM is not None:
                self._let_go = 0  # reads of 64 KiB came from the heap, between other objects
                await asyncio.to_thread(_TRIM, 0)

    def _admit(self, conn: _Connection) -> bool:
        """Count a new connection in, or refuse it (counted, logged once a minute per
        address) when a limit is reached or its address is cut off."""
        now = time.monotonic()
        why = self.peers.refusal(conn.peer, self.stats.connections_open, now)
        if why is None:
            self.stats.connections += 1
            self.stats.connections_open += 1
            self.peers.join(conn.peer)
            self._handlers.add(conn)
            return True
        self.stats.connections_refused += 1
        unlogged = self.peers.log_refusal(conn.peer, now)
        if unlogged is not None:
            more = f" ({unlogged} more refused since the last line)" if unlogged else ""
            log.warning("handover: %s: refused: %s%s", conn.label, why, more)
        return False

    def _leave(self, conn: _Connection) -> None:
        """A connection closed: forget it and what it held."""
        self._handlers.discard(conn)
        self.peers.leave(conn.peer)
        self.buffered -= conn.octets
        self._let_go += conn.held
        conn.octets = conn.held = conn.need = 0
        conn.pending, conn.parts, conn.gone = b"", [], True

    def _release(self, conn: _Connection, octets: int) -> None:
        if not conn.gone:
            conn.octets -= octets
            self.buffered -= octets

    # --- one connection --------------------------------------------------------------

    def _frame(self, conn: _Connection, data: bytes, chunk: _Chunk) -> BerError | None:
        """Frame, validate, account and route the PDUs of one read into ``chunk``.

        The receiver's hot loop. A PDU of a learnt layout (nearly every CC PDU) is framed,
        validated and routed by the recognizer and accounted here, inline: no call per PDU
        beyond the recognizer's (this loop runs ≈ 200,000 times a second). Any other PDU
        is framed and walked in full (:meth:`_take`), which also learns its layout.
        """
        buf = conn.pending + data if conn.pending else data
        view = memoryview(buf)
        match = self._recognizers[conn.channel].match
        operator, tail = conn.operator, conn.routing_tail
        layouts, blocks, checked = chunk.layouts, chunk.blocks, self._checked
        tracker = self.tracker
        size = len(buf)
        pos = 0
        read = recognised = 0
        try:
            while True:
                known = match(buf, pos, size)  # frames the PDU too: its length is the layout's
                if known is None or (operator is not None and known[0].operator_id != operator):
                    end = self._walk(conn, buf, pos, size, chunk)  # 0: more octets needed
                    if not end:
                        break
                    read += 1
                    pos = end
                    if chunk.refused is not None:
                        return None
                    continue
                layout, seq, head = known
                end = pos + layout.size
                stream = layout.stream
                if stream is None or not stream.live:
                    stream = layout.stream = tracker.held(layout.stream_key)
                if seq == stream.highest + 1 and stream.highest >= 0:  # in order: the usual
                    stream.highest = seq
                    counters = stream.counters
                    counters.pdus += 1
                    counters.in_order += 1
                else:
                    tracker.see_in(stream, seq)
                layouts.add(layout)
                raw = view[pos:end]
                if checked and layout.operator_id in checked:
                    self.integrity.see(layout.stream_key, seq, raw)
                blocks.append((head + seq.to_bytes(4, "big") + layout.tail + tail, raw))
                chunk.durable_bytes += layout.size
                read += 1
                recognised += 1
                pos = end
        except BerError as e:
            conn.pending = b""
            self._drop_garbage(conn, buf[pos:], str(e), chunk)
            return e
        finally:
            self._count_read(read, recognised, layouts)
        conn.pending = buf[pos:]
        chunk.octets = pos
        return None

    def _count_read(self, read: int, recognised: int, layouts: set[Layout]) -> None:
        self.stats.pdus_read += read
        self.stats.pdus_recognised += recognised
        for layout in layouts:
            self.tracker.touch(layout.stream_key)  # recently used: the last to be retired

    def _walk(self, conn: _Connection, buf: bytes, pos: int, size: int, chunk: _Chunk) -> int:
        """Frame the PDU at ``pos`` and take it through the full walk; where it ends (0 while
        more octets are needed). Raises :class:`BerError` when the stream cannot be framed."""
        length = _frame_at(buf, pos, size, self.limits)
        if length:
            self._take(conn, (buf, pos, pos + length), memoryview(buf)[pos : pos + length], chunk)
        return pos + length if length else 0

    def _take(
        self, conn: _Connection, where: tuple[bytes, int, int], raw: memoryview, chunk: _Chunk
    ) -> None:
        marks: list[Mark] = []
        try:
            pdu = decode(raw, self.limits, marks=marks)
        except DecodeError as e:
            self.stats.malformed += 1
            reason = f"malformed PDU: {e}"
            chunk.tasks.append(self._quarantine(conn, bytes(raw), reason, chunk.received_ns))
            return
        if conn.operator is not None and pdu.operator_id != conn.operator:
            self._refuse_pdu(conn, pdu, chunk)
            return
        if pdu.is_keepalive:
            conn.write(encode.respond_to_keepalive(pdu) or b"")
            self.stats.keepalives_answered += 1
        self._account(conn.channel, pdu)
        if self._checked and pdu.operator_id in self._checked:
            self._integrity(conn, pdu, chunk)
        routing = to_routing(pdu, conn.channel, conn.label)
        chunk.blocks.append((encode_routing(routing), raw))
        chunk.durable_bytes += len(raw)
        self._recognizers[conn.channel].learn(*where, pdu, marks)
        if pdu.tri is not None and pdu.tri.kind is TRIKind.PDU_ACK_REQUEST:
            chunk.acks.append(pdu)

    def _account(self, channel: int, pdu: DecodedPDU) -> None:
        key: StreamKey = (
            pdu.liid, pdu.operator_id, pdu.network_element_id or b"", pdu.cin, channel
        )  # fmt: skip
        if pdu.tri is None:
            self.tracker.see(key, pdu.sequence_number)
        elif pdu.tri.kind is TRIKind.CIN_RESET:
            self.tracker.reset(key)

    def _integrity(self, conn: _Connection, pdu: DecodedPDU, chunk: _Chunk) -> None:
        key: StreamKey = (
            pdu.liid, pdu.operator_id, pdu.network_element_id or b"", pdu.cin, conn.channel
        )  # fmt: skip
        if pdu.tri is None:
            self.integrity.see(key, pdu.sequence_number, pdu.raw)
        elif pdu.tri.integrity is not None:
            verdict = self.integrity.check(key, pdu.tri.integrity)
            self._count_integrity(conn, pdu, verdict, chunk)

    def _count_integrity(
        self, conn: _Connection, pdu: DecodedPDU, verdict: Verdict, chunk: _Chunk
    ) -> None:
        if verdict.outcome == integrity.OK:
            self.stats.integrity_ok += 1
            return
        assert pdu.tri is not None and pdu.tri.integrity is not None
        numbers = pdu.tri.integrity.sequence_numbers
        what = f"integrity check {pdu.sequence_number} over {len(numbers)} PDU(s)"
        if verdict.outcome == integrity.UNVERIFIABLE:
            self.stats.integrity_unverifiable += 1
            log.info("handover: %s: %s unverifiable: %s", conn.label, what, verdict.reason)
            return
        self.stats.integrity_failed += 1
        log.warning("handover: %s: %s FAILED: %s", conn.label, what, verdict.reason)
        chunk.tasks.append(asyncio.ensure_future(self._audit(_integrity_event(conn, pdu, verdict))))

    def _queue_chunk(self, conn: _Connection, chunk: _Chunk) -> None:
        tasks: list[asyncio.Future[Any]] = list(chunk.tasks)
        if chunk.blocks:
            tasks.insert(0, self.journal.submit(chunk.blocks, chunk.received_ns))
        if not tasks:
            self._release(conn, chunk.octets)
            return
        gathered = tasks[0] if len(tasks) == 1 else asyncio.gather(*tasks)
        gathered.add_done_callback(lambda f: self._on_durable(f, conn, chunk))
        if chunk.acks:
            earlier = list(conn.inflight)
            conn.inflight.append(
                asyncio.ensure_future(self._answer_acks(conn, [*earlier, gathered], chunk.acks))
            )
        else:
            conn.inflight.append(gathered)

    def _on_durable(self, future: asyncio.Future[Any], conn: _Connection, chunk: _Chunk) -> None:
        self._release(conn, chunk.octets)
        if future.cancelled() or future.exception() is not None:
            return
        self.stats.pdus_durable += len(chunk.blocks)
        self.stats.bytes_durable += chunk.durable_bytes
        self.delays_ns.append(time.time_ns() - chunk.received_ns)

    async def _answer_acks(
        self, conn: _Connection, before: list[asyncio.Future[Any]], acks: list[DecodedPDU]
    ) -> object:
        for future in before:
            await future
        for pdu in acks:
            conn.write(ack_response(pdu))
            self.stats.acks_answered += 1
        return None

    # --- refusals and quarantine -----------------------------------------------------

    def _quarantine(
        self, conn: _Connection, raw: bytes, reason: str, received_ns: int
    ) -> asyncio.Future[object]:
        """Keep ``raw`` in the quarantine, counted against its address's quota."""
        self.stats.quarantined += 1
        item = Item(received_ns, conn.channel, conn.label, reason, raw)
        log.warning("handover: %s: quarantined %d octets: %s", conn.label, len(raw), reason)
        kept: asyncio.Future[object] = asyncio.ensure_future(self.quarantine.add(item))
        if (quota := self.peers.spend(conn.peer, len(raw), time.monotonic())) is not None:
            self._cut_off(conn, quota.octets)
        return kept

    def _cut_off(self, conn: _Connection, octets: int) -> None:
        """The alert: ``conn``'s address spent its quarantine quota. Its connections are
        closed (what they sent whole still becomes durable), new ones refused for a
        window; logged, counted and audited (``handover.peer_cut_off``)."""
        limits = self.connection_limits
        window = f"{limits.quarantine_quota_s:g} s"
        self.stats.quarantine_quota_cut += 1
        reason = (
            f"{octets} octets quarantined from {conn.peer} within {window}, over the quota of"
            f" {limits.quarantine_quota_octets} (handover_quarantine_quota_octets); the address"
            f" is cut off for {window}"
        )
        log.error("handover: %s: %s", conn.label, reason)
        own = names.text(conn.operator) if conn.operator else None
        event = audit.Event(
            action="handover.peer_cut_off",
            outcome=audit.DENIED,
            target="handover",
            actor=f"operator:{own}" if own else f"address:{conn.peer}",
            details={
                "address": conn.peer,
                "connection": conn.label,
                "quarantined_octets": octets,
                "quota_octets": limits.quarantine_quota_octets,
                "seconds": limits.quarantine_quota_s,
            },
        )
        audited = asyncio.ensure_future(self._audit(event))
        self._background.add(audited)
        audited.add_done_callback(self._background.discard)
        for other in [c for c in self._handlers if c.peer == conn.peer]:
            other._end(other._refused(f"cut off: {reason}"), cause="its address was cut off")

    async def _keep_tail(self, conn: _Connection) -> None:
        """Quarantine the unfinished PDU a connection ended inside (``truncated_tails``);
        from a cut-off address it is counted and logged only."""
        tail = conn.pending or b"".join(conn.parts)
        if not tail:
            return
        self.stats.truncated_tails += 1
        declared = _declared_length(tail)
        of = f"{declared} octets" if declared else "unknown length"
        reason = f"truncated PDU: {len(tail)} octets of {of}; {conn.cause}"
        if self.peers.cut_off(conn.peer, time.monotonic()):
            log.warning("handover: %s: %s; not kept (its address is cut off)", conn.label, reason)
            return
        try:
            await self._quarantine(conn, tail, reason, time.time_ns())
        except CustodioError as e:
            log.error("handover: %s: %s", conn.label, e)

    def _drop_garbage(self, conn: _Connection, garbage: bytes, reason: str, chunk: _Chunk) -> None:
        self.stats.peers_dropped += 1
        reason = f"unframeable stream: {reason}"
        chunk.tasks.append(self._quarantine(conn, garbage, reason, chunk.received_ns))

    def _refuse_pdu(self, conn: _Connection, pdu: DecodedPDU, chunk: _Chunk) -> None:
        claimed = names.text(pdu.operator_id)
        own = names.text(conn.operator or b"")
        reason = f"PDU names operator {claimed!r}, the client certificate is {own!r}"
        self.stats.operator_refused += 1
        chunk.refused = reason
        conn.pending = b""  # what follows a refused PDU is not read (the connection ends)
        raw = bytes(pdu.raw)
        chunk.tasks.append(self._quarantine(conn, raw, f"refused: {reason}", chunk.received_ns))
        event = audit.Event(
            action="handover.operator_mismatch",
            outcome=audit.DENIED,
            target=f"liid:{names.text(pdu.liid)}",
            actor=f"operator:{own}",
            details={
                "connection": conn.label,
                "claimed_operator": claimed,
                "sequence_number": pdu.sequence_number,
            },
        )
        chunk.tasks.append(asyncio.ensure_future(self._audit(event)))

    async def _refuse_peer(self, label: str, identity: PeerIdentity | None) -> None:
        self.stats.peers_refused += 1
        subject = "no certificate" if identity is None else str(identity.common_name)
        log.warning("handover: %s: certificate %s maps to no operator; refused", label, subject)
        event = audit.Event(
            action="handover.peer_refused",
            outcome=audit.DENIED,
            target="handover",
            actor=f"certificate:{subject}",
            details={
                "connection": label,
                "fingerprint": None if identity is None else identity.fingerprint,
            },
        )
        await self._audit(event)

    async def _audit(self, event: audit.Event) -> None:
        if self.db is not None:
            await asyncio.to_thread(audit.record, self.db, event)

    # --- reporting -------------------------------------------------------------------

    def health(self) -> dict[str, object]:
        """Counters, journal position and socket→durable delays, for /health."""
        delays = sorted(self.delays_ns)
        totals = self.tracker.totals()
        return {
            **asdict(self.stats),
            "buffered_octets": self.buffered,
            "journal_durable_seq": self.journal.durable_seq,
            "journal_waiting": self.journal.waiting,
            "journal_write_retries": self.journal.stats.write_retries,
            "journal_batches": self.journal.stats.batches,
            "delay_ms_p50": _percentile(delays, 0.50),
            "delay_ms_p99": _percentile(delays, 0.99),
            "sequence": asdict(totals),
            "streams": len(self.tracker),
        }


def _integrity_event(conn: _Connection, pdu: DecodedPDU, verdict: Verdict) -> audit.Event:
    assert pdu.tri is not None and pdu.tri.integrity is not None
    check = pdu.tri.integrity
    return audit.Event(
        action="handover.integrity_failed",
        outcome=audit.DENIED,
        target=f"liid:{names.text(pdu.liid)}",
        actor=f"operator:{names.text(pdu.operator_id)}",
        details={
            "connection": conn.label,
            "cin": pdu.cin,
            "channel": CHANNEL_NAMES.get(verdict.stream[4], str(verdict.stream[4])),
            "check_sequence_number": pdu.sequence_number,
            "sequence_numbers": list(check.sequence_numbers),
            "check_type": "hash" if check.check_type == integrity.HASH_CHECK else "signature",
            "algorithm": verdict.algorithm,
            "reason": verdict.reason,
        },
    )


def _percentile(sorted_ns: list[int], q: float) -> float | None:
    if not sorted_ns:
        return None
    return round(sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))] / 1e6, 3)


def _peer_identity(transport: asyncio.BaseTransport) -> PeerIdentity | None:
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    return PeerIdentity.from_ssl(der, ssl_object.getpeercert())


def ack_response(pdu: DecodedPDU, now: datetime | None = None) -> bytes:
    """The pDUAcknowledgementResponse to a request: its header echoed, our time."""
    return encode.tri(encode.echo_header(pdu, now), TRIKind.PDU_ACK_RESPONSE)
