"""Tampering with the stored audit log — edit, delete, reorder, truncate, fork — is caught.

Each test changes the catalog directly, as someone with database access would, and
expects `verify` to fail naming the first bad entry.
"""

from __future__ import annotations

import concurrent.futures
import json
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


def run_verify(
    db: Database, signer: signing.Signer, state: Path, *, full: bool = True
) -> verify.Report:
    return verify.verify(
        db, log_id=LOG_ID, public_key=signer.public_key, state_dir=state, full=full
    )


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


@pytest.mark.parametrize("full", [True, False])
def test_truncating_what_a_verifier_saw_is_detected(
    db: Database, signer: signing.Signer, tmp_path: Path, full: bool
) -> None:
    state = tmp_path / "state"
    run_verify(db, signer, state)  # no checkpoint: only the verifier's memory protects it
    change(db, "DELETE FROM audit_entries WHERE seq > 10")
    with pytest.raises(AuditIntegrityError, match=r"shrank from 12 to 10.*11\.\.12"):
        run_verify(db, signer, state, full=full)
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


@pytest.mark.parametrize("full", [True, False])
def test_a_fork_after_verification_is_detected_without_checkpoints(
    db: Database, signer: signing.Signer, tmp_path: Path, full: bool
) -> None:
    state = tmp_path / "state"
    run_verify(db, signer, state)
    rewrite_history(db)
    with pytest.raises(AuditIntegrityError, match="forked"):
        run_verify(db, signer, state, full=full)
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


# --- the stored tree (audit_nodes): checkpoints and proofs are read from it ------------

# The nodes of a log of 12 entries: (level, index) and the entries each covers.
NODES = {(1, i): (2 * i + 1, 2 * i + 2) for i in range(6)}
NODES |= {(2, i): (4 * i + 1, 4 * i + 4) for i in range(3)} | {(3, 0): (1, 8)}


@pytest.mark.parametrize(("level", "index"), sorted(NODES))
def test_changing_any_stored_node_is_detected(
    db: Database, signer: signing.Signer, tmp_path: Path, level: int, index: int
) -> None:
    log.checkpoint(db, signer, LOG_ID)
    change(
        db, "UPDATE audit_nodes SET hash = ? WHERE level = ? AND idx = ?", "ab" * 32, level, index
    )
    first, last = NODES[level, index]
    with pytest.raises(
        AuditIntegrityError, match=f"node over entries {first}\\.\\.{last} was altered"
    ):
        run_verify(db, signer, tmp_path / "state")
    db.close()


def test_deleting_a_stored_node_is_detected(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    change(db, "DELETE FROM audit_nodes WHERE level = 2 AND idx = 1")
    with pytest.raises(AuditIntegrityError, match=r"node over entries 5\.\.8 is missing"):
        run_verify(db, signer, tmp_path / "state")
    db.close()


def test_an_incremental_run_finds_a_changed_node_under_what_it_verified(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    run_verify(db, signer, state)
    change(db, "UPDATE audit_nodes SET hash = ? WHERE level = 3 AND idx = 0", "ab" * 32)
    with pytest.raises(AuditIntegrityError, match="forked"):
        run_verify(db, signer, state, full=False)
    db.close()


def test_the_signer_refuses_a_tree_that_does_not_extend_its_last_checkpoint(
    db: Database, signer: signing.Signer
) -> None:
    log.checkpoint(db, signer, LOG_ID)
    for i in range(3):
        audit.record(db, Event(action="case.view", outcome="allowed", target=f"n{i}", actor="a"))
    change(db, "UPDATE audit_nodes SET hash = ? WHERE level = 3 AND idx = 0", "ab" * 32)
    with pytest.raises(AuditIntegrityError, match="no longer extends its checkpoint at entry 12"):
        log.checkpoint(db, signer, LOG_ID)
    assert db.read(lambda tx: tx.scalar("SELECT MAX(size) FROM audit_checkpoints")) == N
    db.close()


# --- incremental runs: only what was added since, on top of what was verified ----------


def more(db: Database, count: int) -> None:
    for i in range(count):
        audit.record(db, Event(action="case.view", outcome="allowed", target=f"m{i}", actor="a"))


def test_an_incremental_run_reads_only_the_new_entries(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    log.checkpoint(db, signer, LOG_ID)
    run_verify(db, signer, state)
    more(db, 5)
    log.checkpoint(db, signer, LOG_ID)
    report = run_verify(db, signer, state, full=False)
    assert (report.entries, report.first_checked, report.checkpoints) == (N + 5, N + 1, 1)
    assert report.root == run_verify(db, signer, tmp_path / "fresh").root
    db.close()


def test_an_incremental_run_checks_new_entries_and_checkpoints(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    run_verify(db, signer, state)
    more(db, 3)
    change(db, "UPDATE audit_entries SET actor = 'x' WHERE seq = ?", N + 2)
    with pytest.raises(AuditIntegrityError, match=f"audit entry {N + 2} was altered"):
        run_verify(db, signer, state, full=False)
    change(db, "UPDATE audit_entries SET actor = 'a' WHERE seq = ?", N + 2)
    log.checkpoint(db, signing.generate(tmp_path / "other-key"), LOG_ID)
    with pytest.raises(AuditIntegrityError, match=f"signature of the checkpoint at entry {N + 3}"):
        run_verify(db, signer, state, full=False)
    db.close()


def test_an_incremental_run_leaves_old_entries_to_a_full_one(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    """The limit, on purpose: an edit that leaves an old entry's hash and the tree alone."""
    state = tmp_path / "state"
    run_verify(db, signer, state)
    change(db, "UPDATE audit_entries SET purpose = 'x' WHERE seq = 2")
    more(db, 1)
    assert run_verify(db, signer, state, full=False).first_checked == N + 1
    with pytest.raises(AuditIntegrityError, match="audit entry 2 was altered"):
        run_verify(db, signer, state)
    db.close()


def test_a_memory_from_before_the_stored_tree_means_a_full_run(
    db: Database, signer: signing.Signer, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    report = run_verify(db, signer, state)
    saved = state / f"audit-{LOG_ID}.json"
    old = {k: v for k, v in json.loads(saved.read_text()).items() if k != "head"}
    saved.write_text(json.dumps(old))
    more(db, 2)
    again = run_verify(db, signer, state, full=False)
    assert (again.first_checked, again.previous_size) == (1, report.entries)
    assert "head" in json.loads(saved.read_text())
    db.close()
