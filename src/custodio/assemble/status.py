"""A communication's status: complete, partial (with its reasons) or orphan.

:class:`SeqTracker` follows the PS-PDU sequence numbers of one channel of one
communication without keeping them all: the contiguous prefix from 0 and the numbers seen
above it. :func:`decide` turns what was seen into the status and the reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Reason = dict[str, Any]


@dataclass
class SeqTracker:
    """Sequence numbers seen on one channel: gaps with ranges, duplicates, reordering."""

    contiguous: int = -1  # every number 0..contiguous was seen
    above: set[int] = field(default_factory=set)
    highest: int = -1
    duplicates: int = 0
    reordered: int = 0

    def see(self, seq: int) -> None:
        if seq <= self.contiguous or seq in self.above:
            self.duplicates += 1
            return
        if seq < self.highest:
            self.reordered += 1
        self.highest = max(self.highest, seq)
        if seq == self.contiguous + 1:
            self.contiguous = seq
            while self.contiguous + 1 in self.above:
                self.contiguous += 1
                self.above.discard(self.contiguous)
        else:
            self.above.add(seq)

    def see_all(self, numbers: list[int]) -> None:
        """:meth:`see` each of ``numbers`` in turn; at once when they continue the
        contiguous ones with nothing above them (the usual case)."""
        first = self.contiguous + 1
        if not self.above and numbers == list(range(first, first + len(numbers))):
            self.contiguous += len(numbers)
            self.highest = max(self.highest, self.contiguous)
            return
        for seq in numbers:
            self.see(seq)

    def gaps(self) -> list[list[int]]:
        """Missing ranges ``[first, last]`` below the highest number seen."""
        ranges: list[list[int]] = []
        expected = self.contiguous + 1
        for seq in sorted(self.above):
            if seq > expected:
                ranges.append([expected, seq - 1])
            expected = seq + 1
        return ranges


@dataclass
class Facts:
    """What assembly saw of one communication, for :func:`decide`."""

    kind: str
    iri: bool
    cc: bool
    closed_by: str | None
    answered: bool
    cin_reset: bool
    content_quarantined: bool
    sequences: dict[str, SeqTracker]
    audio_gaps: dict[str, int] = field(default_factory=dict)  # direction -> missing samples
    content_outside_validity: bool = False  # CC packets timed outside the warrant: held
    sms_missing: tuple[int, ...] = ()  # parts of a long SMS never received


INFORMATIVE = ("content-quarantined", "content-outside-validity")  # held by design, not lost


def decide(facts: Facts) -> tuple[str, list[Reason]]:
    """``(status, reasons)``; an open communication keeps status ``open``."""
    if facts.cc and not facts.iri:
        return ("open" if facts.closed_by is None else "orphan"), [{"reason": "cc-without-iri"}]
    reasons = _sequence_reasons(facts)
    if facts.closed_by == "timeout":
        reasons.append({"reason": "missing-iri-end"})
    if facts.cin_reset:
        reasons.append({"reason": "cin-reset"})
    if facts.content_quarantined:
        reasons.append({"reason": "content-quarantined"})
    elif facts.kind == "voice" and facts.answered and not facts.cc:
        reasons.append({"reason": "missing-cc"})
    if facts.content_outside_validity:
        reasons.append({"reason": "content-outside-validity"})
    if facts.sms_missing:
        reasons.append({"reason": "sms-parts-missing", "parts": list(facts.sms_missing)})
    for direction, samples in sorted(facts.audio_gaps.items()):
        if samples:
            reasons.append({"reason": "audio-gap", "direction": direction, "samples": samples})
    if facts.closed_by is None:
        return "open", reasons
    serious = [r for r in reasons if r["reason"] not in INFORMATIVE]
    return ("partial" if serious else "complete"), reasons


def _sequence_reasons(facts: Facts) -> list[Reason]:
    reasons: list[Reason] = []
    for channel, tracker in sorted(facts.sequences.items()):
        gaps = tracker.gaps()
        if gaps:
            reasons.append({"reason": "sequence-gap", "channel": channel, "ranges": gaps})
    return reasons
