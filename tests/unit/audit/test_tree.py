"""The stored Merkle tree against the RFC 6962 reference computation of crypto/merkle.py.

The log is built through ``log.append`` (which writes the nodes); roots and proofs for
every smaller size are read back from the stored subtrees and compared with the reference
over the entries' hashes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from custodio.audit import log, tree
from custodio.audit.entry import Event
from custodio.crypto import merkle
from custodio.db import Database, Tx, migrate
from custodio.errors import AuditIntegrityError


@pytest.fixture
def db(catalog_url: str) -> Iterator[Database]:
    with Database(catalog_url) as database:
        migrate.upgrade(database)
        yield database


def fill(db: Database, count: int) -> list[bytes]:
    """Append ``count`` entries in one transaction; their leaf hashes, in order."""

    def write(tx: Tx) -> None:
        for i in range(count):
            log.append(tx, Event(action="case.view", outcome="allowed", target=f"t{i}", actor="a"))

    db.write(write)
    rows = db.read(lambda tx: tx.all("SELECT entry_hash FROM audit_entries ORDER BY seq"))
    return [bytes.fromhex(r["entry_hash"]) for r in rows]


def test_the_table_holds_exactly_the_complete_subtrees(db: Database) -> None:
    leaves = fill(db, 300)
    rows = db.read(lambda tx: tx.all("SELECT level, idx, hash FROM audit_nodes"))
    stored = {(int(r["level"]), int(r["idx"])): r["hash"] for r in rows}
    expected = {
        (level, i): merkle.root(leaves[i << level : (i + 1) << level]).hex()
        for level in range(1, 9)
        for i in range(300 >> level)
    }
    assert stored == expected
    assert len(stored) == 300 - bin(300).count("1")  # one node per entry, amortised


def test_roots_and_proofs_at_every_size_match_the_reference(db: Database) -> None:
    leaves = fill(db, 300)

    def check(tx: Tx) -> None:
        for size in range(1, 301):
            assert tree.root(tx, size) == merkle.root(leaves[:size]), size
            for index in {0, size // 2, size - 1}:
                path = tree.inclusion_proof(tx, index, size)
                assert path == merkle.inclusion_proof(leaves[:size], index), (index, size)
            for old in {1, size // 2 or 1, size - 1 or 1, size}:
                proof = tree.consistency_proof(tx, old, size)
                assert proof == merkle.consistency_proof(leaves[:size], old), (old, size)

    db.read(check)


def test_large_powers_of_two_and_their_neighbours(db: Database) -> None:
    leaves = fill(db, 4097)

    def check(tx: Tx) -> None:
        for size in (1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096, 4097):
            top = merkle.root(leaves[:size])
            assert tree.root(tx, size) == top, size
            for index in (0, 1000, size - 1):
                path = tree.inclusion_proof(tx, index, size)
                assert merkle.root_from_inclusion(leaves[index], index, size, path) == top
            for old in (1, 1023, size - 1):
                proof = tree.consistency_proof(tx, old, size)
                old_top = merkle.root(leaves[:old])
                assert merkle.verify_consistency(old, size, old_top, top, proof), (old, size)

    db.read(check)


def test_a_missing_node_is_an_integrity_error(db: Database) -> None:
    fill(db, 8)
    db.write(lambda tx: tx.execute("DELETE FROM audit_nodes WHERE level = 2 AND idx = 1"))
    with pytest.raises(AuditIntegrityError, match=r"lacks the node over entries 5\.\.8"):
        db.read(lambda tx: tree.inclusion_proof(tx, 0, 8))
