"""How TS 101 671 calls end: answered, or released before any answer with a Q.850 cause.

The IRI records carry what HI2Operations defines for it: ``intercepted-Call-State`` [5]
(connected(3): "the answer has been received"), ``conversationDuration`` [7] (BCD
HHMMSS) and ``release-Reason-Of-Intercepted-Call`` [11] (ITU-T Q.850: two octets, the
cause value in the seven low bits of the second).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from custodio.db.times import to_text
from custodio.etsi import encode as E
from custodio.etsi import isdn
from custodio.etsi.pdu import Direction, IRIType, decode
from custodio.handover.routing import to_routing
from custodio.journal import Journal
from tests.integration.assemble.conftest import LIID, OPERATOR, TARGET_NUMBER, Line

WHEN = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def _pdu(kind: IRIType, seq: int, after: float, **fields: object) -> bytes:
    record = E.IRIRecord(
        liid=LIID.encode(), communication_id=b"77", operator_id=OPERATOR[:5].encode(),
        local_time=WHEN.replace(tzinfo=None), call_direction=1,
        parties=(E.Party(0, calling_isup=isdn.encode_isup(TARGET_NUMBER)),
                 E.Party(1, called_isup=isdn.encode_isup("+34911222333"))),
        **fields,  # type: ignore[arg-type]
    )  # fmt: skip
    h = E.Header(liid=LIID.encode(), operator_id=OPERATOR.encode(), cin=77, sequence_number=seq,
                 timestamp=WHEN + timedelta(seconds=after))  # fmt: skip
    return E.iri_etsi671(h, kind, record)


def _call(line: Line, pdus: list[tuple[int, bytes]]) -> dict[str, object]:
    journal = Journal.open(line.directory / "journal")
    journal.append_sync([(to_routing(decode(p), channel, "test"), p) for channel, p in pdus])
    journal.close_sync()
    line.assemble()
    (row,) = line.rows("SELECT * FROM communications")
    return row


def _q850(cause: int) -> bytes:
    """Q.850 clause 2.2: octet 3 (coding standard ITU-T, location public network serving
    the remote user: 0x85), octet 4 (extension bit, cause value)."""
    return bytes((0x85, 0x80 | cause))


@pytest.mark.parametrize(
    ("cause", "outcome", "meaning"),
    [
        (19, "no-answer", "no answer from user (user alerted)"),
        (17, "busy", "user busy"),
        (21, "rejected", "call rejected"),
        (1, "unreachable", "unallocated (unassigned) number"),
        (34, "failed", "no circuit/channel available"),
    ],
)
def test_a_call_released_before_any_answer_is_complete_with_its_cause(
    line: Line, cause: int, outcome: str, meaning: str
) -> None:
    """IRI-Begin, then IRI-End with a release cause, no answer, no CC: a complete call
    that was not answered (it was 'partial', 'missing-cc', outcome null)."""
    row = _call(line, [(2, _pdu(IRIType.BEGIN, 0, 0)),
                       (2, _pdu(IRIType.END, 1, 25, release_cause=_q850(cause)))])  # fmt: skip
    assert (row["status"], row["outcome"], row["closed_by"]) == ("complete", outcome, "iri-end")
    assert json.loads(str(row["reasons"])) == [] and row["answer_at"] is None
    assert row["end_at"] == to_text(WHEN + timedelta(seconds=25))
    notes = json.loads(str(row["notes"]))
    assert {"note": "release-cause", "cause": cause, "standard": "ITU-T Q.850",
            "meaning": meaning} in notes  # fmt: skip


def test_an_answered_call_without_content_still_misses_its_cc(line: Line) -> None:
    """intercepted-Call-State connected(3) in an IRI-Continue: the call was answered, so
    an End with normal clearing (16) and no CC is a call whose content is missing."""
    row = _call(line, [(2, _pdu(IRIType.BEGIN, 0, 0)),
                       (2, _pdu(IRIType.CONTINUE, 1, 6, call_state=3)),
                       (2, _pdu(IRIType.END, 2, 60, release_cause=_q850(16)))])  # fmt: skip
    assert (row["status"], row["outcome"]) == ("partial", "answered")
    assert {"reason": "missing-cc"} in json.loads(str(row["reasons"]))
    assert row["answer_at"] == to_text(WHEN + timedelta(seconds=6))


def test_conversation_duration_dates_the_answer(line: Line) -> None:
    """conversationDuration 000042 (42 s) in the IRI-End: answered 42 s before it."""
    row = _call(line, [(2, _pdu(IRIType.BEGIN, 0, 0)),
                       (2, _pdu(IRIType.END, 1, 50, conversation=bytes.fromhex("000042"),
                                release_cause=_q850(16)))])  # fmt: skip
    assert (row["outcome"], row["answer_at"]) == ("answered", to_text(WHEN + timedelta(seconds=8)))


def test_a_released_call_with_content_is_answered(line: Line) -> None:
    """CC arrived: the call was answered whatever the cause says."""
    frame = bytes(160)
    cc = [E.cc_pstn(E.Header(liid=LIID.encode(), operator_id=OPERATOR.encode(), cin=77,
                             sequence_number=n, timestamp=WHEN + timedelta(seconds=5)),
                    frame, direction=Direction.FROM_TARGET, cc_link_id=1)
          for n in range(3)]  # fmt: skip
    row = _call(line, [(2, _pdu(IRIType.BEGIN, 0, 0)), *((3, p) for p in cc),
                       (2, _pdu(IRIType.END, 1, 9, release_cause=_q850(16)))])  # fmt: skip
    assert (row["status"], row["outcome"]) == ("complete", "answered")
