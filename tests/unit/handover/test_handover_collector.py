"""The receiving process's garbage collector: tuned for short-lived records, never off."""

from __future__ import annotations

import gc
import weakref

from custodio.handover.runtime import YOUNG_COLLECTION, quiet_collector


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def test_quiet_collector_freezes_start_up_and_still_collects_cycles() -> None:
    before = gc.get_threshold()
    try:
        quiet_collector()
        assert gc.isenabled() and gc.get_threshold()[0] == YOUNG_COLLECTION
        assert gc.get_freeze_count() > 0  # what start-up made is never scanned again
        a, b = _Node(), _Node()
        a.other, b.other = b, a  # a cycle, as a leak would make
        gone = weakref.ref(a)
        del a, b
        kept = [_Node() for _ in range(YOUNG_COLLECTION + 1000)]  # net allocations past it
        assert gone() is None and kept
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
