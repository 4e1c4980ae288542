"""The catalog's own facts (``meta``): the audit log's id and public key, when it was made.

Written once, by ``custodio init``, in the transaction that writes the first audit entry.
"""

from __future__ import annotations

from custodio.db import Tx
from custodio.errors import NotFound


def find(tx: Tx, key: str) -> str | None:
    value = tx.scalar("SELECT value FROM meta WHERE key = ?", (key,))
    return None if value is None else str(value)


def get(tx: Tx, key: str) -> str:
    value = find(tx, key)
    if value is None:
        raise NotFound(f"the catalog has no {key}", hint="was it created by `custodio init`?")
    return value


def put(tx: Tx, key: str, value: str) -> None:
    tx.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))
