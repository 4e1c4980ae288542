"""Tampering with the stored audit log — edit, delete, reorder, truncate, fork — is caught.

Each test changes the catalog directly, as someone with database access would, and
expects `verify` to fail naming the first bad entry.
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import pytest

from custodio import audit
from custodio.audit import log, verify
from custodio.audit.entry import Event
from custodio.crypto import signing
from custodio.db import Database, Tx, migrate
from custodio.errors import AuditIntegrityError

LOG_ID = "00000000-0000-4000-8000-000000000000"
N = 12


@pytest.fixture
def db(catalog_url: str) -> Database:
    database = Database(catalog_url)
    migrate.upgrade(database)
    for i in range(1, N + 1):
        event = Event(
            action="case.view",
            outcome="allowed",
            target=f"case:C{i}",
            actor=f"user{i % 3}",
            actor_id=i % 3,
            agency_id=1,
            case_id=i,
            purpose="p" if i % 2 else None,
            details={"n": i},
        )
        audit.record(database, event)
    return database


@pytest.fixture
def signer(tmp_path: Path) -> signing.Signer:
    return signing.generate(tmp_path / "key")


def run_verify(db: Database, signer: signing.Signer, state: Path) -> verify.Report:
    return verify.verify(db, log_id=LOG_ID, public_key=signer.public_key, state_dir=state)


def change(db: Database, sql: str, *params: object) -> None:
    db.write(lambda tx: tx.execute(sql, params))


def test_untouched_log_verifies(db: Database, signer: signing.Signer, tmp_path: Path) -> None:
    log.checkpoint(db, signer, LOG_ID)
    report = run_verify(db, signer, tmp_path / "state")
    assert (report.entries, report.checkpoints) == (N, 1)
    db.close()


COLUMNS = {
    "time": "'2026-01-01T00:00:00.000000Z'",
    "agency_id": "7",
    "actor_id": "99",
    "actor": "'mallory'",
    "action": "'case.create'",
    "outcome": "'denied'",
    "target": "'case:other'",
    "case_id": "77",
    "purpose": "'changed'",
    "details": "'{\"n\":0}'",
}


@pytest.mark.parametrize("column", sorted(COLUMNS))
@pytest.mark.parametrize("seq", [1, 6, N])
def test_editing_any_field_of_any_entry_is_detected(
    db: Database, signer: signing.Signer, tmp_path: Path, column: str, seq: int
) -> None:
    change(db, f"UPDATE audit_entries SET {column} = {COLUMNS[column]} WHERE seq = ?", seq)
    with pytest.raises(AuditIntegrityError, match=f"audit entry {seq} was altered"):
        run_verify(db, signer, tmp_path / "state")
    db.close()


def test_deleting_an_entry_is_detected(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    change(db, "DELETE FROM audit_entries WHERE seq = 5")
    with pytest.raises(AuditIntegrityError, match="entry 5 is missing"):
        run_verify(db, signer, tmp_path / "state")
    db.close()


def test_deleting_and_renumbering_is_detected(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    change(db, "DELETE FROM audit_entries WHERE seq = 5")
    for seq in range(6, N + 1):
        change(db, "UPDATE audit_entries SET seq = ? WHERE seq = ?", seq - 1, seq)
    with pytest.raises(AuditIntegrityError, match="audit entry 5 "):
        run_verify(db, signer, tmp_path / "state")
    db.close()


def test_reordering_entries_is_detected(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    change(db, "UPDATE audit_entries SET seq = -1 WHERE seq = 4")
    change(db, "UPDATE audit_entries SET seq = 4 WHERE seq = 7")
    change(db, "UPDATE audit_entries SET seq = 7 WHERE seq = -1")
    with pytest.raises(AuditIntegrityError, match="audit entry 4 "):
        run_verify(db, signer, tmp_path / "state")
    db.close()


def test_truncating_below_a_checkpoint_is_detected(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    log.checkpoint(db, signer, LOG_ID)
    change(db, "DELETE FROM audit_entries WHERE seq > 9")
    with pytest.raises(AuditIntegrityError, match=r"truncated.*entries 10\.\.12 are missing"):
        run_verify(db, signer, tmp_path / "state")
    db.close()


def test_truncating_what_a_verifier_saw_is_detected(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    run_verify(db, signer, state)  # no checkpoint: only the verifier's memory protects it
    change(db, "DELETE FROM audit_entries WHERE seq > 10")
    with pytest.raises(AuditIntegrityError, match=r"shrank from 12 to 10.*11\.\.12"):
        run_verify(db, signer, state)
    db.close()


def rewrite_history(db: Database) -> None:
    """Change entry 3 and recompute every hash after it: a consistent forgery."""

    def forge(tx: Tx) -> None:
        rows = tx.all("SELECT * FROM audit_entries ORDER BY seq")
        prev = "00" * 32
        for row in rows:
            entry = log.entry_from_row(row)
            event = entry.event
            if entry.seq == 3:
                event = Event(**{**event.__dict__, "actor": "someone-else"})
            forged = audit.Entry(entry.seq, entry.time, event, prev)
            tx.execute(
                "UPDATE audit_entries SET actor = ?, prev_hash = ?, entry_hash = ? WHERE seq = ?",
                (event.actor, prev, forged.hash(), entry.seq),
            )
            prev = forged.hash()

    db.write(forge)


def test_rewritten_history_contradicts_the_signed_checkpoint(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    log.checkpoint(db, signer, LOG_ID)
    rewrite_history(db)
    with pytest.raises(AuditIntegrityError, match=r"entries 1\.\.12 do not match the signed"):
        run_verify(db, signer, tmp_path / "state")
    db.close()


def test_a_fork_after_verification_is_detected_without_checkpoints(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    run_verify(db, signer, state)
    rewrite_history(db)
    with pytest.raises(AuditIntegrityError, match="forked"):
        run_verify(db, signer, state)
    db.close()


def test_a_forged_checkpoint_signature_is_detected(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    log.checkpoint(db, signer, LOG_ID)
    other = signing.generate(tmp_path / "other-key")  # the forger signs with his own key
    change(db, "DELETE FROM audit_checkpoints")
    log.checkpoint(db, other, LOG_ID)
    with pytest.raises(AuditIntegrityError, match="signature of the checkpoint at entry 12"):
        run_verify(db, signer, tmp_path / "state")
    db.close()


def test_a_changed_signing_key_is_refused(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    run_verify(db, signer, state)
    other = signing.generate(tmp_path / "other-key")
    with pytest.raises(AuditIntegrityError, match="signing key changed"):
        verify.verify(db, log_id=LOG_ID, public_key=other.public_key, state_dir=state)
    db.close()


def test_the_verifier_remembers_only_what_passed(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    change(db, "UPDATE audit_entries SET actor = 'x' WHERE seq = 2")
    with pytest.raises(AuditIntegrityError):
        run_verify(db, signer, state)
    assert not state.exists() or not any(state.glob("*.json"))
    db.close()


def test_appends_from_many_threads_form_one_chain(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    def one(i: int) -> int:
        event = Event(action="case.view", outcome="allowed", target=f"t{i}", actor="a")
        return audit.record(db, event).seq

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        seqs = list(pool.map(one, range(200)))
    assert sorted(seqs) == list(range(N + 1, N + 201))
    assert run_verify(db, signer, tmp_path / "state").entries == N + 200
    db.close()
