"""What the vault needs from the catalog, and an in-memory implementation for tests.

The SQL catalog implements :class:`VaultIndex`. The vault writes an object to the backend
*before* it records the reference here, and drops the reference here *before* it deletes
the object: a crash in between leaves an unreferenced object (reported by ``verify`` and
removed by ``cleanup``), never a reference to an object that is not there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Protocol

from custodio.errors import Conflict, NotFound
from custodio.vault.envelope import Kind
from custodio.vault.providers import WrappedKey


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One object of one case, as the catalog records it."""

    case_id: str
    object_id: str  # 64 hex digits: HMAC-SHA256 under the case's naming key
    kind: Kind
    size: int  # plaintext bytes
    stored_size: int  # bytes in the backend: what storage accounting counts
    refcount: int = 1
    sha256: str | None = None  # of the plaintext, when recorded (imports: chain of custody)


class VaultIndex(Protocol):
    """Wrapped data keys and object references, kept by the catalog."""

    def get_wrapped_key(self, case_id: str) -> WrappedKey | None: ...

    def add_wrapped_key(self, wrapped: WrappedKey) -> None:
        """Record the first data key of a case; Conflict if the case already has one."""
        ...

    def replace_wrapped_key(self, wrapped: WrappedKey) -> None:
        """Store the same data key re-wrapped (rotation); NotFound if the case has none."""
        ...

    def destroy_wrapped_key(self, case_id: str) -> None:
        """Erase the case's wrapped data key (crypto-shredding); no-op if none."""
        ...

    def wrapped_keys(self) -> Iterator[WrappedKey]: ...

    def find_object(self, case_id: str, object_id: str) -> ObjectRef | None: ...

    def add_reference(self, ref: ObjectRef) -> ObjectRef:
        """Insert ``ref`` with refcount 1, or add one to the existing row; return the row."""
        ...

    def drop_reference(self, case_id: str, object_id: str) -> int:
        """Take one from the refcount, delete the row at 0; return what remains."""
        ...

    def forget_objects(self, case_id: str) -> None:
        """Delete every object row of a case (after crypto-shredding)."""
        ...

    def objects(self, case_id: str | None = None) -> Iterator[ObjectRef]:
        """Rows of one case, or of all cases."""
        ...


class MemoryIndex:
    """A VaultIndex in dicts, for unit tests and as the reference behaviour."""

    def __init__(self) -> None:
        self.keys: dict[str, WrappedKey] = {}
        self.refs: dict[tuple[str, str], ObjectRef] = {}

    def get_wrapped_key(self, case_id: str) -> WrappedKey | None:
        return self.keys.get(case_id)

    def add_wrapped_key(self, wrapped: WrappedKey) -> None:
        if wrapped.case_id in self.keys:
            raise Conflict(f"case {wrapped.case_id} already has a data key")
        self.keys[wrapped.case_id] = wrapped

    def replace_wrapped_key(self, wrapped: WrappedKey) -> None:
        if wrapped.case_id not in self.keys:
            raise NotFound(f"case {wrapped.case_id} has no data key")
        self.keys[wrapped.case_id] = wrapped

    def destroy_wrapped_key(self, case_id: str) -> None:
        self.keys.pop(case_id, None)

    def wrapped_keys(self) -> Iterator[WrappedKey]:
        yield from list(self.keys.values())

    def find_object(self, case_id: str, object_id: str) -> ObjectRef | None:
        return self.refs.get((case_id, object_id))

    def add_reference(self, ref: ObjectRef) -> ObjectRef:
        key = (ref.case_id, ref.object_id)
        old = self.refs.get(key)
        row = replace(ref, refcount=1) if old is None else replace(old, refcount=old.refcount + 1)
        self.refs[key] = row
        return row

    def drop_reference(self, case_id: str, object_id: str) -> int:
        old = self.refs.get((case_id, object_id))
        if old is None:
            raise NotFound(f"object {object_id} of case {case_id} is not in the catalog")
        if old.refcount <= 1:
            del self.refs[(case_id, object_id)]
            return 0
        self.refs[(case_id, object_id)] = replace(old, refcount=old.refcount - 1)
        return old.refcount - 1

    def forget_objects(self, case_id: str) -> None:
        for key in [k for k in self.refs if k[0] == case_id]:
            del self.refs[key]

    def objects(self, case_id: str | None = None) -> Iterator[ObjectRef]:
        rows = list(self.refs.values())
        yield from (r for r in rows if case_id is None or r.case_id == case_id)
