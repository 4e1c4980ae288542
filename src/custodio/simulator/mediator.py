"""The operator simulator: plays a CSP mediator pushing HI2 and HI3 to Custodio.

It connects to both ports (TLS with a client certificate when asked), sends keep-alives
and expects their responses, reconnects when a link drops, and delivers calls and SMS:

- profile ``mobile``: TS 101 671 IRI-Begin / Continue / End with the ISUP calling and
  called numbers, the target's MSISDN, IMSI and IMEI in MAP format (TBCD), and the cell;
  CC as TS 102 232-6 PSTN CC or IPMMCC RTP (alternating in pairs of calls);
- profile ``voip``: TS 102 232-5 IPMMIRI carrying the SIP dialog (INVITE with SDP and
  P-Asserted-Identity, 180, 200, ACK, BYE, 200) and IPMMCC carrying whole IPv4/UDP/RTP
  packets;
- SMS as IRI-Reports: the TS 23.040 TPDU (SMS-SUBMIT sent by the target, SMS-DELIVER
  received) in GSM 7-bit, ``enhancedContent`` UTF-8 text, and a long message as a
  concatenated SMS of several TPDUs, each under its own CIN.

The target of LIID ``ES-LIID-000k`` is ``+34600111222`` + k (:func:`target_number`); it
makes the even calls and receives the odd ones.

Audio is G.711 A-law, one PDU per 20 ms packet per direction (50 packets/s/direction),
in real time or, with ``realtime=False``, as fast as the link takes it. Faults are
injected on request (drop, duplicate, reorder, corrupt, cut the connection).

With ``ack_every`` it asks for a ``pDUAcknowledgementRequest`` after that many PDUs on a
link; the receiver answers once everything before it is durable, and the simulator then
counts those PDUs as *acknowledged* (their SHA-256 digests are kept when ``ledger`` is
set: the set a crash test checks against the journal).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import random
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime

from custodio.errors import CustodioError
from custodio.etsi import encode as E
from custodio.etsi import isdn, sms, tbcd
from custodio.etsi.pdu import (
    DecodedPDU,
    Direction,
    FrameType,
    IRIType,
    StreamFramer,
    TRIKind,
    decode,
)
from custodio.simulator import media

PROFILES = ("mobile", "voip")
_Builder = Callable[[E.Header, bytes, Direction, int], bytes]
CONTROL_LIID = b"-"  # LIID of the link's own TRI PDUs (keep-alives, acknowledgements)
_ACK = b"<pDUAcknowledgementRequest>"  # queue markers (compared by identity)
_KEEPALIVE = b"<keep-alive>"


class SimulatorError(CustodioError):
    """The simulator could not do what it was asked."""

    exit_code = 2


@dataclass(frozen=True)
class Faults:
    """Probability per PDU of each fault."""

    drop: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    corrupt: float = 0.0
    cut: float = 0.0

    def any(self) -> bool:
        return any(v > 0 for v in asdict(self).values())


@dataclass(frozen=True)
class Options:
    """What to simulate."""

    hi2: tuple[str, int]
    hi3: tuple[str, int]
    profile: str = "mobile"
    calls: int = 1
    sms: int = 0
    concurrency: int = 1
    connections: int = 1  # links per port
    duration: float = 2.0  # seconds of audio per call
    realtime: bool = True
    operator: bytes = b"OPERADOR-ES"
    targets: int = 10  # distinct LIIDs
    ack_every: int = 0
    keepalive: float = 10.0
    keepalive_timeout: float = 30.0
    reconnect_timeout: float = 10.0
    seed: int | None = None  # None: a fresh seed (and CIN range) each run
    faults: Faults = field(default_factory=Faults)
    tls: ssl.SSLContext | None = None
    ledger: bool = False
    sms_texts: tuple[str, ...] = ()  # what the SMS say, drawn at random (default: built in)
    # A-law octets (8 kHz) each call's target ("target") and other party ("other") say,
    # looped; by default an espeak-ng phrase in Spanish and in English (a tone without it)
    voices: Mapping[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise SimulatorError(f"unknown profile {self.profile!r}", hint="mobile or voip")
        if min(self.concurrency, self.connections, self.targets) < 1 or self.calls < 0:
            raise SimulatorError("calls >= 0, concurrency, connections and targets >= 1")
        if set(self.voices) - {"target", "other"}:
            raise SimulatorError(f"voices are 'target' and 'other', not {sorted(self.voices)}")


@dataclass
class Report:
    """What the simulator did."""

    calls: int = 0
    sms: int = 0
    pdus_sent: int = 0
    bytes_sent: int = 0
    keepalives_sent: int = 0
    keepalives_answered: int = 0
    keepalive_rtt_max_ms: float = 0.0
    keepalives_unanswered: int = 0
    acks_requested: int = 0
    acks_answered: int = 0
    pdus_acked: int = 0
    reconnects: int = 0
    dropped: int = 0
    duplicated: int = 0
    reordered: int = 0
    corrupted: int = 0
    cuts: int = 0
    seconds: float = 0.0
    audio: str = ""
    error: str = ""
    acked: list[str] = field(default_factory=list, repr=False)

    def summary(self) -> dict[str, object]:
        out = asdict(self)
        del out["acked"]
        return out


# --- links ---------------------------------------------------------------------------


class Link:
    """One TCP (or TLS) connection to a handover port, reconnected when it drops."""

    def __init__(self, sim: Simulator, name: str, endpoint: tuple[str, int]) -> None:
        self.sim = sim
        self.name = name
        self.endpoint = endpoint
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1024)
        self.writer: asyncio.StreamWriter | None = None
        self.since_ack: list[str] = []
        self.awaiting: dict[int, list[str]] = {}
        self.keepalives: dict[int, float] = {}
        self.held: bytes | None = None  # a PDU held back to be sent out of order
        self._ack_seq = itertools.count()
        self._ka_seq = itertools.count()
        self._tasks: list[asyncio.Task[None]] = []
        self._connected_once = False
        self._queued = 0
        self.failed: SimulatorError | None = None

    async def start(self) -> None:
        await self._connect()
        self._tasks = [
            asyncio.create_task(self._pump(), name=f"{self.name}-writer"),
            asyncio.create_task(self._keepalives(), name=f"{self.name}-keepalive"),
        ]

    async def send(self, pdu: bytes) -> None:
        """Queue ``pdu`` (and an acknowledgement request every ``ack_every`` PDUs)."""
        await self._put(pdu)
        self._queued += 1
        every = self.sim.options.ack_every
        if every and self._queued % every == 0:
            await self._put(_ACK)

    async def request_ack(self) -> None:
        await self._put(_ACK)

    async def _put(self, item: bytes) -> None:
        if self.failed is not None:
            raise self.failed
        await self.queue.put(item)

    async def finish(self, timeout: float) -> None:
        """Ask for a last acknowledgement, wait for it, close."""
        if self.sim.options.ack_every:
            await self.request_ack()
        await self.queue.join()
        if self.failed is not None:
            raise self.failed
        deadline = time.monotonic() + timeout
        while self.awaiting and time.monotonic() < deadline and self.writer is not None:
            await asyncio.sleep(0.01)
        await self.abort()

    async def abort(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._close()

    async def _connect(self) -> None:
        host, port = self.endpoint
        deadline = time.monotonic() + self.sim.options.reconnect_timeout
        while True:
            try:
                reader, writer = await asyncio.open_connection(host, port, ssl=self.sim.options.tls)
                break
            except (OSError, ssl.SSLError) as e:
                if time.monotonic() > deadline:
                    raise SimulatorError(
                        f"{self.name}: cannot connect to {host}:{port}: {e}",
                        hint="is `custodio serve` running with those --hi2/--hi3?",
                    ) from e
                await asyncio.sleep(0.1)
        if self._connected_once:
            self.sim.report.reconnects += 1
        self._connected_once = True
        self.writer = writer
        self._tasks.append(asyncio.create_task(self._responses(reader, writer)))

    async def _close(self) -> None:
        writer, self.writer = self.writer, None
        self.awaiting.clear()
        self.since_ack.clear()
        self.keepalives.clear()
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, ssl.SSLError, TimeoutError):
                await asyncio.wait_for(writer.wait_closed(), 2)

    # writer task: the only one that writes, so faults and acknowledgements stay ordered

    async def _pump(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < 256 and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                await self._write_batch(batch)
            except SimulatorError as e:
                self.failed = e
                while not self.queue.empty():  # release anyone waiting on the queue
                    self.queue.get_nowait()
                    self.queue.task_done()
                return
            finally:
                for _ in batch:
                    self.queue.task_done()

    async def _write_batch(self, batch: list[bytes]) -> None:
        if self.writer is None:
            await self._connect()
        out: list[bytes] = []
        for pdu in batch:
            if pdu is _ACK:
                out.append(self._ack_request())
            elif pdu is _KEEPALIVE:
                out.append(self._keepalive())
            else:
                if self.sim.rng.random() < self.sim.options.faults.cut:
                    await self._cut(out)  # what was before goes out, then the link drops
                    out = []
                out.extend(self._with_faults(pdu))
        await self._write(out)

    async def _cut(self, out: list[bytes]) -> None:
        await self._write(out)
        self.sim.report.cuts += 1
        if self.writer is not None:
            self.writer.transport.abort()
        await self._close()
        await self._connect()

    async def _write(self, out: list[bytes]) -> None:
        writer = self.writer
        if writer is None or not out:
            return
        data = b"".join(out)
        try:
            writer.write(data)
            await writer.drain()
        except (ConnectionError, OSError, ssl.SSLError):
            await self._close()
            return
        self.sim.report.bytes_sent += len(data)

    def _with_faults(self, pdu: bytes) -> list[bytes]:
        faults, rng, report = self.sim.options.faults, self.sim.rng, self.sim.report
        if not faults.any():
            return [self._sent(pdu)]
        if rng.random() < faults.drop:
            report.dropped += 1
            return []
        if rng.random() < faults.corrupt:
            report.corrupted += 1
            return [_corrupt(pdu, rng)]
        if rng.random() < faults.reorder and self.held is None:
            report.reordered += 1
            self.held = pdu
            return []
        out = [self._sent(pdu)]
        if rng.random() < faults.duplicate:
            report.duplicated += 1
            out.append(pdu)
        if self.held is not None:
            out.append(self._sent(self.held))
            self.held = None
        return out

    def _sent(self, pdu: bytes) -> bytes:
        self.sim.report.pdus_sent += 1
        if self.sim.options.ledger:
            self.since_ack.append(hashlib.sha256(pdu).hexdigest())
        else:
            self.since_ack.append("")
        return pdu

    def _ack_request(self) -> bytes:
        seq = next(self._ack_seq)
        self.awaiting[seq] = self.since_ack
        self.since_ack = []
        self.sim.report.acks_requested += 1
        return E.tri(self.sim.control_header(seq), TRIKind.PDU_ACK_REQUEST)

    # reader task: keep-alive responses and acknowledgements

    async def _responses(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        framer = StreamFramer()
        with contextlib.suppress(ConnectionError, OSError, ssl.SSLError):
            while data := await reader.read(65536):
                pdus, error = framer.feed(data)
                for raw in pdus:
                    self._response(decode(raw))
                if error is not None:
                    break
        if self.writer is writer:
            await self._close()

    def _response(self, pdu: DecodedPDU) -> None:
        report = self.sim.report
        kind = pdu.tri.kind if pdu.tri is not None else None
        if kind is TRIKind.KEEP_ALIVE_RESPONSE and pdu.sequence_number in self.keepalives:
            rtt = time.monotonic() - self.keepalives.pop(pdu.sequence_number)
            report.keepalives_answered += 1
            report.keepalive_rtt_max_ms = max(report.keepalive_rtt_max_ms, rtt * 1000)
        elif kind is TRIKind.PDU_ACK_RESPONSE and pdu.sequence_number in self.awaiting:
            acked = self.awaiting.pop(pdu.sequence_number)
            report.acks_answered += 1
            report.pdus_acked += len(acked)
            if self.sim.options.ledger:
                report.acked.extend(acked)

    async def _keepalives(self) -> None:
        while True:
            await asyncio.sleep(self.sim.options.keepalive)
            self._check_keepalives()
            if self.writer is not None and self.failed is None:
                await self.queue.put(_KEEPALIVE)

    def _keepalive(self) -> bytes:
        seq = next(self._ka_seq)
        self.keepalives[seq] = time.monotonic()
        self.sim.report.keepalives_sent += 1
        return E.keepalive(self.sim.control_header(seq))

    def _check_keepalives(self) -> None:
        limit = time.monotonic() - self.sim.options.keepalive_timeout
        late = [seq for seq, sent in self.keepalives.items() if sent < limit]
        if late and self.writer is not None:
            self.sim.report.keepalives_unanswered += len(late)
            self.writer.transport.abort()  # a mediator drops a link that stops answering


def _rng(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311 (simulated traffic, not secrets)


def _corrupt(pdu: bytes, rng: random.Random) -> bytes:
    data = bytearray(pdu)
    for _ in range(rng.randint(1, 3)):
        data[rng.randrange(2, len(data))] = rng.randrange(256)
    return bytes(data)


# --- calls ---------------------------------------------------------------------------


@dataclass
class _Call:
    index: int
    liid: bytes
    cin: int
    hi2: Link
    hi3: Link
    target: int  # which target (LIID) the call is of
    seq2: Iterator[int] = field(default_factory=itertools.count)
    seq3: Iterator[int] = field(default_factory=itertools.count)


def _phone(rng: random.Random) -> str:
    return "346" + "".join(str(rng.randrange(10)) for _ in range(8))


def _cell(rng: random.Random) -> bytes:
    return (
        bytes.fromhex("12f470")
        + rng.randrange(1, 65535).to_bytes(2, "big")
        + rng.randrange(1, 65535).to_bytes(2, "big")
    )


class Simulator:
    """Runs one simulation (see :func:`simulate`)."""

    def __init__(self, options: Options) -> None:
        self.options = options
        self.rng = _rng(time.time_ns() if options.seed is None else options.seed)
        spoken = "espeak-ng" if media.speech_available() else "tone"
        self.report = Report(audio="given" if options.voices else spoken)
        self.hi2: list[Link] = []
        self.hi3: list[Link] = []
        self.cin_base = self.rng.randrange(1, 1 << 31)  # a fresh CIN range per run
        self._audio: dict[str, list[bytes]] = {}

    def control_header(self, seq: int) -> E.Header:
        return E.Header(
            liid=CONTROL_LIID,
            operator_id=self.options.operator,
            sequence_number=seq,
            timestamp=datetime.now(UTC),
        )

    def header(self, call: _Call, channel: int) -> E.Header:
        seq = next(call.seq2 if channel == 2 else call.seq3)
        return E.Header(
            liid=call.liid,
            operator_id=self.options.operator,
            network_element_id=b"MSC-MAD-01",
            cin=call.cin,
            sequence_number=seq,
            timestamp=datetime.now(UTC),
            timestamp_qualifier=1,
            authorization_country="ES",
            delivery_country="ES",
        )

    async def run(self) -> Report:
        o = self.options
        said = {"target": o.voices.get("target"), "other": o.voices.get("other")}
        self._audio = {
            side: media.frames(audio if audio else media.speech(language))
            for (side, audio), language in zip(said.items(), ("es", "en"), strict=True)
        }
        start = time.monotonic()
        for i in range(o.connections):
            self.hi2.append(Link(self, f"hi2#{i}", o.hi2))
            self.hi3.append(Link(self, f"hi3#{i}", o.hi3))
        try:
            await self._run_all()
        except* SimulatorError as group:
            self.report.error = "; ".join(str(e) for e in group.exceptions)
            await asyncio.gather(*(link.abort() for link in self.hi2 + self.hi3))
        self.report.seconds = round(time.monotonic() - start, 3)
        return self.report

    async def _run_all(self) -> None:
        o = self.options
        async with asyncio.TaskGroup() as group:
            for link in self.hi2 + self.hi3:
                group.create_task(link.start())
        jobs = iter(range(o.calls + o.sms))
        async with asyncio.TaskGroup() as group:
            for _ in range(o.concurrency):
                group.create_task(self._worker(jobs))
        async with asyncio.TaskGroup() as group:
            for link in self.hi2 + self.hi3:
                group.create_task(link.finish(10.0))

    async def _worker(self, jobs: Iterator[int]) -> None:
        for job in jobs:
            call = self._new_call(job)
            if job >= self.options.calls:
                await self._sms(call)
            elif self.options.profile == "mobile":
                await self._mobile_call(call)
            else:
                await self._voip_call(call)

    def _new_call(self, job: int) -> _Call:
        k = job % self.options.connections
        target = job % self.options.targets
        liid = f"ES-LIID-{target:04d}".encode()
        return _Call(job, liid, self.cin_base + job, self.hi2[k], self.hi3[k], target)

    async def _send(self, link: Link, pdu: bytes) -> None:
        await link.send(pdu)

    # mobile: TS 101 671 IRI, PSTN CC or IPMMCC RTP

    def _record(self, call: _Call, direction: int, parties: tuple[str, str]) -> E.IRIRecord:
        """The call's IRI: ISUP calling and called numbers; the target's party also with
        its MSISDN, IMSI and IMEI in MAP format, as a mobile network's mediator sends them."""
        rng = _rng(call.index)
        calling = E.Party(0, calling_isup=isdn.encode_isup(parties[0]))
        called = E.Party(1, called_isup=isdn.encode_isup(parties[1]))
        if direction == 1:
            calling = _identified(calling, call.target)
        else:
            called = _identified(called, call.target)
        return E.IRIRecord(
            liid=call.liid,
            communication_id=str(call.cin)[-8:].encode(),
            operator_id=self.options.operator[:5],
            local_time=datetime.now(),  # the sender's local time
            network_element_e164=bytes.fromhex("8413430607000000"),
            call_direction=direction,
            parties=(calling, called),
            global_cell_id=_cell(rng),
        )

    async def _mobile_call(self, call: _Call) -> None:
        calling, called = call_parties(call.index, call.target)
        direction = 1 if target_calls(call.index) else 2  # originating(1), terminating(2)
        record = self._record(call, direction, (calling, called))
        await self._send(call.hi2, E.iri_etsi671(self.header(call, 2), IRIType.BEGIN, record))
        await self._send(call.hi2, E.iri_etsi671(self.header(call, 2), IRIType.CONTINUE, record))
        pstn = (call.index // 2) % 2 == 0
        await self._media(call, lambda h, payload, d, n: self._cc_mobile(h, payload, d, n, pstn))
        await self._send(call.hi2, E.iri_etsi671(self.header(call, 2), IRIType.END, record))
        self.report.calls += 1

    def _cc_mobile(
        self, h: E.Header, payload: bytes, direction: Direction, n: int, pstn: bool
    ) -> bytes:
        if pstn:
            return E.cc_pstn(h, payload, direction=direction, cc_link_id=1)
        packet = media.rtp(n, n * media.FRAME_OCTETS, 0x1000 + int(direction), payload)
        return E.cc_ipmm(h, packet, direction=direction, frame_type=FrameType.RTP)

    async def _media(self, call: _Call, build: _Builder) -> None:
        ticks = max(1, int(self.options.duration * 1000 / media.FRAME_MS))
        voices = (self._audio["target"], self._audio["other"])
        start = time.monotonic()
        for n in range(ticks):
            for direction, frames in zip(
                (Direction.FROM_TARGET, Direction.TO_TARGET), voices, strict=True
            ):
                payload = frames[(n + call.index) % len(frames)]
                await self._send(call.hi3, build(self.header(call, 3), payload, direction, n))
            if self.options.realtime:
                await asyncio.sleep(
                    max(0.0, start + (n + 1) * media.FRAME_MS / 1000 - time.monotonic())
                )
            elif n % 8 == 7:
                await asyncio.sleep(0)

    # voip: IPMMIRI with the SIP dialog, IPMMCC with whole IP/UDP/RTP packets

    async def _voip_call(self, call: _Call) -> None:
        """Even calls the target makes, odd ones it receives: its identity is the From
        and P-Asserted-Identity of the INVITE, or its Request-URI and To."""
        rng = _rng(call.index)
        target, other = target_number(call.target), f"+{_phone(rng)}"
        target_ip, peer_ip = f"10.20.{call.index % 250}.{1 + call.index % 200}", "192.0.2.80"
        side = _Side(target, target_ip, 40000), _Side(other, peer_ip, 50000)
        caller, callee = side if call.index % 2 == 0 else side[::-1]
        for iri_type, src, dst, message in _sip_dialog(call, caller, callee):
            if message.startswith(b"BYE"):
                await self._voip_media(call, target_ip, peer_ip)
            h = self.header(call, 2)
            await self._send(call.hi2, E.iri_sip(h, iri_type, src, dst, message))
        self.report.calls += 1

    async def _voip_media(self, call: _Call, target_ip: str, peer_ip: str) -> None:
        addresses = {
            Direction.FROM_TARGET: (_ip4(target_ip), _ip4(peer_ip), 40000, 50000),
            Direction.TO_TARGET: (_ip4(peer_ip), _ip4(target_ip), 50000, 40000),
        }

        def build(h: E.Header, payload: bytes, direction: Direction, n: int) -> bytes:
            src, dst, sport, dport = addresses[direction]
            packet = media.rtp(n, n * media.FRAME_OCTETS, 0x2000 + int(direction), payload)
            ip = media.ipv4_udp(src, dst, sport, dport, packet)
            return E.cc_ipmm(h, ip, direction=direction, frame_type=FrameType.IP)

        await self._media(call, build)

    async def _sms(self, call: _Call) -> None:
        """The target sends (SMS-SUBMIT) or receives (SMS-DELIVER) a message in GSM 7-bit
        (UCS-2 when it needs it), as the TPDU; every third one it receives as
        ``enhancedContent`` text; a long one as several TPDUs, each in its own IRI-Report
        under its own CIN (a concatenated message, TS 23.040 §9.2.3.24.1)."""
        o = self.options
        number = call.index - o.calls
        rng = _rng(call.index)
        kind = number % 4
        text = _LONG_SMS if kind == 3 and not o.sms_texts else rng.choice(o.sms_texts or _SMS_TEXTS)
        other = f"+{_phone(rng)}"
        sent = kind == 0  # the target sends it, or receives it
        if kind == 2:
            contents = [E.SMS(initiator=1, enhanced=text.encode(), encoding=4)]
        else:
            parts = sms.split_text(text)
            concat = [sms.Concat(number % 256, len(parts), n + 1) if len(parts) > 1 else None
                      for n in range(len(parts))]  # fmt: skip
            tpdus = [sms.encode_submit(other, t, reference=number % 256, concat=c) if sent
                     else sms.encode_deliver(other, t, datetime.now(UTC), concat=c)
                     for t, c in zip(parts, concat, strict=True)]  # fmt: skip
            contents = [E.SMS(tpdu, initiator=0 if sent else 1) for tpdu in tpdus]
        target = _identified(E.Party(0 if sent else 1), call.target)
        for n, content in enumerate(contents):
            part = (
                _Call(call.index, call.liid, call.cin + (n << 28), call.hi2, call.hi3, call.target)
                if n
                else call
            )  # its own CIN: its own sequence numbers
            record = E.IRIRecord(
                liid=part.liid,
                communication_id=str(part.cin)[-8:].encode(),
                operator_id=o.operator[:5],
                local_time=datetime.now(),
                call_direction=1 if sent else 2,
                parties=(target,),
                global_cell_id=_cell(rng),
                sms=content,
            )
            await self._send(part.hi2, E.iri_etsi671(self.header(part, 2), IRIType.REPORT, record))
        self.report.sms += 1


def _identified(party: E.Party, target: int) -> E.Party:
    """``party`` with the target's MSISDN, IMSI and IMEI as MAP encodes them (TS 29.002)."""
    return replace(
        party,
        msisdn=tbcd.encode_address(tbcd.Address.from_text(target_number(target))),
        imsi=tbcd.encode_imsi(target_imsi(target)),
        imei=tbcd.encode_imei(target_imei(target)),
    )


def target_imsi(target: int) -> str:
    """The IMSI the simulator gives target ``target``'s SIM (MCC 214, MNC 07)."""
    return f"21407{100000 + target:010d}"


def target_imei(target: int) -> str:
    """The IMEI (with its Luhn check digit) of target ``target``'s handset."""
    body = f"35209900{100000 + target:06d}"
    total = sum(d if i % 2 == 0 else (2 * d) // 10 + (2 * d) % 10
                for i, d in enumerate(int(c) for c in body))  # fmt: skip
    return body + str(-total % 10)


_SMS_TEXTS = (
    "Llego a las 10. No llames a este numero.",
    "El paquete esta en el garaje de la calle Mayor.",
    "Call me when you land, use the other phone.",
)
_LONG_SMS = (
    "Mañana a las 9 en la nave de Getafe. Trae los papeles del camión, el que tiene la "
    "matrícula nueva, y que nadie use el teléfono de siempre. Si pregunta el de Sevilla, "
    "dile que el dinero va por transferencia como la otra vez. {Confirmado} [no contestes]"
)


def _ip4(text: str) -> bytes:
    return bytes(int(part) for part in text.split("."))


@dataclass(frozen=True)
class _Side:
    number: str  # E.164
    ip: str
    port: int  # of its RTP


def _sip_dialog(call: _Call, caller: _Side, callee: _Side) -> list[tuple[IRIType, str, str, bytes]]:
    """INVITE (the caller's network asserting its identity, RFC 3325), 180, 200, ACK,
    BYE from the caller, 200: what an IMS mediator copies to HI2."""
    tag, cid = f"t{call.index}", f"{call.cin}@{caller.ip}"
    uri = f"sip:{callee.number}@ims.example.es;user=phone"
    asserted = (f'P-Asserted-Identity: "Abonado" <sip:{caller.number}@ims.example.es;user=phone>'
                f"\r\nP-Asserted-Identity: <tel:{caller.number}>\r\n")  # fmt: skip

    def msg(first: str, cseq: str, extra: str = "", content: str = "") -> bytes:
        head = (
            f"{first}\r\nVia: SIP/2.0/UDP {caller.ip}:5060;branch=z9hG4bK{call.cin}\r\n"
            f"From: <sip:{caller.number}@ims.example.es;user=phone>;tag={tag}\r\n"
            f"To: <{uri}>{extra}\r\nCall-ID: {cid}\r\nCSeq: {cseq}\r\n"
        )
        if first.startswith("INVITE"):
            head += asserted
        if content:
            head += f"Content-Type: application/sdp\r\nContent-Length: {len(content)}\r\n"
        else:
            head += "Content-Length: 0\r\n"
        return (head + "\r\n" + content).encode()

    offer = media.sdp(caller.ip, caller.port, call.cin)
    answer = media.sdp(callee.ip, callee.port, call.cin + 1)
    to_tag = ";tag=p1"
    a, b = caller.ip, callee.ip
    return [
        (IRIType.BEGIN, a, b, msg(f"INVITE {uri} SIP/2.0", "1 INVITE", "", offer)),
        (IRIType.CONTINUE, b, a, msg("SIP/2.0 180 Ringing", "1 INVITE", to_tag)),
        (IRIType.CONTINUE, b, a, msg("SIP/2.0 200 OK", "1 INVITE", to_tag, answer)),
        (IRIType.CONTINUE, a, b, msg(f"ACK {uri} SIP/2.0", "1 ACK", to_tag)),
        (IRIType.CONTINUE, a, b, msg(f"BYE {uri} SIP/2.0", "2 BYE", to_tag)),
        (IRIType.END, b, a, msg("SIP/2.0 200 OK", "2 BYE", to_tag)),
    ]


def target_calls(index: int) -> bool:
    """Whether the target makes call ``index`` (even calls) or receives it (odd ones)."""
    return index % 2 == 0


def call_parties(index: int, target: int) -> tuple[str, str]:
    """The calling and called numbers (E.164) of call ``index`` of target ``target``."""
    other = f"+{_phone(_rng(index))}"
    mine = target_number(target)
    return (mine, other) if target_calls(index) else (other, mine)


def target_number(target: int) -> str:
    """The E.164 number the simulator gives the target of LIID ``ES-LIID-{target:04d}``:
    ``+34600111222`` for the first (the README's warrant), then ``+34600111223``..."""
    return f"+34600{111222 + target:06d}"


async def simulate(options: Options) -> Report:
    """Run the simulation described by ``options``; returns what happened."""
    return await Simulator(options).run()
