"""A call's media: each stream ordered, de-duplicated and decoded as it arrives.

Each CC item lands in a :class:`Stream` keyed by what identifies it on the wire (the RTP
source and destination address and SSRC, or for PSTN CC the operator's direction and
link). A stream holds at most ``WINDOW`` packets, ordered by their (unwrapped) RTP
sequence number; when the window is full the lowest one is placed by its RTP timestamp
into the stream's :class:`~custodio.assemble.spool.Sink` as G.711 octets. A hole is
filled with codec silence and recorded as a :class:`Gap`; a packet arriving after its
place was passed (reordered beyond the window) still fills its hole, else it is counted
as ``late``. Duplicates are dropped. PSTN CC frames are ordered by the PDU sequence number.
So an open call holds a bounded window per stream in memory, whatever its length.

Once an RTP stream has started (its first packet placed), a packet that continues the
placed ones with no hole between is placed at once instead of waiting in the window: the
window would place it next anyway, as the lowest, whatever arrived after it; only
packets above a hole wait, for it to be filled or for the window to fill. The octets and
counts are those of the full window; the audio is only ready sooner.

At close (or for a live listener, continuously) :meth:`Stream.drain` places what is left;
:func:`join` makes the audio of one direction. Which stream is the target's is decided by
:mod:`custodio.assemble.closing`.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from array import array
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from custodio.assemble.spool import MEMORY, Sink, Spool
from custodio.assemble.wav import CODEC_NAMES, PCMA, SILENCE
from custodio.etsi.rtp import Endpoint, RTPPacket

StreamKey = tuple[object, ...]
RunPackets = tuple[datetime, list[int], list[int], list[int], bytes, int]  # see add_rtp_runs
MAX_GAP_SAMPLES = 8000 * 60  # a hole longer than a minute is recorded, not filled
WINDOW = 64  # packets held for reordering: 1.28 s of 20 ms packets
RECENT = 256 + WINDOW  # numbers remembered once placed (6.4 s): duplicates vs late ones
_PSTN = -1  # the "timestamp" of a PSTN frame before its place is known


@dataclass(frozen=True, slots=True)
class Gap:
    at_sample: int
    samples: int
    filled: bool = True  # False: longer than MAX_GAP_SAMPLES, left out of the audio


@dataclass
class Stream:
    """One media stream: a reorder window in memory, the decoded octets in a sink."""

    key: StreamKey
    source: Endpoint | None = None
    destination: Endpoint | None = None
    spool: Spool = MEMORY
    first_at: datetime | None = None
    labels: Counter[str] = field(default_factory=Counter)  # operator's payloadDirection
    packets: int = 0  # distinct packets accepted
    duplicates: int = 0
    late: int = 0  # reordered beyond the window, with no hole left for them
    codec: int | None = None
    undecoded: Counter[int] = field(default_factory=Counter)  # payload type -> packets
    gaps: list[Gap] = field(default_factory=list)
    _sink: Sink | None = None
    _window: dict[int, tuple[int, int, bytes]] = field(default_factory=dict)
    _heap: list[int] = field(default_factory=list)
    _recent: array[int] = field(default_factory=lambda: array("q", [-1]) * RECENT)
    _emitted: int | None = None  # highest sequence placed
    _last_ext: int | None = None
    _base: int | None = None  # RTP timestamp (or PSTN sequence) of sample 0
    _shift: int = 0  # samples of unfilled holes, left out of the octets
    _step: int = 1  # PSTN: usual sequence step between this stream's frames
    _frame: int = 160  # PSTN: usual frame length

    @property
    def sink(self) -> Sink:
        if self._sink is None:
            self._sink = self.spool.sink()
        return self._sink

    # --- arriving packets ------------------------------------------------------------

    def add_rtp(self, packet: RTPPacket, label: str, at: datetime | None) -> None:
        self.add_rtp_fields(packet.sequence, packet.timestamp, packet.payload_type,
                            packet.payload, label, at)  # fmt: skip

    def add_rtp_fields(
        self, sequence: int, timestamp: int, payload_type: int, payload: bytes, label: str,
        at: datetime | None,
    ) -> None:  # fmt: skip
        """:meth:`add_rtp` from the packet's fields (the assembler's fast lane)."""
        self._seen(label, at)
        self._add(self._extend(sequence), timestamp, payload_type, payload)

    def add_rtp_run(
        self, label: str, earliest: datetime, sequences: list[int], timestamps: list[int],
        payload_types: list[int], payloads: bytes, size: int, *, in_order: bool,
    ) -> None:  # fmt: skip
        """:meth:`add_rtp_fields` for packets of one payload ``size`` (``payloads`` back to
        back), in arrival order. A run ``in_order`` (each packet's number and time follow
        the one before, one payload type) that continues what is placed, with nothing
        waiting, is placed in one append; any other run packet by packet."""
        self.labels[label] += len(sequences)
        if self.first_at is None or earliest < self.first_at:
            self.first_at = earliest
        count = len(sequences)
        if in_order and self._continues(sequences[0], timestamps[0], payload_types[0], size, count):
            assert self._last_ext is not None
            first = self._last_ext + 1
            last = first + count - 1
            self.sink.append(payloads)
            self.packets += count
            self._emitted = self._last_ext = last
            for ext in range(max(first, last - RECENT + 1), last + 1):
                self._recent[ext % RECENT] = ext
            return
        for i, sequence in enumerate(sequences):
            payload = payloads[i * size : (i + 1) * size]
            self._add(self._extend(sequence), timestamps[i], payload_types[i], payload)

    def add_rtp_runs(self, runs: list[tuple[list[int], str, RunPackets]]) -> None:
        """Several runs of this stream (packets of other sizes or layouts among them):
        ``(positions, label, packets)`` each, the positions saying the arrival order; the
        packets are added one by one in that order."""
        order: list[tuple[int, int, bytes]] = []
        packets: list[tuple[int, int, int]] = []
        for positions, label, run in runs:
            earliest, sequences, timestamps, payload_types, payloads, size = run
            self.labels[label] += len(sequences)
            if self.first_at is None or earliest < self.first_at:
                self.first_at = earliest
            for i, position in enumerate(positions):
                packets.append((sequences[i], timestamps[i], payload_types[i]))
                order.append((position, len(packets) - 1, payloads[i * size : (i + 1) * size]))
        for _, index, payload in sorted(order):
            sequence, timestamp, payload_type = packets[index]
            self._add(self._extend(sequence), timestamp, payload_type, payload)

    def _continues(
        self, sequence: int, timestamp: int, payload_type: int, size: int, count: int
    ) -> bool:
        """Whether ``count`` packets in order from one of these fields would each be placed
        at once, at the end of the octets: the one after the last seen, all placed, none
        waiting, the stream's codec, no hole before it."""
        last = self._last_ext
        if last is None or self._emitted != last or self._window or self._base is None:
            return False
        if size <= 0 or payload_type != self.codec or sequence != (last + 1) & 0xFFFF:
            return False
        offset = ((timestamp - self._base) & 0xFFFFFFFF) - self._shift
        return offset == self.sink.size and offset + (count - 1) * size < 1 << 31

    def add_frame(self, pdu_seq: int, data: bytes, label: str, at: datetime | None) -> None:
        """A PSTN CC frame (G.711 A-law octets, no RTP), ordered by the PDU's sequence."""
        self._seen(label, at)
        self._add(pdu_seq, _PSTN, PCMA, data)

    def _seen(self, label: str, at: datetime | None) -> None:
        self.labels[label] += 1
        if at is not None and (self.first_at is None or at < self.first_at):
            self.first_at = at

    def _extend(self, sequence: int) -> int:
        """The 16-bit RTP sequence number unwrapped near the last one seen."""
        if self._last_ext is None:
            ext = sequence + (1 << 16)  # room below for packets reordered before the first
        else:
            delta = (sequence - self._last_ext) & 0xFFFF
            ext = self._last_ext + (delta - 0x10000 if delta >= 0x8000 else delta)
        if self._last_ext is None or ext > self._last_ext:
            self._last_ext = ext
        return ext

    def _add(self, ext: int, ts: int, pt: int, payload: bytes) -> None:
        if ext in self._window or self._recent[ext % RECENT] == ext:
            self.duplicates += 1
            return
        emitted = self._emitted
        if emitted is not None and ext <= emitted:
            self._remember(ext)
            self._place(ext, ts, pt, payload, late=True)
            return
        if emitted is not None and ext == emitted + 1 and not self._window and ts != _PSTN:
            self._emit(ext, ts, pt, payload)  # the next in order, none waiting: at once
            return
        self._window[ext] = (ts, pt, payload)
        heapq.heappush(self._heap, ext)
        if len(self._window) > WINDOW:
            self._pop()
        if ts != _PSTN and self._emitted is not None:
            heap = self._heap
            while heap and heap[0] == self._emitted + 1:  # a hole filled: what waited on it
                self._pop()

    def drain(self) -> None:
        """Place every packet still in the window (the stream ends, or a listener asks)."""
        while self._window:
            self._pop()

    def _pop(self) -> None:
        ext = heapq.heappop(self._heap)
        ts, pt, payload = self._window.pop(ext)
        if self._base is None and ts == _PSTN:
            self._learn_frames(ext)
        self._emit(ext, ts, pt, payload)

    def _emit(self, ext: int, ts: int, pt: int, payload: bytes) -> None:
        self._emitted = ext
        self._remember(ext)
        self._place(ext, ts, pt, payload, late=False)

    def _remember(self, ext: int) -> None:
        """A ring by residue: a slot keeps the newest placed number of its residue, so any
        of the last ``RECENT`` placed numbers is found there (2 KiB, not a set's 32 KiB)."""
        self._recent[ext % RECENT] = ext

    def _learn_frames(self, first: int) -> None:
        """PSTN: the usual step and frame length, from the frames in the window.

        The PDU sequence number counts every CC PDU of the communication, so one
        direction's frames are usually two apart (the other direction's in between).
        """
        order = sorted([first, *self._window])
        steps = Counter(b - a for a, b in itertools.pairwise(order))
        self._step = steps.most_common(1)[0][0] if steps else 1
        lengths = Counter(len(v[2]) for v in self._window.values())
        self._frame = lengths.most_common(1)[0][0] if lengths else self._frame
        self._base = first

    # --- placing decoded octets ------------------------------------------------------

    def _place(self, ext: int, ts: int, pt: int, payload: bytes, *, late: bool) -> None:
        if pt not in SILENCE or (self.codec is not None and pt != self.codec):
            self.undecoded[pt] += 1  # the bytes stay in the journal and the archive
            self.packets += not late
            return
        self.codec = pt if self.codec is None else self.codec
        if ts == _PSTN:
            assert self._base is not None
            offset = (ext - self._base) // self._step * self._frame - self._shift
        else:
            if self._base is None:
                self._base = ts
            offset = ((ts - self._base) & 0xFFFFFFFF) - self._shift
        if late or offset < 0 or offset >= 1 << 31:
            if offset < 0 or offset >= 1 << 31 or not self._fill(offset, payload):
                self.late += 1
            else:
                self.packets += 1
            return
        self.packets += 1
        sink = self.sink
        end = sink.size
        if offset > end:
            hole = offset - end
            if hole > MAX_GAP_SAMPLES:
                self.gaps.append(Gap(end, hole, filled=False))
                self._shift += hole
                offset = end
            else:
                self.gaps.append(Gap(end, hole))
                sink.append(bytes((SILENCE[pt],)) * hole)
                end = offset
        if offset + len(payload) > end:
            sink.append(payload[end - offset :])
        else:  # within what is there: fills recorded silence, else the first one stays
            self._fill(offset, payload)

    def _fill(self, offset: int, payload: bytes) -> bool:
        """Write what falls into recorded silence; True when something did."""
        stop = offset + len(payload)
        i = bisect.bisect_right([g.at_sample for g in self.gaps], offset) - 1
        i = max(i, 0)
        wrote = False
        while i < len(self.gaps) and self.gaps[i].at_sample < stop:
            gap = self.gaps[i]
            lo, hi = max(offset, gap.at_sample), min(stop, gap.at_sample + gap.samples)
            if not gap.filled or lo >= hi:
                i += 1
                continue
            self.sink.write(lo, payload[lo - offset : hi - offset])
            wrote = True
            rest = [Gap(gap.at_sample, lo - gap.at_sample),
                    Gap(hi, gap.at_sample + gap.samples - hi)]  # fmt: skip
            rest = [g for g in rest if g.samples > 0]
            self.gaps[i : i + 1] = rest
            i += len(rest)
        return wrote

    def discard(self) -> None:
        if self._sink is not None:
            self._sink.discard()


@dataclass(frozen=True)
class Audio:
    """A stream (or streams) of one direction turned into samples."""

    codec: int | None
    samples: bytes
    packets: int
    duplicates: int
    gaps: tuple[Gap, ...]
    undecoded: Counter[int]
    first_at: datetime | None
    late: int = 0

    def summary(self) -> dict[str, object]:
        return {
            "codec": CODEC_NAMES.get(self.codec, "none") if self.codec is not None else "none",
            "samples": len(self.samples),
            "packets": self.packets,
            "duplicates": self.duplicates,
            "late": self.late,
            "gaps": [[g.at_sample, g.samples] for g in self.gaps],
            "undecoded_payload_types": {str(k): v for k, v in sorted(self.undecoded.items())},
            "first_at": self.first_at.isoformat() if self.first_at else None,
        }


def join(streams: list[Stream]) -> Audio:
    """The samples of the streams of one direction, one after another in order of start."""
    ordered = sorted(streams, key=lambda s: (s.first_at is None, s.first_at or datetime.min))
    for stream in ordered:
        stream.drain()
    codec = next((s.codec for s in ordered if s.codec is not None), None)
    gaps: list[Gap] = []
    out = bytearray()
    undecoded: Counter[int] = Counter()
    for stream in ordered:
        if stream.codec is None or stream.codec == codec:
            gaps += [Gap(g.at_sample + len(out), g.samples, g.filled) for g in stream.gaps]
            out += stream.sink.read() if stream.codec is not None else b""
        else:
            undecoded[stream.codec] += stream.packets
        undecoded += stream.undecoded
    return Audio(
        codec=codec,
        samples=bytes(out),
        packets=sum(s.packets for s in ordered),
        duplicates=sum(s.duplicates for s in ordered),
        gaps=tuple(gaps),
        undecoded=undecoded,
        first_at=ordered[0].first_at if ordered else None,
        late=sum(s.late for s in ordered),
    )
