"""The audit entry and checkpoint formats: golden vectors, also printed in the docs."""

from __future__ import annotations

from pathlib import Path

import pytest

from custodio.audit.entry import GENESIS_HASH, Checkpoint, Entry, Event
from custodio.crypto import merkle, signing

DOC = (Path(__file__).parents[3] / "docs" / "formats" / "audit.md").read_text("utf-8")

ENTRY_1 = Entry(
    seq=1,
    time="2026-11-29T10:00:00.000000Z",
    event=Event(
        action="system.init",
        outcome="allowed",
        target="custodio",
        actor="system",
        agency_id=1,
        details={"agency": "Policía Nacional", "administrator": "admin"},
    ),
    prev_hash=GENESIS_HASH,
)
HASH_1 = "49a7aa343dff300158e1ed08997e8ad7986879a1037c019aae2f0af7448314c7"
ENTRY_2 = Entry(
    seq=2,
    time="2026-11-29T10:05:00.250000Z",
    event=Event(
        action="content.read",
        outcome="denied",
        target="case:DP 123/2026",
        actor="inv1",
        actor_id=3,
        agency_id=1,
        case_id=1,
        purpose="escucha de la llamada 17",
        details={"reason": "no warrant covers this item's time and kind of data"},
    ),
    prev_hash=HASH_1,
)
HASH_2 = "a96f3bc05bbece82c68b30465fb101bad65bd5c183de9daedf14ae8e63a3a82a"
ROOT = "ae0b90c3c9fb1cce0e47e4827b158fb6d6bf8fda3b34876c653201610e026649"
SIGNATURE = (
    "76fa0fe3de775e3c152f87f87246013c3ca5f7d7c7a76252fbbd96ebd19435c0"
    "d5f4e19ce61ccd187029495037b6291575a3828b5b8d5395b15b88b795ecaf00"
)


def test_entry_format_is_stable() -> None:
    assert ENTRY_1.hash() == HASH_1
    assert ENTRY_2.hash() == HASH_2
    assert ENTRY_1.canonical().decode() in DOC
    assert ENTRY_2.canonical().decode() in DOC
    assert HASH_1 in DOC and HASH_2 in DOC


def test_merkle_root_of_the_two_entries() -> None:
    leaves = [bytes.fromhex(HASH_1), bytes.fromhex(HASH_2)]
    assert merkle.root(leaves).hex() == ROOT
    assert ROOT in DOC


def test_checkpoint_format_is_stable() -> None:
    signer = signing.Signer(signing.private_key_from_seed(bytes(range(32))))
    assert signer.key_id == "56475aa75463474c"
    cp = Checkpoint(
        "5f0c6bd4-3e1a-4c7e-9a55-0d3b8f2e7c11",
        2,
        ROOT,
        "2026-11-29T10:06:00.000000Z",
        signer.key_id,
    )
    assert cp.signed_message() == (
        b"custodio-audit-checkpoint/v1\n5f0c6bd4-3e1a-4c7e-9a55-0d3b8f2e7c11\n2\n"
        + ROOT.encode()
        + b"\n2026-11-29T10:06:00.000000Z\n"
    )
    assert signer.sign(cp.signed_message()).hex() == SIGNATURE
    assert signing.verify(signer.public_key, bytes.fromhex(SIGNATURE), cp.signed_message())
    assert signer.public_key.hex() in DOC and SIGNATURE in DOC


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 3},
        {"time": "2026-11-29T10:05:00.250001Z"},
        {"prev_hash": "11" * 32},
    ],
)
def test_every_entry_field_is_covered_by_the_hash(change: dict[str, object]) -> None:
    fields = {"seq": ENTRY_2.seq, "time": ENTRY_2.time, "prev_hash": ENTRY_2.prev_hash}
    changed = Entry(**{**fields, **change}, event=ENTRY_2.event)  # type: ignore[arg-type]
    assert changed.hash() != HASH_2


@pytest.mark.parametrize(
    "field",
    [
        "action",
        "outcome",
        "target",
        "actor",
        "actor_id",
        "agency_id",
        "case_id",
        "purpose",
        "details",
    ],
)
def test_every_event_field_is_covered_by_the_hash(field: str) -> None:
    values = {
        "action": "content.export",
        "outcome": "allowed",
        "target": "case:X",
        "actor": "inv2",
        "actor_id": 4,
        "agency_id": 2,
        "case_id": 2,
        "purpose": "otro",
        "details": {"r": 1},
    }
    event = Event(**{**ENTRY_2.event.__dict__, field: values[field]})
    assert Entry(ENTRY_2.seq, ENTRY_2.time, event, ENTRY_2.prev_hash).hash() != HASH_2


def test_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="outcome"):
        Event(action="x", outcome="maybe", target="t", actor="a")
