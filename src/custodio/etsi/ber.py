"""A small, bounded BER walker over bytes-like buffers (ITU-T X.690).

It reads identifier and length octets and hands back *positions*, never copies: the
caller slices a ``memoryview`` where it wants the content. Everything it accepts and
refuses is listed in ``docs/handover.md``:

- definite lengths in the short and the long form, non-minimal long forms included
  (``82 00 9d``), up to :data:`MAX_LENGTH_OCTETS` length octets;
- the indefinite length (``80`` ... ``00 00``) on constructed encodings;
- high tag numbers (``1f`` followed by base-128 octets) up to :data:`MAX_TAG_NUMBER`.

Limits are checked before anything is allocated or recursed into: a length is compared
with the end of its container (and a PDU's with ``Limits.max_pdu_size``) as soon as it is
read, and every descent counts against ``Limits.max_depth``.

An identifier is represented as one int, ``number << 3 | class << 1 | constructed``,
so that the common tags compare as small constants (see :func:`ident`).
"""

from __future__ import annotations

from dataclasses import dataclass

from custodio.errors import DecodeError

UNIVERSAL = 0
APPLICATION = 1
CONTEXT = 2
PRIVATE = 3

MAX_LENGTH_OCTETS = 8
MAX_TAG_NUMBER = (1 << 28) - 1
INDEFINITE = -1


class BerError(DecodeError):
    """The bytes are not well-formed BER (or break a limit)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} at offset {offset}")
        self.offset = offset


class Truncated(BerError):
    """An element runs past the end of the bytes available."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what the decoder accepts from a peer."""

    max_pdu_size: int = 1 << 20
    max_depth: int = 32

    def __post_init__(self) -> None:
        if self.max_pdu_size < 2 or self.max_depth < 1:
            raise ValueError("Limits need max_pdu_size >= 2 and max_depth >= 1")


DEFAULT_LIMITS = Limits()


def ident(cls: int, number: int, constructed: bool) -> int:
    """The int the walker uses for an identifier (class, tag number, constructed bit)."""
    return (number << 3) | (cls << 1) | int(constructed)


def ctx(number: int, constructed: bool = False) -> int:
    """A context-specific identifier: ``[number]``."""
    return (number << 3) | (CONTEXT << 1) | int(constructed)


def describe(identifier: int) -> str:
    """A readable identifier, e.g. ``[3] constructed`` or ``UNIVERSAL 16``."""
    cls = (identifier >> 1) & 3
    number = identifier >> 3
    form = " constructed" if identifier & 1 else ""
    if cls == CONTEXT:
        return f"[{number}]{form}"
    names = ("UNIVERSAL", "APPLICATION", "CONTEXT", "PRIVATE")
    return f"{names[cls]} {number}{form}"


def read_header(buf: bytes | bytearray | memoryview, pos: int, end: int) -> tuple[int, int, int]:
    """Read the identifier and length at ``pos``.

    Returns ``(identifier, content_start, length)``, ``length`` being :data:`INDEFINITE`
    for the indefinite form. Raises :class:`Truncated` if the header or the definite
    content would run past ``end``, :class:`BerError` if the octets are not valid BER.
    """
    identifier, p, length = read_header_only(buf, pos, end)
    if length > end - p:
        raise Truncated(
            f"{describe(identifier)}: length {length} runs past the end ({end - p} octets left)",
            pos,
        )
    return identifier, p, length


def read_header_only(
    buf: bytes | bytearray | memoryview, pos: int, end: int
) -> tuple[int, int, int]:
    """Like :func:`read_header` without checking that the content fits before ``end``."""
    if pos >= end:
        raise Truncated("expected an identifier octet, found the end", pos)
    first = buf[pos]
    number = first & 0x1F
    p = pos + 1
    if number == 0x1F:
        number, p = _high_tag_number(buf, p, end)
    identifier = (number << 3) | (first >> 5)
    if p >= end:
        raise Truncated(f"{describe(identifier)}: missing length octets", p)
    length = buf[p]
    p += 1
    if length & 0x80:
        length, p = _long_length(buf, p, end, length & 0x7F, identifier)
    return identifier, p, length


def _high_tag_number(buf: bytes | bytearray | memoryview, p: int, end: int) -> tuple[int, int]:
    start = p
    number = 0
    while True:
        if p >= end:
            raise Truncated("high tag number runs past the end", p)
        octet = buf[p]
        p += 1
        if p == start + 1 and octet == 0x80:
            raise BerError("high tag number has a leading 0x80 octet", start)
        number = (number << 7) | (octet & 0x7F)
        if number > MAX_TAG_NUMBER:
            raise BerError(f"tag number above {MAX_TAG_NUMBER}", start)
        if not octet & 0x80:
            break
    if number < 0x1F:
        raise BerError(f"tag number {number} written in the high-tag form", start)
    return number, p


def _long_length(
    buf: bytes | bytearray | memoryview, p: int, end: int, count: int, identifier: int
) -> tuple[int, int]:
    if count == 0:
        if not identifier & 1:
            raise BerError(f"{describe(identifier)}: indefinite length on a primitive", p - 1)
        return INDEFINITE, p
    if count == 0x7F:
        raise BerError(f"{describe(identifier)}: reserved length octet 0xff", p - 1)
    if count > MAX_LENGTH_OCTETS:
        raise BerError(f"{describe(identifier)}: {count} length octets (max 8)", p - 1)
    if p + count > end:
        raise Truncated(f"{describe(identifier)}: length octets run past the end", p)
    return int.from_bytes(buf[p : p + count], "big"), p + count


def element_end(
    buf: bytes | bytearray | memoryview, pos: int, end: int, depth: int, limits: Limits
) -> tuple[int, int, int, int]:
    """Read one whole element at ``pos``.

    Returns ``(identifier, content_start, content_end, next_pos)``. For the indefinite
    form ``content_end`` is where the end-of-contents octets start and the content is
    walked (and so validated) to find it.
    """
    identifier, start, length = read_header(buf, pos, end)
    if length != INDEFINITE:
        return identifier, start, start + length, start + length
    stop = indefinite_content_end(buf, start, end, depth + 1, limits)
    return identifier, start, stop, stop + 2


def indefinite_content_end(
    buf: bytes | bytearray | memoryview, pos: int, end: int, depth: int, limits: Limits
) -> int:
    if depth > limits.max_depth:
        raise BerError(f"nesting deeper than {limits.max_depth}", pos)
    while True:
        if pos + 1 < end and buf[pos] == 0 and buf[pos + 1] == 0:
            return pos
        pos = _walk_one(buf, pos, end, depth, limits)


def _walk_one(
    buf: bytes | bytearray | memoryview, pos: int, end: int, depth: int, limits: Limits
) -> int:
    identifier, start, length = read_header(buf, pos, end)
    if identifier == 0:
        raise BerError("end-of-contents octets where an element was expected", pos)
    if length == INDEFINITE:
        return indefinite_content_end(buf, start, end, depth + 1, limits) + 2
    stop = start + length
    if identifier & 1 and length:
        validate(buf, start, stop, depth + 1, limits)
    return stop


def validate(
    buf: bytes | bytearray | memoryview, pos: int, end: int, depth: int, limits: Limits
) -> None:
    """Check that ``buf[pos:end]`` is a sequence of well-formed elements, recursively."""
    if depth > limits.max_depth:
        raise BerError(f"nesting deeper than {limits.max_depth}", pos)
    while pos < end:
        pos = _walk_one(buf, pos, end, depth, limits)


def read_uint(
    buf: bytes | bytearray | memoryview, start: int, stop: int, field: str, maximum: int
) -> int:
    """A non-negative INTEGER (or ENUMERATED) content no greater than ``maximum``."""
    if start == stop:
        raise BerError(f"{field}: empty INTEGER", start)
    if buf[start] & 0x80:
        raise BerError(f"{field}: negative INTEGER", start)
    if stop - start > 9:
        raise BerError(f"{field}: INTEGER of {stop - start} octets", start)
    value = int.from_bytes(buf[start:stop], "big")
    if value > maximum:
        raise BerError(f"{field}: {value} is above {maximum}", start)
    return value


def read_oid(
    buf: bytes | bytearray | memoryview, start: int, stop: int, field: str
) -> tuple[int, ...]:
    """The arcs of an OBJECT IDENTIFIER (the first octet split into two arcs)."""
    arcs = read_relative_oid(buf, start, stop, field)
    first = arcs[0]
    top = 0 if first < 40 else 1 if first < 80 else 2
    return (top, first - 40 * top, *arcs[1:])


def read_relative_oid(
    buf: bytes | bytearray | memoryview, start: int, stop: int, field: str
) -> tuple[int, ...]:
    """The arcs of a RELATIVE-OID content."""
    if start == stop:
        raise BerError(f"{field}: empty object identifier", start)
    arcs: list[int] = []
    value = 0
    fresh = True
    for p in range(start, stop):
        octet = buf[p]
        if fresh and octet == 0x80:
            raise BerError(f"{field}: arc with a leading 0x80 octet", p)
        value = (value << 7) | (octet & 0x7F)
        if value > MAX_TAG_NUMBER << 8:
            raise BerError(f"{field}: arc too large", p)
        fresh = not octet & 0x80
        if fresh:
            arcs.append(value)
            value = 0
    if not fresh:
        raise BerError(f"{field}: last arc is unterminated", stop - 1)
    return tuple(arcs)


def expect_null(start: int, stop: int, field: str) -> None:
    """A NULL has no content octets."""
    if stop != start:
        raise BerError(f"{field}: NULL with {stop - start} content octets", start)


def expect_primitive(identifier: int, start: int, field: str) -> None:
    """Strings are taken only in the primitive form (no copies of segments)."""
    if identifier & 1:
        raise BerError(f"{field}: constructed string encoding is not accepted", start)
