"""The API served for real: the application of ``custodio serve`` (``create_app`` over the
line's service and vault) under uvicorn on a free loopback port, in a thread; clients
speak HTTP over TCP with httpx and log in through the API itself.

``served`` gives an :class:`Served` with ``client(user)`` (logged in through
``POST /api/v1/session``), ``anonymous()``, and ``entries(...)`` (the audit log's newest
entries, as the catalog holds them).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.assemble.conftest import Line
from tests.integration.conftest import PASSWORD
from tests.integration.served_api import serving


@pytest.fixture
def catalog_url(tmp_path: Path) -> str:
    """SQLite: the faces do not depend on the backend (test_api_postgres.py runs one
    walk through the API on PostgreSQL)."""
    return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"


@dataclass
class Served:
    line: Line
    base: str
    clients: list[httpx.Client] = field(default_factory=list)

    def anonymous(self, **headers: str) -> httpx.Client:
        client = httpx.Client(base_url=f"{self.base}/api/v1", headers=headers, timeout=60)
        self.clients.append(client)
        return client

    def login(self, user: str, password: str = PASSWORD) -> dict[str, Any]:
        reply = self.anonymous().post("/session", json={"name": user, "password": password})
        assert reply.status_code == 201, reply.text
        return dict(reply.json())

    def client(self, user: str) -> httpx.Client:
        """A client logged in as ``user`` through the API."""
        token = self.login(user)["token"]
        return self.anonymous(Authorization=f"Bearer {token}")

    def entries(self, *, after: int = 0) -> list[dict[str, Any]]:
        """The audit log's entries after ``after``, oldest first (details decoded)."""
        rows = self.line.rows("SELECT * FROM audit_entries WHERE seq > ? ORDER BY seq", (after,))
        return [{**r, "details": json.loads(str(r["details"]))} for r in rows]

    def last_seq(self) -> int:
        rows = self.line.rows("SELECT MAX(seq) AS n FROM audit_entries")
        return int(rows[0]["n"] or 0)


@pytest.fixture
def served(line: Line) -> Iterator[Served]:  # noqa: F811 (the fixture imported below)
    with serving(line, line.vault) as base:
        s = Served(line, base)
        try:
            yield s
        finally:
            for c in s.clients:
                c.close()


def error(reply: httpx.Response, status: int, code: str, text: str = "") -> dict[str, Any]:
    """The one error shape, with ``status``, ``code`` and ``text`` in its message."""
    assert reply.status_code == status, (reply.status_code, reply.text)
    body = reply.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "hint"}, body
    assert body["error"]["code"] == code, body
    assert text in body["error"]["message"], body
    return dict(body["error"])


from tests.integration.assemble.conftest import line  # noqa: E402, F401 (a fixture, by name)
