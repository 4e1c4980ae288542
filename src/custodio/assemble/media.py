"""A call's media: packets collected per stream, then ordered, de-duplicated and joined.

While a call is open each CC item lands in a :class:`Stream` keyed by what identifies it
on the wire (the RTP source and destination address and SSRC, or for PSTN CC the
operator's direction and link). At close every stream becomes samples: RTP packets in
order of their (unwrapped) sequence number, placed by their RTP timestamp, duplicates
dropped, holes filled with codec silence and recorded as gaps; PSTN CC frames in order of
the PDU sequence number. Which stream is the target's is decided by the caller
(:mod:`custodio.assemble.attribution` of directions in :mod:`custodio.assemble.correlate`).
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from custodio.assemble.rtp import Endpoint, RTPPacket
from custodio.assemble.wav import CODEC_NAMES, PCMA, SILENCE

StreamKey = tuple[object, ...]
MAX_GAP_SAMPLES = 8000 * 60  # a hole longer than a minute is recorded, not filled


@dataclass(frozen=True, slots=True)
class Gap:
    at_sample: int
    samples: int


@dataclass
class Stream:
    """The packets of one media stream as they arrived."""

    key: StreamKey
    source: Endpoint | None = None
    destination: Endpoint | None = None
    first_at: datetime | None = None
    labels: Counter[str] = field(default_factory=Counter)  # operator's payloadDirection
    packets: dict[int, tuple[int, int, bytes]] = field(default_factory=dict)  # seq -> ts, pt, data
    duplicates: int = 0
    _last_ext: int | None = None

    def add_rtp(self, packet: RTPPacket, label: str, at: datetime | None) -> None:
        self._seen(label, at)
        ext = self._extend(packet.sequence)
        if ext in self.packets:
            self.duplicates += 1
            return
        self.packets[ext] = (packet.timestamp, packet.payload_type, packet.payload)

    def add_frame(self, pdu_seq: int, data: bytes, label: str, at: datetime | None) -> None:
        """A PSTN CC frame (G.711 A-law octets, no RTP), ordered by the PDU's sequence."""
        self._seen(label, at)
        if pdu_seq in self.packets:
            self.duplicates += 1
            return
        self.packets[pdu_seq] = (-1, PCMA, data)

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

    def summary(self) -> dict[str, object]:
        return {
            "codec": CODEC_NAMES.get(self.codec, "none") if self.codec is not None else "none",
            "samples": len(self.samples),
            "packets": self.packets,
            "duplicates": self.duplicates,
            "gaps": [[g.at_sample, g.samples] for g in self.gaps],
            "undecoded_payload_types": {str(k): v for k, v in sorted(self.undecoded.items())},
            "first_at": self.first_at.isoformat() if self.first_at else None,
        }


def join(streams: list[Stream]) -> Audio:
    """The samples of the streams of one direction, one after another in order of start."""
    ordered = sorted(streams, key=lambda s: (s.first_at is None, s.first_at or datetime.min))
    parts = [_samples(s) for s in ordered]
    codec = next((p.codec for p in parts if p.codec is not None), None)
    gaps: list[Gap] = []
    out = bytearray()
    undecoded: Counter[int] = Counter()
    for part in parts:
        gaps += [Gap(g.at_sample + len(out), g.samples) for g in part.gaps]
        out += part.samples
        undecoded += part.undecoded
    return Audio(
        codec=codec,
        samples=bytes(out),
        packets=sum(p.packets for p in parts),
        duplicates=sum(p.duplicates for p in parts),
        gaps=tuple(gaps),
        undecoded=undecoded,
        first_at=ordered[0].first_at if ordered else None,
    )


def _samples(stream: Stream) -> Audio:
    order = sorted(stream.packets)
    codec = _codec(stream)
    undecoded: Counter[int] = Counter(pt for _, pt, _ in stream.packets.values() if pt != codec)
    if not order or codec is None:
        return Audio(codec, b"", len(order), stream.duplicates, (), undecoded, stream.first_at)
    if stream.packets[order[0]][0] < 0:
        out, gaps = _frames(stream, order)
    else:
        out, gaps = _rtp(stream, order, codec)
    return Audio(codec, bytes(out), len(order), stream.duplicates, tuple(gaps), undecoded,
                 stream.first_at)  # fmt: skip


def _codec(stream: Stream) -> int | None:
    kinds = Counter(pt for _, pt, _ in stream.packets.values() if pt in SILENCE)
    return kinds.most_common(1)[0][0] if kinds else None


def _rtp(stream: Stream, order: list[int], codec: int) -> tuple[bytearray, list[Gap]]:
    out = bytearray()
    gaps: list[Gap] = []
    base = stream.packets[order[0]][0]
    silence = SILENCE[codec]
    for ext in order:
        ts, pt, payload = stream.packets[ext]
        if pt != codec:
            continue
        offset = (ts - base) & 0xFFFFFFFF
        if offset > len(out):
            hole = offset - len(out)
            gaps.append(Gap(len(out), hole))
            if hole > MAX_GAP_SAMPLES:
                hole = 0
            out += bytes((silence,)) * hole
        if offset >= len(out) or offset + len(payload) > len(out):
            out += payload[max(0, len(out) - offset) :]
    return out, gaps


def _frames(stream: Stream, order: list[int]) -> tuple[bytearray, list[Gap]]:
    """PSTN frames by PDU sequence; a hole is a step longer than the usual one.

    The PDU sequence number counts every CC PDU of the communication, so one direction's
    frames are usually two apart (the other direction's in between): the usual step.
    """
    frame = Counter(len(stream.packets[s][2]) for s in order).most_common(1)[0][0]
    steps = Counter(b - a for a, b in itertools.pairwise(order))
    step = steps.most_common(1)[0][0] if steps else 1
    out = bytearray()
    gaps: list[Gap] = []
    for previous, seq in zip([order[0] - step, *order], order, strict=False):
        missing = (seq - previous) // step - 1
        if missing > 0:
            gaps.append(Gap(len(out), missing * frame))
            out += bytes((SILENCE[PCMA],)) * (missing * frame)
        out += stream.packets[seq][2]
    return out, gaps
