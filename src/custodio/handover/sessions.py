"""Sequence accounting per (LIID, network identifier, CIN, channel).

Each PS-PDU carries a ``sequenceNumber`` that the operator counts per communication and
handover port. :class:`SequenceTracker` remembers, per stream, the highest number seen and
the ranges still missing, so that every PDU falls into exactly one of:

- **in order** — the next number;
- **gap** — numbers skipped: the range is recorded as missing;
- **reordered** — a late PDU that fills (part of) a missing range;
- **duplicate** — a number already seen (or older than what is still tracked).

A ``cINReset`` TRI PDU restarts a stream's numbering (counted as a reset). Memory is bounded:
at most ``max_ranges`` missing ranges per stream (the oldest are given up and counted as
``abandoned``) and at most ``max_streams`` streams (the least recently used is retired into
the totals).
"""

from __future__ import annotations

import sys
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import asdict, dataclass, field, fields

from custodio.etsi import names

StreamKey = tuple[bytes, bytes, bytes, int | None, int]  # liid, operator, element, cin, channel

DEFAULT_MAX_RANGES = 64
DEFAULT_MAX_STREAMS = 100_000


class Outcome:
    """What one sequence number was, relative to its stream."""

    FIRST = "first"
    IN_ORDER = "in_order"
    GAP = "gap"
    REORDERED = "reordered"
    DUPLICATE = "duplicate"


@dataclass(slots=True)
class Counters:
    """What a stream (or all of them) has seen."""

    pdus: int = 0
    in_order: int = 0
    gaps: int = 0
    missing: int = 0  # numbers inside recorded gaps (not yet filled)
    reordered: int = 0
    duplicates: int = 0
    resets: int = 0
    abandoned: int = 0  # missing numbers given up because too many ranges were open

    def add(self, other: Counters) -> None:
        for name in _COUNTER_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


_COUNTER_FIELDS = tuple(f.name for f in fields(Counters))


@dataclass(slots=True)
class Stream:
    """The state of one stream: highest number seen, ranges still missing."""

    highest: int = -1
    missing: list[tuple[int, int]] = field(default_factory=list)  # inclusive, ascending
    counters: Counters = field(default_factory=Counters)
    live: bool = True  # False once retired from the tracker (a holder must look it up again)

    def gap_ranges(self) -> list[tuple[int, int]]:
        return list(self.missing)


class SequenceTracker:
    """Accounting for every stream of one receiver."""

    def __init__(
        self, *, max_ranges: int = DEFAULT_MAX_RANGES, max_streams: int = DEFAULT_MAX_STREAMS
    ) -> None:
        self.max_ranges = max_ranges
        self.max_streams = max_streams
        self._streams: OrderedDict[StreamKey, Stream] = OrderedDict()
        self.retired = Counters()

    def __len__(self) -> int:
        return len(self._streams)

    def stream(self, key: StreamKey) -> Stream | None:
        return self._streams.get(key)

    def see(self, key: StreamKey, number: int) -> str:
        """Account for ``number`` on ``key``; returns the :class:`Outcome`."""
        return self.see_in(self._get(key), number)

    def see_in(self, stream: Stream, number: int) -> str:
        """Account for ``number`` on a stream got from :meth:`held` (still ``live``)."""
        c = stream.counters
        c.pdus += 1
        if stream.highest < 0:
            stream.highest = number
            c.in_order += 1
            return Outcome.FIRST
        if number == stream.highest + 1:
            stream.highest = number
            c.in_order += 1
            return Outcome.IN_ORDER
        if number > stream.highest:
            self._open_gap(stream, stream.highest + 1, number - 1)
            stream.highest = number
            return Outcome.GAP
        if _fill(stream, number):
            c.reordered += 1
            c.missing -= 1
            return Outcome.REORDERED
        c.duplicates += 1
        return Outcome.DUPLICATE

    def reset(self, key: StreamKey) -> None:
        """A cINReset: the stream's numbering starts again (its gaps are closed)."""
        stream = self._get(key)
        stream.counters.resets += 1
        stream.counters.abandoned += stream.counters.missing
        stream.counters.missing = 0
        stream.missing.clear()
        stream.highest = -1

    def totals(self) -> Counters:
        total = Counters()
        total.add(self.retired)
        for stream in self._streams.values():
            total.add(stream.counters)
        return total

    def snapshot(self) -> list[dict[str, object]]:
        """Every live stream, for the assembly stage and the operator report."""
        out: list[dict[str, object]] = []
        for (liid, operator, element, cin, channel), s in self._streams.items():
            out.append(
                {
                    "liid": names.text(liid),
                    "operator": names.text(operator),
                    "network_element": names.text(element),
                    "cin": cin,
                    "channel": channel,
                    "highest": s.highest,
                    "gap_ranges": [list(r) for r in s.missing],
                    **asdict(s.counters),
                }
            )
        return out

    def held(self, key: StreamKey) -> Stream:
        """The stream of ``key`` (created if new), for a caller to keep and pass to
        :meth:`see_in` while it is ``live``, calling :meth:`touch` now and then."""
        return self._get(key)

    def touch(self, key: StreamKey) -> None:
        """Mark the stream of ``key`` as recently used (it is retired last)."""
        if key in self._streams:
            self._streams.move_to_end(key)

    def _get(self, key: StreamKey) -> Stream:
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = Stream()
            if len(self._streams) > self.max_streams:
                _, old = self._streams.popitem(last=False)
                old.live = False
                self.retired.add(old.counters)
        else:
            self._streams.move_to_end(key)
        return stream

    def _open_gap(self, stream: Stream, low: int, high: int) -> None:
        c = stream.counters
        c.gaps += 1
        c.missing += high - low + 1
        stream.missing.append((low, high))
        while len(stream.missing) > self.max_ranges:
            old_low, old_high = stream.missing.pop(0)
            lost = old_high - old_low + 1
            c.missing -= lost
            c.abandoned += lost


def _fill(stream: Stream, number: int) -> bool:
    """Remove ``number`` from the missing ranges; False if it was not missing.

    The ranges are ascending and disjoint: the one that may hold ``number`` is found by
    bisection (a late or duplicate PDU costs O(log ranges), not a scan of them all)."""
    missing = stream.missing
    i = bisect_right(missing, (number, sys.maxsize)) - 1
    if i < 0:
        return False
    low, high = missing[i]
    if number > high:
        return False
    missing[i : i + 1] = [
        (lo, hi) for lo, hi in ((low, number - 1), (number + 1, high)) if lo <= hi
    ]
    return True
