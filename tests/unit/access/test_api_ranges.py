"""HTTP Range headers as the API reads them (RFC 9110 §14): one byte range, or the whole."""

from __future__ import annotations

import pytest

from custodio.access.api.ranges import Unsatisfiable, span


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-0", (0, 0)),
        ("bytes=0-99", (0, 99)),
        ("bytes=10-", (10, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=-5000", (0, 999)),  # a suffix longer than the whole: the whole
        ("bytes=990-5000", (990, 999)),  # a last byte past the end: up to the end
        (" bytes=1-2 ", (1, 2)),
        ("bytes=5-4", None),  # invalid: ignored
        ("bytes=-", None),
        ("bytes=0-1,5-6", None),  # several: answered whole
        ("items=0-1", None),
        ("bytes=a-b", None),
        ("bytes=" + "9" * 20 + "-", None),  # longer than any length: not a range we read
    ],
)
def test_one_range_or_the_whole(header: str | None, expected: tuple[int, int] | None) -> None:
    assert span(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=1000-2000", "bytes=-0", "bytes=5000-"])
def test_a_range_past_the_end_is_unsatisfiable(header: str) -> None:
    with pytest.raises(Unsatisfiable):
        span(header, 1000)


def test_nothing_to_range_over() -> None:
    with pytest.raises(Unsatisfiable):
        span("bytes=-10", 0)
    with pytest.raises(Unsatisfiable):
        span("bytes=0-", 0)
