"""SIP and tel URIs as their RFCs define them, and which warrant target a party is."""

from __future__ import annotations

import pytest

from custodio.assemble.parties import e164, named_target
from custodio.catalog import identifiers
from custodio.etsi import sip


def _uri(text: str) -> sip.URI:
    uri = sip.parse_uri(text)
    assert uri is not None, text
    return uri


# RFC 3261 §19.1.4, the sets of equivalent URIs given there
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp"),
        ("sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5"),
        ("sip:carol@chicago.com", "sip:carol@chicago.com;security=on"),
        ("sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
         "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"),
        ("sip:alice@atlanta.com?subject=project%20x&priority=urgent",
         "sip:alice@atlanta.com?priority=urgent&subject=project%20x"),
    ],
)  # fmt: skip
def test_rfc3261_equivalent_uris(a: str, b: str) -> None:
    assert _uri(a).same_as(_uri(b)) and _uri(b).same_as(_uri(a))


# RFC 3261 §19.1.4, the pairs given there as not equivalent
@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP"),
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"),
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp"),
        ("sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp"),
        ("sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting"),
        ("sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4"),
        ("sip:alice@atlanta.com", "sips:alice@atlanta.com"),  # §19.1.4: never equivalent
    ],
)
def test_rfc3261_uris_that_differ(a: str, b: str) -> None:
    assert not _uri(a).same_as(_uri(b)) and not _uri(b).same_as(_uri(a))


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("tel:+34600111222", "+34600111222"),
        ("tel:+34-600-111-222", "+34600111222"),  # RFC 3966 §5.1.1 visual separators
        ("tel:(600)111.222;phone-context=+34", "+34600111222"),  # §5.1.5 local number
        ("sip:+34600111222@ims.example;user=phone", "+34600111222"),  # RFC 3261 §19.1.6
        ("sip:600111222;phone-context=+34@ims.example;user=phone", "+34600111222"),
        ("sip:+34600111222@ims.example", "+34600111222"),  # a global number, no user=phone
        ("sip:%2B34600111222@ims.example;user=phone", "+34600111222"),  # escaped '+'
        ("sip:alice@ims.example", None),
        ("sip:600111222@ims.example", None),  # no user=phone: a user name made of digits
        ("tel:600111222", None),  # a local number needs its context
        ("tel:112;phone-context=example.com", None),  # a domain context names no country
    ],
)
def test_the_number_a_uri_names(text: str, number: str | None) -> None:
    assert _uri(text).e164() == number


def test_header_addresses_name_addr_addr_spec_and_lists() -> None:
    """RFC 3261 §20: parameters after an addr-spec are the header's; a display name may
    hold a comma inside quotes; P-Asserted-Identity may list a SIP and a tel URI."""
    value = '"Ruiz, Ana" <sip:ana@ims.example;user=phone>;tag=9, <tel:+34600111222>'
    assert [u.text for u in sip.addresses(value)] == [
        "sip:ana@ims.example;user=phone", "tel:+34600111222",
    ]  # fmt: skip
    assert [u.text for u in sip.addresses("sip:ana@ims.example;tag=9")] == ["sip:ana@ims.example"]
    assert sip.addresses("<mailto:ana@example.org>") == []


def test_an_initial_invite_and_a_re_invite_differ_by_the_to_tag() -> None:
    first = (
        b"INVITE sip:b@h SIP/2.0\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCSeq: 1 INVITE\r\n"
    )
    again = first.replace(b"To: <sip:b@h>", b"To: <sip:b@h>;tag=2")
    assert not sip.parse(first).to_tagged and sip.parse(again).to_tagged
    info = sip.parse(first + b"P-Asserted-Identity: <sip:a@h>\r\np-asserted-identity: <tel:+1>\r\n")
    assert [u.text for u in info.asserted] == ["sip:a@h", "tel:+1"]
    assert info.request_uri is not None and info.request_uri.text == "sip:b@h"


@pytest.mark.parametrize(
    ("target", "delivered", "source", "named"),
    [
        ("e164:+34600111222", "sip:+34600111222@ims.example;user=phone", "sip-from", True),
        ("e164:+34600111222", "tel:+34600111222", "sip-pai", True),
        ("e164:+34600111222", "600111222", "called-isup", True),  # national, read for ES
        ("e164:+34600111222", "+34600111222", "msisdn", True),
        ("e164:+34600111222", "600111222", "imsi", False),  # an IMSI is not a number
        ("sip:ana@ims.example", "sip:ana@IMS.example;transport=tcp", "sip-to", True),
        ("sip:ana@ims.example", "sip:Ana@ims.example", "sip-to", False),  # user case
        ("sip:ana@ims.example", "sip:ana@ims.example", "called-isup", False),
        ("sip:+34600111222@ims.example;user=phone", "tel:+34600111222", "sip-pai", True),
        ("imsi:214070123456789", "214070123456789", "imsi", True),
        ("imei:490154203237518", "49015420323751", "imei", True),  # 14 digits name it
        ("imei:490154203237518", "4901542032375100", "imei", True),  # an IMEISV
        ("imei:490154203237518", "490154203237519", "imsi", False),
    ],
)
def test_which_party_a_warrant_names(target: str, delivered: str, source: str, named: bool) -> None:
    wanted = identifiers.parse(target)
    found = named_target(frozenset({wanted}), delivered, source)
    assert (found == wanted) is named


def test_party_numbers_in_e164() -> None:
    assert e164("sip:+34600111222@ims.example;user=phone", "sip-from") == "+34600111222"
    assert e164("34600111222", "calling-isup") == "+34600111222"  # digits with the country
    assert e164("sip:ana@ims.example", "sip-from") is None
    assert e164("hex:0102", "msisdn") is None


def test_a_sip_target_reads_and_prints_as_its_uri() -> None:
    """Targets print as ``sip:ana@h`` (not ``sip:sip:ana@h``) and read back the same;
    ``sips`` is kept (RFC 3261 §19.1.4: never equivalent to ``sip``)."""
    for text in ("sip:ana@ims.example", "sips:ana@ims.example"):
        parsed = identifiers.parse(text)
        assert str(parsed) == text and identifiers.parse(str(parsed)) == parsed
    assert str(identifiers.parse("sip:ana@IMS.Example")) == "sip:ana@ims.example"
    assert identifiers.parse("sip:sip:ana@ims.example") == identifiers.parse("sip:ana@ims.example")
