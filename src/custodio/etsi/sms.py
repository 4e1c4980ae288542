"""The SMS transfer-layer PDU (3GPP TS 23.040), and TS 101 671's ``enhancedContent``.

TS 101 671 / 33.108 carry a short message in ``sMS-Contents`` either as ``content``, the
TPDU itself, or as ``enhancedContent``, a text and its character encoding. This module
reads both, joins concatenated messages, and writes SMS-SUBMIT and SMS-DELIVER for the
simulator and tests.

Layouts (TS 23.040 clause 9.2.2; bit 0 is the least significant)::

    SMS-DELIVER        octet 1: MTI 00 (bits 1-0), MMS (2), LP (3), SRI (5), UDHI (6), RP (7)
      (SC to MS)       TP-OA, TP-PID, TP-DCS, TP-SCTS (7), TP-UDL, TP-UD
    SMS-SUBMIT         octet 1: MTI 01, RD (2), VPF (4-3), SRR (5), UDHI (6), RP (7)
      (MS to SC)       TP-MR, TP-DA, TP-PID, TP-DCS, TP-VP (0, 1 or 7), TP-UDL, TP-UD
    SMS-STATUS-REPORT  octet 1: MTI 10, MMS (2), LP (3), SRQ (5), UDHI (6)
      (SC to MS)       TP-MR, TP-RA, TP-SCTS, TP-DT, TP-ST, [TP-PI, TP-PID, TP-DCS, TP-UDL, TP-UD]

    address (9.1.2.5)  length in useful semi-octets (at most 20), type of address (bit 7
                       set, type of number bits 6-4, numbering plan bits 3-0), then the
                       digits as semi-octets (a TBCD string, 1111 filling an odd count),
                       or GSM 7-bit text when the type of number is 101 (alphanumeric)
    TP-SCTS (9.2.3.11) year, month, day, hour, minute, second, zone: two semi-octets
                       each, units in bits 7-4; the zone in quarters of an hour, bit 3
                       of its octet the sign (1: west of Greenwich)
    TP-UDL, TP-UD      septets for the GSM 7-bit alphabet, octets otherwise (compressed
                       text included); with TP-UDHI the user data opens with UDHL and the
                       information elements, and 7-bit text starts at the next septet
                       boundary after them (the fill bits)

**Direction.** TP-MTI alone does not tell SMS-DELIVER (SC to MS) from SMS-DELIVER-REPORT
(MS to SC), nor SMS-SUBMIT (MS to SC) from SMS-SUBMIT-REPORT. The caller says which way
the TPDU went; TS 101 671's ``initiator`` tells it (:func:`direction_of`): ``target(0)``
sent the message, so it went MS to SC and MTI 01 is SMS-SUBMIT; ``server(1)`` sent it,
so it went SC to MS and MTI 00 is SMS-DELIVER. With the direction unknown
(``undefined-party``, or no initiator) MTI 00 is read as SMS-DELIVER and 01 as SMS-SUBMIT,
the two types that carry a message, and MTI 10 is refused as ambiguous. The reports and
SMS-COMMAND carry no message and are refused.

**Text.** The data coding scheme gives the alphabet (:mod:`custodio.etsi.alphabet`). A
UCS-2 half pair at the very start or end of a concatenated part (an emoji split between
parts) reads as U+FFFD there, and :func:`join` puts the pair back together; an escape at
the end of a part likewise. 8-bit data and compressed text have no text; their octets are
kept.

Every decoder is bounded (a TPDU of at most :data:`MAX_TPDU_OCTETS`, the ASN.1 SIZE of
``sMS-Contents.content``; ``enhancedContent`` of at most :data:`MAX_ENHANCED_OCTETS`) and
raises only :class:`FieldError`, naming the field and its octet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from custodio.etsi.alphabet import (
    EIGHT_BIT,
    GSM7,
    UCS2,
    DataCoding,
    data_coding,
    decode_gsm7,
    decode_ucs2,
    encode_gsm7,
    gsm7_fits,
    pack_septets,
    unpack_septets,
)
from custodio.etsi.errors import FieldError
from custodio.etsi.tbcd import decode_tbcd, encode_tbcd

MAX_TPDU_OCTETS = 270  # sMS-Contents.content SIZE (1..270)
MAX_ENHANCED_OCTETS = 1 << 16
MAX_SEPTETS = 160
MAX_OCTETS = 140
MAX_ADDRESS_DIGITS = 20

MS_TO_SC = "ms-to-sc"
SC_TO_MS = "sc-to-ms"
DELIVER, SUBMIT, STATUS_REPORT = "SMS-DELIVER", "SMS-SUBMIT", "SMS-STATUS-REPORT"
_KINDS = {
    (SC_TO_MS, 0): DELIVER,
    (SC_TO_MS, 1): "SMS-SUBMIT-REPORT",
    (SC_TO_MS, 2): STATUS_REPORT,
    (MS_TO_SC, 0): "SMS-DELIVER-REPORT",
    (MS_TO_SC, 1): SUBMIT,
    (MS_TO_SC, 2): "SMS-COMMAND",
    (None, 0): DELIVER,
    (None, 1): SUBMIT,
}

TON_INTERNATIONAL, TON_ALPHANUMERIC, NPI_ISDN = 1, 5, 1
IEI_CONCAT_8, IEI_CONCAT_16 = 0x00, 0x08

# --- fields --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TPAddress:
    """TP-OA, TP-DA or TP-RA: type of number, numbering plan, digits (or text)."""

    type_of_number: int
    plan: int
    value: str  # the digits, or the text of an alphanumeric address

    @property
    def text(self) -> str:
        """``+34600111222`` for an international E.164 number, else the value as sent."""
        international = self.type_of_number == TON_INTERNATIONAL and self.plan == NPI_ISDN
        return ("+" if international and self.value else "") + self.value

    @classmethod
    def from_text(cls, text: str) -> TPAddress:
        """``+digits`` international E.164; other digits unknown; anything else alphanumeric."""
        if text.startswith("+") and text[1:].isdecimal():
            return cls(TON_INTERNATIONAL, NPI_ISDN, text[1:])
        if text.isdecimal():
            return cls(0, NPI_ISDN, text)
        return cls(TON_ALPHANUMERIC, 0, text)


@dataclass(frozen=True, slots=True)
class Concat:
    """A concatenated message's part: reference, total count of parts, this part's number."""

    reference: int
    total: int
    sequence: int
    wide: bool = False  # a 16-bit reference (IEI 0x08) rather than 8-bit (0x00)


@dataclass(frozen=True, slots=True)
class InformationElement:
    """One information element of the user data header."""

    iei: int
    data: bytes


@dataclass(frozen=True, slots=True)
class UserData:
    """TP-UD: its header's elements, the concatenation it announces, and the message."""

    coding: DataCoding
    header: tuple[InformationElement, ...]
    concat: Concat | None
    units: bytes  # after the header: septet values (one per octet) for 7-bit text, else octets
    text: str | None  # None for 8-bit data and compressed text


@dataclass(frozen=True, slots=True)
class TPDU:
    """A decoded SMS-DELIVER, SMS-SUBMIT or SMS-STATUS-REPORT."""

    kind: str  # DELIVER, SUBMIT or STATUS_REPORT
    originator: TPAddress | None = None  # TP-OA (SMS-DELIVER)
    recipient: TPAddress | None = None  # TP-DA (SMS-SUBMIT), TP-RA (SMS-STATUS-REPORT)
    reference: int | None = None  # TP-MR
    protocol: int | None = None  # TP-PID
    timestamp: datetime | None = None  # TP-SCTS
    validity: timedelta | datetime | None = None  # TP-VP (relative or absolute)
    discharge: datetime | None = None  # TP-DT
    status: int | None = None  # TP-ST
    more_messages: bool = False  # TP-MMS is 0
    reject_duplicates: bool = False  # TP-RD
    status_report: bool = False  # TP-SRI, TP-SRR or TP-SRQ
    reply_path: bool = False  # TP-RP
    loop_prevention: bool = False  # TP-LP
    user_data: UserData | None = None

    @property
    def text(self) -> str | None:
        """The message's text, if it has one."""
        return None if self.user_data is None else self.user_data.text

    @property
    def concat(self) -> Concat | None:
        """The concatenation this TPDU is a part of, if any."""
        return None if self.user_data is None else self.user_data.concat


class _Reader:
    """The TPDU's octets and a position; each read names its field when it falls short."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.pos = 0

    def take(self, count: int, field: str) -> bytes:
        if self.pos + count > len(self.raw):
            left = len(self.raw) - self.pos
            raise FieldError(field, f"needs {count} octets, {left} left", self.pos)
        out = self.raw[self.pos : self.pos + count]
        self.pos += count
        return out

    def octet(self, field: str) -> int:
        return self.take(1, field)[0]


def _address(r: _Reader, field: str) -> TPAddress:
    length = r.octet(f"{field} length")
    if length > MAX_ADDRESS_DIGITS:
        raise FieldError(field, f"{length} semi-octets (at most {MAX_ADDRESS_DIGITS})", r.pos - 1)
    kind = r.octet(f"{field} type of address")
    if not kind & 0x80:
        raise FieldError(field, "type of address with bit 7 clear", r.pos - 1)
    start = r.pos
    value = r.take((length + 1) // 2, field)
    ton, npi = (kind >> 4) & 7, kind & 0x0F
    if ton == TON_ALPHANUMERIC:
        return TPAddress(ton, npi, decode_gsm7(unpack_septets(value, length * 4 // 7)))
    digits = decode_tbcd(value, field, start)
    if len(digits) != length:
        raise FieldError(field, f"length says {length} digits, {len(digits)} follow", start)
    return TPAddress(ton, npi, digits)


def _semi_octets(octets: bytes, field: str, offset: int) -> list[int]:
    values = []
    for i, octet in enumerate(octets):
        tens, units = octet & 0x0F, octet >> 4
        if tens > 9 or units > 9:
            raise FieldError(field, f"0x{octet:02x} is not two decimal semi-octets", offset + i)
        values.append(tens * 10 + units)
    return values


def _timestamp(r: _Reader, field: str) -> datetime:
    start = r.pos
    raw = r.take(7, field)
    year, month, day, hour, minute, second = _semi_octets(raw[:6], field, start)
    zone = raw[6]
    quarters = _semi_octets(bytes((zone & 0xF7,)), f"{field} time zone", start + 6)[0]
    offset = timedelta(minutes=15 * quarters) * (-1 if zone & 0x08 else 1)
    century = 1900 if year >= 90 else 2000  # TS 23.040 gives two digits; SMS began in 1992
    try:
        return datetime(century + year, month, day, hour, minute, second, 0, timezone(offset))
    except ValueError as e:
        raise FieldError(field, str(e), start) from None


def relative_validity(value: int) -> timedelta:
    """TP-VP in the relative format (TS 23.040 clause 9.2.3.12.1)."""
    if value <= 143:
        return timedelta(minutes=5 * (value + 1))
    if value <= 167:
        return timedelta(hours=12, minutes=30 * (value - 143))
    if value <= 196:
        return timedelta(days=value - 166)
    return timedelta(weeks=value - 192)


def _validity(r: _Reader, vpf: int) -> timedelta | datetime | None:
    if vpf == 0:
        return None
    if vpf == 2:
        return relative_validity(r.octet("TP-VP"))
    if vpf == 3:
        return _timestamp(r, "TP-VP")
    return _enhanced_validity(r)


def _enhanced_validity(r: _Reader) -> timedelta | None:
    """TP-VP in the enhanced format (TS 23.040 clause 9.2.3.12.3): 7 octets."""
    start = r.pos
    raw = r.take(7, "TP-VP")
    i = 0
    while raw[i] & 0x80:  # functionality indicator extension octets
        i += 1
        if i == 6:
            raise FieldError("TP-VP", "functionality indicator fills the field", start)
    form = raw[0] & 0x07
    if form == 0:
        return None
    if form == 1:
        return relative_validity(raw[i + 1])
    if form == 2:
        return timedelta(seconds=raw[i + 1])
    if form != 3:
        raise FieldError("TP-VP", f"enhanced format {form:03b} is reserved", start)
    if i + 4 > 7:
        raise FieldError("TP-VP", "no room for HH MM SS after the indicator", start)
    hours, minutes, seconds = _semi_octets(raw[i + 1 : i + 4], "TP-VP", start + i + 1)
    return timedelta(hours=hours, minutes=minutes, seconds=seconds)


# --- user data -----------------------------------------------------------------------


def _user_data(r: _Reader, coding: DataCoding, udhi: bool) -> UserData:
    udl_at = r.pos
    udl = r.octet("TP-UDL")
    septets = coding.alphabet == GSM7 and not coding.compressed
    limit = MAX_SEPTETS if septets else MAX_OCTETS
    if udl > limit:
        raise FieldError("TP-UDL", f"{udl} {'septets' if septets else 'octets'} (at most {limit})")
    ud = r.take((7 * udl + 7) // 8 if septets else udl, "TP-UD")
    if r.pos != len(r.raw):
        raise FieldError("TP-UD", f"{len(r.raw) - r.pos} octets after the user data", r.pos)
    header: tuple[InformationElement, ...] = ()
    header_octets = 0
    if udhi:
        if not ud:
            raise FieldError("TP-UDH", "TP-UDHI is set but the user data is empty", udl_at + 1)
        header_octets = 1 + ud[0]
        if header_octets > len(ud):
            raise FieldError("TP-UDH", f"UDHL {ud[0]} runs past the user data", udl_at + 1)
        header = _elements(ud[1:header_octets], udl_at + 2)
    concat = _concat(header)
    if septets:
        skip = (8 * header_octets + 6) // 7
        if skip > udl:
            raise FieldError("TP-UDL", f"{udl} septets do not cover the header", udl_at)
        units = unpack_septets(ud, udl)[skip:]
        return UserData(coding, header, concat, units, decode_gsm7(units))
    units = ud[header_octets:]
    text = None
    if coding.alphabet == UCS2 and not coding.compressed:
        text = decode_ucs2(units, "TP-UD", udl_at + 1 + header_octets, split=concat is not None)
    return UserData(coding, header, concat, units, text)


def _elements(header: bytes, offset: int) -> tuple[InformationElement, ...]:
    out = []
    pos = 0
    while pos < len(header):
        if pos + 2 > len(header):
            raise FieldError("TP-UDH", "information element header runs past UDHL", offset + pos)
        iei, length = header[pos], header[pos + 1]
        if pos + 2 + length > len(header):
            raise FieldError("TP-UDH", f"IEI 0x{iei:02x} runs past UDHL", offset + pos)
        out.append(InformationElement(iei, header[pos + 2 : pos + 2 + length]))
        pos += 2 + length
    return tuple(out)


def _concat(header: tuple[InformationElement, ...]) -> Concat | None:
    """The last concatenation element (TS 23.040 9.2.3.24: a repeated element's last
    occurrence counts); one with no parts or a number outside 1..total is ignored
    (9.2.3.24.1, 9.2.3.24.8)."""
    found = None
    for ie in header:
        if ie.iei not in (IEI_CONCAT_8, IEI_CONCAT_16):
            continue
        wide = ie.iei == IEI_CONCAT_16
        if len(ie.data) != (4 if wide else 3):
            raise FieldError("TP-UDH", f"concatenation IEI 0x{ie.iei:02x} of {len(ie.data)} octets")
        reference = int.from_bytes(ie.data[: 2 if wide else 1], "big")
        total, sequence = ie.data[-2], ie.data[-1]
        found = Concat(reference, total, sequence, wide) if 1 <= sequence <= total else None
    return found


# --- TPDU ----------------------------------------------------------------------------


def direction_of(initiator: str | None) -> str | None:
    """The TPDU's direction from TS 101 671 ``sMS-Contents.initiator``."""
    return {"target": MS_TO_SC, "server": SC_TO_MS}.get(initiator or "")


def decode_tpdu(raw: bytes, direction: str | None) -> TPDU:
    """Decode an SMS-DELIVER, SMS-SUBMIT or SMS-STATUS-REPORT that went ``direction``
    (:data:`MS_TO_SC`, :data:`SC_TO_MS`, or None when unknown: see the module's text)."""
    if not 1 <= len(raw) <= MAX_TPDU_OCTETS:
        raise FieldError("TPDU", f"{len(raw)} octets (1..{MAX_TPDU_OCTETS})")
    first = raw[0]
    mti = first & 3
    kind = _KINDS.get((direction, mti))
    if kind is None:
        way = direction or "an unknown direction"
        raise FieldError("TP-MTI", f"{mti:02b} going {way} is not a message type read here", 0)
    if kind not in (DELIVER, SUBMIT, STATUS_REPORT):
        raise FieldError("TP-MTI", f"{kind} carries no message and is not decoded", 0)
    r = _Reader(raw)
    r.pos = 1
    return {DELIVER: _deliver, SUBMIT: _submit, STATUS_REPORT: _status_report}[kind](r, first)


def _deliver(r: _Reader, first: int) -> TPDU:
    originator = _address(r, "TP-OA")
    protocol = r.octet("TP-PID")
    coding = data_coding(r.octet("TP-DCS"))
    timestamp = _timestamp(r, "TP-SCTS")
    return TPDU(
        DELIVER,
        originator=originator,
        protocol=protocol,
        timestamp=timestamp,
        more_messages=not first & 0x04,
        loop_prevention=bool(first & 0x08),
        status_report=bool(first & 0x20),
        reply_path=bool(first & 0x80),
        user_data=_user_data(r, coding, bool(first & 0x40)),
    )


def _submit(r: _Reader, first: int) -> TPDU:
    reference = r.octet("TP-MR")
    recipient = _address(r, "TP-DA")
    protocol = r.octet("TP-PID")
    coding = data_coding(r.octet("TP-DCS"))
    validity = _validity(r, (first >> 3) & 3)
    return TPDU(
        SUBMIT,
        recipient=recipient,
        reference=reference,
        protocol=protocol,
        validity=validity,
        reject_duplicates=bool(first & 0x04),
        status_report=bool(first & 0x20),
        reply_path=bool(first & 0x80),
        user_data=_user_data(r, coding, bool(first & 0x40)),
    )


def _status_report(r: _Reader, first: int) -> TPDU:
    reference = r.octet("TP-MR")
    recipient = _address(r, "TP-RA")
    timestamp = _timestamp(r, "TP-SCTS")
    discharge = _timestamp(r, "TP-DT")
    status = r.octet("TP-ST")
    protocol, user_data = _parameters(r, bool(first & 0x40))
    return TPDU(
        STATUS_REPORT,
        recipient=recipient,
        reference=reference,
        protocol=protocol,
        timestamp=timestamp,
        discharge=discharge,
        status=status,
        more_messages=not first & 0x04,
        loop_prevention=bool(first & 0x08),
        status_report=bool(first & 0x20),
        user_data=user_data,
    )


def _parameters(r: _Reader, udhi: bool) -> tuple[int | None, UserData | None]:
    """TP-PI and what it announces (TS 23.040 9.2.3.27); TP-DCS 0 when absent."""
    if r.pos == len(r.raw):
        return None, None
    indicator = r.octet("TP-PI")
    extension = indicator
    while extension & 0x80:
        extension = r.octet("TP-PI extension")
    protocol = r.octet("TP-PID") if indicator & 0x01 else None
    coding = data_coding(r.octet("TP-DCS") if indicator & 0x02 else 0)
    if not indicator & 0x04:
        if r.pos != len(r.raw):
            raise FieldError("TP-PI", "no TP-UDL announced, but octets follow", r.pos)
        return protocol, None
    return protocol, _user_data(r, coding, udhi)


# --- concatenation -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Joined:
    """A concatenated message put together from the parts received."""

    text: str | None  # None for 8-bit data, or while parts are missing or conflicting
    data: bytes  # the units after each header, joined (septet values for 7-bit text)
    total: int
    parts: tuple[TPDU, ...]  # by part number; of a number received twice, the first
    missing: tuple[int, ...] = ()
    duplicates: tuple[int, ...] = ()  # numbers received more than once with the same data
    conflicts: tuple[int, ...] = ()  # numbers received more than once with different data

    @property
    def complete(self) -> bool:
        """Every part is there, and no number came twice with different data."""
        return not self.missing and not self.conflicts


def message_key(tpdu: TPDU) -> tuple[str, str, int, int, bool] | None:
    """What names the concatenated message a part belongs to (None for a whole message):
    its kind, the other party's address, the reference, the count of parts, the width."""
    concat = tpdu.concat
    if concat is None:
        return None
    party = tpdu.originator or tpdu.recipient
    address = "" if party is None else party.text
    return (tpdu.kind, address, concat.reference, concat.total, concat.wide)


def join(parts: Sequence[TPDU]) -> Joined:
    """Put the parts of one concatenated message in order (or take a whole message).

    The parts must share one :func:`message_key`; missing numbers, repeats and repeats
    that differ are reported, and the text is given only when nothing is missing or
    conflicting.
    """
    if not parts:
        raise ValueError("no parts to join")
    keys = {message_key(p) for p in parts}
    if len(keys) > 1:
        raise FieldError("TP-UDH", f"parts of different messages: {sorted(map(str, keys))}")
    if None in keys:
        if len(parts) > 1:
            raise FieldError("TP-UDH", f"{len(parts)} messages without concatenation")
        return Joined(parts[0].text, _units(parts[0]), 1, tuple(parts))
    by_number: dict[int, TPDU] = {}
    duplicates: set[int] = set()
    conflicts: set[int] = set()
    for part in parts:
        number = part.concat.sequence if part.concat else 0
        if number in by_number:
            same = _units(by_number[number]) == _units(part)
            (duplicates if same else conflicts).add(number)
        else:
            by_number[number] = part
    total = parts[0].concat.total if parts[0].concat else 1
    ordered = tuple(by_number[n] for n in sorted(by_number))
    missing = tuple(n for n in range(1, total + 1) if n not in by_number)
    data = b"".join(_units(p) for p in ordered)
    text = None if missing or conflicts else _joined_text(ordered, data)
    return Joined(
        text, data, total, ordered, missing, tuple(sorted(duplicates)), tuple(sorted(conflicts))
    )


def _units(tpdu: TPDU) -> bytes:
    return b"" if tpdu.user_data is None else tpdu.user_data.units


def _joined_text(parts: tuple[TPDU, ...], data: bytes) -> str | None:
    codings = {
        (p.user_data.coding.alphabet, p.user_data.coding.compressed) for p in parts if p.user_data
    }
    if codings == {(GSM7, False)}:
        return decode_gsm7(data)
    if codings == {(UCS2, False)}:
        return decode_ucs2(data, "TP-UD", 0, split=True)
    texts = [p.text for p in parts]
    return None if any(t is None for t in texts) else "".join(t for t in texts if t)


# --- enhancedContent (TS 101 671 sMS-Contents.enhancedContent) -----------------------

ENHANCED_ENCODINGS = {
    0: "gsm-7-bit-ascii",
    1: "eight-bit-ascii",
    2: "eight-bit-binary",
    3: "ucs-2",
    4: "utf-8",
    5: "utf-16",
    6: "other",
}


@dataclass(frozen=True, slots=True)
class EnhancedContent:
    """``enhancedContent`` read: the text where the encoding gives one, and the octets."""

    encoding: int
    name: str
    text: str | None
    octets: bytes


def decode_enhanced(content: bytes, encoding: int) -> EnhancedContent:
    """The text of ``enhancedContent`` by its ``character-encoding``.

    HI2Operations names the encodings without defining them; we read them as:
    gsm-7-bit-ascii(0) the GSM 7-bit default alphabet and extension table, one septet per
    octet (unpacked); eight-bit-ascii(1) ISO 8859-1; ucs-2(3) UTF-16BE, surrogate pairs
    allowed; utf-8(4) UTF-8; utf-16(5) UTF-16 with its byte-order mark, big-endian without
    one (RFC 2781 4.3); eight-bit-binary(2), other(6) and values added later give no text.
    """
    field = "enhancedContent"
    if len(content) > MAX_ENHANCED_OCTETS:
        raise FieldError(field, f"{len(content)} octets (at most {MAX_ENHANCED_OCTETS})")
    name = ENHANCED_ENCODINGS.get(encoding, f"unknown({encoding})")
    return EnhancedContent(encoding, name, _enhanced_text(content, encoding, field), content)


def _enhanced_text(content: bytes, encoding: int, field: str) -> str | None:
    if encoding == 0:
        for i, octet in enumerate(content):
            if octet > 0x7F:
                raise FieldError(field, f"0x{octet:02x} is not a GSM 7-bit septet", i)
        return decode_gsm7(content)
    if encoding == 1:
        return content.decode("latin-1")
    if encoding == 3:
        return decode_ucs2(content, field, 0)
    if encoding == 4:
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError as e:
            raise FieldError(field, f"not UTF-8: {e.reason}", e.start) from None
    if encoding == 5:
        return _utf16(content, field)
    return None


def _utf16(content: bytes, field: str) -> str:
    if content[:2] == b"\xff\xfe":
        if len(content) % 2:
            raise FieldError(field, f"{len(content)} octets of UTF-16 (an even count)")
        try:
            return content[2:].decode("utf-16-le")
        except UnicodeDecodeError as e:
            raise FieldError(field, f"not UTF-16LE: {e.reason}", e.start + 2) from None
    body = content[2:] if content[:2] == b"\xfe\xff" else content
    return decode_ucs2(body, field, len(content) - len(body))


# --- encoders (simulator and tests) --------------------------------------------------


def encode_address(address: TPAddress) -> bytes:
    """TP-OA / TP-DA / TP-RA octets."""
    kind = 0x80 | address.type_of_number << 4 | address.plan
    if address.type_of_number == TON_ALPHANUMERIC:
        septets = encode_gsm7(address.value)
        length = (7 * len(septets) + 3) // 4
        value = pack_septets(septets)
    else:
        length = len(address.value)
        value = encode_tbcd(address.value)
    if length > MAX_ADDRESS_DIGITS:
        raise ValueError(f"{address.value!r} is longer than an address may be")
    return bytes((length, kind)) + value


def encode_timestamp(when: datetime) -> bytes:
    """TP-SCTS octets of an aware ``when`` (its own zone, whole quarter hours)."""
    offset = when.utcoffset()
    if offset is None:
        raise ValueError("the time stamp needs a time zone")
    quarters, rest = divmod(abs(int(offset.total_seconds())), 900)
    if rest or quarters > 79:
        raise ValueError(f"zone {offset} is not a whole count of quarter hours")
    fields = (when.year % 100, when.month, when.day, when.hour, when.minute, when.second)
    octets = bytes((v % 10) << 4 | v // 10 for v in (*fields, quarters))
    sign = 0x08 if offset < timedelta(0) else 0
    return octets[:6] + bytes((octets[6] | sign,))


def encode_relative_validity(period: timedelta) -> int:
    """The TP-VP octet (relative format) of exactly ``period``."""
    for value in range(256):
        if relative_validity(value) == period:
            return value
    raise ValueError(f"{period} has no relative TP-VP")


def _header(concat: Concat | None) -> bytes:
    if concat is None:
        return b""
    if concat.wide:
        element = bytes((IEI_CONCAT_16, 4)) + concat.reference.to_bytes(2, "big")
    else:
        element = bytes((IEI_CONCAT_8, 3, concat.reference))
    element += bytes((concat.total, concat.sequence))
    return bytes((len(element),)) + element


def _alphabet(message: str | bytes, alphabet: str | None) -> str:
    if isinstance(message, bytes):
        return EIGHT_BIT
    return alphabet or (GSM7 if gsm7_fits(message) else UCS2)


def _encode_user_data(message: str | bytes, alphabet: str, concat: Concat | None) -> bytes:
    """TP-UDL and TP-UD."""
    header = _header(concat)
    if alphabet == GSM7:
        assert isinstance(message, str)
        septets = encode_gsm7(message)
        skip = (8 * len(header) + 6) // 7
        udl, limit = skip + len(septets), MAX_SEPTETS
        ud = header + pack_septets(septets, 7 * skip - 8 * len(header))
    else:
        body = message if isinstance(message, bytes) else message.encode("utf-16-be")
        ud = header + body
        udl, limit = len(ud), MAX_OCTETS
    if udl > limit:
        raise ValueError(f"the user data takes {udl} of at most {limit}: split the text")
    return bytes((udl,)) + ud


def _dcs(alphabet: str, message_class: int | None) -> int:
    bits = {GSM7: 0x00, EIGHT_BIT: 0x04, UCS2: 0x08}[alphabet]
    return bits if message_class is None else 0x10 | bits | message_class


def encode_submit(
    recipient: str | TPAddress,
    message: str | bytes,
    *,
    reference: int = 0,
    concat: Concat | None = None,
    alphabet: str | None = None,
    validity: timedelta | None = None,
    status_report: bool = False,
    reject_duplicates: bool = False,
    protocol: int = 0,
    message_class: int | None = None,
) -> bytes:
    """An SMS-SUBMIT: text in GSM 7-bit when it fits (else UCS-2), bytes as 8-bit data."""
    alphabet = _alphabet(message, alphabet)
    address = recipient if isinstance(recipient, TPAddress) else TPAddress.from_text(recipient)
    first = 0x01 | (0x04 if reject_duplicates else 0) | (0x20 if status_report else 0)
    first |= 0x40 if concat else 0
    vp = b""
    if validity is not None:
        first |= 0x10
        vp = bytes((encode_relative_validity(validity),))
    return (
        bytes((first, reference))
        + encode_address(address)
        + bytes((protocol, _dcs(alphabet, message_class)))
        + vp
        + _encode_user_data(message, alphabet, concat)
    )


def encode_deliver(
    originator: str | TPAddress,
    message: str | bytes,
    timestamp: datetime,
    *,
    concat: Concat | None = None,
    alphabet: str | None = None,
    more_messages: bool = False,
    status_report: bool = False,
    protocol: int = 0,
    message_class: int | None = None,
) -> bytes:
    """An SMS-DELIVER: text in GSM 7-bit when it fits (else UCS-2), bytes as 8-bit data."""
    alphabet = _alphabet(message, alphabet)
    address = originator if isinstance(originator, TPAddress) else TPAddress.from_text(originator)
    first = (0 if more_messages else 0x04) | (0x20 if status_report else 0)
    first |= 0x40 if concat else 0
    return (
        bytes((first,))
        + encode_address(address)
        + bytes((protocol, _dcs(alphabet, message_class)))
        + encode_timestamp(timestamp)
        + _encode_user_data(message, alphabet, concat)
    )


def split_text(text: str, alphabet: str | None = None, *, wide: bool = False) -> list[str]:
    """``text`` cut into the parts of a concatenated message (one part when it fits whole).

    No part ends inside an escape sequence or a surrogate pair.
    """
    alphabet = _alphabet(text, alphabet)
    cost = _septets if alphabet == GSM7 else _ucs2_octets
    whole = MAX_SEPTETS if alphabet == GSM7 else MAX_OCTETS
    if sum(cost(c) for c in text) <= whole:
        return [text]
    header = 7 if wide else 6
    room = whole - ((8 * header + 6) // 7 if alphabet == GSM7 else header)
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        if used + cost(char) > room:
            parts.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += cost(char)
    parts.append("".join(current))
    return parts


def _septets(char: str) -> int:
    return len(encode_gsm7(char))


def _ucs2_octets(char: str) -> int:
    return len(char.encode("utf-16-be"))
