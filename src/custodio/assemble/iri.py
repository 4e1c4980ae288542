"""TS 101 671 ``IRI-Parameters``: the fields assembly needs (parties, direction, cell, SMS).

The handover decoder has already checked that the record is well-formed BER within its
limits; this module walks the fields it needs and ignores the others. Numbers are kept as
delivered (ISUP digits with their nature of address, or the octets' text) and normalised
elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from custodio.handover.ber import CONTEXT, DEFAULT_LIMITS, element_end

Buf = bytes | memoryview
SEQUENCE = (16 << 3) | 1
ROLES = {0: "originating", 1: "terminating", 2: "forwarded"}
DIRECTIONS = {1: "originating", 2: "terminating"}


@dataclass(frozen=True, slots=True)
class IRIParty:
    role: str
    delivered: str  # "+34600111222" for an international number, else the digits or text
    source: str  # calling-isup, called-isup, msisdn, imsi, sip-uri, tel-url


@dataclass(slots=True)
class IRIFacts:
    direction: str | None = None
    parties: list[IRIParty] = field(default_factory=list)
    cell: str | None = None
    sms: bytes | None = None


def children(buf: Buf, start: int, stop: int) -> Iterator[tuple[int, int, int]]:
    """``(identifier, content start, content stop)`` of each element in ``[start, stop)``."""
    pos = start
    while pos < stop:
        identifier, cstart, cstop, pos = element_end(buf, pos, stop, 0, DEFAULT_LIMITS)
        yield identifier, cstart, cstop


def _number(identifier: int) -> int:
    return identifier >> 3 if (identifier >> 1) & 3 == CONTEXT else -1


def parse_etsi671(contents: Buf) -> IRIFacts:
    """The facts of an ``eTSI671IRI`` alternative's content (parameters or a record)."""
    facts = IRIFacts()
    for identifier, start, stop in children(contents, 0, len(contents)):
        if _number(identifier) == 0:
            _parameters(contents, start, stop, facts)
        elif _number(identifier) == 1:
            _record(contents, start, stop, facts)
    return facts


def _record(buf: Buf, start: int, stop: int, facts: IRIFacts) -> None:
    for identifier, cstart, cstop in children(buf, start, stop):
        if identifier == SEQUENCE:  # IRISequence
            _record(buf, cstart, cstop, facts)
        elif 1 <= _number(identifier) <= 4:
            _parameters(buf, cstart, cstop, facts)


def _parameters(buf: Buf, start: int, stop: int, facts: IRIFacts) -> None:
    for identifier, cstart, cstop in children(buf, start, stop):
        number = _number(identifier)
        if number == 4 and cstop > cstart:
            facts.direction = DIRECTIONS.get(buf[cstop - 1])
        elif number == 8:
            facts.cell = _cell(buf, cstart, cstop) or facts.cell
        elif number == 9:
            facts.parties += _parties(buf, cstart, cstop)
        elif number == 14:
            facts.sms = _sms(buf, cstart, cstop)


def _cell(buf: Buf, start: int, stop: int) -> str | None:
    for identifier, cstart, cstop in children(buf, start, stop):
        if _number(identifier) == 2:  # globalCellID
            return bytes(buf[cstart:cstop]).hex()
    return None


def _parties(buf: Buf, start: int, stop: int) -> list[IRIParty]:
    found = []
    for identifier, cstart, cstop in children(buf, start, stop):
        if identifier == SEQUENCE:
            found += _party(buf, cstart, cstop)
    return found


def _party(buf: Buf, start: int, stop: int) -> list[IRIParty]:
    role = "other"
    identities: list[tuple[str, str]] = []
    for identifier, cstart, cstop in children(buf, start, stop):
        number = _number(identifier)
        if number == 0 and cstop > cstart:
            role = ROLES.get(buf[cstop - 1], "other")
        elif number == 1:
            identities += _identities(buf, cstart, cstop)
    return [IRIParty(role, value, source) for source, value in identities]


_TEXT_IDENTITIES = {3: "imsi", 6: "msisdn", 8: "sip-uri", 9: "tel-url"}


def _identities(buf: Buf, start: int, stop: int) -> list[tuple[str, str]]:
    out = []
    for identifier, cstart, cstop in children(buf, start, stop):
        number = _number(identifier)
        if number in (4, 5):  # calling / called party number: [1] isup-format
            for inner, istart, istop in children(buf, cstart, cstop):
                if _number(inner) == 1:
                    source = "calling-isup" if number == 4 else "called-isup"
                    out.append((source, isup_number(bytes(buf[istart:istop]))))
        elif number in _TEXT_IDENTITIES:
            out.append((_TEXT_IDENTITIES[number], _text(bytes(buf[cstart:cstop]))))
    return out


def isup_number(raw: bytes) -> str:
    """An ISUP calling/called party number field: ``+`` and digits when international."""
    if len(raw) < 2:
        return raw.hex()
    odd = bool(raw[0] & 0x80)
    nature = raw[0] & 0x7F
    digits = "".join(f"{b & 0x0F:x}{b >> 4:x}" for b in raw[2:])
    if odd:
        digits = digits[:-1]
    digits = digits.rstrip("f")
    return ("+" if nature == 0x04 else "") + digits


def _text(raw: bytes) -> str:
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return raw.hex()
    return text if text.isprintable() else raw.hex()


def _sms(buf: Buf, start: int, stop: int) -> bytes | None:
    for identifier, cstart, cstop in children(buf, start, stop):
        if _number(identifier) == 3:  # sMS-Contents
            for inner, istart, istop in children(buf, cstart, cstop):
                if _number(inner) == 4:
                    return bytes(buf[istart:istop])
    return None
