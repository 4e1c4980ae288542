"""HTTP range requests (RFC 9110 §14) over content held in memory or read by ranges.

One range per request (``bytes=FIRST-LAST``, ``bytes=FIRST-``, ``bytes=-SUFFIX``); a
request for several ranges, or one in another unit, is answered with the whole content
(200), as the RFC allows. A range that lies wholly past the end is unsatisfiable (416).

Content read by ranges (a vault object's view) gives its size without reading it: a range
reads only its own chunks, the whole is streamed in blocks of about :data:`BLOCK`, never
held.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Protocol

from fastapi import Response
from fastapi.responses import StreamingResponse

from custodio.access.api import errors

_ONE = re.compile(r"bytes=(\d{0,19})-(\d{0,19})")
BLOCK = 1024 * 1024  # bytes read per step of a whole body streamed


class Readable(Protocol):
    """Content read by ranges: its size, and ``read`` of [start, start + length); reads
    aligned on ``chunk_size`` read no stored chunk twice."""

    @property
    def size(self) -> int: ...

    @property
    def chunk_size(self) -> int: ...

    def read(self, start: int, length: int, /) -> bytes: ...


class Unsatisfiable(Exception):
    """No byte of the range exists."""


def span(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) the header asks of ``size`` bytes; None: the whole."""
    if header is None:
        return None
    found = _ONE.fullmatch(header.strip())
    if found is None or found.group(1) == found.group(2) == "":
        return None  # not one byte range: ignored (RFC 9110 §14.2)
    first_text, last_text = found.groups()
    if first_text == "":  # a suffix: the last N bytes
        n = int(last_text)
        if n == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - n), size - 1
    first = int(first_text)
    last = int(last_text) if last_text else size - 1
    if last_text and last < first:
        return None  # invalid: ignored
    if first >= size:
        raise Unsatisfiable
    return first, min(last, size - 1)


def respond(content: bytes | Readable, header: str | None, media_type: str,
            headers: dict[str, str] | None = None) -> Response:  # fmt: skip
    """The whole content (200), the part the Range header asks (206), or 416."""
    size = len(content) if isinstance(content, bytes) else content.size
    base = {"Accept-Ranges": "bytes", "Cache-Control": "no-store", **(headers or {})}
    try:
        asked = span(header, size)
    except Unsatisfiable:
        refused = errors.respond(416, "range_not_satisfiable",
                                 f"the range {header!r} lies past the end ({size} bytes)",
                                 "ask for bytes inside Content-Range's length")  # fmt: skip
        refused.headers.update({**base, "Content-Range": f"bytes */{size}"})
        return refused
    if asked is None:
        if isinstance(content, bytes):
            return Response(content, media_type=media_type, headers=base)
        base["Content-Length"] = str(size)
        return StreamingResponse(_blocks(content), media_type=media_type, headers=base)
    first, last = asked
    base["Content-Range"] = f"bytes {first}-{last}/{size}"
    if isinstance(content, bytes):
        part = content[first : last + 1]
    else:
        part = content.read(first, last + 1 - first)
    return Response(part, status_code=206, media_type=media_type, headers=base)


def _blocks(content: Readable) -> Iterator[bytes]:
    """The whole content in blocks of about :data:`BLOCK` (whole chunks); the first is
    read before the response starts, so that a failure there (a tampered object) is
    still answered as an error."""
    step = max(1, BLOCK // content.chunk_size) * content.chunk_size
    first = content.read(0, step)
    return _following(content, first, step)


def _following(content: Readable, first: bytes, step: int) -> Iterator[bytes]:
    yield first
    for at in range(step, content.size, step):
        yield content.read(at, step)
