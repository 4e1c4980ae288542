"""The assembler's fast lane (a template reads the RTP packet, ``Comm.apply_rtp``) leaves a
communication exactly as the general path (full decode, ``Comm.apply``) does.

One call's CC, both directions, as a mediator delivers it when things go wrong: packets
reordered, repeated and lost, a marker bit, other payload types, a packet with a CSRC
(not the simple form: the general path takes it), header times with and without
microseconds; under a warrant that allows content, one that allows traffic only, one
whose window ends during the call, and none (an unknown LIID: the call is quarantined
whole). Everything assembly keeps of the call must be equal.
"""

from __future__ import annotations

import random
import struct
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custodio.assemble.attribution import UNKNOWN_LIID, Attribution
from custodio.assemble.correlate import Comm
from custodio.assemble.fastcc import Templates
from custodio.assemble.lane import Entry, apply_run
from custodio.assemble.media import join
from custodio.assemble.status import SeqTracker
from custodio.assemble.wav import PCMA, PCMU
from custodio.assemble.worker import RUN_MIN
from custodio.etsi import encode as E
from custodio.etsi.pdu import Direction, FrameType, MicroTime, decode
from custodio.handover.routing import to_routing
from custodio.journal import Record
from custodio.journal.format import decode_routing, encode_routing
from custodio.simulator import media

T0 = datetime(2026, 11, 29, 12, 0, 0, 250_000, tzinfo=UTC)
PACKETS = 400  # per direction: 8 s
GSM = 3  # a payload type assembly does not decode (counted, bytes kept in the journal)


def _rtp(
    n: int, ssrc: int, *, payload_type: int = PCMA, csrc: bool = False, wrap: bool = False
) -> bytes:
    frame = bytes((n * 7 + i) % 256 for i in range(media.FRAME_OCTETS))
    number, time = (n + 65_400) % 65_536, (n * media.FRAME_OCTETS - 30_000) % (1 << 32)
    if not wrap:  # else both wrap around during the call
        number, time = n, n * media.FRAME_OCTETS
    packet = bytearray(media.rtp(number, time, ssrc, frame, marker=n % 97 == 0))
    packet[1] = (packet[1] & 0x80) | payload_type
    if csrc:  # one contributing source: the packet is not of the simple form
        packet[0] |= 1
        packet[12:12] = struct.pack(">I", 0xC0FFEE)
    return bytes(packet)


def _pdu(
    seq: int, n: int, direction: Direction, *, wrap: bool = False,
    frame_type: FrameType = FrameType.RTP,
) -> bytes:  # fmt: skip
    at = T0 + timedelta(milliseconds=20 * n)
    micro = n % 50 < 5  # some PDUs carry microSecondTimeStamp instead of a time
    header = E.Header(
        liid=b"ES-LANE-1", operator_id=b"OP", network_element_id=b"MSC-1", cin=77,
        sequence_number=seq, timestamp=None if micro else at,
        micro_timestamp=MicroTime(int(at.timestamp()), at.microsecond) if micro else None,
    )  # fmt: skip
    ssrc = 0x1000 + int(direction)
    payload_type = {123: PCMU, 124: GSM}.get(n, PCMA)
    rtp = _rtp(n, ssrc, payload_type=payload_type, csrc=n == 200, wrap=wrap)
    return E.cc_ipmm(header, rtp, direction=direction, frame_type=frame_type)


def _delivery(*, wrap: bool = False) -> list[bytes]:
    """Both directions interleaved; reordered, repeated and lost on the way."""
    order = [(n, d) for n in range(PACKETS) for d in (Direction.FROM_TARGET, Direction.TO_TARGET)]
    rng = random.Random(20261129)
    for i in range(0, len(order) - 8, 23):  # local reordering, within the window
        j = i + rng.randrange(1, 8)
        order[i], order[j] = order[j], order[i]
    order += [order[k] for k in (40, 41, 300, 301)]  # repeats, late
    order.insert(650, order.pop(20))  # reordered beyond the window: fills its hole late
    lost = {(150, Direction.FROM_TARGET), (151, Direction.FROM_TARGET), (333, Direction.TO_TARGET)}
    return [_pdu(seq, n, d, wrap=wrap) for seq, (n, d) in enumerate(order) if (n, d) not in lost]


def _records(pdus: list[bytes]) -> list[Record]:
    return [
        Record(seq, 1_000 + seq, to_routing(decode(pdu), 3, "hi3:peer#1"), pdu)
        for seq, pdu in enumerate(pdus, 1)
    ]


def _attribution(case: str) -> Attribution:
    if case == "unknown-liid":  # quarantined whole: every PDU held, nothing decoded
        return Attribution(None, None, None, False, False, False, UNKNOWN_LIID, frozenset())
    window = (T0 - timedelta(days=1), T0 + timedelta(days=1))
    if case == "ends-during-the-call":
        window = (T0 - timedelta(days=1), T0 + timedelta(seconds=3, microseconds=10_000))
    return Attribution(
        warrant_id=1, case_id=1, agency_id=1, traffic=True, content=case != "traffic-only",
        location=True, reason=None, targets=frozenset(), spans=(window,),
    )  # fmt: skip


def _state(comm: Comm) -> dict[str, object]:
    """What assembly keeps of a communication (and stores at its close)."""
    streams = {}
    for key, stream in sorted(comm.streams.items(), key=lambda kv: repr(kv[0])):
        audio = join([stream])
        streams[repr(key)] = (audio.summary(), audio.samples, dict(stream.labels))
    e = comm.episode
    sequences = {
        name: (t.contiguous, sorted(t.above), t.highest, t.duplicates, t.reordered)
        for name, t in comm.sequences.items()
    }
    return {
        "episode": (e.first_seq, e.last_seq, e.records, e.digest.hexdigest()),
        "sequences": sequences,
        "times": (comm.answer_at, comm.outcome, comm.last_seq, comm.last_activity_ns),
        "flags": (comm.cc, comm.dirty, comm.undecoded_cc),
        "streams": streams,
        "held": {k: (h.reason, h.data.read(), h.episode.records) for k, h in comm.held.items()},
    }


@pytest.mark.parametrize(
    "case", ["content", "traffic-only", "ends-during-the-call", "unknown-liid"]
)
def test_the_fast_lane_assembles_a_call_as_the_general_path_does(case: str) -> None:
    records = _records(_delivery())
    general = Comm(key=("OP", "ES-LANE-1", 77), attribution=_attribution(case), open_seq=1)
    lane = Comm(key=("OP", "ES-LANE-1", 77), attribution=_attribution(case), open_seq=1)
    templates_general, templates_lane = Templates(), Templates()
    fast = 0
    for r in records:
        general.apply(r.seq, r.received_ns, 3, templates_general.decode(r))
        rtp = templates_lane.read_rtp(r)
        if rtp is None:
            lane.apply(r.seq, r.received_ns, 3, templates_lane.decode(r))
        else:
            lane.apply_rtp(r.seq, r.received_ns, 3, rtp)
            fast += 1
    assert fast > 0.9 * len(records)  # the lane took nearly all of them
    assert _state(lane) == _state(general)
    if case == "traffic-only":
        assert set(general.held) == {"content"} and not general.streams
    if case == "unknown-liid":
        assert set(general.held) == {"all"} and not general.streams
    if case == "unknown-liid":
        assert set(general.held) == {"all"} and not general.streams
    if case == "ends-during-the-call":
        assert any(h.reason == "outside-validity" for h in general.held.values())


def test_a_packet_not_of_the_simple_form_is_left_to_the_general_path() -> None:
    templates = Templates()
    first, csrc = _records([_pdu(1, 1, Direction.FROM_TARGET), _pdu(2, 200, Direction.FROM_TARGET)])
    templates.decode(first)  # learnt
    assert templates.read_rtp(first) is not None
    assert templates.read_rtp(csrc) is None  # a CSRC: parse_rtp's job, with the decoded PDU


def _one_by_one(comm: Comm, templates: Templates, record: Record) -> None:
    rtp = templates.read_rtp(record)
    if rtp is None:
        comm.apply(record.seq, record.received_ns, 3, templates.decode(record))
    else:
        comm.apply_rtp(record.seq, record.received_ns, 3, rtp)


def _in_runs(comm: Comm, templates: Templates, records: list[Record], batch: int) -> int:
    """Apply ``records`` as the assembler does, in batches of ``batch``: the lane's records
    gathered, applied in runs where :func:`apply_run` takes them, else one by one, before
    any other record; the number applied in runs."""
    in_runs = 0

    def flush(bucket: list[Entry]) -> None:
        nonlocal in_runs
        if len(bucket) >= RUN_MIN and apply_run(comm, bucket):
            in_runs += len(bucket)
        else:
            for seq, received_ns, block, pdu, _ in bucket:
                _one_by_one(comm, templates, Record(seq, received_ns, decode_routing(block), pdu))
        bucket.clear()

    for start in range(0, len(records), batch):
        bucket: list[Entry] = []
        for record in records[start : start + batch]:
            block = encode_routing(record.routing)  # as the journal holds it
            template = templates.lane(block, len(record.pdu))
            if template is None:
                flush(bucket)
                _one_by_one(comm, templates, record)
            else:
                bucket.append((record.seq, record.received_ns, block, record.pdu, template))
        flush(bucket)
    return in_runs


@pytest.mark.parametrize("batch", [5, 64, 2_000])
@pytest.mark.parametrize("wrap", [False, True], ids=["", "numbers-wrap"])
@pytest.mark.parametrize(
    "case", ["content", "traffic-only", "ends-during-the-call", "unknown-liid"]
)
def test_runs_assemble_a_call_as_the_general_path_does(case: str, wrap: bool, batch: int) -> None:
    """The lane in runs (a batch's records of a call read together and applied at once)
    leaves the call as applying each record alone does; also where the RTP sequence
    number and time stamp wrap around during the call."""
    records = _records(_delivery(wrap=wrap))
    general = Comm(key=("OP", "ES-LANE-1", 77), attribution=_attribution(case), open_seq=1)
    runs = Comm(key=("OP", "ES-LANE-1", 77), attribution=_attribution(case), open_seq=1)
    templates_general, templates_runs = Templates(), Templates()
    for r in records:
        general.apply(r.seq, r.received_ns, 3, templates_general.decode(r))
    in_runs = _in_runs(runs, templates_runs, records, batch)
    assert _state(runs) == _state(general)
    if case == "content":
        assert in_runs > 0.9 * len(records)  # runs took nearly all of them
    if case == "ends-during-the-call":  # those of a batch past the end are taken alone
        assert in_runs > 0.2 * len(records)
    if case in ("traffic-only", "unknown-liid"):
        assert in_runs == 0  # held PDUs are taken one by one


def test_a_call_delivered_in_order_is_applied_in_runs() -> None:
    """A call delivered in order: every record after each direction's first is in a run."""
    sides = (Direction.FROM_TARGET, Direction.TO_TARGET)
    pdus = [_pdu(2 * (n - 5) + i, n, d) for n in range(5, 45) for i, d in enumerate(sides)]
    records = _records(pdus)
    general = Comm(key=("OP", "ES-LANE-1", 77), attribution=_attribution("content"), open_seq=1)
    runs = Comm(key=("OP", "ES-LANE-1", 77), attribution=_attribution("content"), open_seq=1)
    templates = Templates()
    for r in records:
        general.apply(r.seq, r.received_ns, 3, templates.decode(r))
    assert _in_runs(runs, Templates(), records, 20) == len(records) - 2  # 2 learnt
    assert _state(runs) == _state(general)
    assert runs.sequences["hi3"].contiguous == len(records) - 1


def test_a_run_with_another_ssrc_is_read_one_by_one() -> None:
    templates = Templates()
    records = _records([_pdu(n, n + 5, Direction.FROM_TARGET) for n in range(8)])
    templates.decode(records[0])
    template = templates.lane(encode_routing(records[1].routing), len(records[1].pdu))
    assert template is not None
    pdus = [r.pdu for r in records[1:]]
    received = [r.received_ns for r in records[1:]]
    run = template.read_run(pdus, received)
    assert run is not None and run.in_order and run.numbers == list(range(1, 8))
    start, stop = template.media  # the RTP packet
    assert run.payloads == b"".join(p[start + 12 : stop] for p in pdus)
    other = bytearray(pdus[3])
    other[start + 11] ^= 0x01  # the SSRC's last octet
    assert template.read_run([*pdus[:3], bytes(other), *pdus[4:]], received) is None


@given(st.lists(st.integers(0, 40), max_size=60), st.lists(st.integers(0, 40), max_size=60))
def test_see_all_is_see_each(before: list[int], numbers: list[int]) -> None:
    each, together = SeqTracker(), SeqTracker()
    for n in before:
        each.see(n)
        together.see(n)
    for n in numbers:
        each.see(n)
    together.see_all(numbers)
    assert vars(together) == vars(each)


def test_a_template_learnt_again_is_the_one_runs_use() -> None:
    """The stream's layout changes (the mediator now marks the frames artificial RTP): the
    general path learns the new template, and runs are read with it, not the old one."""
    templates = Templates()
    old = _records([_pdu(n, n + 5, Direction.FROM_TARGET) for n in range(3)])
    new = _records([_pdu(n, n + 5, Direction.FROM_TARGET, frame_type=FrameType.ARTIFICIAL_RTP)
                    for n in range(3, 6)])  # fmt: skip
    assert len({len(r.pdu) for r in old + new}) == 1  # one template key
    block, later = encode_routing(old[0].routing), encode_routing(new[0].routing)
    assert block[:5] + block[9:] == later[:5] + later[9:]  # one stream (but the PDU seq)
    assert templates.lane(block, len(old[0].pdu)) is None  # nothing learnt yet
    templates.decode(old[0])
    first = templates.lane(block, len(old[0].pdu))
    assert first is not None and first.read_run([r.pdu for r in old[1:]], [1, 2]) is not None
    assert first.read_run([r.pdu for r in new[1:]], [1, 2]) is None
    templates.decode(new[0])  # the old template does not read it: learnt again
    second = templates.lane(later, len(new[0].pdu))
    assert second is not None and second is not first
    assert second.read_run([r.pdu for r in new[1:]], [1, 2]) is not None
