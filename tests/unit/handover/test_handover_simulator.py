"""The operator simulator against a real receiver: what it sends decodes as it should."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import pytest
from pycrate_asn1dir import LIETSI as lietsi  # type: ignore[import-untyped]
from pycrate_mobile.TS23040_SMS import SMS_DELIVER, SMS_SUBMIT  # type: ignore[import-untyped]
from tests.unit.handover.handover_net import journal_pdus, running

from custodio.etsi import encode as E
from custodio.etsi.ber import read_header
from custodio.etsi.pdu import (
    CCContentsKind,
    Direction,
    FrameType,
    IRIContentsKind,
    IRIType,
    PayloadKind,
    decode,
)
from custodio.handover.quarantine import read_items
from custodio.simulator import media
from custodio.simulator.mediator import Faults, Options, Report, SimulatorError, simulate


def _run(tmp_path: Path, **kw: object) -> tuple[Report, dict[str, object]]:
    async def main() -> tuple[Report, dict[str, object]]:
        async with running(tmp_path) as r:
            settings: dict[str, object] = {"realtime": False, "seed": 1, **kw}
            options = Options(hi2=r.hi2, hi3=r.hi3, **settings)  # type: ignore[arg-type]
            report = await simulate(options)
            return report, r.receiver.health()

    return asyncio.run(main())


def test_mobile_calls_and_sms(tmp_path: Path) -> None:
    report, health = _run(
        tmp_path, calls=4, sms=3, concurrency=3, connections=2, duration=0.2, ack_every=20,
        ledger=True, keepalive=0.02, realtime=True,  # 0.2 s: keep-alives go out
    )  # fmt: skip
    assert report.error == "" and report.calls == 4 and report.sms == 3
    per_call = 3 + 2 * 10  # Begin, Continue, End; 10 packets per direction
    assert report.pdus_sent == 4 * per_call + 3 == report.pdus_acked
    assert report.keepalives_answered >= 1
    pdus = journal_pdus(tmp_path)
    digests = {hashlib.sha256(p).hexdigest() for p in pdus}
    assert set(report.acked) <= digests and len(report.acked) == report.pdus_sent
    decoded = [decode(p) for p in pdus]
    cc = [d.cc[0] for d in decoded if d.kind is PayloadKind.CC]
    assert {c.contents_kind for c in cc} == {CCContentsKind.PSTN_ISDN, CCContentsKind.IPMM}
    assert all(len(c.content) in (160, 172) for c in cc)  # A-law frame, or RTP + frame
    assert {c.direction for c in cc} == {Direction.FROM_TARGET, Direction.TO_TARGET}
    iri = [d for d in decoded if d.kind is PayloadKind.IRI]
    types = [d.iri[0].effective_type for d in iri]
    assert types.count(IRIType.BEGIN) == 4 and types.count(IRIType.REPORT) == 3
    for d in iri:
        _check_with_pycrate(d.iri[0].contents, d.iri[0].effective_type)
    assert health["sequence"]["gaps"] == 0 and health["sequence"]["duplicates"] == 0  # type: ignore[index]


def _check_with_pycrate(contents: memoryview, iri_type: IRIType | None) -> None:
    """The IRI-Parameters the simulator wrote decode with pycrate's HI2Operations."""
    _, start, length = read_header(contents, 0, len(contents))
    assert iri_type is not None
    record = E.cons(iri_type.value, bytes(contents[start : start + length]))
    content = lietsi.HI2Operations.IRIsContent
    content.from_ber(record)
    kind, (_, params) = content.get_val()
    assert kind == "iRIContent"
    assert params["lawfulInterceptionIdentifier"].startswith(b"ES-LIID-")
    assert len(params["locationOfTheTarget"]["globalCellID"]) == 7
    if iri_type is IRIType.REPORT:
        _check_sms(params["sMS"]["sMS-Contents"])
    for party in params.get("partyInformation", []):  # the target's: as MAP encodes them
        identity = party["partyIdentity"]
        if "imsi" in identity:
            assert len(identity["imsi"]) == 8 and len(identity["imei"]) == 8
            assert identity["msISDN"][0] == 0x91  # international, E.164 (TS 29.002 17.7.8)


def _check_sms(contents: dict[str, Any]) -> None:
    """TS 101 671: the TPDU (read by pycrate's TS 23.040: a GSM 7-bit SUBMIT or DELIVER),
    or enhancedContent, never both."""
    assert ("content" in contents) != ("enhancedContent" in contents)
    if "enhancedContent" in contents:
        assert contents["enhancedContent"]["character-encoding"] == "utf-8"
        return
    tpdu = contents["content"]
    message = SMS_SUBMIT() if contents["initiator"] == "target" else SMS_DELIVER()
    message.from_bytes(tpdu)
    assert message["TP_DCS"]["Charset"].get_val() == 0  # GSM 7-bit default alphabet
    assert message["TP_UD"]["UD"].decode()


def _texts(pdus: list[bytes]) -> list[str]:
    """The texts of the SMS the simulator sent, as pycrate reads them."""
    found = []
    for pdu in pdus:
        d = decode(pdu)
        if d.kind is not PayloadKind.IRI or d.iri[0].effective_type is not IRIType.REPORT:
            continue
        content = lietsi.HI2Operations.IRIsContent
        contents = d.iri[0].contents
        _, start, length = read_header(contents, 0, len(contents))
        content.from_ber(E.cons(IRIType.REPORT.value, bytes(contents[start : start + length])))
        sms = content.get_val()[1][1]["sMS"]["sMS-Contents"]
        if "enhancedContent" in sms:
            found.append(sms["enhancedContent"]["content"].decode())
            continue
        message = SMS_SUBMIT() if sms["initiator"] == "target" else SMS_DELIVER()
        message.from_bytes(sms["content"])
        found.append(message["TP_UD"]["UD"].decode())
    return found


def test_voip_sip_dialog_and_ip_packets(tmp_path: Path) -> None:
    report, _ = _run(tmp_path, profile="voip", calls=2, concurrency=2, duration=0.1, ack_every=50)
    assert report.error == "" and report.pdus_acked == report.pdus_sent == 2 * (6 + 10)
    decoded = [decode(p) for p in journal_pdus(tmp_path)]
    sip = [d.iri[0].sip for d in decoded if d.kind is PayloadKind.IRI]
    assert all(d.iri[0].contents_kind is IRIContentsKind.IPMM for d in decoded if d.iri)
    firsts = [bytes(s.content).split(b" ")[0] for s in sip if s is not None]
    assert firsts.count(b"INVITE") == 2 and firsts.count(b"BYE") == 2 and firsts.count(b"ACK") == 2
    invite = next(bytes(s.content) for s in sip if s and bytes(s.content).startswith(b"INVITE"))
    assert b"m=audio 40000 RTP/AVP 8" in invite and b"a=rtpmap:8 PCMA/8000" in invite
    packets = [d.cc[0] for d in decoded if d.cc]
    assert all(p.frame_type is FrameType.IP for p in packets)
    ip = bytes(packets[0].content)
    assert ip[0] == 0x45 and ip[9] == 17 and len(ip) == 20 + 8 + 12 + media.FRAME_OCTETS
    assert ip[28] == 0x80 and ip[29] & 0x7F == media.PCMA  # RTP v2, PCMA


def test_faults_show_up_in_the_receivers_accounting(tmp_path: Path) -> None:
    faults = Faults(drop=0.05, duplicate=0.05, reorder=0.05, corrupt=0.02)
    report, health = _run(tmp_path, calls=6, concurrency=3, duration=0.4, faults=faults)
    seq = health["sequence"]
    assert report.dropped and report.duplicated and report.reordered and report.corrupted
    assert seq["gaps"] > 0 and seq["duplicates"] > 0 and seq["reordered"] > 0  # type: ignore[index]
    assert health["quarantined"] > 0  # type: ignore[operator]
    assert list(read_items(tmp_path / "quarantine" / "quarantine.log"))


def test_cut_connections_are_reconnected(tmp_path: Path) -> None:
    faults = Faults(cut=0.05)
    report, health = _run(tmp_path, calls=4, concurrency=2, duration=0.4, faults=faults)
    assert report.error == "" and report.cuts > 0 and report.reconnects >= report.cuts
    assert report.pdus_sent == 4 * (3 + 2 * 20)
    assert health["connections"] >= 2 + report.reconnects  # type: ignore[operator]


def test_speech_is_alaw_at_8khz() -> None:
    for language in ("es", "en"):
        audio = media.speech(language)
        assert len(audio) > 8000  # more than a second
        assert len(set(audio)) > 20  # not silence
    assert media.linear_to_alaw(0) == 0xD5 and media.linear_to_alaw(-1) == 0x55
    assert media.linear_to_alaw(32767) == 0xAA and media.linear_to_alaw(-32768) == 0x2A


def test_given_voices_and_sms_texts_are_what_is_delivered(tmp_path: Path) -> None:
    target, other = bytes(range(160)) * 2, bytes(reversed(range(96, 256))) * 2
    report, _ = _run(
        tmp_path, profile="mobile", calls=1, sms=2, duration=0.1,
        voices={"target": target, "other": other}, sms_texts=("Nos vemos en el puerto.",),
    )  # fmt: skip
    assert report.error == "" and report.audio == "given"
    decoded = [decode(p) for p in journal_pdus(tmp_path)]
    said = {Direction.FROM_TARGET: b"", Direction.TO_TARGET: b""}
    for d in decoded:
        if d.kind is PayloadKind.CC:
            c = d.cc[0]  # PSTN CC carries the frame; IPMMCC an RTP packet (12-octet header)
            frame = bytes(c.content)[0 if c.contents_kind is CCContentsKind.PSTN_ISDN else 12 :]
            said[c.direction] += frame  # type: ignore[index]
    for direction, audio in ((Direction.FROM_TARGET, target), (Direction.TO_TARGET, other)):
        assert said[direction] and said[direction] in audio * 3  # the given octets, looped
    iri = [d.iri[0] for d in decoded if d.kind is PayloadKind.IRI]
    sms = [i for i in iri if i.effective_type is IRIType.REPORT]
    assert len(sms) == 2
    assert _texts(journal_pdus(tmp_path)) == ["Nos vemos en el puerto."] * 2


def test_a_voice_for_someone_else_is_refused() -> None:
    with pytest.raises(SimulatorError, match="'target' and 'other'"):
        Options(hi2=("127.0.0.1", 1), hi3=("127.0.0.1", 2), voices={"es": b"\xd5" * 160})
