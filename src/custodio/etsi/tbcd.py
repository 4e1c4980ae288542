"""TBCD strings and the MAP identities built on them (3GPP TS 29.002 clause 17.7.8).

TS 101 671 carries ``imsi``, ``imei`` and ``msISDN`` in the MAP formats::

    TBCD-STRING   two digits per octet, the first in bits 4-1, the second in bits 8-5:
                  0000-1001 digits 0-9, 1010 '*', 1011 '#', 1100 'a', 1101 'b', 1110 'c';
                  1111 fills the last octet's bits 8-5 when the count of digits is odd
    AddressString octet 1: bit 8 extension (1: no extension), bits 7-5 nature of address,
                  bits 4-1 numbering plan; octets 2..: the digits as a TBCD-STRING;
                  1..20 octets (maxAddressLength)
    IMSI          TBCD-STRING (SIZE (3..8)), digits 0-9 only: MCC, MNC, MSIN (TS 23.003)
    IMEI          TBCD-STRING (SIZE (8)): the 15 digits of an IMEI (TAC, SNR, and the check
                  or spare digit as the sender wrote it) and a filler, or the 16 digits of
                  an IMEISV (TAC, SNR, SVN)

Decoders take the octets as received and raise :class:`FieldError` for anything the
clause does not allow (a filler before the last digit, a digit where only 0-9 may stand,
a wrong size); encoders raise :class:`ValueError` for a value they cannot write.
Normalising a number to E.164 (``phonenumbers``) is the caller's business:
:attr:`Address.text` gives ``+`` and the digits only for an international E.164 number.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from custodio.etsi.errors import FieldError

DIGITS = "0123456789*#abc"
FILLER = 0xF
MAX_ADDRESS_OCTETS = 20  # maxAddressLength
NO_EXTENSION = 0x80
IMSI_OCTETS = (3, 8)
IMSI_MAX_DIGITS = 15  # TS 23.003 clause 2.2
IMEI_OCTETS = 8
_VALUES = {c: n for n, c in enumerate(DIGITS)}


class Nature(IntEnum):
    """AddressString nature of address indicator (bits 7-5 of the first octet)."""

    UNKNOWN = 0
    INTERNATIONAL = 1
    NATIONAL = 2
    NETWORK_SPECIFIC = 3
    SUBSCRIBER = 4
    ABBREVIATED = 6


class Plan(IntEnum):
    """AddressString numbering plan indicator (bits 4-1 of the first octet)."""

    UNKNOWN = 0
    ISDN = 1  # ISDN/Telephony, ITU-T E.164
    DATA = 3  # X.121
    TELEX = 4  # F.69
    LAND_MOBILE = 6  # E.212
    NATIONAL = 8
    PRIVATE = 9


def decode_tbcd(raw: bytes, field: str = "TBCD-STRING", offset: int = 0) -> str:
    """The digits of a TBCD-STRING; a filler may only complete the last octet."""
    out = []
    last = len(raw) - 1
    for i, octet in enumerate(raw):
        low, high = octet & 0x0F, octet >> 4
        if low == FILLER:
            raise FieldError(field, "filler 1111 in bits 4-1", offset + i)
        out.append(DIGITS[low])
        if high == FILLER:
            if i != last:
                raise FieldError(field, "filler 1111 before the last octet", offset + i)
        else:
            out.append(DIGITS[high])
    return "".join(out)


def encode_tbcd(digits: str) -> bytes:
    """A TBCD-STRING of ``digits`` (``0-9 * # a b c``), filled with 1111 when odd."""
    values = [_value(c) for c in digits]
    if len(values) % 2:
        values.append(FILLER)
    return bytes(values[i] | values[i + 1] << 4 for i in range(0, len(values), 2))


def _value(char: str) -> int:
    try:
        return _VALUES[char]
    except KeyError:
        raise ValueError(f"{char!r} is not a TBCD digit (0-9 * # a b c)") from None


@dataclass(frozen=True, slots=True)
class Address:
    """A MAP ``AddressString``: nature of address, numbering plan and digits."""

    nature: int  # Nature, or a reserved value as received
    plan: int  # Plan, or a reserved value as received
    digits: str

    @property
    def international(self) -> bool:
        """An international number in the E.164 plan: its digits start with the country code."""
        return self.nature == Nature.INTERNATIONAL and self.plan == Plan.ISDN

    @property
    def text(self) -> str:
        """``+34600111222`` for an international E.164 number, else the digits as sent."""
        return ("+" if self.international and self.digits else "") + self.digits

    @classmethod
    def from_text(cls, text: str) -> Address:
        """``+34600111222`` as an international E.164 number; other digits as unknown."""
        if text.startswith("+"):
            return cls(Nature.INTERNATIONAL, Plan.ISDN, text[1:])
        return cls(Nature.UNKNOWN, Plan.ISDN, text)


def decode_address(raw: bytes, field: str = "AddressString") -> Address:
    """A MAP ``AddressString`` (1..20 octets)."""
    if not 1 <= len(raw) <= MAX_ADDRESS_OCTETS:
        raise FieldError(field, f"{len(raw)} octets (1..{MAX_ADDRESS_OCTETS})")
    first = raw[0]
    if not first & NO_EXTENSION:
        raise FieldError(field, "extension bit 0, but no extension octet is defined", 0)
    return Address((first >> 4) & 0x7, first & 0x0F, decode_tbcd(raw[1:], field, 1))


def encode_address(address: Address) -> bytes:
    """The octets of a MAP ``AddressString``."""
    if not (0 <= address.nature <= 7 and 0 <= address.plan <= 15):
        raise ValueError(f"nature {address.nature} or plan {address.plan} out of range")
    raw = bytes((NO_EXTENSION | address.nature << 4 | address.plan,)) + encode_tbcd(address.digits)
    if len(raw) > MAX_ADDRESS_OCTETS:
        raise ValueError(f"{len(address.digits)} digits do not fit an AddressString")
    return raw


def decode_imsi(raw: bytes, field: str = "IMSI") -> str:
    """The digits of a MAP IMSI (3..8 octets, at most 15 digits 0-9)."""
    low, high = IMSI_OCTETS
    if not low <= len(raw) <= high:
        raise FieldError(field, f"{len(raw)} octets ({low}..{high})")
    digits = decode_tbcd(raw, field)
    _only_decimal(digits, field)
    if len(digits) > IMSI_MAX_DIGITS:
        raise FieldError(field, f"{len(digits)} digits (at most {IMSI_MAX_DIGITS})")
    return digits


def encode_imsi(digits: str) -> bytes:
    """A MAP IMSI of 5..15 decimal digits."""
    if not (digits.isdecimal() and digits.isascii() and 5 <= len(digits) <= IMSI_MAX_DIGITS):
        raise ValueError(f"{digits!r} is not an IMSI (5..15 digits)")
    return encode_tbcd(digits)


def decode_imei(raw: bytes, field: str = "IMEI") -> str:
    """The 15 digits of an IMEI or the 16 of an IMEISV (8 octets, digits 0-9).

    The 15th digit of an IMEI is the check digit, or the spare digit 0 that TS 23.003
    clause 6.2.1 has mobiles send: match identities on the first 14 (TAC and SNR).
    """
    if len(raw) != IMEI_OCTETS:
        raise FieldError(field, f"{len(raw)} octets ({IMEI_OCTETS})")
    digits = decode_tbcd(raw, field)
    _only_decimal(digits, field)
    return digits


def encode_imei(digits: str) -> bytes:
    """A MAP IMEI of 15 digits (IMEI) or 16 (IMEISV)."""
    if not (digits.isdecimal() and digits.isascii() and len(digits) in (15, 16)):
        raise ValueError(f"{digits!r} is not an IMEI (15 digits) or IMEISV (16)")
    return encode_tbcd(digits)


def _only_decimal(digits: str, field: str) -> None:
    for i, char in enumerate(digits):
        if char not in "0123456789":
            raise FieldError(field, f"digit {i + 1} is {char!r}, only 0-9 may stand", i // 2)
