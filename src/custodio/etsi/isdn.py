"""Party numbers of the fixed network: ISUP and DSS1, as TS 101 671 carries them.

``iSUP-Format`` and ``e164-Format`` hold the parameter field of an ISUP calling or called
party number (EN 300 356-1, i.e. ITU-T Q.763 clauses 3.9 and 3.10)::

    octet 1    bit 8 odd/even (1: odd count of address signals), bits 7-1 nature of
               address: 0000001 subscriber, 0000010 unknown, 0000011 national,
               0000100 international
    octet 2    bit 8 NI / INN, bits 7-5 numbering plan (001 ISDN, E.164), bits 4-1
               presentation and screening (calling) or spare (called)
    octets 3.. address signals, the first in bits 4-1: 0000-1001 digits, 1011 code 11,
               1100 code 12, 1111 ST (end of pulsing, last signal only); a filler
               completes the last octet when the count is odd

``dSS1-Format`` holds the value of a DSS1 calling or called party number information
element (EN 300 403-1 clauses 4.5.10 and 4.5.8, i.e. ITU-T Q.931)::

    octet 3    bit 8 extension, bits 7-5 type of number (001 international),
               bits 4-1 numbering plan (0001 ISDN, E.164)
    octet 3a   (calling only, when octet 3's bit 8 is 0) presentation and screening
    octets 4.. the digits as IA5 characters (0-9, *, #)

A number with presentation "address not available" has no digits: its text is empty.
Code 11 and code 12 read as ``b`` and ``c`` (their nibble values); the filler's value is
not checked (the odd/even indicator says where it is).
"""

from __future__ import annotations

from dataclasses import dataclass

from custodio.etsi.errors import FieldError

ISUP_INTERNATIONAL = 0x04
DSS1_INTERNATIONAL = 0x1
PLAN_ISDN = 0x1
ODD = 0x80
EXTENSION = 0x80
MAX_OCTETS = 25  # SIZE (1..25) in HI2Operations
ST = 0xF
_ISUP_SIGNALS = {**{n: str(n) for n in range(10)}, 0xB: "b", 0xC: "c"}
_DSS1_DIGITS = frozenset(b"0123456789*#")


@dataclass(frozen=True, slots=True)
class PartyNumber:
    """A decoded party number."""

    digits: str
    international: bool  # nature of address / type of number "international number"
    plan: int  # the numbering plan indicator as coded (1: ISDN/telephony, E.164)

    @property
    def text(self) -> str:
        """``+34600111222`` for an international E.164 number, else the digits."""
        plus = self.international and self.plan == PLAN_ISDN and self.digits
        return ("+" if plus else "") + self.digits


def decode_isup(raw: bytes, field: str = "ISUP party number") -> PartyNumber:
    """An ISUP calling or called party number parameter field (Q.763 3.9, 3.10)."""
    if not 2 <= len(raw) <= MAX_OCTETS:
        raise FieldError(field, f"{len(raw)} octets (2..{MAX_OCTETS})")
    odd = bool(raw[0] & ODD)
    signals = [n for octet in raw[2:] for n in (octet & 0x0F, octet >> 4)]
    if odd:
        if not signals:
            raise FieldError(field, "odd count of address signals, but none follow", 0)
        signals.pop()  # the filler
    digits = []
    for i, signal in enumerate(signals):
        if signal == ST and i == len(signals) - 1:
            break
        if signal not in _ISUP_SIGNALS:
            what = "ST before the last signal" if signal == ST else "spare"
            raise FieldError(field, f"address signal {signal:04b} is {what}", 2 + i // 2)
        digits.append(_ISUP_SIGNALS[signal])
    nature = raw[0] & 0x7F
    return PartyNumber("".join(digits), nature == ISUP_INTERNATIONAL, (raw[1] >> 4) & 0x7)


def encode_isup(text: str) -> bytes:
    """An ISUP calling party number: ``+digits`` international E.164, else unknown.

    Presentation allowed, screening "network provided", as a switch forwards it.
    """
    international = text.startswith("+")
    digits = text[1:] if international else text
    if not (digits.isdecimal() and digits.isascii() and 1 <= len(digits) <= 2 * (MAX_OCTETS - 2)):
        raise ValueError(f"{text!r} is not a number of 1..46 digits")
    odd = len(digits) % 2
    values = [int(c) for c in digits] + [0] * odd
    nature = ISUP_INTERNATIONAL if international else 0x02
    first = (ODD if odd else 0) | nature
    signals = bytes(values[i] | values[i + 1] << 4 for i in range(0, len(values), 2))
    return bytes((first, PLAN_ISDN << 4 | 0x03)) + signals


def decode_dss1(raw: bytes, *, called: bool, field: str = "DSS1 party number") -> PartyNumber:
    """A DSS1 calling (4.5.10) or called (4.5.8) party number information element value."""
    if not 1 <= len(raw) <= MAX_OCTETS:
        raise FieldError(field, f"{len(raw)} octets (1..{MAX_OCTETS})")
    first = raw[0]
    start = 1
    if not first & EXTENSION:
        if called:
            raise FieldError(field, "extension bit 0, but a called number has no octet 3a", 0)
        if len(raw) < 2 or not raw[1] & EXTENSION:
            raise FieldError(field, "octet 3a missing or extended further", 1)
        start = 2
    for i in range(start, len(raw)):
        if raw[i] not in _DSS1_DIGITS:
            raise FieldError(field, f"0x{raw[i]:02x} is not an IA5 digit, * or #", i)
    digits = raw[start:].decode("ascii")
    return PartyNumber(digits, (first >> 4) & 0x7 == DSS1_INTERNATIONAL, first & 0x0F)
