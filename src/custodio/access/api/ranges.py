"""HTTP range requests (RFC 9110 §14) over content held in memory.

One range per request (``bytes=FIRST-LAST``, ``bytes=FIRST-``, ``bytes=-SUFFIX``); a
request for several ranges, or one in another unit, is answered with the whole content
(200), as the RFC allows. A range that lies wholly past the end is unsatisfiable (416).
"""

from __future__ import annotations

import re

from fastapi import Response

from custodio.access.api import errors

_ONE = re.compile(r"bytes=(\d{0,19})-(\d{0,19})")


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


def respond(data: bytes, header: str | None, media_type: str,
            headers: dict[str, str] | None = None) -> Response:  # fmt: skip
    """The whole ``data`` (200), the part the Range header asks (206), or 416."""
    base = {"Accept-Ranges": "bytes", "Cache-Control": "no-store", **(headers or {})}
    try:
        asked = span(header, len(data))
    except Unsatisfiable:
        refused = errors.respond(416, "range_not_satisfiable",
                                 f"the range {header!r} lies past the end ({len(data)} bytes)",
                                 "ask for bytes inside Content-Range's length")  # fmt: skip
        refused.headers.update({**base, "Content-Range": f"bytes */{len(data)}"})
        return refused
    if asked is None:
        return Response(data, media_type=media_type, headers=base)
    first, last = asked
    base["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
    return Response(data[first : last + 1], status_code=206, media_type=media_type, headers=base)
