"""The vault: stores and reads encrypted objects of cases.

    vault = Vault(backend, index, provider, VaultSettings())
    ref = vault.put("CASE-1", Kind.AUDIO, data)          # or put_file(...)
    data = vault.get("CASE-1", ref.object_id)            # or stream(...), read_range(...)
    view = vault.view("CASE-1", ref.object_id)           # view.size, view.read(start, n)

The access policy and the audit log are the caller's: the vault checks authenticity, not
authority. Maintenance (verify, cleanup, rotation, crypto-shredding) is in
:mod:`custodio.vault.maintenance`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from custodio.crypto.keys import KeyedDigest, digests_equal, random_key
from custodio.errors import Conflict, InvalidInput, NotFound
from custodio.vault import envelope
from custodio.vault.backends import Backend
from custodio.vault.envelope import DEFAULT_CHUNK, SALT_SIZE, CaseKeys, Header, Kind
from custodio.vault.index import ObjectRef, VaultIndex
from custodio.vault.providers import KeyProvider, WrappedKey

BytesLike = bytes | bytearray | memoryview
HASH_BLOCK = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class VaultSettings:
    chunk_size: int = DEFAULT_CHUNK  # plaintext bytes per authenticated chunk
    zstd_level: int = 1  # 0 turns compression off


class Vault:
    """Encrypted, content-addressed objects of cases, on one backend."""

    def __init__(
        self,
        backend: Backend,
        index: VaultIndex,
        provider: KeyProvider,
        settings: VaultSettings | None = None,
    ) -> None:
        self.backend = backend
        self.index = index
        self.provider = provider
        self.settings = settings or VaultSettings()
        envelope.check_chunk_size(self.settings.chunk_size, "(settings)")
        self._keys: dict[str, CaseKeys] = {}

    # keys

    def case_keys(self, case_id: str, *, create: bool = False) -> CaseKeys:
        """The keys of a case (made on its first object when ``create``)."""
        keys = self._keys.get(case_id)
        if keys is None:
            wrapped = self.index.get_wrapped_key(case_id)
            if wrapped is None and not create:
                raise NotFound(
                    f"case {case_id} has no data key in the vault",
                    hint="nothing was stored for it, or it was destroyed (crypto-shredded)",
                )
            wrapped = wrapped or self._new_data_key(case_id)
            keys = CaseKeys(case_id, self.provider.unwrap(wrapped))
            self._keys[case_id] = keys
        return keys

    def _new_data_key(self, case_id: str) -> WrappedKey:
        wrapped = self.provider.wrap(case_id, random_key())
        try:
            self.index.add_wrapped_key(wrapped)
        except Conflict:  # another process made it first: use theirs
            other = self.index.get_wrapped_key(case_id)
            assert other is not None
            return other
        return wrapped

    def forget_keys(self, case_id: str | None = None) -> None:
        """Drop cached data keys (of one case, or all)."""
        if case_id is None:
            self._keys.clear()
        else:
            self._keys.pop(case_id, None)

    # writing

    def put(self, case_id: str, kind: Kind, data: BytesLike) -> ObjectRef:
        """Store ``data`` (or count one more reference to the identical object)."""
        keys = self.case_keys(case_id, create=True)
        view = memoryview(data).cast("B")
        object_id = keys.object_id(kind, view)
        chunks = envelope.split(view, self.settings.chunk_size)
        ref = self._write(keys, kind, object_id, view.nbytes, chunks, sha256=None)
        return self.index.add_reference(ref)

    def put_file(
        self, case_id: str, kind: Kind, source: BinaryIO, *, sha256: bool = False
    ) -> ObjectRef:
        """Store a seekable file from its current position (see :meth:`write_file`)."""
        return self.index.add_reference(self.write_file(case_id, kind, source, sha256=sha256))

    def write_file(
        self, case_id: str, kind: Kind, source: BinaryIO, *, sha256: bool = False
    ) -> ObjectRef:
        """Write a seekable file's object to the backend; the caller records the reference.

        Two streaming passes: the first computes the object id (and the plaintext SHA-256
        when asked: the original digest kept for chain of custody), the second encrypts.
        A file that changes between the passes is refused (InvalidInput), nothing stored.
        The returned reference is not in the index yet: the caller adds it with
        ``index.add_reference`` in the same transaction as whatever else records the
        object (an import, its audit entry). Until then the object is unreferenced, which
        ``verify`` reports and ``cleanup`` removes if that transaction never commits.
        """
        keys = self.case_keys(case_id, create=True)
        start = source.tell()
        object_id, size, digest = _first_pass(keys, kind, source, sha256)
        source.seek(start)
        chunks = _file_chunks(source, self.settings.chunk_size, keys.id_digest(kind), object_id)
        return self._write(keys, kind, object_id, size, chunks, sha256=digest)

    def _write(
        self,
        keys: CaseKeys,
        kind: Kind,
        object_id: bytes,
        size: int,
        chunks: Iterator[tuple[memoryview, bool]],
        *,
        sha256: str | None,
    ) -> ObjectRef:
        """Write the object unless the case already holds it; the unrecorded reference."""
        existing = self.index.find_object(keys.case_id, object_id.hex())
        if existing is not None:
            return existing
        header = Header(kind, self.settings.chunk_size, object_id, random_key(SALT_SIZE))
        pieces = envelope.seal(keys, header, chunks, self.settings.zstd_level)
        stored = self.backend.write(envelope.object_name(object_id), pieces)
        # written and read back: only now may the catalog learn of it
        return ObjectRef(keys.case_id, object_id.hex(), kind, size, stored, sha256=sha256)

    def discard(self, ref: ObjectRef) -> bool:
        """Delete an object :meth:`write_file` wrote when the transaction that was to record
        its reference failed. An object the index knows (the case held it already, or
        another writer recorded it meanwhile) is kept. True if deleted.

        Not guarded against a second writer of the identical object in the same case that
        has written but not yet recorded it: what ``verify`` reports as missing.
        """
        return self.delete_unreferenced(ref.case_id, ref.object_id)

    def delete_unreferenced(self, case_id: str, object_id: str) -> bool:
        """Delete an object once a committed transaction dropped its last reference (a
        judge's destruction order); one the index still knows is kept. True if deleted."""
        if self.index.find_object(case_id, object_id) is not None:
            return False
        return self.backend.delete(envelope.object_name(bytes.fromhex(object_id)))

    def release(self, case_id: str, object_id: str) -> bool:
        """Drop one reference; delete the object when none is left. True if deleted."""
        if self.index.drop_reference(case_id, object_id):
            return False
        return self.backend.delete(envelope.object_name(bytes.fromhex(object_id)))

    # reading

    def ref(self, case_id: str, object_id: str) -> ObjectRef:
        ref = self.index.find_object(case_id, object_id)
        if ref is None:
            raise NotFound(f"object {object_id} of case {case_id} is not in the catalog")
        return ref

    def stream(self, case_id: str, object_id: str) -> Iterator[bytes]:
        """The plaintext, chunk by chunk; IntegrityError naming the object if tampered."""
        ref = self.ref(case_id, object_id)
        keys = self.case_keys(case_id)
        oid = bytes.fromhex(object_id)
        reader = self.backend.open(envelope.object_name(oid))
        try:
            yield from envelope.open_stream(reader, keys, oid, ref.kind, _label(ref))
        finally:
            reader.close()

    def get(self, case_id: str, object_id: str) -> bytes:
        return b"".join(self.stream(case_id, object_id))

    def read_range(self, case_id: str, object_id: str, start: int, length: int) -> bytes:
        """Plaintext bytes [start, start + length), reading only the chunks they lie in."""
        return self.view(case_id, object_id).read(start, length)

    def view(self, case_id: str, object_id: str) -> ObjectView:
        """An object opened for range reads: its header and chunk table are read and
        authenticated now (three small backend reads), its chunks only as ranges ask."""
        ref = self.ref(case_id, object_id)
        keys = self.case_keys(case_id)
        oid = bytes.fromhex(object_id)
        name = envelope.object_name(oid)
        backend = self.backend

        def fetch(at: int, length: int, /) -> bytes:
            return backend.read_range(name, at, length)

        layout, opener = envelope.read_layout(
            fetch, backend.size(name), keys, oid, ref.kind, label=_label(ref)
        )
        return ObjectView(fetch, layout, opener)


class ObjectView:
    """One object's plaintext, read by ranges (made by :meth:`Vault.view`).

    ``size`` comes from the authenticated chunk table; each :meth:`read` fetches and opens
    only the chunks its range lies in (IntegrityError naming the object if one was
    tampered with). Objects are immutable, so a view stays valid while the object exists.
    """

    def __init__(
        self, fetch: envelope.Fetch, layout: envelope.Layout, opener: envelope.Opener
    ) -> None:
        self._fetch = fetch
        self._layout = layout
        self._opener = opener

    @property
    def size(self) -> int:
        """The plaintext's length in bytes."""
        return self._layout.plain_size

    @property
    def chunk_size(self) -> int:
        """Plaintext bytes per chunk: a read aligned on it opens no chunk twice."""
        return self._layout.header.chunk_size

    def read(self, start: int, length: int) -> bytes:
        """Plaintext bytes [start, start + length), fewer at the end (InvalidInput if
        negative)."""
        return envelope.read_range(self._fetch, self._layout, self._opener, start, length)


def _label(ref: ObjectRef) -> str:
    return f"{ref.object_id} ({ref.kind.name.lower()}, case {ref.case_id})"


def _first_pass(
    keys: CaseKeys, kind: Kind, source: BinaryIO, sha256: bool
) -> tuple[bytes, int, str | None]:
    mac = keys.id_digest(kind)
    sha = hashlib.sha256() if sha256 else None
    size = 0
    while block := source.read(HASH_BLOCK):
        mac.update(block)
        if sha is not None:
            sha.update(block)
        size += len(block)
    return mac.digest(), size, sha.hexdigest() if sha is not None else None


def _read_full(source: BinaryIO, size: int) -> bytes:
    data = source.read(size)
    while 0 < len(data) < size:
        more = source.read(size - len(data))
        if not more:
            break
        data += more
    return data


def _file_chunks(
    source: BinaryIO, chunk_size: int, mac: KeyedDigest, expected: bytes
) -> Iterator[tuple[memoryview, bool]]:
    """Chunks of a file, checking that it still has the content it had in the first pass."""
    current = _read_full(source, chunk_size)
    while True:
        following = _read_full(source, chunk_size) if len(current) == chunk_size else b""
        final = not following
        mac.update(current)
        if final and not digests_equal(mac.digest(), expected):
            raise InvalidInput(
                f"the file changed while it was being stored as {expected.hex()}",
                hint="store a copy that nothing is writing to",
            )
        yield memoryview(current), final
        if final:
            return
        current = following
