"""The one text form of the handover's octet-string names (LIID, operator identifier):
TS 102 232-1 and TS 101 671 give them as OCTET STRING, "recommended" ASCII."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custodio.etsi import names
from custodio.etsi.errors import FieldError


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"ES-LIID-0001", "ES-LIID-0001"),  # the recommended alphabet: itself
        ("ES-LÍID".encode(), "ES-LÍID"),  # valid UTF-8: itself
        (b"ES-\xff", "ES-\\xff"),  # not UTF-8: escaped, never U+FFFD
        (b"ES-\xfe", "ES-\\xfe"),
        (b"a\\xff", "a\\\\xff"),  # a backslash in the octets is doubled
        (b"\x00\x1f\x7f", "\\x00\\x1f\\x7f"),  # control characters
        ("x\u0085".encode(), "x\\xc2\\x85"),  # a C1 control character, both its octets
        (b"\xe2\x82", "\\xe2\\x82"),  # a UTF-8 sequence cut short
        (b"\xc0\x80", "\\xc0\\x80"),  # an overlong encoding is not UTF-8
    ],
)
def test_text_forms(raw: bytes, text: str) -> None:
    assert names.text(raw) == text and names.octets(text) == raw


@given(st.binary(max_size=40))
def test_every_name_reads_back_to_its_octets(raw: bytes) -> None:
    assert names.octets(names.text(raw)) == raw


@given(st.binary(min_size=1, max_size=25), st.binary(min_size=1, max_size=25))
def test_different_octets_have_different_texts(a: bytes, b: bytes) -> None:
    assert (names.text(a) == names.text(b)) == (a == b)


@pytest.mark.parametrize("text", ["a\\", "\\x41", "\\xFF", "a\x01", "\\q"])
def test_a_text_that_is_no_text_form_is_refused(text: str) -> None:
    """A lone backslash, an escape of a printable character or in upper case, a raw
    control character: none is the text form of any octets."""
    with pytest.raises(FieldError):
        names.octets(text, "LIID")
