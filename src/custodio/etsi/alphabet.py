"""The alphabets of short messages (3GPP TS 23.038).

- clause 6.2.1, the GSM 7-bit default alphabet, and 6.2.1.1, its default extension table
  reached through the escape 0x1B: an escape followed by a code the table lacks gives the
  default alphabet's character; a lone escape, or a double escape (reserved for another
  table), displays as a space (note 1 of 6.2.1.1);
- clause 6.1.2.1, septets packed into octets least significant bit first;
- clause 4, the data coding scheme (TP-DCS): the general and automatic-deletion groups
  give the alphabet (00 GSM 7-bit, 01 8-bit data, 10 UCS-2), the class and the compression
  flag; the message-waiting groups are GSM 7-bit (1100 discard, 1101 store) or UCS-2
  (1110); group 1111 is GSM 7-bit or 8-bit data by bit 2. Reserved codings are read as
  the GSM 7-bit default alphabet, as clause 4 says a receiving entity shall;
- UCS-2 read as UTF-16BE, so that the surrogate pairs phones send for emoji decode.
"""

from __future__ import annotations

from dataclasses import dataclass

from custodio.etsi.errors import FieldError

GSM7, EIGHT_BIT, UCS2 = "gsm7", "8bit", "ucs2"
ESCAPE = 0x1B

# TS 23.038 clause 6.2.1: the GSM 7-bit default alphabet (0x1B is the escape) and 6.2.1.1
# its default extension table.
DEFAULT_ALPHABET = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION_TABLE = {
    0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\",
    0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€",
}  # fmt: skip
_SEPTET = {c: n for n, c in enumerate(DEFAULT_ALPHABET) if n != ESCAPE}
_EXTENDED = {c: n for n, c in EXTENSION_TABLE.items()}


# --- GSM 7-bit default alphabet ------------------------------------------------------


def decode_gsm7(septets: bytes) -> str:
    """Text of septet values (one per octet, 0..127) in the default alphabet and table."""
    out = []
    i, count = 0, len(septets)
    while i < count:
        value = septets[i]
        if value != ESCAPE:
            out.append(DEFAULT_ALPHABET[value & 0x7F])
            i += 1
        elif i + 1 == count or septets[i + 1] == ESCAPE:
            out.append(" ")  # a lone escape, or the one reserved for another table
            i += 2
        else:
            code = septets[i + 1] & 0x7F
            out.append(EXTENSION_TABLE.get(code, DEFAULT_ALPHABET[code]))
            i += 2
    return "".join(out)


def encode_gsm7(text: str) -> bytes:
    """Septet values of ``text``; a character of the extension table takes two."""
    out = bytearray()
    for char in text:
        if char in _SEPTET:
            out.append(_SEPTET[char])
        elif char in _EXTENDED:
            out += bytes((ESCAPE, _EXTENDED[char]))
        else:
            raise ValueError(f"{char!r} is not in the GSM 7-bit default alphabet")
    return bytes(out)


def gsm7_fits(text: str) -> bool:
    """Whether ``text`` can be written in the GSM 7-bit default alphabet and table."""
    return all(c in _SEPTET or c in _EXTENDED for c in text)


def pack_septets(septets: bytes, fill_bits: int = 0) -> bytes:
    """Septets packed into octets, least significant bit first, after ``fill_bits`` zeros."""
    value = 0
    for n, septet in enumerate(septets):
        value |= (septet & 0x7F) << (fill_bits + 7 * n)
    return value.to_bytes((fill_bits + 7 * len(septets) + 7) // 8, "little")


def unpack_septets(octets: bytes, count: int) -> bytes:
    """The first ``count`` septets of packed ``octets`` (which must hold them)."""
    value = int.from_bytes(octets[: (7 * count + 7) // 8], "little")
    return bytes((value >> (7 * n)) & 0x7F for n in range(count))


# --- data coding scheme (TS 23.038 clause 4) -----------------------------------------


@dataclass(frozen=True, slots=True)
class DataCoding:
    """TP-DCS read: alphabet, message class, compression and message-waiting indication."""

    value: int
    alphabet: str  # GSM7, EIGHT_BIT or UCS2
    message_class: int | None = None
    compressed: bool = False
    automatic_deletion: bool = False
    waiting: str | None = None  # voicemail, fax, email, other (message-waiting groups)
    waiting_active: bool = False
    store: bool = True  # False for the "discard message" waiting group


_ALPHABETS = {0: GSM7, 1: EIGHT_BIT, 2: UCS2, 3: GSM7}  # 11 is reserved: GSM 7-bit
_WAITING = ("voicemail", "fax", "email", "other")


def data_coding(value: int) -> DataCoding:
    """The meaning of a TP-DCS octet."""
    group = value >> 4
    if group < 0x8:  # 00xx general, 01xx automatic deletion
        return DataCoding(
            value,
            _ALPHABETS[(value >> 2) & 3],
            value & 3 if value & 0x10 else None,
            compressed=bool(value & 0x20),
            automatic_deletion=bool(value & 0x40),
        )
    if group in (0xC, 0xD, 0xE):
        return DataCoding(
            value,
            UCS2 if group == 0xE else GSM7,
            waiting=_WAITING[value & 3],
            waiting_active=bool(value & 0x08),
            store=group != 0xC,
        )
    if group == 0xF:
        return DataCoding(value, EIGHT_BIT if value & 0x04 else GSM7, value & 3)
    return DataCoding(value, GSM7)  # 1000..1011: reserved coding groups


# --- UCS-2 -------------------------------------------------------------------------


def decode_ucs2(octets: bytes, field: str, offset: int, *, split: bool = False) -> str:
    """UTF-16BE text; with ``split``, a half pair at either end reads as U+FFFD."""
    if len(octets) % 2:
        raise FieldError(field, f"{len(octets)} octets of UCS-2 (an even count)", offset)
    text = octets.decode("utf-16-be", "surrogatepass")
    chars = list(text)
    for i, char in enumerate(chars):
        if not 0xD800 <= ord(char) <= 0xDFFF:
            continue
        edge = (i == 0 and ord(char) >= 0xDC00) or (i == len(chars) - 1 and ord(char) < 0xDC00)
        if not (split and edge):
            raise FieldError(field, f"unpaired UTF-16 surrogate U+{ord(char):04X}", offset)
        chars[i] = "\ufffd"
    return "".join(chars)
