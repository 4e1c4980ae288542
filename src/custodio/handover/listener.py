"""The HI2 and HI3 listeners: operators' mediators connect and push PS-PDUs.

One :class:`Receiver` serves both ports. For each connection it reads the socket in
chunks, frames PDUs (:func:`custodio.handover.pdu.frame_length`, the framing rule of
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
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import logging
import ssl
import time
from collections.abc import Coroutine
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from custodio import audit
from custodio.db import Database
from custodio.errors import CustodioError, DecodeError
from custodio.handover import encode, integrity
from custodio.handover.ber import DEFAULT_LIMITS, BerError, Limits
from custodio.handover.integrity import IntegrityChecker, Verdict
from custodio.handover.layout import Layout, Recognizer
from custodio.handover.operators import OperatorMap, PeerIdentity
from custodio.handover.pdu import DecodedPDU, Mark, TRIKind, decode, frame_length, to_routing
from custodio.handover.quarantine import Item, Quarantine
from custodio.handover.sessions import SequenceTracker, StreamKey
from custodio.journal import Journal
from custodio.journal.format import encode_connection, encode_routing

log = logging.getLogger(__name__)

HI2 = 2
HI3 = 3
CHANNEL_NAMES = {HI2: "hi2", HI3: "hi3"}
READ_SIZE = 64 << 10  # ≈ 200 CC PDUs: the unit of an append, and of the delay it adds
DEFAULT_INFLIGHT_CHUNKS = 4
DELAY_SAMPLES = 20_000  # the latest reads' delays; /health sorts them (≈ 3 ms here, 100,000: 16)


@dataclass(slots=True)
class ReceiverStats:
    """Counters of one receiver (exposed on /health and /metrics)."""

    connections: int = 0
    connections_open: int = 0
    peers_dropped: int = 0  # unframeable stream
    peers_refused: int = 0  # TLS certificate that maps to no operator
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
    :data:`READ_SIZE` octets into one buffer."""

    def __init__(self, receiver: Receiver, channel: int, tls: bool) -> None:
        self.receiver = receiver
        self.channel = channel
        self.tls = tls
        self.label = ""
        self.operator: bytes | None = None  # None: no TLS, any operator
        self.transport: asyncio.Transport | None = None
        self.pending = b""
        self.routing_tail = b""  # the connection's field of the journal's routing block
        self.inflight: collections.deque[asyncio.Future[Any]] = collections.deque()
        self.paused = False  # reading held back (backpressure)
        self.ending: asyncio.Task[None] | None = None
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.buffer = memoryview(bytearray(READ_SIZE))

    # --- protocol callbacks ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        r = self.receiver
        r.stats.connections += 1
        r.stats.connections_open += 1
        r._handlers.add(self)
        peer = transport.get_extra_info("peername") or ("?", 0)
        self.label = f"{CHANNEL_NAMES[self.channel]}:{peer[0]}:{peer[1]}#{next(r._ids)}"
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
        self._hold_back()

    def eof_received(self) -> bool:
        log.info("handover: %s closed by the peer", self.label)
        self._end(None)
        return True  # answer the acknowledgements still due, then close

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None and self.ending is None:
            log.info("handover: %s: connection lost (%s)", self.label, exc)
        if not self.lost.done():
            self.lost.set_result(None)
        self._end(None)

    # --- backpressure --------------------------------------------------------------------

    def _hold_back(self, _: object = None) -> None:
        """Stop reading while too many chunks wait (or the journal is backlogged), until the
        oldest is durable: at most ``max_inflight_chunks`` chunks wait per connection."""
        if self.ending is not None:
            return
        inflight = self.inflight
        while inflight and inflight[0].done():
            failed = _failure(inflight.popleft())
            if failed is not None:
                self._fail(failed)
                return
        if inflight and (
            len(inflight) >= self.receiver.max_inflight_chunks or self.receiver.journal.backlogged
        ):
            if not self.paused:
                self.paused = True
                assert self.transport is not None
                self.transport.pause_reading()
            inflight[0].add_done_callback(self._hold_back)
        elif self.paused:
            self.paused = False
            assert self.transport is not None
            self.transport.resume_reading()

    # --- the end -------------------------------------------------------------------------

    def _fail(self, error: BaseException) -> None:
        if isinstance(error, CustodioError):
            self.receiver.stats.journal_errors += 1
            log.error("handover: %s: %s; disconnected", self.label, error)
        else:
            log.info("handover: %s: connection lost (%s)", self.label, error)
        self._end(None)

    async def _refused(self, reason: str) -> None:
        await self.settle()
        log.warning("handover: %s: %s; disconnected", self.label, reason)

    def _end(self, first: Coroutine[Any, Any, None] | None, *, settle: bool = True) -> None:
        """Stop reading; once ``first`` ran and everything read is durable, close."""
        if self.ending is not None:
            if first is not None:
                first.close()
            return
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
        finally:
            r.stats.connections_open -= 1
            r._handlers.discard(self)
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
        self._end(None)
        assert self.ending is not None
        await self.ending

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)


def _frame_at(buf: bytes, pos: int, size: int, limits: Limits) -> int:
    """The length of the PDU at ``pos`` in ``buf[:size]``, 0 while more octets are needed:
    :func:`~custodio.handover.pdu.frame_length` (which raises when the stream cannot be
    framed) with its usual case, a definite length of up to two octets, done here."""
    if pos + 4 <= size and buf[pos] == 0x30:
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
    ) -> None:
        self.journal = journal
        self.quarantine = quarantine
        self.db = db
        self.operators = operators or OperatorMap({})
        self.limits = limits
        self.max_inflight_chunks = max_inflight_chunks
        self.stats = ReceiverStats()
        self.tracker = SequenceTracker()
        self.delays_ns: collections.deque[int] = collections.deque(maxlen=DELAY_SAMPLES)
        self._servers: list[asyncio.Server] = []
        self._handlers: set[_Connection] = set()
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
        bound = server.sockets[0].getsockname()
        return str(bound[0]), int(bound[1])

    async def close(self) -> None:
        """Stop listening, end every connection (what was read still becomes durable)."""
        for server in self._servers:
            server.close()
        await asyncio.gather(*(c.finish() for c in list(self._handlers)), return_exceptions=True)
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()

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
            chunk.tasks.append(self._quarantine(conn, bytes(raw), f"malformed PDU: {e}", chunk))
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
            return
        gathered = tasks[0] if len(tasks) == 1 else asyncio.gather(*tasks)
        gathered.add_done_callback(lambda f: self._on_durable(f, chunk))
        if chunk.acks:
            earlier = list(conn.inflight)
            conn.inflight.append(
                asyncio.ensure_future(self._answer_acks(conn, [*earlier, gathered], chunk.acks))
            )
        else:
            conn.inflight.append(gathered)

    def _on_durable(self, future: asyncio.Future[Any], chunk: _Chunk) -> None:
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
        self, conn: _Connection, raw: bytes, reason: str, chunk: _Chunk
    ) -> asyncio.Future[object]:
        self.stats.quarantined += 1
        item = Item(chunk.received_ns, conn.channel, conn.label, reason, raw)
        log.warning("handover: %s: quarantined %d octets: %s", conn.label, len(raw), reason)
        return asyncio.ensure_future(self.quarantine.add(item))

    def _drop_garbage(self, conn: _Connection, garbage: bytes, reason: str, chunk: _Chunk) -> None:
        self.stats.peers_dropped += 1
        chunk.tasks.append(self._quarantine(conn, garbage, f"unframeable stream: {reason}", chunk))

    def _refuse_pdu(self, conn: _Connection, pdu: DecodedPDU, chunk: _Chunk) -> None:
        claimed = pdu.operator_id.decode("utf-8", "replace")
        own = (conn.operator or b"").decode("utf-8", "replace")
        reason = f"PDU names operator {claimed!r}, the client certificate is {own!r}"
        self.stats.operator_refused += 1
        chunk.refused = reason
        chunk.tasks.append(self._quarantine(conn, bytes(pdu.raw), f"refused: {reason}", chunk))
        event = audit.Event(
            action="handover.operator_mismatch",
            outcome=audit.DENIED,
            target=f"liid:{pdu.liid.decode('latin-1')}",
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
        target=f"liid:{pdu.liid.decode('latin-1')}",
        actor=f"operator:{pdu.operator_id.decode('utf-8', 'replace')}",
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
