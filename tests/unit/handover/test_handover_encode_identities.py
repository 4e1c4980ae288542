"""The IRI encoder writes identities, release causes and SMS reports as an operator does,
checked both ways against pycrate's HI2Operations (the reference ASN.1, independent of
us): pycrate reads our octets to the values we meant, and writes the same octets from
those values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from pycrate_asn1dir import LIETSI as lietsi  # type: ignore[import-untyped]

from custodio.etsi import encode as E
from custodio.etsi import isdn, sms, tbcd
from custodio.etsi.pdu import IRIType

IMEI = tbcd.encode_imei("490154203237518")
IMSI = tbcd.encode_imsi("214030123456789")
MSISDN = tbcd.encode_address(tbcd.Address.from_text("+34600111222"))


def record(**kw: Any) -> E.IRIRecord:
    base: dict[str, Any] = {
        "liid": b"L-7",
        "communication_id": b"00000042",
        "operator_id": b"OPES1",
        "local_time": datetime(2026, 3, 1, 9, 0, 0),
    }
    return E.IRIRecord(**(base | kw))


def through_pycrate(iri_type: IRIType, r: E.IRIRecord) -> dict[str, Any]:
    """pycrate's reading of our record; its own encoding of that reading is ours."""
    ours = E.iris_content(iri_type, r)
    content = lietsi.HI2Operations.IRIsContent
    content.from_ber(ours)
    value = content.get_val()
    content.set_val(value)
    assert bytes(content.to_ber()) == ours
    params: dict[str, Any] = value[1][1]
    return params


def test_identities_as_an_operator_writes_them() -> None:
    """TS 101 671 partyIdentity: imei [1] (MAP IMEI, 8 octets), imsi [3] (MAP IMSI),
    calledPartyNumber [5] iSUP-Format [1], msISDN [6] (MAP AddressString)."""
    parties = (
        E.Party(0, imei=IMEI, imsi=IMSI, msisdn=MSISDN),
        E.Party(1, called_isup=isdn.encode_isup("+34911222333")),
    )
    params = through_pycrate(IRIType.BEGIN, record(parties=parties, call_direction=1))
    target = params["partyInformation"][0]["partyIdentity"]
    assert (target["imei"], target["imsi"], target["msISDN"]) == (IMEI, IMSI, MSISDN)
    assert tbcd.decode_imei(target["imei"]) == "490154203237518"
    assert tbcd.decode_address(target["msISDN"]).text == "+34600111222"
    called = params["partyInformation"][1]["partyIdentity"]["calledPartyNumber"]
    assert called[0] == "iSUP-Format" and isdn.decode_isup(called[1]).text == "+34911222333"


def test_release_cause_in_ascending_tag_order() -> None:
    """IRI-Parameters release-Reason-Of-Intercepted-Call [11], Q.850 coded, between
    partyInformation [9] and sMS [14]."""
    r = record(
        parties=(E.Party(0, msisdn=MSISDN),),
        release_cause=bytes.fromhex("8090"),
        sms=E.SMS(b"\x01\x00\x00"),
    )
    params = through_pycrate(IRIType.END, r)
    assert params["release-Reason-Of-Intercepted-Call"] == bytes.fromhex("8090")
    keys = list(params)
    assert keys.index("partyInformation") < keys.index("release-Reason-Of-Intercepted-Call")
    assert keys.index("release-Reason-Of-Intercepted-Call") < keys.index("sMS")


def test_sms_report_with_a_tpdu() -> None:
    """sMS-Contents content [4]: a TS 23.040 SMS-SUBMIT the target sent (initiator target)."""
    tpdu = sms.encode_submit("+34600111222", "Nos vemos a las diez €")
    params = through_pycrate(IRIType.REPORT, record(sms=E.SMS(tpdu)))
    contents = params["sMS"]["sMS-Contents"]
    assert (contents["initiator"], contents["content"]) == ("target", tpdu)
    assert "enhancedContent" not in contents
    assert sms.decode_tpdu(contents["content"], sms.MS_TO_SC).text == "Nos vemos a las diez €"


def test_sms_report_with_enhanced_content() -> None:
    """sMS-Contents enhancedContent [5]: content [1] and character-encoding [2]; content
    and enhancedContent are mutually exclusive."""
    r = record(sms=E.SMS(enhanced="¿Dónde?".encode(), encoding=4, initiator=1))
    contents = through_pycrate(IRIType.REPORT, r)["sMS"]["sMS-Contents"]
    assert contents["initiator"] == "server" and "content" not in contents
    assert contents["enhancedContent"] == {
        "content": "¿Dónde?".encode(),
        "character-encoding": "utf-8",
    }
    with pytest.raises(ValueError, match="either content or enhancedContent"):
        E.SMS(b"x", enhanced=b"y", encoding=4)
    with pytest.raises(ValueError, match="either content or enhancedContent"):
        E.SMS()
    with pytest.raises(ValueError, match="character encoding"):
        E.SMS(enhanced=b"y")
