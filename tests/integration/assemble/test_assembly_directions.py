"""The signalling decides which stream is the target's; a wrong operator label is recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from custodio.assemble import wav
from custodio.etsi import encode as E
from custodio.etsi.pdu import Direction, FrameType, IRIType, decode
from custodio.handover.routing import to_routing
from custodio.journal import Journal
from custodio.simulator import media
from tests.integration.assemble.conftest import LIID, OPERATOR, Line

TARGET, PEER = "10.20.0.1", "192.0.2.80"
WHEN = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def _header(seq: int) -> E.Header:
    return E.Header(liid=LIID.encode(), operator_id=OPERATOR.encode(), cin=99,
                    sequence_number=seq, timestamp=WHEN)  # fmt: skip


def _sip(first: str, sdp: str = "") -> bytes:
    head = (
        f"{first}\r\nFrom: <sip:+34600111222@ims.example>;tag=a\r\n"
        "To: <sip:+34911222333@ims.example>\r\nCall-ID: x1@h\r\nCSeq: 1 INVITE\r\n"
    )
    if sdp:
        head += "Content-Type: application/sdp\r\n"
    return (head + "\r\n" + sdp).encode()  # fmt: skip


def test_a_mislabelled_stream_follows_the_sdp_and_the_disagreement_is_noted(line: Line) -> None:
    hi2 = [
        E.iri_sip(_header(0), IRIType.BEGIN, TARGET, PEER,
                  _sip("INVITE sip:+34911222333@ims.example SIP/2.0", media.sdp(TARGET, 40000, 1))),
        E.iri_sip(_header(1), IRIType.CONTINUE, PEER, TARGET,
                  _sip("SIP/2.0 200 OK", media.sdp(PEER, 50000, 2))),
    ]  # fmt: skip
    spoken = bytes(range(256)) * 5  # 1280 octets: 8 frames
    frames = [spoken[i : i + 160] for i in range(0, len(spoken), 160)]
    hi3 = []
    for n, frame in enumerate(frames):
        packet = media.ipv4_udp(bytes([10, 20, 0, 1]), bytes([192, 0, 2, 80]), 40000, 50000,
                                media.rtp(n, n * 160, 0x77, frame))  # fmt: skip
        # the mediator labels the target's own stream "toTarget"
        hi3.append(E.cc_ipmm(_header(n), packet, direction=Direction.TO_TARGET,
                             frame_type=FrameType.IP))  # fmt: skip
    hi2.append(E.iri_sip(_header(2), IRIType.END, TARGET, PEER, _sip("BYE sip:x SIP/2.0")))
    journal = Journal.open(line.directory / "journal")
    journal.append_sync(
        [(to_routing(decode(p), 2, "test"), p) for p in hi2[:2]]
        + [(to_routing(decode(p), 3, "test"), p) for p in hi3]
        + [(to_routing(decode(hi2[2]), 2, "test"), hi2[2])]
    )
    journal.close_sync()
    line.assemble()
    row = line.rows("SELECT * FROM communications")[0]
    assert row["target_basis"] == "warrant target e164:+34600111222 is the sip-from party"
    notes = json.loads(row["notes"])
    assert [n["note"] for n in notes] == ["direction-label-disagrees"]
    assert (notes[0]["signalling"], notes[0]["label"]) == ("target", "other")
    product = line.rows("SELECT * FROM comm_products WHERE kind = 'audio'")
    assert [p["direction"] for p in product] == ["target"]
    _, samples = wav.read_g711_wav(line.vault.get(product[0]["vault_case"],
                                                  product[0]["object_id"]))  # fmt: skip
    assert samples == spoken
