"""Shared fixtures: catalogs on SQLite and on the machine's real PostgreSQL.

PostgreSQL is reached at CUSTODIO_TEST_PG (default: the local server's `custodio_test`
database and role, password `custodio_test`, which `scripts/test-prerequisites.sh`
creates when `make test` starts). Each test gets a schema of its own, dropped afterwards.
A PostgreSQL that cannot be reached fails the tests that need it: it is never skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

PG_URL = os.environ.get(
    "CUSTODIO_TEST_PG", "postgresql://custodio_test:custodio_test@127.0.0.1:5432/custodio_test"
)


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield _pg_schema_url(schema)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty catalog on each backend in turn."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"
    return str(request.getfixturevalue("pg_url"))
