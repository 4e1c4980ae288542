"""Connections to the catalog database: SQLite (embedded) or PostgreSQL.

All SQL in Custodio is written once, with ``?`` placeholders and portable types; the
:class:`Tx` wrapper adapts placeholders for psycopg. Rows come back as plain dicts.
Library errors are wrapped into :class:`~custodio.errors.CatalogError` (or
:class:`~custodio.errors.Conflict` for a uniqueness violation) here, at the boundary.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlsplit

import psycopg
from psycopg.rows import dict_row

from custodio.errors import CatalogError, Conflict, CustodioError

Row = dict[str, Any]
Params = Sequence[Any]
Dialect = Literal["sqlite", "postgresql"]
Connection = sqlite3.Connection | psycopg.Connection[Row]

SQLITE_BUSY_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Url:
    dialect: Dialect
    target: str  # a file path for SQLite, a conninfo URL for PostgreSQL

    @classmethod
    def parse(cls, url: str) -> Url:
        scheme = urlsplit(url).scheme
        if scheme == "sqlite":
            return cls("sqlite", _sqlite_path(url))
        if scheme in ("postgresql", "postgres"):
            return cls("postgresql", url)
        raise CatalogError(
            f"catalog_url {url!r} is neither sqlite:///PATH nor postgresql://...",
            hint="fix catalog_url in custodio.toml or CUSTODIO_CATALOG_URL",
        )

    def redacted(self) -> str:
        """The URL without any password, for messages and logs."""
        if self.dialect == "sqlite":
            return f"sqlite:///{self.target}"
        parts = urlsplit(self.target)
        host = parts.hostname or ""
        user = f"{parts.username}@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def _sqlite_path(url: str) -> str:
    # sqlite:///relative/or/absolute -> the path after the third slash, sqlite:////abs -> /abs
    return url[len("sqlite:///") :]


def connect(url: Url) -> Connection:
    try:
        if url.dialect == "sqlite":
            return _connect_sqlite(url.target)
        return psycopg.connect(url.target, row_factory=dict_row, autocommit=True)
    except (sqlite3.Error, psycopg.Error) as e:
        raise CatalogError(
            f"cannot open the catalog {url.redacted()}: {e}",
            hint="check catalog_url and that the database server is running",
        ) from e


def _connect_sqlite(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000
    )
    conn.row_factory = _dict_factory
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    return conn


def _dict_factory(cursor: sqlite3.Cursor, row: tuple[Any, ...]) -> Row:
    return {d[0]: v for d, v in zip(cursor.description, row, strict=True)}


@lru_cache(maxsize=1024)
def _pg_sql(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


class Tx:
    """One open transaction (or read snapshot) on a connection."""

    def __init__(self, conn: Connection, dialect: Dialect) -> None:
        self.conn = conn
        self.dialect: Dialect = dialect

    def execute(self, sql: str, params: Params = ()) -> None:
        self._run(sql, params)

    def one(self, sql: str, params: Params = ()) -> Row | None:
        rows = self._run(sql, params)
        return rows[0] if rows else None

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        return self._run(sql, params)

    def scalar(self, sql: str, params: Params = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else next(iter(row.values()))

    def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT ... and return the new row's ``id``."""
        row = self.one(sql + " RETURNING id", params)
        assert row is not None
        return int(row["id"])

    def _run(self, sql: str, params: Params) -> list[Row]:
        with wrap_errors():
            if self.dialect == "sqlite":
                assert isinstance(self.conn, sqlite3.Connection)
                return list(self.conn.execute(sql, tuple(params)).fetchall())
            assert isinstance(self.conn, psycopg.Connection)
            cur = self.conn.execute(_pg_sql(sql), tuple(params))
            return list(cur.fetchall()) if cur.description else []


@contextmanager
def wrap_errors() -> Iterator[None]:
    try:
        yield
    except CustodioError:
        raise
    except (sqlite3.IntegrityError, psycopg.errors.IntegrityError) as e:
        raise Conflict(f"the catalog refused the change: {_first_line(e)}") from e
    except (sqlite3.Error, psycopg.Error) as e:
        raise CatalogError(f"catalog error: {_first_line(e)}") from e


def _first_line(e: BaseException) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
