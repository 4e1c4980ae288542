"""TBCD strings and the MAP identities (3GPP TS 29.002 clause 17.7.8), against the clause's
text and against pycrate's independent MAP encoder (``pycrate_mobile``)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pycrate_mobile.TS24008_IE import decode_bcd, encode_bcd  # type: ignore[import-untyped]
from pycrate_mobile.TS29002_MAPIE import AddressString  # type: ignore[import-untyped]

from custodio.errors import DecodeError
from custodio.etsi import tbcd
from custodio.etsi.errors import FieldError


def test_tbcd_digits_and_filler() -> None:
    """TS 29.002 17.7.8 TBCD-STRING: digit 2n-1 in bits 4-1 of octet n, digit 2n in bits
    8-5; 1010 '*', 1011 '#', 1100 'a', 1101 'b', 1110 'c'; 1111 fills an odd count."""
    assert tbcd.encode_tbcd("12345") == bytes.fromhex("2143f5")
    assert tbcd.decode_tbcd(bytes.fromhex("2143f5")) == "12345"
    assert tbcd.encode_tbcd("*#abc0") == bytes.fromhex("badc0e")
    assert tbcd.decode_tbcd(bytes.fromhex("badc0e")) == "*#abc0"
    assert tbcd.decode_tbcd(b"") == ""


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("1f", "filler 1111 in bits 4-1 at octet 0"),  # a filler first
        ("f121", "filler 1111 before the last octet at octet 0"),  # a filler inside
        ("214f", "filler 1111 in bits 4-1 at octet 1"),
    ],
)
def test_tbcd_filler_only_completes_the_last_octet(raw: str, problem: str) -> None:
    """TS 29.002 17.7.8: "1111 used as filler when there is an odd number of digits"."""
    with pytest.raises(FieldError, match=problem):
        tbcd.decode_tbcd(bytes.fromhex(raw))


def test_address_string_international_e164() -> None:
    """TS 29.002 17.7.8 AddressString: octet 1 = extension 1, nature of address 001
    (international), numbering plan 0001 (E.164); then the digits as TBCD."""
    raw = bytes.fromhex("914306101122f2")
    address = tbcd.decode_address(raw)
    assert (address.nature, address.plan, address.digits) == (1, 1, "34600111222")
    assert address.text == "+34600111222"
    assert tbcd.encode_address(tbcd.Address.from_text("+34600111222")) == raw


def test_address_string_other_natures_keep_their_digits() -> None:
    """TS 29.002 17.7.8: national significant number (010), E.212 plan (0110): no '+'."""
    national = tbcd.decode_address(bytes.fromhex("a1061011f2"))
    assert (national.nature, national.text) == (tbcd.Nature.NATIONAL, "6001112")
    e212 = tbcd.decode_address(bytes.fromhex("9612f4"))
    assert (e212.plan, e212.text) == (tbcd.Plan.LAND_MOBILE, "214")
    assert tbcd.decode_address(b"\x91").text == ""  # the nature octet alone: no digits


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"", "0 octets"),
        (b"\x91" + b"\x11" * 20, "21 octets"),
        (b"\x43" + b"600111", "extension bit 0"),  # the simulator's old ASCII MSISDN
        (bytes.fromhex("91214f"), "filler 1111 in bits 4-1 at octet 2"),
    ],
)
def test_address_string_refusals(raw: bytes, problem: str) -> None:
    """TS 29.002 17.7.8: 1..maxAddressLength (20) octets, bit 8 of octet 1 is 1."""
    with pytest.raises(FieldError, match=problem):
        tbcd.decode_address(raw)


def test_imsi() -> None:
    """TS 29.002 17.7.8 IMSI ::= TBCD-STRING (SIZE (3..8)): MCC, MNC, MSIN; TS 23.003
    2.2: at most 15 digits."""
    raw = bytes.fromhex("1204032143658709")  # 214 03 0123456789 + 0: 16 digits
    with pytest.raises(FieldError, match="16 digits"):
        tbcd.decode_imsi(raw)
    raw = bytes.fromhex("12040321436587f9")
    assert tbcd.decode_imsi(raw) == "214030123456789"
    assert tbcd.encode_imsi("214030123456789") == raw
    for bad, problem in (("1204", "2 octets"), ("12" * 9, "9 octets"), ("12a403", "'\\*'")):
        with pytest.raises(FieldError, match=problem):
            tbcd.decode_imsi(bytes.fromhex(bad))


def test_imei_and_imeisv() -> None:
    """TS 29.002 17.7.8 IMEI ::= TBCD-STRING (SIZE (8)); TS 23.003 6.2: 15 digits (TAC,
    SNR, check or spare digit) with a filler, or an IMEISV's 16 (TAC, SNR, SVN)."""
    imeisv = bytes.fromhex("9410450223731508")
    assert tbcd.decode_imei(imeisv) == "4901542032375180"
    raw = bytes.fromhex("94104502237315f8")
    assert tbcd.decode_imei(raw) == "490154203237518"
    assert tbcd.encode_imei("490154203237518") == raw
    with pytest.raises(FieldError, match="7 octets"):
        tbcd.decode_imei(raw[:7])
    with pytest.raises(FieldError, match="filler 1111 before the last octet"):
        tbcd.decode_imei(bytes.fromhex("9410f50223731508"))
    with pytest.raises(ValueError, match="IMEISV"):
        tbcd.encode_imei("49015420323751")


def test_pycrate_encodes_we_decode_and_back() -> None:
    """Cross-check with pycrate's MAP AddressString and TBCD (independent encoder)."""
    theirs = AddressString(val={"NumType": 1, "NumPlan": 1, "Num": "34600111222"}).to_bytes()
    assert tbcd.decode_address(theirs).text == "+34600111222"
    ours = tbcd.encode_address(tbcd.Address(tbcd.Nature.NATIONAL, tbcd.Plan.ISDN, "912345678"))
    parsed = AddressString()
    parsed.from_bytes(ours)
    assert parsed["NumType"].get_val() == 2 and parsed["Num"].get_alt().decode() == "912345678"
    assert tbcd.decode_imsi(encode_bcd("214030123456789")) == "214030123456789"
    assert decode_bcd(tbcd.encode_imsi("21403012345678")) == "21403012345678"
    assert decode_bcd(tbcd.encode_imei("490154203237518")) == "490154203237518"


decoders = st.sampled_from(
    [tbcd.decode_tbcd, tbcd.decode_address, tbcd.decode_imsi, tbcd.decode_imei]
)


@given(decoders, st.binary(max_size=40))
def test_any_octets_raise_only_our_error(decode: Callable[[bytes], object], raw: bytes) -> None:
    """Every decoder, on any octets: a value or a DecodeError naming the field."""
    try:
        decode(raw)
    except DecodeError as e:
        assert isinstance(e, FieldError) and e.field


@given(st.text(alphabet=tbcd.DIGITS, max_size=38))
def test_tbcd_round_trip(digits: str) -> None:
    """decode(encode(x)) == x for every TBCD digit string."""
    assert tbcd.decode_tbcd(tbcd.encode_tbcd(digits)) == digits


@given(st.integers(0, 7), st.integers(0, 15), st.text(alphabet=tbcd.DIGITS, max_size=38))
def test_address_round_trip(nature: int, plan: int, digits: str) -> None:
    """decode(encode(x)) == x for every AddressString."""
    address = tbcd.Address(nature, plan, digits)
    assert tbcd.decode_address(tbcd.encode_address(address)) == address


@given(st.from_regex(r"\A[0-9]{5,15}\Z"), st.from_regex(r"\A[0-9]{15,16}\Z"))
def test_imsi_imei_round_trip(imsi: str, imei: str) -> None:
    """decode(encode(x)) == x for IMSIs of 5..15 digits, IMEIs and IMEISVs."""
    assert tbcd.decode_imsi(tbcd.encode_imsi(imsi)) == imsi
    assert tbcd.decode_imei(tbcd.encode_imei(imei)) == imei
