"""TS 101 671 ``IRI-Parameters``: the fields assembly needs (parties, direction, cell,
call state and release, SMS).

The handover decoder has already checked that the record is well-formed BER within its
limits; this module walks the fields it needs and ignores the others. Identities are read
as their formats define them (:mod:`custodio.etsi`): ``imsi`` and ``imei`` as MAP TBCD
strings, ``msISDN`` and the ``mAP-Format`` numbers as MAP ``AddressString``, the
``iSUP-Format`` numbers and ``e164-Format`` as ISUP party numbers, the ``dSS1-Format``
numbers as DSS1 information elements, ``sip-uri``, ``tel-url`` and ``alphanumeric`` as
UTF-8 text. A party's ``delivered`` is ``+34600111222`` for an international E.164
number, else the digits (the IMSI's, the IMEI's) or the text; an identity whose octets do
not decode is kept as ``hex:`` and its octets, never guessed at; one with no digits
(presentation "address not available") names no one and is left out. Normalising numbers
to E.164 is the caller's business.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from custodio.etsi import isdn, tbcd
from custodio.etsi.ber import CONTEXT, DEFAULT_LIMITS, element_end
from custodio.etsi.errors import FieldError

Buf = bytes | memoryview
SEQUENCE = (16 << 3) | 1
ROLES = {0: "originating", 1: "terminating", 2: "forwarded"}
DIRECTIONS = {1: "originating", 2: "terminating"}
CALL_STATES = {1: "idle", 2: "setUpInProcess", 3: "connected"}
INITIATORS = {0: "target", 1: "server", 2: "undefined-party"}
UNDECODED = "hex:"  # the prefix of an identity kept as its octets in hex


@dataclass(frozen=True, slots=True)
class IRIParty:
    role: str
    delivered: str  # "+34600111222" international, else digits or text; "hex:..." undecoded
    source: str  # calling-isup, called-isup, calling-map, called-map, calling-dss1,
    # called-dss1, msisdn, imsi, imei, e164-format, sip-uri, tel-url, alphanumeric


@dataclass(frozen=True, slots=True)
class SMSContent:
    initiator: str | None  # "target", "server", "undefined-party" (sMS-Contents.initiator [1])
    tpdu: bytes | None  # sMS-Contents.content [4]: the raw TS 23.040 TPDU
    enhanced: bytes | None  # sMS-Contents.enhancedContent [5] .content [1]
    encoding: int | None  # enhancedContent.character-encoding [2]


@dataclass(slots=True)
class IRIFacts:
    direction: str | None = None
    parties: list[IRIParty] = field(default_factory=list)
    cell: str | None = None
    sms: SMSContent | None = None
    release_cause: int | None = None  # release-Reason-Of-Intercepted-Call [11]: Q.850 cause
    call_state: str | None = None  # intercepted-Call-State [5] as its ASN.1 name
    conversation_seconds: int | None = None  # conversationDuration [7] (BCD HHMMSS)


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
        elif number == 5:
            facts.call_state = _named(CALL_STATES, buf, cstart, cstop) or facts.call_state
        elif number == 7:
            facts.conversation_seconds = _duration(bytes(buf[cstart:cstop]))
        elif number == 8:
            facts.cell = _cell(buf, cstart, cstop) or facts.cell
        elif number == 9:
            facts.parties += _parties(buf, cstart, cstop)
        elif number == 11 and cstop - cstart == 2:
            facts.release_cause = buf[cstart + 1] & 0x7F  # Q.850 octet 4: the cause value
        elif number == 14:
            facts.sms = _sms(buf, cstart, cstop)


def _enumerated(buf: Buf, start: int, stop: int) -> int | None:
    """A small ENUMERATED's value (None when empty, negative or longer than 2 octets)."""
    if not 0 < stop - start <= 2 or buf[start] & 0x80:
        return None
    return int.from_bytes(bytes(buf[start:stop]), "big")


def _named(names: dict[int, str], buf: Buf, start: int, stop: int) -> str | None:
    """An ENUMERATED's ASN.1 name; ``unknown(n)`` for a value added after ours."""
    value = _enumerated(buf, start, stop)
    return None if value is None else names.get(value, f"unknown({value})")


def _duration(raw: bytes) -> int | None:
    """``conversationDuration``: "Duration in seconds. BCD coded: HHMMSS" (3 octets)."""
    if len(raw) != 3 or any(b >> 4 > 9 or b & 0x0F > 9 for b in raw):
        return None
    hours, minutes, seconds = ((b >> 4) * 10 + (b & 0x0F) for b in raw)
    if minutes > 59 or seconds > 59:
        return None
    return 3600 * hours + 60 * minutes + seconds


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


Decoder = Callable[[bytes], str]
_IDENTITIES: dict[int, tuple[str, Decoder]] = {
    1: ("imei", tbcd.decode_imei),
    3: ("imsi", tbcd.decode_imsi),
    6: ("msisdn", lambda raw: tbcd.decode_address(raw, "msISDN").text),
    7: ("e164-format", lambda raw: isdn.decode_isup(raw, "e164-Format").text),
    8: ("sip-uri", lambda raw: _utf8(raw, "sip-uri")),
    9: ("tel-url", lambda raw: _utf8(raw, "tel-url")),
    11: ("alphanumeric", lambda raw: _utf8(raw, "alphanumeric")),
}
_MAP = ("map", lambda raw: tbcd.decode_address(raw, "mAP-Format").text)
_ISUP = ("isup", lambda raw: isdn.decode_isup(raw).text)
_NUMBERS: dict[int, tuple[str, dict[int, tuple[str, Decoder]]]] = {
    4: (  # CallingPartyNumber: iSUP-Format [1], dSS1-Format [2], mAP-Format [3]
        "calling",
        {1: _ISUP, 2: ("dss1", lambda raw: isdn.decode_dss1(raw, called=False).text), 3: _MAP},
    ),
    5: (  # CalledPartyNumber: iSUP-Format [1], mAP-Format [2], dSS1-Format [3]
        "called",
        {1: _ISUP, 2: _MAP, 3: ("dss1", lambda raw: isdn.decode_dss1(raw, called=True).text)},
    ),
}


def _identities(buf: Buf, start: int, stop: int) -> list[tuple[str, str]]:
    out = []
    for identifier, cstart, cstop in children(buf, start, stop):
        number = _number(identifier)
        if number in _NUMBERS:
            side, formats = _NUMBERS[number]
            for inner, istart, istop in children(buf, cstart, cstop):
                if _number(inner) in formats:
                    form, decode = formats[_number(inner)]
                    out.append((f"{side}-{form}", _decoded(decode, bytes(buf[istart:istop]))))
        elif number in _IDENTITIES:
            source, decode = _IDENTITIES[number]
            out.append((source, _decoded(decode, bytes(buf[cstart:cstop]))))
    return [(source, value) for source, value in out if value]


def _decoded(decode: Decoder, raw: bytes) -> str:
    """The identity's text, or its octets marked as undecoded."""
    try:
        return decode(raw)
    except FieldError:
        return UNDECODED + raw.hex()


def _utf8(raw: bytes, name: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise FieldError(name, f"not UTF-8: {e.reason}", e.start) from None
    if not text.isprintable():
        raise FieldError(name, "holds control characters")
    return text


def _sms(buf: Buf, start: int, stop: int) -> SMSContent | None:
    """``SMS-report``: ``sMS-Contents [3]`` with its initiator, content or enhancedContent."""
    for identifier, cstart, cstop in children(buf, start, stop):
        if _number(identifier) == 3:  # sMS-Contents
            return _sms_contents(buf, cstart, cstop)
    return None


def _sms_contents(buf: Buf, start: int, stop: int) -> SMSContent:
    initiator = tpdu = enhanced = None
    encoding = None
    for identifier, cstart, cstop in children(buf, start, stop):
        number = _number(identifier)
        if number == 1:
            initiator = _named(INITIATORS, buf, cstart, cstop)
        elif number == 4:
            tpdu = bytes(buf[cstart:cstop])
        elif number == 5:
            for inner, istart, istop in children(buf, cstart, cstop):
                if _number(inner) == 1:
                    enhanced = bytes(buf[istart:istop])
                elif _number(inner) == 2:
                    encoding = _enumerated(buf, istart, istop)
    return SMSContent(initiator, tpdu, enhanced, encoding)
