"""Which party of a SIP call is the target, from the identities the standards define.

Each call is built from RFC 3261 messages written out here (not by the simulator): the
INVITE's From, To, Request-URI and P-Asserted-Identity (RFC 3325) name the parties; the
warrant names the target as an E.164 number or a SIP URI. The target's own voice must
come out as the ``target`` audio octet for octet, whichever side of the call it is on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from custodio.access import casework
from custodio.assemble import wav
from custodio.catalog import identifiers
from custodio.db.times import to_text
from custodio.etsi import encode as E
from custodio.etsi.pdu import Direction, FrameType, IRIType, decode
from custodio.handover.routing import to_routing
from custodio.journal import Journal
from custodio.simulator import media
from tests.integration.assemble.conftest import LIID, OPERATOR, Line
from tests.integration.conftest import CASE, new_warrant

TARGET_IP, PEER_IP = "10.20.0.1", "192.0.2.80"
WHEN = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
TARGET_VOICE = bytes(range(0, 256, 2)) * 10  # 1280 octets: 8 frames, each party its own
PEER_VOICE = bytes(range(1, 256, 2)) * 10
SIP_LIID = "ES-LIID-SIP1"
RINGING = 7.0  # seconds from the INVITE to its final response


@dataclass(frozen=True)
class Dialog:
    """An initial INVITE's identity headers, and who sends it."""

    request_uri: str
    from_: str
    to: str
    asserted: tuple[str, ...] = ()
    target_invites: bool = True


def _header(liid: str, seq: int, after: float = 0.0) -> E.Header:
    return E.Header(liid=liid.encode(), operator_id=OPERATOR.encode(), cin=7,
                    sequence_number=seq, timestamp=WHEN + timedelta(seconds=after))  # fmt: skip


def _message(first: str, d: Dialog, cseq: str, to_tag: str = "", sdp: str = "") -> bytes:
    head = f"{first}\r\nFrom: {d.from_};tag=f1\r\nTo: {d.to}{to_tag}\r\n"
    if first.startswith("INVITE"):  # the caller's network asserts the caller's identity
        head += "".join(f"P-Asserted-Identity: {a}\r\n" for a in d.asserted)
    head += f"Call-ID: c7@h\r\nCSeq: {cseq}\r\n"
    if sdp:
        head += "Content-Type: application/sdp\r\n"
    return (head + "\r\n" + sdp).encode()


def _deliver(line: Line, d: Dialog, liid: str = LIID, final: int = 200) -> None:
    """The dialog (INVITE, final response, BYE) and both parties' RTP, labelled by the
    operator as they really flow, into the line's journal."""
    caller, callee = (TARGET_IP, PEER_IP) if d.target_invites else (PEER_IP, TARGET_IP)
    port = {TARGET_IP: 40000, PEER_IP: 50000}
    hi2 = [
        E.iri_sip(_header(liid, 0), IRIType.BEGIN, caller, callee,
                  _message(f"INVITE {d.request_uri} SIP/2.0", d, "1 INVITE",
                           sdp=media.sdp(caller, port[caller], 1))),
        E.iri_sip(_header(liid, 1, RINGING), IRIType.CONTINUE, callee, caller,
                  _message(f"SIP/2.0 {final} X", d, "1 INVITE", ";tag=t2",
                           sdp=media.sdp(callee, port[callee], 2))),
    ]  # fmt: skip
    hi3 = []
    if final == 200:
        voices = ((TARGET_IP, PEER_IP, TARGET_VOICE, Direction.FROM_TARGET),
                  (PEER_IP, TARGET_IP, PEER_VOICE, Direction.TO_TARGET))  # fmt: skip
        for src, dst, voice, label in voices:
            for n in range(len(voice) // 160):
                rtp = media.rtp(n, n * 160, port[src], voice[n * 160 : (n + 1) * 160])
                packet = media.ipv4_udp(_ip(src), _ip(dst), port[src], port[dst], rtp)
                hi3.append(E.cc_ipmm(_header(liid, len(hi3), RINGING), packet, direction=label,
                                     frame_type=FrameType.IP))  # fmt: skip
        bye = _message(f"BYE {d.request_uri} SIP/2.0", d, "2 BYE", ";tag=t2")
        hi2.append(E.iri_sip(_header(liid, 2, RINGING + 1), IRIType.END, caller, callee, bye))
    journal = Journal.open(line.directory / "journal")
    journal.append_sync(
        [(to_routing(decode(p), 2, "test"), p) for p in hi2[:2]]
        + [(to_routing(decode(p), 3, "test"), p) for p in hi3]
        + [(to_routing(decode(p), 2, "test"), p) for p in hi2[2:]]
    )
    journal.close_sync()


def _ip(text: str) -> bytes:
    return bytes(int(part) for part in text.split("."))


def _sip_warrant(line: Line, target: str) -> None:
    """A second warrant of the case naming ``target`` and binding :data:`SIP_LIID`."""
    new = new_warrant("AUTO 46/2026", liids=((SIP_LIID, OPERATOR),),
                      targets=(identifiers.parse(target),))  # fmt: skip
    casework.add_warrant(line.world.svc, line.world.as_("wo"), CASE, new)


def _audio(line: Line, direction: str) -> bytes:
    rows = line.rows("SELECT * FROM comm_products WHERE kind = 'audio' AND direction = ?",
                     (direction,))  # fmt: skip
    assert len(rows) == 1, rows
    _, samples = wav.read_g711_wav(line.vault.get(rows[0]["vault_case"], rows[0]["object_id"]))
    return samples


def _assembled(line: Line, target_side: str) -> dict[str, object]:
    line.assemble()
    row = line.rows("SELECT * FROM communications")[0]
    assert row["direction"] == target_side, row["target_basis"]
    assert _audio(line, "target") == TARGET_VOICE
    assert _audio(line, "other") == PEER_VOICE
    assert [n["note"] for n in json.loads(row["notes"])] == []  # the labels agree
    return row


def _targets(line: Line) -> set[tuple[str, str]]:
    rows = line.rows("SELECT role, delivered FROM comm_parties WHERE is_target = 1")
    return {(r["role"], r["delivered"]) for r in rows}


NUMBER = "+34600111222"  # the line's warrant target (e164)


def test_target_as_caller_named_by_a_user_phone_sip_uri(line: Line) -> None:
    """RFC 3261 §19.1.6: ``user=phone`` makes the user part a telephone number."""
    d = Dialog(request_uri="sip:+34911222333@ims.example;user=phone",
               from_=f'"Ana" <sip:{NUMBER}@ims.example;user=phone>',
               to="<sip:+34911222333@ims.example;user=phone>")  # fmt: skip
    _deliver(line, d)
    row = _assembled(line, "originating")
    assert row["target_basis"] == f"warrant target e164:{NUMBER} is the sip-from party"
    assert ("originating", f"sip:{NUMBER}@ims.example;user=phone") in _targets(line)


def test_target_as_callee_named_by_a_tel_uri(line: Line) -> None:
    """The target is called: the INVITE comes from the other party's address, and the
    target's number is in a ``tel:`` Request-URI and To (RFC 3966, visual separators)."""
    d = Dialog(request_uri="tel:+34-600-111-222", from_="<sip:+34911222333@ims.example>",
               to="<tel:+34-600-111-222>", target_invites=False)  # fmt: skip
    _deliver(line, d)
    row = _assembled(line, "terminating")
    assert "sip-to" in str(row["target_basis"]) or "sip-request-uri" in str(row["target_basis"])
    parties = line.rows("SELECT role, delivered, e164, is_target FROM comm_parties")
    callee = [p for p in parties if p["role"] == "terminating"]
    assert {p["e164"] for p in callee} == {NUMBER} and all(p["is_target"] for p in callee)
    assert not any(p["is_target"] for p in parties if p["role"] == "originating")


def test_target_as_caller_named_only_by_p_asserted_identity(line: Line) -> None:
    """The caller is anonymous (RFC 3323) and the target calls out: only the network's
    P-Asserted-Identity (RFC 3325), here a SIP and a tel URI in one header, names it."""
    d = Dialog(request_uri="sip:+34911222333@ims.example;user=phone",
               from_='"Anonymous" <sip:anonymous@anonymous.invalid>',
               to="<sip:+34911222333@ims.example;user=phone>",
               asserted=(f'"Ana, la de Sevilla" <sip:{NUMBER}@ims.example;user=phone>, '
                         f"<tel:{NUMBER}>",))  # fmt: skip
    _deliver(line, d)
    row = _assembled(line, "originating")
    assert row["target_basis"] == f"warrant target e164:{NUMBER} is the sip-pai party"
    assert ("originating", "sip:anonymous@anonymous.invalid") in _targets(line)  # its side
    delivered = {r["delivered"] for r in line.rows("SELECT delivered FROM comm_parties")}
    assert {f"sip:{NUMBER}@ims.example;user=phone", f"tel:{NUMBER}"} <= delivered


@pytest.mark.parametrize(
    ("target", "to"),
    [
        ("sip:target@example.org", '"Target" <sip:target@EXAMPLE.org;transport=tcp>'),
        ("sip:target@example.org", "sip:%74arget@Example.Org"),  # an addr-spec, escaped
        ("sip:Target.Name@example.org", "<sip:Target.Name@example.ORG:5060;user=ip>"),
    ],
)
def test_sip_target_as_callee_behind_a_display_name_with_parameters_and_host_case(
    line: Line, target: str, to: str
) -> None:
    """The warrant names a SIP URI: the parties are compared as addresses of record (RFC
    3261 §10.3: URI parameters removed, escapes resolved), by §19.1.4 (host case-
    insensitive, user case-sensitive). Its whole identity is stored, not ``target``."""
    if ":5060" in to:
        target = "sip:Target.Name@example.org:5060"  # a port is part of the address
    _sip_warrant(line, target)
    d = Dialog(request_uri=to.partition("<")[2].rstrip(">") or to,
               from_="<sip:other@example.net>", to=to, target_invites=False)  # fmt: skip
    _deliver(line, d, liid=SIP_LIID)
    row = _assembled(line, "terminating")
    assert str(row["target_basis"]).startswith(f"warrant target {identifiers.parse(target)}")
    stored = {r["delivered"] for r in line.rows("SELECT delivered FROM comm_parties")}
    assert "sip:other@example.net" in stored and "other" not in stored


def test_a_sip_user_name_differing_in_case_is_another_party(line: Line) -> None:
    """RFC 3261 §19.1.4: the user part is compared case-sensitively."""
    _sip_warrant(line, "sip:target@example.org")
    d = Dialog(request_uri="sip:TARGET@example.org", from_="<sip:other@example.net>",
               to="<sip:TARGET@example.org>", target_invites=False)  # fmt: skip
    _deliver(line, d, liid=SIP_LIID)
    line.assemble()
    row = line.rows("SELECT * FROM communications")[0]
    assert row["direction"] == "unknown"


def test_no_identity_matching_is_a_warning_not_a_guess(line: Line) -> None:
    """Neither party is the warrant's target: the direction is ``unknown``, no party is
    marked as the target, and the investigator sees why (the streams then follow the
    operator's labels, said too)."""
    d = Dialog(request_uri="sip:+34911222333@ims.example", from_="<sip:+34911000000@ims.example>",
               to="<sip:+34911222333@ims.example>")  # fmt: skip
    _deliver(line, d)
    line.assemble()
    row = line.rows("SELECT * FROM communications")[0]
    assert (row["direction"], row["target_basis"]) == (
        "unknown", "no party identity matches the warrant's targets",
    )  # fmt: skip
    notes = json.loads(row["notes"])
    assert [n["note"] for n in notes] == ["target-not-identified"]
    assert "operator's direction label" in notes[0]["warning"]
    assert _targets(line) == set()
    assert _audio(line, "target") == TARGET_VOICE  # by the label, as the note says


def test_a_busy_callee_ends_the_call_at_the_final_response(line: Line) -> None:
    """RFC 3261 §13.2.2.3: a 486 final response ends the INVITE; no IRI-End follows. The
    call closes then, at its real end time, not on the inactivity timeout."""
    d = Dialog(request_uri="sip:+34911222333@ims.example", from_=f"<sip:{NUMBER}@ims.example>",
               to="<sip:+34911222333@ims.example>")  # fmt: skip
    _deliver(line, d, final=486)
    line.assemble(final=True)
    row = line.rows("SELECT * FROM communications")[0]
    assert (row["status"], row["outcome"], row["closed_by"]) == (
        "complete", "busy", "sip-final-response",
    )  # fmt: skip
    assert json.loads(row["reasons"]) == []
    assert row["end_at"] == to_text(WHEN + timedelta(seconds=RINGING))
