"""The SMS TPDU (3GPP TS 23.040) and its alphabets (3GPP TS 23.038).

Vectors are written octet by octet from the clauses' field tables, or made by pycrate's
independent encoder (``pycrate_mobile.TS23040_SMS``), and our encodings are read back by
pycrate. Two pycrate habits the vectors avoid: it counts a CR pad septet in TP-UDL when
7 bits would be spare (TS 23.038 asks that of cell broadcast and USSD, where no length
says where the text ends), and it writes the time zone's quarter hours in binary rather
than in semi-octets (TS 23.040 9.2.3.11), which differs from 10 quarters on.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pycrate_mobile.TS23038 import _GSM7bTab  # type: ignore[import-untyped]
from pycrate_mobile.TS23040_SMS import SMS_DELIVER, SMS_SUBMIT  # type: ignore[import-untyped]

from custodio.errors import DecodeError
from custodio.etsi import alphabet as A
from custodio.etsi import sms as S
from custodio.etsi.errors import FieldError

OA = bytes.fromhex("0b914306101122f2")  # +34600111222: 11 digits, international, E.164
SCTS = bytes.fromhex("62301090035188")  # 2026-03-01 09:30:15 -02:00
WHEN = datetime(2026, 3, 1, 9, 30, 15, tzinfo=timezone(timedelta(hours=-2)))


def deliver_septets(septets: bytes, header: bytes = b"", dcs: int = 0x00) -> bytes:
    """An SMS-DELIVER from +34600111222 carrying ``septets`` after a user data header,
    packed per TS 23.040 9.2.3.24: text from the septet boundary after the header."""
    skip = (8 * len(header) + 6) // 7
    ud = header + A.pack_septets(septets, 7 * skip - 8 * len(header))
    first = 0x44 if header else 0x04
    return bytes((first,)) + OA + bytes((0, dcs)) + SCTS + bytes((skip + len(septets),)) + ud


def concat8(reference: int, total: int, number: int) -> bytes:
    """A user data header holding IEI 0x00 (TS 23.040 9.2.3.24.1)."""
    return bytes((5, 0x00, 3, reference, total, number))


def pycrate_deliver(text: str, *, udh: list[object] | None = None, charset: int = 0,
                    oa: dict[str, object] | None = None) -> bytes:  # fmt: skip
    """An SMS-DELIVER written by pycrate."""
    ud: dict[str, object] = {"UD": text}
    if udh:
        ud["UDH"] = {"UDH": udh}
    message = SMS_DELIVER(val={
        "TP_MMS": 1, "TP_UDHI": int(bool(udh)),
        "TP_OA": oa or {"Type": 1, "NumberingPlan": 1, "Num": "34600111222"},
        "TP_DCS": {"Group": 0, "Charset": charset},
        "TP_SCTS": (time.strptime("2026-03-01 09:30:15", "%Y-%m-%d %H:%M:%S"), -2.0),
        "TP_UD": ud,
    })  # fmt: skip
    return bytes(message.to_bytes())


# --- TS 23.038: the alphabet ---------------------------------------------------------


def test_packing_hellohello() -> None:
    """TS 23.038 6.1.2.1.1: septets packed least significant bit first; the well-known
    example "hellohello" packs to E8 32 9B FD 46 97 D9 EC 37."""
    packed = bytes.fromhex("e8329bfd4697d9ec37")
    assert A.pack_septets(A.encode_gsm7("hellohello")) == packed
    assert A.decode_gsm7(A.unpack_septets(packed, 10)) == "hellohello"


def test_default_alphabet_table() -> None:
    """TS 23.038 6.2.1: the default alphabet, code by code, as pycrate's table has it."""
    codes = bytes(n for n in range(128) if n != A.ESCAPE)
    assert A.decode_gsm7(codes) == _GSM7bTab.replace("\x1b", "")
    spots = {0x00: "@", 0x02: "$", 0x11: "_", 0x24: "¤", 0x40: "¡", 0x5F: "§", 0x60: "¿",
             0x7F: "à", 0x0A: "\n", 0x1F: "É", 0x09: "Ç"}  # fmt: skip
    for code, char in spots.items():
        assert A.decode_gsm7(bytes((code,))) == char and A.encode_gsm7(char) == bytes((code,))


def test_extension_table() -> None:
    """TS 23.038 6.2.1.1: 0x1B escapes to the extension table: form feed 0x0A, ^ 0x14,
    { 0x28, } 0x29, \\ 0x2F, [ 0x3C, ~ 0x3D, ] 0x3E, | 0x40, € 0x65."""
    table = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~",
             0x3E: "]", 0x40: "|", 0x65: "€"}  # fmt: skip
    for code, char in table.items():
        assert A.encode_gsm7(char) == bytes((0x1B, code))
        assert A.decode_gsm7(bytes((0x1B, code))) == char


def test_escape_without_an_extension_character() -> None:
    """TS 23.038 6.2.1.1: an escaped code the table lacks shows the default character;
    0x1B 0x1B (reserved for another table) and a lone escape (6.2.1 note 1) a space."""
    assert A.decode_gsm7(bytes((0x1B, 0x41, 0x62))) == "Ab"
    assert A.decode_gsm7(bytes((0x61, 0x1B, 0x1B, 0x62))) == "a b"
    assert A.decode_gsm7(bytes((0x61, 0x1B))) == "a "
    with pytest.raises(ValueError, match="not in the GSM 7-bit default alphabet"):
        A.encode_gsm7("ç")


@pytest.mark.parametrize(
    ("value", "alphabet", "message_class", "extra"),
    [
        (0x00, "gsm7", None, {}),
        (0x04, "8bit", None, {}),
        (0x08, "ucs2", None, {}),
        (0x0C, "gsm7", None, {}),  # alphabet 11 is reserved: GSM 7-bit
        (0x11, "gsm7", 1, {}),
        (0x16, "8bit", 2, {}),
        (0x20, "gsm7", None, {"compressed": True}),
        (0x48, "ucs2", None, {"automatic_deletion": True}),
        (0x80, "gsm7", None, {}),  # reserved coding groups 1000..1011: GSM 7-bit
        (0xC8, "gsm7", None, {"waiting": "voicemail", "waiting_active": True, "store": False}),
        (0xD9, "gsm7", None, {"waiting": "fax", "waiting_active": True}),
        (0xE2, "ucs2", None, {"waiting": "email", "waiting_active": False}),
        (0xF4, "8bit", 0, {}),
        (0xF1, "gsm7", 1, {}),
    ],
)
def test_data_coding_scheme(
    value: int, alphabet: str, message_class: int | None, extra: dict[str, object]
) -> None:
    """TS 23.038 clause 4: coding groups 00xx and 01xx (bit 5 compressed, bit 4 class
    meaning, bits 3-2 alphabet), 1100/1101/1110 message waiting, 1111 data coding/class;
    reserved codings read as the GSM 7-bit default alphabet."""
    coding = A.data_coding(value)
    assert (coding.alphabet, coding.message_class) == (alphabet, message_class)
    for name, expected in extra.items():
        assert getattr(coding, name) == expected


# --- TS 23.040: the TPDU -------------------------------------------------------------


def test_sms_deliver_published_example() -> None:
    """TS 23.040 9.2.2.1 SMS-DELIVER, the widely published example (after its SC address):
    first octet 04 (MTI 00, no more messages), TP-OA 0B C8 (11 digits, type of number 100
    subscriber, plan 1000 national), TP-PID 00, TP-DCS 00, TP-SCTS 99 30 92 51 61 95 80
    (1999-03-29 15:16:59, +8 quarters), TP-UDL 0A, "hellohello"."""
    raw = bytes.fromhex("040bc87238880900f10000993092516195800ae8329bfd4697d9ec37")
    sms = S.decode_tpdu(raw, S.SC_TO_MS)
    assert sms.kind == S.DELIVER and not sms.more_messages
    assert sms.originator == S.TPAddress(4, 8, "27838890001")
    assert sms.originator.text == "27838890001"  # not international: no '+'
    assert sms.timestamp == datetime(1999, 3, 29, 15, 16, 59, tzinfo=timezone(timedelta(hours=2)))
    assert sms.text == "hellohello"


def test_scts_negative_and_odd_zones() -> None:
    """TS 23.040 9.2.3.11: the zone in quarter hours as two semi-octets, bit 3 of the
    seventh octet the sign: 29 = -(1 tens, 2 units) = -12 quarters = -03:00; 32 = +23
    quarters = +05:45."""
    west = bytes.fromhex("62119201135029")
    raw = bytes((0x04,)) + OA + b"\x00\x00" + west + b"\x00"
    sms = S.decode_tpdu(raw, S.SC_TO_MS)
    assert sms.timestamp == datetime(2026, 11, 29, 10, 31, 5, tzinfo=timezone(-timedelta(hours=3)))
    assert S.encode_timestamp(sms.timestamp) == west
    nepal = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=5, minutes=45)))
    assert S.encode_timestamp(nepal)[6] == 0x32


def test_gsm7_submit_with_extension_read_by_pycrate_and_back() -> None:
    """TS 23.040 9.2.2.2 SMS-SUBMIT with TS 23.038 extension characters, both ways."""
    text = "Hola {mundo} €10 [x]~|^\\ ñ"
    ours = S.encode_submit("+34600111222", text, reference=7, validity=timedelta(days=2))
    theirs = SMS_SUBMIT()
    theirs.from_bytes(ours)
    assert theirs["TP_DA"]["Num"].decode() == "34600111222"
    assert theirs["TP_UD"]["UD"].decode() == text and theirs["TP_VP"].get_val() == 168
    back = S.decode_tpdu(bytes(theirs.to_bytes()), S.MS_TO_SC)
    assert (back.kind, back.reference, back.validity) == (S.SUBMIT, 7, timedelta(days=2))
    assert back.recipient is not None and back.recipient.text == "+34600111222"
    assert back.text == text


def test_ucs2_with_an_emoji_surrogate_pair() -> None:
    """TS 23.038 6.2.3 UCS-2, read as UTF-16BE: D83D DE00 is U+1F600, as phones send it."""
    ud = bytes.fromhex("0048006f006c00610020d83dde00")
    raw = bytes((0x01, 0x00)) + OA + bytes((0x00, 0x08, len(ud))) + ud
    assert S.decode_tpdu(raw, S.MS_TO_SC).text == "Hola 😀"
    theirs = pycrate_deliver("Adiós 😀", charset=2)
    assert S.decode_tpdu(theirs, S.SC_TO_MS).text == "Adiós 😀"
    ours = S.encode_deliver("+34600111222", "Adiós 😀", WHEN)
    parsed = SMS_DELIVER()
    parsed.from_bytes(ours)
    assert parsed["TP_UD"]["UD"].decode() == "Adiós 😀" and ours[10] == 0x08


def test_unpaired_surrogate_is_refused() -> None:
    """TS 23.038 6.2.3: a half pair inside a whole message is malformed."""
    ud = bytes.fromhex("0048d83d0048")
    raw = bytes((0x01, 0x00)) + OA + bytes((0x00, 0x08, len(ud))) + ud
    with pytest.raises(FieldError, match="unpaired UTF-16 surrogate U\\+D83D"):
        S.decode_tpdu(raw, S.MS_TO_SC)


def test_eight_bit_data_keeps_its_octets() -> None:
    """TS 23.038 clause 4 (8-bit data, DCS 0x04 and 0xF5 class 1): no text, octets kept."""
    for dcs in (0x04, 0xF5):
        raw = bytes((0x04,)) + OA + bytes((0x00, dcs)) + SCTS + b"\x04\x00\xff\x10\x80"
        sms = S.decode_tpdu(raw, S.SC_TO_MS)
        assert sms.text is None and sms.user_data is not None
        assert sms.user_data.units == b"\x00\xff\x10\x80"
    ours = S.decode_tpdu(S.encode_deliver("600", b"\x01\x02", WHEN), None)
    assert ours.user_data is not None and ours.user_data.units == b"\x01\x02"


def test_alphanumeric_originator_both_ways() -> None:
    """TS 23.040 9.1.2.5: type of number 101, the address in GSM 7-bit, its length the
    count of useful semi-octets."""
    theirs = pycrate_deliver("x", oa={"Type": 5, "NumberingPlan": 0, "Num": "Banco-Info"})
    assert theirs[1:3] == bytes((18, 0xD0))  # 10 septets: 70 bits, 18 semi-octets
    sms = S.decode_tpdu(theirs, S.SC_TO_MS)
    assert sms.originator == S.TPAddress(5, 0, "Banco-Info") and sms.originator.text == "Banco-Info"
    ours = S.encode_deliver(S.TPAddress(5, 0, "Pago@Casa"), "y", WHEN)
    parsed = SMS_DELIVER()
    parsed.from_bytes(ours)
    assert parsed["TP_OA"]["Num"].decode() == "Pago@Casa"


def test_concatenated_8bit_reference_made_by_pycrate() -> None:
    """TS 23.040 9.2.3.24.1: IEI 0x00 (reference, count, number); 7-bit text starts at
    the septet boundary after the header (fill bits), and the parts are joined in order."""
    parts = [
        pycrate_deliver(text, udh=[{"T": 0, "V": {"MsgRef": 42, "MsgParts": 3, "MsgNum": n}}])
        for n, text in ((3, "tres."), (1, "Uno, "), (2, "dos y { "))
    ]
    decoded = [S.decode_tpdu(p, S.SC_TO_MS) for p in parts]
    assert [d.concat for d in decoded] == [S.Concat(42, 3, n) for n in (3, 1, 2)]
    joined = S.join(decoded)
    assert joined.complete and joined.text == "Uno, dos y { tres."
    assert [p.concat.sequence for p in joined.parts if p.concat] == [1, 2, 3]


def test_concatenated_16bit_reference_read_by_pycrate() -> None:
    """TS 23.040 9.2.3.24.8: IEI 0x08, a 16-bit reference; our parts, read by pycrate."""
    text = "Mañana a las 10 en el puerto, trae los papeles € " * 5
    pieces = S.split_text(text, wide=True)
    assert len(pieces) == 2 and len(A.encode_gsm7(pieces[0])) <= 152
    parts = [
        S.encode_submit("+34600111222", piece, concat=S.Concat(0x1234, 2, n, wide=True))
        for n, piece in enumerate(pieces, 1)
    ]
    for n, raw in enumerate(parts, 1):
        parsed = SMS_SUBMIT()
        parsed.from_bytes(raw)
        assert parsed["TP_UD"]["UDH"]["UDH"][0]["V"].get_val() == [0x1234, 2, n]
        assert parsed["TP_UD"]["UD"].decode() == pieces[n - 1]
    assert S.join([S.decode_tpdu(p, S.MS_TO_SC) for p in reversed(parts)]).text == text


def test_join_reports_missing_duplicate_and_conflicting_parts() -> None:
    """TS 23.040 9.2.3.24.1: parts are put together by number; we report what is missing
    or repeated and give no text while a part is missing or two differ."""

    def part(n: int, text: str) -> S.TPDU:
        return S.decode_tpdu(deliver_septets(A.encode_gsm7(text), concat8(7, 3, n)), None)

    joined = S.join([part(1, "a"), part(3, "c"), part(1, "a")])
    assert (joined.missing, joined.duplicates, joined.text) == ((2,), (1,), None)
    joined = S.join([part(1, "a"), part(2, "b"), part(2, "B"), part(3, "c")])
    assert (joined.conflicts, joined.complete, joined.text) == ((2,), False, None)
    assert S.join([part(2, "b"), part(1, "a"), part(3, "c")]).text == "abc"
    other = S.decode_tpdu(deliver_septets(b"x", concat8(8, 3, 1)), None)
    with pytest.raises(FieldError, match="parts of different messages"):
        S.join([part(1, "a"), other])


def test_join_mends_an_escape_and_a_surrogate_pair_split_between_parts() -> None:
    """TS 23.040 9.2.3.24.1 with TS 23.038: a part may end inside an escape sequence or a
    UTF-16 pair; each part alone shows a space or U+FFFD there, the joined text is whole."""
    first = S.decode_tpdu(deliver_septets(b"\x41\x1b", concat8(1, 2, 1)), None)
    second = S.decode_tpdu(deliver_septets(b"\x65\x42", concat8(1, 2, 2)), None)
    assert (first.text, second.text) == ("A ", "eB")
    assert S.join([first, second]).text == "A€B"
    halves = (bytes.fromhex("0041d83d"), bytes.fromhex("de000042"))
    ucs2 = [
        S.decode_tpdu(
            bytes((0x44,))
            + OA
            + bytes((0, 0x08))
            + SCTS
            + bytes((6 + len(h),))
            + concat8(2, 2, n)
            + h,
            None,
        )
        for n, h in enumerate(halves, 1)
    ]
    assert [p.text for p in ucs2] == ["A\ufffd", "\ufffdB"]
    assert S.join(ucs2).text == "A😀B"


def test_concatenation_element_outside_its_range_is_ignored() -> None:
    """TS 23.040 9.2.3.24.1: a count of 0, or a number of 0 or above the count, makes the
    receiver ignore the element; the last of repeated elements counts (9.2.3.24)."""
    for header in (concat8(1, 0, 0), concat8(1, 2, 0), concat8(1, 2, 3)):
        assert S.decode_tpdu(deliver_septets(b"a", header), None).concat is None
    twice = bytes((10, 0x00, 3, 1, 2, 1, 0x00, 3, 9, 4, 2))
    assert S.decode_tpdu(deliver_septets(b"a", twice), None).concat == S.Concat(9, 4, 2)


@pytest.mark.parametrize(
    ("value", "period"),
    [
        (0, timedelta(minutes=5)),
        (143, timedelta(hours=12)),
        (144, timedelta(hours=12, minutes=30)),
        (167, timedelta(hours=24)),
        (168, timedelta(days=2)),
        (196, timedelta(days=30)),
        (197, timedelta(weeks=5)),
        (255, timedelta(weeks=63)),
    ],
)
def test_relative_validity(value: int, period: timedelta) -> None:
    """TS 23.040 9.2.3.12.1: the relative TP-VP's four ranges."""
    assert S.relative_validity(value) == period
    raw = bytes((0x11, 0x00)) + OA + bytes((0, 0, value, 0))
    assert S.decode_tpdu(raw, S.MS_TO_SC).validity == period


def test_absolute_and_enhanced_validity() -> None:
    """TS 23.040 9.2.3.12.2 (absolute: as TP-SCTS) and 9.2.3.12.3 (enhanced: 7 octets,
    functionality indicator bits 2-0: 000 none, 001 relative, 010 seconds, 011 HHMMSS)."""

    def submit(vpf: int, vp: bytes) -> S.TPDU:
        return S.decode_tpdu(bytes((0x01 | vpf << 3, 0)) + OA + b"\x00\x00" + vp + b"\x00", None)

    assert submit(3, SCTS).validity == WHEN
    assert submit(1, bytes.fromhex("01a70000000000")).validity == timedelta(hours=24)
    assert submit(1, bytes.fromhex("021e0000000000")).validity == timedelta(seconds=30)
    assert submit(1, bytes.fromhex("03103254000000")).validity == timedelta(
        hours=1, minutes=23, seconds=45
    )
    assert submit(1, bytes(7)).validity is None
    with pytest.raises(FieldError, match="enhanced format 100 is reserved"):
        submit(1, bytes.fromhex("04000000000000"))
    with pytest.raises(FieldError, match="no room for HH MM SS"):
        submit(1, bytes.fromhex("83808080800000"))  # four extension octets


def test_status_report_header() -> None:
    """TS 23.040 9.2.2.3 SMS-STATUS-REPORT: TP-MR, TP-RA, TP-SCTS, TP-DT, TP-ST, then
    TP-PI announcing TP-PID, TP-DCS and TP-UDL (9.2.3.27)."""
    head = bytes((0x06, 0x2A)) + OA + SCTS + SCTS + b"\x00"
    sms = S.decode_tpdu(head, S.SC_TO_MS)
    assert (sms.kind, sms.reference, sms.status, sms.discharge) == (S.STATUS_REPORT, 42, 0, WHEN)
    assert sms.recipient is not None and sms.recipient.text == "+34600111222"
    assert sms.user_data is None and not sms.more_messages
    with_text = head + bytes((0x07, 0x00, 0x00, 0x02)) + A.pack_septets(A.encode_gsm7("ok"))
    assert S.decode_tpdu(with_text, S.SC_TO_MS).text == "ok"
    only_udl = head + bytes((0x04, 0x02)) + A.pack_septets(A.encode_gsm7("ok"))
    assert S.decode_tpdu(only_udl, S.SC_TO_MS).text == "ok"  # TP-DCS absent: 0x00


def test_direction_decides_the_message_type() -> None:
    """TS 23.040 9.2.3.1: TP-MTI 00 is SMS-DELIVER going SC to MS, SMS-DELIVER-REPORT going
    MS to SC; 01 SMS-SUBMIT MS to SC, SMS-SUBMIT-REPORT SC to MS; TS 101 671's initiator
    target(0) sent it (MS to SC), server(1) sent it (SC to MS)."""
    assert (S.direction_of("target"), S.direction_of("server")) == (S.MS_TO_SC, S.SC_TO_MS)
    assert S.direction_of("undefined-party") is None and S.direction_of(None) is None
    deliver = S.encode_deliver("+34600111222", "hola", WHEN)
    submit = S.encode_submit("+34600111222", "hola")
    assert S.decode_tpdu(deliver, None).kind == S.DELIVER
    assert S.decode_tpdu(submit, None).kind == S.SUBMIT
    with pytest.raises(FieldError, match="SMS-DELIVER-REPORT carries no message"):
        S.decode_tpdu(deliver, S.MS_TO_SC)
    with pytest.raises(FieldError, match="SMS-SUBMIT-REPORT carries no message"):
        S.decode_tpdu(submit, S.SC_TO_MS)
    with pytest.raises(FieldError, match="SMS-COMMAND carries no message"):
        S.decode_tpdu(b"\x02" + bytes(10), S.MS_TO_SC)
    for first, direction in ((0x02, None), (0x03, S.SC_TO_MS)):
        with pytest.raises(FieldError, match="TP-MTI"):
            S.decode_tpdu(bytes((first,)) + bytes(10), direction)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"\x04" + bytes((21, 0x91)) + bytes(11), "TP-OA: 21 semi-octets"),
        (b"\x04" + bytes((2, 0x11, 0x21)), "TP-OA: type of address with bit 7 clear"),
        (b"\x04" + bytes((3, 0x91, 0x21, 0x43)), "TP-OA: length says 3 digits, 4 follow"),
        (b"\x04" + OA + b"\x00\x00" + bytes.fromhex("62311090035188"), "TP-SCTS: month must"),
        (b"\x04" + OA + b"\x00\x00" + bytes.fromhex("6a301090035188"), "TP-SCTS: 0x6a"),
        (b"\x04" + OA + b"\x00\x00" + SCTS + bytes((161,)) + bytes(141), "TP-UDL: 161 septets"),
        (b"\x04" + OA + b"\x00\x04" + SCTS + bytes((141,)) + bytes(141), "TP-UDL: 141 octets"),
        (b"\x04" + OA + b"\x00\x00" + SCTS + b"\x02\x41\x00\x00", "1 octets after the user"),
        (b"\x04" + OA + b"\x00\x00" + SCTS + b"\x05\x41\x00", "TP-UD: needs 5 octets, 2 left"),
        (b"\x44" + OA + b"\x00\x04" + SCTS + b"\x02\x05\x00", "TP-UDH: UDHL 5 runs past"),
        (b"\x44" + OA + b"\x00\x04" + SCTS + b"\x07\x06\x00\x04\x01\x02\x03\x04", "IEI 0x00 of 4"),
        (b"\x44" + OA + b"\x00\x04" + SCTS + b"\x03\x02\x00\x05", "IEI 0x00 runs past UDHL"),
        (b"\x44" + OA + b"\x00\x00" + SCTS + b"\x00", "TP-UDHI is set but the user data is"),
        (b"\x44" + OA + b"\x00\x00" + SCTS + b"\x01\x00", "TP-UDL: 1 septets do not cover"),
        (b"\x04" + OA + b"\x00\x08" + SCTS + b"\x03\x00\x41\x00", "3 octets of UCS-2"),
        (b"\x04" + bytes(300), "TPDU: 301 octets"),
        (b"", "TPDU: 0 octets"),
    ],
)
def test_one_precise_error_per_malformed_field(raw: bytes, problem: str) -> None:
    """TS 23.040 9.1.2.5 (address), 9.2.3.11 (SCTS), 9.2.3.16 (TP-UDL at most 160 septets
    or 140 octets), 9.2.3.24 (TP-UD and its header): each fault is named."""
    with pytest.raises(FieldError, match=problem):
        S.decode_tpdu(raw, S.SC_TO_MS)


def test_every_truncation_is_named() -> None:
    """A TPDU cut at any length: a FieldError, never another exception."""
    raw = S.encode_deliver("+34600111222", "Hola {x}", WHEN, concat=S.Concat(3, 2, 1))
    for cut in range(len(raw)):
        with pytest.raises(FieldError):
            S.decode_tpdu(raw[:cut], S.SC_TO_MS)


@given(st.binary(max_size=300), st.sampled_from([S.MS_TO_SC, S.SC_TO_MS, None]))
def test_any_octets_raise_only_our_error(raw: bytes, direction: str | None) -> None:
    """The decoder on any octets: a TPDU or a DecodeError naming the field."""
    try:
        S.decode_tpdu(raw, direction)
    except DecodeError as e:
        assert isinstance(e, FieldError) and e.field


gsm7_text = st.text(alphabet=A.DEFAULT_ALPHABET.replace("\x1b", "") + "€[]{}\\^~|\f")


@given(gsm7_text.filter(lambda t: len(A.encode_gsm7(t)) <= 153), st.booleans())
def test_gsm7_round_trip(text: str, concatenated: bool) -> None:
    """decode(encode(x)) == x for 7-bit text, with and without a header's fill bits."""
    concat = S.Concat(1, 1, 1) if concatenated else None
    assert S.decode_tpdu(S.encode_submit("+346", text, concat=concat), None).text == text


@given(
    st.text(max_size=60).filter(
        lambda t: not A.gsm7_fits(t) and len(t.encode("utf-16-be", "surrogatepass")) <= 140
    )
)
def test_ucs2_round_trip(text: str) -> None:
    """decode(encode(x)) == x for any text outside the 7-bit alphabet, astral included."""
    raw = S.encode_deliver("+346", text, WHEN, alphabet="ucs2")
    assert S.decode_tpdu(raw, None).text == text


@given(st.text(min_size=150, max_size=600), st.booleans())
def test_split_and_join_give_back_the_text(text: str, wide: bool) -> None:
    """split_text, one SMS-SUBMIT per part, decode and join: the text again."""
    pieces = S.split_text(text, wide=wide)
    assert 0 < len(pieces) < 256 and "".join(pieces) == text
    concat = [
        S.Concat(300 if wide else 30, len(pieces), n, wide) for n in range(1, len(pieces) + 1)
    ]
    parts = [S.encode_submit("+346", p, concat=c) for p, c in zip(pieces, concat, strict=True)]
    assert S.join([S.decode_tpdu(p, S.MS_TO_SC) for p in parts]).text == text


# --- TS 101 671 enhancedContent ------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "encoding", "text"),
    [
        (b"Hola \x1b\x65 \x5d", 0, "Hola € Ñ"),  # GSM default alphabet, unpacked
        (b"ni\xf1o", 1, "niño"),  # ISO 8859-1
        (b"\x00\x01", 2, None),  # binary: no text
        (bytes.fromhex("00410020d83dde00"), 3, "A 😀"),
        ("año 😀".encode(), 4, "año 😀"),
        (b"\xff\xfe" + "año".encode("utf-16-le"), 5, "año"),
        (b"\xfe\xff" + "año".encode("utf-16-be"), 5, "año"),
        ("año".encode("utf-16-be"), 5, "año"),  # no byte-order mark: big-endian
        (b"??", 6, None),  # other
        (b"??", 9, None),  # a value added after our version
    ],
)
def test_enhanced_content(content: bytes, encoding: int, text: str | None) -> None:
    """TS 101 671 sMS-Contents.enhancedContent: each character-encoding as documented in
    decode_enhanced (HI2Operations names them without defining them)."""
    got = S.decode_enhanced(content, encoding)
    assert (got.text, got.octets) == (text, content)
    assert got.name == S.ENHANCED_ENCODINGS.get(encoding, "unknown(9)")


@pytest.mark.parametrize(
    ("content", "encoding", "problem"),
    [
        (b"a\x80", 0, "0x80 is not a GSM 7-bit septet at octet 1"),
        (b"\xff", 4, "not UTF-8"),
        (b"\x00", 3, "1 octets of UCS-2"),
        (bytes(S.MAX_ENHANCED_OCTETS + 1), 2, "65537 octets"),
    ],
)
def test_enhanced_content_refusals(content: bytes, encoding: int, problem: str) -> None:
    """Octets that the named encoding cannot hold are refused, naming the field."""
    with pytest.raises(FieldError, match=f"enhancedContent: {problem}"):
        S.decode_enhanced(content, encoding)
