"""ISUP (ITU-T Q.763 / EN 300 356-1) and DSS1 (ITU-T Q.931 / EN 300 403-1) party numbers,
built octet by octet from the clauses' field tables."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custodio.errors import DecodeError
from custodio.etsi import isdn
from custodio.etsi.errors import FieldError


def test_isup_international_odd_count() -> None:
    """Q.763 3.10 calling party number: octet 1 odd (bit 8) and nature 0000100
    (international); octet 2 plan 001 (E.164), screening 11; signals low nibble first,
    a filler completing the odd count."""
    raw = bytes.fromhex("8413430610325406")  # the reference capture's calling number
    number = isdn.decode_isup(raw)
    assert (number.digits, number.international, number.plan) == ("34600123456", True, 1)
    assert number.text == "+34600123456"
    assert isdn.encode_isup("+34600123456") == raw


def test_isup_national_even_count_and_end_of_pulsing() -> None:
    """Q.763 3.9 called party number: nature 0000011 (national), even count; signal 1111
    (ST, end of pulsing) only as the last signal."""
    assert isdn.decode_isup(bytes.fromhex("03100621")).text == "6012"
    assert isdn.decode_isup(bytes.fromhex("031006f1")).text == "601"  # ST ends it
    assert isdn.decode_isup(bytes.fromhex("0310b6c1")).text == "6b1c"  # code 11, code 12


def test_isup_address_not_available() -> None:
    """Q.763 3.10 note 1: presentation "address not available" omits octets 3 to n."""
    assert isdn.decode_isup(bytes.fromhex("000b")).text == ""


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("04", "1 octets"),
        ("8410", "odd count of address signals, but none follow"),
        ("0410a1", "address signal 1010 is spare at octet 2"),
        ("0410f121", "address signal 1111 is ST before the last signal at octet 2"),
    ],
)
def test_isup_refusals(raw: str, problem: str) -> None:
    """Q.763 3.9/3.10: the signal codes 1010, 1101, 1110 are spare; ST ends the number."""
    with pytest.raises(FieldError, match=problem):
        isdn.decode_isup(bytes.fromhex(raw))


def test_dss1_calling_with_octet_3a() -> None:
    """Q.931 4.5.10 calling party number: octet 3 extension 0, type 001 (international),
    plan 0001 (E.164); octet 3a presentation and screening; the digits in IA5."""
    raw = bytes.fromhex("1180") + b"34600111222"
    number = isdn.decode_dss1(raw, called=False)
    assert number.text == "+34600111222"
    assert isdn.decode_dss1(bytes.fromhex("a1") + b"600111222", called=False).text == "600111222"


def test_dss1_called() -> None:
    """Q.931 4.5.8 called party number: octet 3 only (extension 1), the digits in IA5."""
    assert isdn.decode_dss1(bytes.fromhex("91") + b"34600111222*#", called=True).text == (
        "+34600111222*#"
    )
    with pytest.raises(FieldError, match="no octet 3a"):
        isdn.decode_dss1(bytes.fromhex("1180") + b"346", called=True)
    with pytest.raises(FieldError, match="0x41 is not an IA5 digit"):
        isdn.decode_dss1(bytes.fromhex("91") + b"34A", called=True)
    with pytest.raises(FieldError, match="octet 3a missing"):
        isdn.decode_dss1(bytes.fromhex("11"), called=False)


@given(st.binary(max_size=30), st.booleans())
def test_any_octets_raise_only_our_error(raw: bytes, called: bool) -> None:
    """Both decoders, on any octets: a number or a DecodeError naming the field."""
    for decode in (isdn.decode_isup, lambda r: isdn.decode_dss1(r, called=called)):
        try:
            decode(raw)
        except DecodeError as e:
            assert isinstance(e, FieldError) and e.field


@given(st.from_regex(r"\A\+?[0-9]{1,30}\Z"))
def test_isup_round_trip(text: str) -> None:
    """decode(encode(x)) == x for international and unknown-nature numbers."""
    assert isdn.decode_isup(isdn.encode_isup(text)).text == text
