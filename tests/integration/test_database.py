"""The catalog engine on both backends: group commit, savepoints, migrations."""

from __future__ import annotations

import concurrent.futures
import re
import threading

import pytest

from custodio.db import Database, Tx, migrate
from custodio.errors import CatalogError, CatalogVersionError, Conflict


@pytest.fixture
def db(catalog_url: str) -> Database:
    database = Database(catalog_url)
    migrate.upgrade(database)
    return database


def test_migrations_apply_once_and_record_their_version(db: Database) -> None:
    assert migrate.current_version(db) == migrate.latest_version()
    assert migrate.upgrade(db) == []  # upgrading an up-to-date catalog changes nothing
    db.close()


def test_a_newer_catalog_is_refused_before_anything_is_written(catalog_url: str) -> None:
    db = Database(catalog_url)
    migrate.upgrade(db)
    db.write(
        lambda tx: tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'x', 'y')",
            (migrate.latest_version() + 5,),
        )
    )
    with pytest.raises(CatalogVersionError, match="upgrade Custodio"):
        migrate.upgrade(db)
    db.close()


def test_a_catalog_is_upgraded_in_place(catalog_url: str) -> None:
    """A catalog at an older version gets the missing migrations, keeping its rows."""
    db = Database(catalog_url)
    first = migrate.migrations()[0]
    db.write(lambda tx: migrate._apply(tx, first))
    db.write(
        lambda tx: tx.execute(
            "INSERT INTO agencies (name, created_at) VALUES ('Guardia Civil', 'now')"
        )
    )
    migrate.upgrade(db)
    assert migrate.current_version(db) == migrate.latest_version()
    assert db.read(lambda tx: tx.scalar("SELECT name FROM agencies")) == "Guardia Civil"
    db.close()


def test_a_failing_request_rolls_back_alone(db: Database) -> None:
    """Requests committed in the same batch do not share each other's failures."""
    gate = threading.Event()
    db.submit(lambda tx: gate.wait(5))  # hold the writer so the next three share a batch

    def insert(name: str, fail: bool) -> None:
        def fn(tx: Tx) -> None:
            tx.execute("INSERT INTO agencies (name, created_at) VALUES (?, 'now')", (name,))
            if fail:
                raise ValueError("boom")

        return fn  # type: ignore[return-value]

    futures = [
        db.submit(insert("a", False)),
        db.submit(insert("b", True)),
        db.submit(insert("c", False)),
    ]
    gate.set()
    futures[0].result()
    with pytest.raises(ValueError, match="boom"):
        futures[1].result()
    futures[2].result()
    names = db.read(lambda tx: [r["name"] for r in tx.all("SELECT name FROM agencies")])
    assert sorted(names) == ["a", "c"]
    db.close()


def test_group_commit_batches_concurrent_writers(db: Database) -> None:
    def one(i: int) -> None:
        db.write(
            lambda tx: tx.execute(
                "INSERT INTO agencies (name, created_at) VALUES (?, 'now')", (f"a{i}",)
            )
        )

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(400)))
    assert db.read(lambda tx: tx.scalar("SELECT COUNT(*) FROM agencies")) == 400
    db.close()


def test_uniqueness_violation_is_a_conflict(db: Database) -> None:
    db.write(lambda tx: tx.execute("INSERT INTO agencies (name, created_at) VALUES ('x', 'n')"))
    with pytest.raises(Conflict, match="refused the change"):
        db.write(lambda tx: tx.execute("INSERT INTO agencies (name, created_at) VALUES ('x', 'n')"))
    db.close()


def test_closed_database_refuses_work(db: Database) -> None:
    db.close()
    with pytest.raises(CatalogError, match="closed"):
        db.write(lambda tx: None)


def test_unreachable_postgresql_is_a_clear_error() -> None:
    with pytest.raises(
        CatalogError, match=re.escape("cannot open the catalog postgresql://nobody@127.0.0.1:1/x")
    ):
        Database("postgresql://nobody:secret@127.0.0.1:1/x?connect_timeout=2")


def test_the_password_never_appears_in_errors() -> None:
    with pytest.raises(CatalogError) as err:
        Database("postgresql://nobody:s3cr3t-pw@127.0.0.1:1/x?connect_timeout=2")
    assert "s3cr3t-pw" not in str(err.value)


def test_a_read_cannot_change_the_catalog(db: Database) -> None:
    """``Database.read`` is a read-only snapshot (SQLite ``query_only``, PostgreSQL ``READ
    ONLY``): a change attempted there fails loudly instead of being rolled back unseen,
    and the catalog is as it was."""
    before = db.read(lambda tx: tx.one("SELECT COUNT(*) AS n FROM units")["n"])
    with pytest.raises(CatalogError):
        db.read(lambda tx: tx.execute("INSERT INTO units (agency_id, name) VALUES (1, 'x')"))
    assert db.read(lambda tx: tx.one("SELECT COUNT(*) AS n FROM units")["n"]) == before
