"""The TS 101 671 IRI walker, on records that pycrate's HI2Operations (an independent
encoder of the reference ASN.1) writes, with identities built from their standards:
TS 29.002 17.7.8 (TBCD, AddressString), Q.763 3.9/3.10 (ISUP), Q.931 4.5.8/4.5.10 (DSS1).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from pycrate_asn1dir import LIETSI as lietsi  # type: ignore[import-untyped]

from custodio.etsi import encode as E
from custodio.etsi import iri, isdn, tbcd
from custodio.etsi.pdu import IRIType

MSISDN = bytes.fromhex("914306101122f2")  # AddressString: international, E.164
ISUP = bytes.fromhex("8413430610325406")  # ISUP: odd, international, E.164
STAMP = ("2026", "03", "01", "09", "00", "00", "000", None)
TIMESTAMP = ("localTime", {"generalizedTime": STAMP, "winterSummerIndication": "winterTime"})
COMMUNICATION = {
    "communication-Identity-Number": b"42",
    "network-Identifier": {"operator-Identifier": b"OPES1"},
}


def walk(params: dict[str, Any]) -> iri.IRIFacts:
    """``params`` in an iRI-Report-record written by pycrate, read by our walker."""
    base: dict[str, Any] = {
        "domainID": (0, 4, 0, 2, 2, 1, 18),
        "lawfulInterceptionIdentifier": b"L-7",
        "communicationIdentifier": COMMUNICATION,
        "timeStamp": TIMESTAMP,
    }
    content = lietsi.HI2Operations.IRIsContent
    content.set_val(("iRIContent", ("iRI-Report-record", base | params)))
    return iri.parse_etsi671(E.cons(1, bytes(content.to_ber())))


def party(qualifier: str, **identity: Any) -> dict[str, Any]:
    return {"party-Qualifier": qualifier, "partyIdentity": identity}


def test_identities_in_every_format() -> None:
    """HI2Operations PartyInformation.partyIdentity: imei [1] and imsi [3] MAP TBCD,
    msISDN [6] AddressString, calling [4] and called [5] party numbers in iSUP, dSS1 and
    mAP formats, e164-Format [7] as ISUP, sip-uri [8], tel-url [9], alphanumeric [11]."""
    facts = walk({
        "partyInformation": [
            party("originating-Party", imei=tbcd.encode_imei("490154203237518"),
                  imsi=tbcd.encode_imsi("214030123456789"), msISDN=MSISDN,
                  callingPartyNumber=("mAP-Format", bytes.fromhex("a1061011f2")),
                  **{"e164-Format": ISUP, "alphanumeric": "Policía"}),
            party("terminating-Party", calledPartyNumber=("mAP-Format", MSISDN),
                  **{"sip-uri": b"sip:+34600000000@ims.example",
                     "tel-url": b"tel:+34600000000"}),
            party("originating-Party", callingPartyNumber=("iSUP-Format", ISUP)),
            party("terminating-Party",
                  calledPartyNumber=("iSUP-Format", bytes.fromhex("03100621"))),
            party("originating-Party",
                  callingPartyNumber=("dSS1-Format", bytes.fromhex("1180") + b"34911222333")),
            party("terminating-Party",
                  calledPartyNumber=("dSS1-Format", bytes.fromhex("a1") + b"911222333")),
        ]
    })  # fmt: skip
    got = {(p.role, p.source, p.delivered) for p in facts.parties}
    assert got == {
        ("originating", "imei", "490154203237518"),
        ("originating", "imsi", "214030123456789"),
        ("originating", "msisdn", "+34600111222"),
        ("originating", "calling-map", "6001112"),  # national: digits only
        ("originating", "e164-format", "+34600123456"),
        ("originating", "alphanumeric", "Policía"),
        ("terminating", "called-map", "+34600111222"),
        ("terminating", "sip-uri", "sip:+34600000000@ims.example"),
        ("terminating", "tel-url", "tel:+34600000000"),
        ("originating", "calling-isup", "+34600123456"),
        ("terminating", "called-isup", "6012"),
        ("originating", "calling-dss1", "+34911222333"),
        ("terminating", "called-dss1", "911222333"),
    }


def test_undecodable_identities_are_kept_as_octets_not_guessed() -> None:
    """An IMSI with a filler inside, an MSISDN written as ASCII (the simulator's old
    habit), a sip-uri that is not UTF-8: kept as ``hex:`` and their octets."""
    facts = walk({
        "partyInformation": [
            party("originating-Party", imsi=bytes.fromhex("12f4032143"),
                  msISDN=b"\x43" + b"600111", **{"sip-uri": b"sip:\xff@x"}),
        ]
    })  # fmt: skip
    assert {(p.source, p.delivered) for p in facts.parties} == {
        ("imsi", "hex:12f4032143"),
        ("msisdn", "hex:43363030313131"),
        ("sip-uri", "hex:7369703aff4078"),
    }


def test_a_number_not_available_names_no_party() -> None:
    """Q.763 3.10 note 1: "address not available" has no digits: no identity."""
    unavailable = party("originating-Party", callingPartyNumber=("iSUP-Format", b"\x00\x0b"))
    facts = walk({"partyInformation": [unavailable]})
    assert facts.parties == []


def test_call_state_release_cause_and_duration() -> None:
    """IRI-Parameters intercepted-Call-State [5] (idle(1), setUpInProcess(2),
    connected(3)), conversationDuration [7] ("BCD coded: HHMMSS"),
    release-Reason-Of-Intercepted-Call [11] (Q.850: octet 4 bits 7-1 the cause value)."""
    facts = walk(
        {
            "intercepted-Call-State": "idle",
            "conversationDuration": bytes.fromhex("011530"),
            "release-Reason-Of-Intercepted-Call": bytes.fromhex("8090"),  # 16 normal clearing
        }
    )
    assert (facts.call_state, facts.conversation_seconds, facts.release_cause) == ("idle", 4530, 16)
    facts = walk({"intercepted-Call-State": "connected", "conversationDuration": b"\x00\x6a\x00"})
    assert (facts.call_state, facts.conversation_seconds) == ("connected", None)  # not BCD


def test_sms_content_and_enhanced_content() -> None:
    """SMS-report sMS-Contents: initiator [1], content [4] (the TPDU), enhancedContent
    [5] with content [1] and character-encoding [2]."""
    common = {"communicationIdentifier": COMMUNICATION, "timeStamp": TIMESTAMP}
    tpdu = bytes.fromhex("01000b914306101122f2000004e8329b0d")
    facts = walk({"sMS": common | {"sMS-Contents": {"initiator": "target", "content": tpdu}}})
    assert facts.sms == iri.SMSContent("target", tpdu, None, None)
    enhanced = {"content": "año".encode(), "character-encoding": "utf-8"}
    facts = walk(
        {"sMS": common | {"sMS-Contents": {"initiator": "server", "enhancedContent": enhanced}}}
    )
    assert facts.sms == iri.SMSContent("server", None, "año".encode(), 4)


@pytest.mark.parametrize("as_record", [False, True])
def test_our_encoder_round_trip(as_record: bool) -> None:
    """What handover.encode writes for an operator (TBCD identities, AddressString, Q.850
    release cause) comes back decoded."""
    record = E.IRIRecord(
        liid=b"L-7", communication_id=b"42", operator_id=b"OPES1",
        local_time=datetime(2026, 3, 1, 9, 0, 0), call_direction=2,
        parties=(E.Party(0, imsi=tbcd.encode_imsi("214030123456789"), msisdn=MSISDN,
                         imei=tbcd.encode_imei("3520990017614823")),
                 E.Party(1, called_isup=isdn.encode_isup("+34911222333"))),
        release_cause=bytes.fromhex("8091"),
        sms=E.SMS(enhanced=b"hola", encoding=1, initiator=1),
    )  # fmt: skip
    if as_record:
        contents = E.cons(1, E.iris_content(IRIType.END, record))
    else:
        contents = E.cons(0, E.iri_parameters(record))
    facts = iri.parse_etsi671(contents)
    assert {(p.role, p.source, p.delivered) for p in facts.parties} == {
        ("originating", "imsi", "214030123456789"),
        ("originating", "msisdn", "+34600111222"),
        ("originating", "imei", "3520990017614823"),
        ("terminating", "called-isup", "+34911222333"),
    }
    assert facts.direction == "terminating" and facts.release_cause == 17
    assert facts.sms == iri.SMSContent("server", None, b"hola", 1)
