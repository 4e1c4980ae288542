"""The assembler's fast lane in runs: a communication's CC records of one batch at once.

Most records are CC PDUs of one bare RTP packet for a call already open. The assembler
gathers those of each communication in a batch (in journal order) and hands them here:
:func:`apply_run` reads the records of each template together (:meth:`Template.read_run`,
vectorised) and applies them with :meth:`Comm.apply_rtp_run`, which does each step once
for all: the episode's digest over the PDUs back to back, the sequence numbers as a
range, one append of the audio when the packets continue the stream in order. The
effects are those of applying each record alone (``tests/unit/assemble/test_fast_lane.py``
holds the two equal); where they could differ — a PDU its template does not read, a
quarantine, a time outside the warrant — nothing is changed and the caller applies the
records one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from custodio.assemble.correlate import Comm, header_time
from custodio.assemble.fastcc import RTPRun, Template

# A record in the lane: seq, received_ns, routing block, PDU (a journal RawRecord), and
# the template that reads it.
Entry = tuple[int, int, bytes, bytes, Template]


def apply_run(comm: Comm, bucket: Sequence[Entry]) -> bool:
    """Apply ``bucket`` (records of ``comm`` in journal order, each with the template
    that reads it) in runs, one per template. False, nothing changed: apply them alone."""
    channel = bucket[0][2][0]  # the routing block's first octet
    if len({entry[2][0] for entry in bucket}) != 1:
        return False
    templates = {entry[4]: None for entry in bucket}  # in order of first appearance
    runs: list[tuple[list[int], RTPRun]] = []
    for template in templates:
        if len(templates) == 1:
            positions, group = list(range(len(bucket))), bucket
        else:
            positions = [i for i, entry in enumerate(bucket) if entry[4] is template]
            group = [bucket[i] for i in positions]
        run = template.read_run([entry[3] for entry in group], [entry[1] for entry in group])
        if run is None:
            return False
        runs.append((positions, run))
    seqs = [entry[0] for entry in bucket]
    pdus = [entry[3] for entry in bucket]
    received = [entry[1] for entry in bucket]
    numbers = runs[0][1].numbers
    if len(runs) > 1:  # the PDUs' sequence numbers back in journal order
        numbers = [0] * len(bucket)
        for positions, run in runs:
            for position, number in zip(positions, run.numbers, strict=True):
                numbers[position] = number

    def first_at() -> datetime:
        _, received_ns, _, pdu, template = bucket[0]
        rtp = template.read_rtp(pdu)
        assert rtp is not None  # its run was read
        return header_time(rtp.micro_timestamp, rtp.timestamp, received_ns)

    return comm.apply_rtp_run(seqs, received, channel, pdus, numbers, runs, first_at)
