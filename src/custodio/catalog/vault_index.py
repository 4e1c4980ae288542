"""The vault's index in the SQL catalog: wrapped data keys and object references.

:class:`SqlIndex` implements :class:`custodio.vault.index.VaultIndex`; each call is one
transaction of its own. :class:`TxIndex` runs the same calls inside a transaction the
caller holds, so that recording an object commits together with what records it (an
import, its audit entry).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from custodio.db import Database, Tx
from custodio.db.engine import Row
from custodio.db.times import now_text
from custodio.errors import Conflict, NotFound
from custodio.vault.envelope import Kind
from custodio.vault.index import ObjectRef
from custodio.vault.providers import WrappedKey

T = TypeVar("T")
_OBJECT_COLUMNS = "case_id, object_id, kind, size, stored_size, refcount, sha256"


class TxIndex:
    """The vault index inside one open transaction."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def get_wrapped_key(self, case_id: str) -> WrappedKey | None:
        row = self.tx.one("SELECT * FROM vault_keys WHERE case_id = ?", (case_id,))
        return None if row is None else _wrapped(row)

    def add_wrapped_key(self, wrapped: WrappedKey) -> None:
        if self.get_wrapped_key(wrapped.case_id) is not None:
            raise Conflict(f"case {wrapped.case_id} already has a data key")
        self.tx.execute(
            "INSERT INTO vault_keys (case_id, kek_id, wrapped, created_at) VALUES (?, ?, ?, ?)",
            (wrapped.case_id, wrapped.kek_id, wrapped.blob, now_text()),
        )

    def replace_wrapped_key(self, wrapped: WrappedKey) -> None:
        if self.get_wrapped_key(wrapped.case_id) is None:
            raise NotFound(f"case {wrapped.case_id} has no data key")
        self.tx.execute(
            "UPDATE vault_keys SET kek_id = ?, wrapped = ? WHERE case_id = ?",
            (wrapped.kek_id, wrapped.blob, wrapped.case_id),
        )

    def destroy_wrapped_key(self, case_id: str) -> None:
        self.tx.execute("DELETE FROM vault_keys WHERE case_id = ?", (case_id,))

    def wrapped_keys(self) -> Iterator[WrappedKey]:
        yield from (_wrapped(r) for r in self.tx.all("SELECT * FROM vault_keys ORDER BY case_id"))

    def find_object(self, case_id: str, object_id: str) -> ObjectRef | None:
        row = self.tx.one(
            f"SELECT {_OBJECT_COLUMNS} FROM vault_objects WHERE case_id = ? AND object_id = ?",
            (case_id, object_id),
        )
        return None if row is None else _ref(row)

    def add_reference(self, ref: ObjectRef) -> ObjectRef:
        old = self.find_object(ref.case_id, ref.object_id)
        if old is not None:
            self.tx.execute(
                "UPDATE vault_objects SET refcount = refcount + 1 "
                "WHERE case_id = ? AND object_id = ?",
                (ref.case_id, ref.object_id),
            )
        else:
            self.tx.execute(
                f"INSERT INTO vault_objects ({_OBJECT_COLUMNS}, created_at) "
                "VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                (
                    ref.case_id,
                    ref.object_id,
                    ref.kind.name.lower(),
                    ref.size,
                    ref.stored_size,
                    ref.sha256,
                    now_text(),
                ),
            )
        found = self.find_object(ref.case_id, ref.object_id)
        assert found is not None
        return found

    def drop_reference(self, case_id: str, object_id: str) -> int:
        old = self.find_object(case_id, object_id)
        if old is None:
            raise NotFound(f"object {object_id} of case {case_id} is not in the catalog")
        if old.refcount <= 1:
            self.tx.execute(
                "DELETE FROM vault_objects WHERE case_id = ? AND object_id = ?",
                (case_id, object_id),
            )
            return 0
        self.tx.execute(
            "UPDATE vault_objects SET refcount = refcount - 1 WHERE case_id = ? AND object_id = ?",
            (case_id, object_id),
        )
        return old.refcount - 1

    def forget_objects(self, case_id: str) -> None:
        self.tx.execute("DELETE FROM vault_objects WHERE case_id = ?", (case_id,))

    def objects(self, case_id: str | None = None) -> Iterator[ObjectRef]:
        sql = f"SELECT {_OBJECT_COLUMNS} FROM vault_objects"
        if case_id is None:
            rows = self.tx.all(sql + " ORDER BY case_id, object_id")
        else:
            rows = self.tx.all(sql + " WHERE case_id = ? ORDER BY object_id", (case_id,))
        yield from (_ref(r) for r in rows)


class SqlIndex:
    """The vault index on the catalog database, one transaction per call."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _write(self, fn: Callable[[TxIndex], T]) -> T:
        return self.db.write(lambda tx: fn(TxIndex(tx)))

    def _read(self, fn: Callable[[TxIndex], T]) -> T:
        return self.db.read(lambda tx: fn(TxIndex(tx)))

    def get_wrapped_key(self, case_id: str) -> WrappedKey | None:
        return self._read(lambda ix: ix.get_wrapped_key(case_id))

    def add_wrapped_key(self, wrapped: WrappedKey) -> None:
        self._write(lambda ix: ix.add_wrapped_key(wrapped))

    def replace_wrapped_key(self, wrapped: WrappedKey) -> None:
        self._write(lambda ix: ix.replace_wrapped_key(wrapped))

    def destroy_wrapped_key(self, case_id: str) -> None:
        self._write(lambda ix: ix.destroy_wrapped_key(case_id))

    def wrapped_keys(self) -> Iterator[WrappedKey]:
        yield from self._read(lambda ix: list(ix.wrapped_keys()))

    def find_object(self, case_id: str, object_id: str) -> ObjectRef | None:
        return self._read(lambda ix: ix.find_object(case_id, object_id))

    def add_reference(self, ref: ObjectRef) -> ObjectRef:
        return self._write(lambda ix: ix.add_reference(ref))

    def drop_reference(self, case_id: str, object_id: str) -> int:
        return self._write(lambda ix: ix.drop_reference(case_id, object_id))

    def forget_objects(self, case_id: str) -> None:
        self._write(lambda ix: ix.forget_objects(case_id))

    def objects(self, case_id: str | None = None) -> Iterator[ObjectRef]:
        yield from self._read(lambda ix: list(ix.objects(case_id)))


def _wrapped(row: Row) -> WrappedKey:
    return WrappedKey(row["case_id"], row["kek_id"], bytes(row["wrapped"]))


def _ref(row: Row) -> ObjectRef:
    return ObjectRef(
        case_id=row["case_id"],
        object_id=row["object_id"],
        kind=Kind.parse(row["kind"]),
        size=int(row["size"]),
        stored_size=int(row["stored_size"]),
        refcount=int(row["refcount"]),
        sha256=row["sha256"],
    )
