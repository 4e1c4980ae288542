"""SMS as TS 101 671 delivers them, assembled into communications.

The TPDUs are written by pycrate's TS 23.040 encoder (an independent implementation), the
``enhancedContent`` octets by hand from HI2Operations' text; the IRI-Report around them
is ours (its encoder is read back by pycrate in tests/unit/handover). Each message must
come out with its text, its decoded header, its parties, and the target on the right side.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from pycrate_mobile.TS23040_SMS import SMS_DELIVER, SMS_SUBMIT  # type: ignore[import-untyped]

from custodio.etsi import encode as E
from custodio.etsi import tbcd
from custodio.etsi.pdu import IRIType, decode
from custodio.handover.routing import to_routing
from custodio.journal import Journal
from tests.integration.assemble.conftest import LIID, OPERATOR, TARGET_NUMBER, Line

WHEN = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
OTHER = "+34911222333"


def pycrate_deliver(text: str, charset: int = 0, udh: list[object] | None = None) -> bytes:
    """TS 23.040 9.2.2.1 SMS-DELIVER from OTHER (international, E.164) to the target."""
    ud: dict[str, object] = {"UD": text}
    if udh:
        ud["UDH"] = {"UDH": udh}
    message = SMS_DELIVER(val={
        "TP_MMS": 1, "TP_UDHI": int(bool(udh)),
        "TP_OA": {"Type": 1, "NumberingPlan": 1, "Num": OTHER[1:]},
        "TP_DCS": {"Group": 0, "Charset": charset},
        "TP_SCTS": (time.strptime("2026-11-29 11:00:05", "%Y-%m-%d %H:%M:%S"), 1.0),
        "TP_UD": ud,
    })  # fmt: skip
    return bytes(message.to_bytes())


def pycrate_submit(text: str, charset: int = 0) -> bytes:
    """TS 23.040 9.2.2.2 SMS-SUBMIT from the target to OTHER."""
    message = SMS_SUBMIT(val={
        "TP_MR": 9, "TP_DA": {"Type": 1, "NumberingPlan": 1, "Num": OTHER[1:]},
        "TP_DCS": {"Group": 0, "Charset": charset}, "TP_UD": {"UD": text},
    })  # fmt: skip
    return bytes(message.to_bytes())


def report(cin: int, sms: E.SMS, seq: int = 0) -> bytes:
    """An IRI-Report of LIID under ``cin``, the target's MSISDN in MAP format."""
    sent = sms.initiator == 0
    target = E.Party(0 if sent else 1, msisdn=tbcd.encode_address(
        tbcd.Address.from_text(TARGET_NUMBER)))  # fmt: skip
    record = E.IRIRecord(liid=LIID.encode(), communication_id=str(cin).encode(),
                         operator_id=OPERATOR[:5].encode(), local_time=WHEN.replace(tzinfo=None),
                         parties=(target,), sms=sms)  # fmt: skip
    h = E.Header(liid=LIID.encode(), operator_id=OPERATOR.encode(), cin=cin,
                 sequence_number=seq, timestamp=WHEN)  # fmt: skip
    return E.iri_etsi671(h, IRIType.REPORT, record)


def deliver(line: Line, pdus: list[bytes]) -> None:
    journal = Journal.open(line.directory / "journal")
    journal.append_sync([(to_routing(decode(p), 2, "test"), p) for p in pdus])
    journal.close_sync()


def messages(line: Line) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Each SMS communication's row and its stored message document, by CIN."""
    out = []
    for row in line.rows("SELECT * FROM communications WHERE kind = 'sms' ORDER BY cin"):
        (product,) = line.rows("SELECT * FROM comm_products WHERE communication_id = ? AND "
                               "kind = 'message'", (row["id"],))  # fmt: skip
        out.append((row, json.loads(line.vault.get(product["vault_case"], product["object_id"]))))
    return out


def parties(line: Line, comm_id: int) -> set[tuple[str, str, str, int]]:
    rows = line.rows("SELECT role, delivered, source, is_target FROM comm_parties "
                     "WHERE communication_id = ?", (comm_id,))  # fmt: skip
    return {(r["role"], r["delivered"], r["source"], r["is_target"]) for r in rows}


def test_a_delivered_gsm7_sms_with_extension_characters(line: Line) -> None:
    """TS 23.038 6.2.1.1: the extension table (€, {, }) behind the escape."""
    text = "Son 20€ {pagado}, nos vemos a las 10 en el puerto."
    deliver(line, [report(11, E.SMS(pycrate_deliver(text), initiator=1))])
    line.assemble()
    ((row, doc),) = messages(line)
    assert (row["status"], row["closed_by"], row["direction"]) == ("complete", "report",
                                                                   "terminating")  # fmt: skip
    assert doc["text"] == text and doc["version"] == 2 and doc["source"] == "tpdu"
    assert doc["header"]["type"] == "SMS-DELIVER" and doc["header"]["originator"] == OTHER
    assert doc["header"]["service_centre_time"] == "2026-11-29T11:00:05+01:00"
    assert doc["header"]["alphabet"] == "gsm7"
    assert parties(line, row["id"]) == {
        ("originating", OTHER, "sms-originator", 0),
        ("terminating", TARGET_NUMBER, "msisdn", 1),
    }  # fmt: skip


def test_a_sent_ucs2_sms(line: Line) -> None:
    """TS 23.038 6.2.3 UCS-2 (DCS 0x08) in an SMS-SUBMIT the target sent: the recipient
    is its TP-DA; the target is the originating party."""
    text = "¿Dónde estás? Llámame 😀"
    deliver(line, [report(12, E.SMS(pycrate_submit(text, charset=2), initiator=0))])
    line.assemble()
    ((row, doc),) = messages(line)
    assert doc["text"] == text and doc["header"]["type"] == "SMS-SUBMIT"
    assert doc["header"]["recipient"] == OTHER and doc["header"]["alphabet"] == "ucs2"
    assert row["direction"] == "originating"
    assert ("terminating", OTHER, "sms-recipient", 0) in parties(line, row["id"])


def test_an_enhanced_content_sms_is_a_complete_message(line: Line) -> None:
    """HI2Operations sMS-Contents.enhancedContent [5]: content [1] with character-encoding
    [2] utf-16(5), a byte-order mark first. It was 'other', 'partial' and closed on the
    idle timeout."""
    text = "Llego mañana — no llames."
    octets = b"\xff\xfe" + text.encode("utf-16-le")
    deliver(line, [report(13, E.SMS(initiator=1, enhanced=octets, encoding=5))])
    line.assemble()
    ((row, doc),) = messages(line)
    assert (row["kind"], row["status"], row["closed_by"]) == ("sms", "complete", "report")
    assert doc["text"] == text and doc["source"] == "enhancedContent"
    assert doc["header"]["character_encoding"] == "utf-16"


def test_a_concatenated_sms_under_three_cins_is_one_message(line: Line) -> None:
    """TS 23.040 9.2.3.24.1: three parts of reference 42, each in its own IRI-Report and
    CIN, out of order, with another SMS between them: one communication, the text joined."""
    text = ("Mañana a las nueve en la nave de Getafe. " * 9)[:370]
    pieces = [text[:153], text[153:306], text[306:]]
    tpdus = [pycrate_deliver(piece, udh=[{"T": 0, "V": {"MsgRef": 42, "MsgParts": 3,
                                                        "MsgNum": n + 1}}])
             for n, piece in enumerate(pieces)]  # fmt: skip
    other = pycrate_deliver("Otro mensaje.")
    deliver(line, [report(21, E.SMS(tpdus[2], initiator=1)), report(30, E.SMS(other, initiator=1)),
                   report(22, E.SMS(tpdus[0], initiator=1)),
                   report(23, E.SMS(tpdus[1], initiator=1))])  # fmt: skip
    line.assemble()
    (long, one) = messages(line)
    assert long[1]["text"] == text and one[1]["text"] == "Otro mensaje."
    assert long[0]["status"] == "complete", long[0]["reasons"]
    assert [p["part"] for p in long[1]["parts"]] == [3, 1, 2] and long[1]["missing_parts"] == []
    assert long[1]["header"]["concatenated"] == "reference 42, 3 parts"
    pdus = line.rows("SELECT records FROM comm_products WHERE communication_id = ? "
                     "AND kind = 'pdus'", (long[0]["id"],))  # fmt: skip
    assert [p["records"] for p in pdus] == [3]  # the three reports, sealed together


def test_a_concatenated_sms_missing_a_part_waits_then_says_so(line: Line) -> None:
    """A part that never comes: the message is held open for it (not closed after the
    report's grace), then closed on inactivity as partial, its text withheld, its parts
    kept."""
    pieces = ["Primera parte del mensaje, ", "tercera parte."]
    tpdus = [pycrate_deliver(piece, udh=[{"T": 0, "V": {"MsgRef": 7, "MsgParts": 3,
                                                        "MsgNum": n}}])
             for n, piece in zip((1, 3), pieces, strict=True)]  # fmt: skip
    deliver(line, [report(41, E.SMS(tpdus[0], initiator=1)),
                   report(43, E.SMS(tpdus[1], initiator=1))])  # fmt: skip
    line.assemble(final=False, end_grace_seconds=0.0)
    assert line.rows("SELECT status FROM communications")[0]["status"] == "open"
    line.assemble(final=False, idle=True)
    ((row, doc),) = messages(line)
    assert row["status"] == "partial"
    assert {"reason": "sms-parts-missing", "parts": [2]} in json.loads(row["reasons"])
    assert doc["text"] is None and doc["why_no_text"] == "parts [2] of 3 not received"
    assert [p["text"] for p in doc["parts"]] == pieces and doc["missing_parts"] == [2]


def test_eight_bit_data_and_a_malformed_tpdu_keep_their_octets(line: Line) -> None:
    """TS 23.038 clause 4: 8-bit data has no text; a TPDU that does not decode is kept
    with the error, never read as UTF-8."""
    oa = bytes.fromhex("0b914319212233f3")  # 11 digits, international, E.164
    scts = bytes.fromhex("62119201005040")  # 2026-11-29 10:00:05 +01:00 (9.2.3.11)
    binary = b"\x04" + oa + b"\x00\x04" + scts + bytes((4, 0xDE, 0xAD, 0xBE, 0xEF))
    broken = b"\x04\x0b\x91"  # SMS-DELIVER whose TP-OA stops short
    deliver(line, [report(51, E.SMS(binary, initiator=1)), report(52, E.SMS(broken, initiator=1))])
    line.assemble()
    (data, bad) = messages(line)
    assert data[1]["text"] is None and data[1]["why_no_text"] == "8-bit data"
    assert data[1]["octets"] == binary.hex()
    assert bad[1]["text"] is None and bad[1]["why_no_text"].startswith("undecodable: TP-OA")
    assert bad[1]["octets"] == broken.hex()
