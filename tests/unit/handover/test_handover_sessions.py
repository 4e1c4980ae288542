"""Sequence accounting: in order, gaps (with ranges), reordering, duplicates, CIN resets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from custodio.handover.sessions import Outcome, SequenceTracker

KEY = (b"L", b"OP", b"", 7, 3)


def test_in_order_gap_reorder_duplicate() -> None:
    t = SequenceTracker()
    outcomes = [t.see(KEY, n) for n in (0, 1, 2, 5, 3, 3, 9, 4, 1)]
    assert outcomes == [
        Outcome.FIRST, Outcome.IN_ORDER, Outcome.IN_ORDER, Outcome.GAP, Outcome.REORDERED,
        Outcome.DUPLICATE, Outcome.GAP, Outcome.REORDERED, Outcome.DUPLICATE,
    ]  # fmt: skip
    stream = t.stream(KEY)
    assert stream is not None and stream.gap_ranges() == [(6, 8)]
    c = stream.counters
    assert (c.pdus, c.in_order, c.gaps, c.missing, c.reordered, c.duplicates) == (9, 3, 2, 3, 2, 2)


def test_streams_are_separate_per_liid_cin_and_channel() -> None:
    t = SequenceTracker()
    for key in (KEY, (b"L", b"OP", b"", 8, 3), (b"L", b"OP", b"", 7, 2), (b"M", b"OP", b"", 7, 3)):
        assert t.see(key, 0) == Outcome.FIRST
        assert t.see(key, 1) == Outcome.IN_ORDER
    assert len(t) == 4 and t.totals().in_order == 8


def test_cin_reset_starts_numbering_again() -> None:
    t = SequenceTracker()
    t.see(KEY, 0)
    t.see(KEY, 4)
    t.reset(KEY)
    assert t.see(KEY, 0) == Outcome.FIRST
    c = t.totals()
    assert c.resets == 1 and c.missing == 0 and c.abandoned == 3 and c.duplicates == 0


def test_memory_is_bounded() -> None:
    t = SequenceTracker(max_ranges=4, max_streams=10)
    for n in range(0, 40, 2):  # every other number missing: 19 gaps
        t.see(KEY, n)
    stream = t.stream(KEY)
    assert stream is not None and len(stream.gap_ranges()) == 4
    assert stream.counters.abandoned == 15 and stream.counters.missing == 4
    for cin in range(100):
        t.see((b"L", b"OP", b"", cin, 3), 0)
    assert len(t) == 10 and t.totals().pdus == 120


def test_snapshot_names_the_gaps() -> None:
    t = SequenceTracker()
    t.see(KEY, 0)
    t.see(KEY, 3)
    (row,) = t.snapshot()
    assert row["liid"] == "L" and row["gap_ranges"] == [[1, 2]] and row["missing"] == 2


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=60), max_size=200))
def test_every_number_is_accounted_as_a_plain_model_of_the_stream_says(numbers: list[int]) -> None:
    """In any order, with repeats: the tracker agrees with sets of seen and missing numbers
    (gaps far apart enough that no range is abandoned)."""
    tracker = SequenceTracker(max_ranges=1000)
    seen: set[int] = set()
    outcomes = []
    for n in numbers:
        outcomes.append(tracker.see(KEY, n))
        seen.add(n)
    stream = tracker.stream(KEY)
    if not numbers:
        assert stream is None
        return
    assert stream is not None
    first, top = numbers[0], max(numbers)
    expected = [m for m in range(first, top + 1) if m not in seen]
    assert [m for low, high in stream.gap_ranges() for m in range(low, high + 1)] == expected
    c = stream.counters
    assert c.missing == len(expected)
    assert c.duplicates == len(numbers) - len(seen) + sum(1 for m in seen if m < first)
    assert outcomes.count(Outcome.DUPLICATE) == c.duplicates
