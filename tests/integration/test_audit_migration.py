"""A log written before the stored tree (schema version 6) migrates and stays verifiable.

Migration 7 only marks such a log; its tree is built when the catalog is opened
(``audit.build_tree``, in batches), or else by the first append or checkpoint.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from custodio import audit
from custodio.audit import log, tree, verify
from custodio.audit.entry import GENESIS_HASH, Checkpoint, Entry, Event
from custodio.crypto import merkle, signing
from custodio.db import Database, Tx, migrate
from custodio.errors import CatalogError

LOG_ID = "00000000-0000-4000-8000-000000000000"
N = 37


def old_append(tx: Tx, i: int) -> None:
    """What append wrote up to schema version 6: the entry, no nodes."""
    head = tx.one("SELECT seq, entry_hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
    seq, prev = (1, GENESIS_HASH) if head is None else (int(head["seq"]) + 1, head["entry_hash"])
    event = Event(action="case.view", outcome="allowed", target=f"case:C{i}", actor="u")
    entry = Entry(seq, "2026-11-29T10:00:00.000000Z", event, prev)
    tx.execute(
        "INSERT INTO audit_entries (seq, time, agency_id, actor_id, actor, action, outcome,"
        " target, case_id, purpose, details, prev_hash, entry_hash)"
        " VALUES (?, ?, NULL, NULL, 'u', 'case.view', 'allowed', ?, NULL, NULL, '{}', ?, ?)",
        (seq, entry.time, event.target, prev, entry.hash()),
    )


def old_checkpoint(tx: Tx, signer: signing.Signer) -> None:
    """What checkpoint signed up to schema version 6: the root over every entry_hash."""
    leaves = [
        bytes.fromhex(r["entry_hash"])
        for r in tx.all("SELECT entry_hash FROM audit_entries ORDER BY seq")
    ]
    cp = Checkpoint(LOG_ID, len(leaves), merkle.root(leaves).hex(), "t", signer.key_id)
    signed = replace(cp, signature=signer.sign(cp.signed_message()).hex())
    tx.execute(
        "INSERT INTO audit_checkpoints (size, root, time, key_id, signature)"
        " VALUES (?, ?, ?, ?, ?)",
        (signed.size, signed.root, signed.time, signed.key_id, signed.signature),
    )


@pytest.fixture
def signer(tmp_path: Path) -> signing.Signer:
    return signing.generate(tmp_path / "key")


@pytest.fixture
def db(catalog_url: str, signer: signing.Signer) -> Iterator[Database]:
    """A catalog at schema version 6 holding N entries and a checkpoint over the first 30."""
    with Database(catalog_url) as database:
        for migration in migrate.migrations()[:6]:
            database.write(functools.partial(migrate._apply, migration=migration))
        database.write(lambda tx: [old_append(tx, i) for i in range(30)])
        database.write(lambda tx: old_checkpoint(tx, signer))
        database.write(lambda tx: [old_append(tx, i) for i in range(30, N)])
        yield database


def leaves(db: Database) -> list[bytes]:
    rows = db.read(lambda tx: tx.all("SELECT entry_hash FROM audit_entries ORDER BY seq"))
    return [bytes.fromhex(r["entry_hash"]) for r in rows]


def run_verify(
    db: Database, signer: signing.Signer, state: Path, full: bool = True
) -> verify.Report:
    return verify.verify(
        db, log_id=LOG_ID, public_key=signer.public_key, state_dir=state, full=full
    )


def test_opening_builds_the_tree_in_batches(
    db: Database, signer: signing.Signer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state"
    old_state = {"log_id": LOG_ID, "key_id": signer.key_id, "size": 30}
    old_state["root"] = merkle.root(leaves(db)[:30]).hex()
    state.mkdir()
    (state / f"audit-{LOG_ID}.json").write_text(json.dumps(old_state))
    migrate.upgrade(db)
    assert db.read(tree.backfill_done) == 0
    with pytest.raises(CatalogError, match="still being built"):
        run_verify(db, signer, state)
    monkeypatch.setattr(log, "BACKFILL_BATCH", 8)  # five batches, the last one short
    assert audit.build_tree(db) == N
    assert db.read(tree.backfill_done) is None
    assert db.read(lambda tx: tree.root(tx, N)) == merkle.root(leaves(db))
    assert audit.build_tree(db) == 0
    report = run_verify(db, signer, state)  # the old checkpoint and the old memory hold
    assert (report.entries, report.checkpoints, report.previous_size) == (N, 1, 30)
    assert log.checkpoint(db, signer, LOG_ID) is not None  # extends the old checkpoint


def test_an_append_before_the_tree_is_built_builds_it_first(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    migrate.upgrade(db)
    audit.record(db, Event(action="case.view", outcome="allowed", target="after", actor="u"))
    assert db.read(tree.backfill_done) is None
    assert db.read(lambda tx: tree.root(tx, N + 1)) == merkle.root(leaves(db))
    assert run_verify(db, signer, tmp_path / "state").entries == N + 1


def test_a_checkpoint_before_the_tree_is_built_builds_it_first(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    migrate.upgrade(db)
    cp = log.checkpoint(db, signer, LOG_ID)
    assert cp is not None and cp.root == merkle.root(leaves(db)).hex()
    assert run_verify(db, signer, tmp_path / "state").checkpoints == 2


def test_an_empty_log_needs_no_backfill(catalog_url: str) -> None:
    with Database(catalog_url) as db:
        migrate.upgrade(db)
        assert db.read(tree.backfill_done) is None
