"""The catalog's vault index on both databases behaves as the reference MemoryIndex."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from custodio.catalog.vault_index import SqlIndex, TxIndex
from custodio.db import Database, migrate
from custodio.errors import Conflict, NotFound
from custodio.vault import maintenance
from custodio.vault.backends.fs import DirectoryBackend
from custodio.vault.envelope import Kind
from custodio.vault.index import MemoryIndex, ObjectRef, VaultIndex
from custodio.vault.providers import WrappedKey
from custodio.vault.providers.keyfile import KeyFileProvider
from custodio.vault.store import Vault


@pytest.fixture
def db(catalog_url: str) -> Iterator[Database]:
    database = Database(catalog_url)
    migrate.upgrade(database)
    yield database
    database.close()


@pytest.fixture(params=["sql", "memory"])
def index(request: pytest.FixtureRequest, db: Database) -> VaultIndex:
    return SqlIndex(db) if request.param == "sql" else MemoryIndex()


def ref(object_id: str = "ab" * 32, case: str = "1") -> ObjectRef:
    return ObjectRef(case, object_id, Kind.AUDIO, 100, 150, sha256="cd" * 32)


def test_wrapped_keys(index: VaultIndex) -> None:
    assert index.get_wrapped_key("1") is None
    index.add_wrapped_key(WrappedKey("1", "kek-1", b"\x00\x01blob"))
    with pytest.raises(Conflict):
        index.add_wrapped_key(WrappedKey("1", "kek-1", b"other"))
    index.replace_wrapped_key(WrappedKey("1", "kek-2", b"rewrapped"))
    assert index.get_wrapped_key("1") == WrappedKey("1", "kek-2", b"rewrapped")
    with pytest.raises(NotFound):
        index.replace_wrapped_key(WrappedKey("2", "kek-2", b"x"))
    assert [k.case_id for k in index.wrapped_keys()] == ["1"]
    index.destroy_wrapped_key("1")
    assert index.get_wrapped_key("1") is None


def test_references_are_counted(index: VaultIndex) -> None:
    assert index.add_reference(ref()).refcount == 1
    assert index.add_reference(ref()).refcount == 2
    found = index.find_object("1", "ab" * 32)
    assert found is not None and (found.refcount, found.stored_size, found.sha256) == (
        2,
        150,
        "cd" * 32,
    )
    assert index.drop_reference("1", "ab" * 32) == 1
    assert index.drop_reference("1", "ab" * 32) == 0
    assert index.find_object("1", "ab" * 32) is None
    with pytest.raises(NotFound):
        index.drop_reference("1", "ab" * 32)


def test_objects_by_case_and_forget(index: VaultIndex) -> None:
    index.add_reference(ref("01" * 32, "1"))
    index.add_reference(ref("02" * 32, "2"))
    assert [r.object_id for r in index.objects("1")] == ["01" * 32]
    assert len(list(index.objects())) == 2
    index.forget_objects("1")
    assert [r.case_id for r in index.objects()] == ["2"]


def test_a_reference_recorded_in_a_failed_transaction_is_not_kept(db: Database) -> None:
    def fail(tx: object) -> None:
        TxIndex(tx).add_reference(ref())  # type: ignore[arg-type]
        raise RuntimeError("the audit write failed")

    with pytest.raises(RuntimeError):
        db.write(fail)
    assert SqlIndex(db).find_object("1", "ab" * 32) is None


def test_a_vault_on_the_catalog_round_trips_and_shreds(db: Database, tmp_path: Path) -> None:
    provider = KeyFileProvider.create(tmp_path / "vault.key", "passphrase-123", scrypt_n=2**14)
    vault = Vault(DirectoryBackend(tmp_path / "objects"), SqlIndex(db), provider)
    audio = b"RIFF" + bytes(range(256)) * 400
    first = vault.put("7", Kind.AUDIO, audio)
    assert vault.put("7", Kind.AUDIO, audio).refcount == 2  # stored once, counted twice
    assert vault.get("7", first.object_id) == audio
    assert maintenance.verify(vault).ok
    unrecorded = vault.write_file("7", Kind.DOCUMENT, io.BytesIO(b"court order " * 100))
    report = maintenance.verify(vault)
    assert [s.name for s in report.unreferenced] == [
        f"objects/{unrecorded.object_id[:2]}/{unrecorded.object_id}"
    ]
    shred = maintenance.shred_case(vault, "7", ordered_by="AUTO 99/2027")
    assert [o.object_id for o in shred.objects] == [first.object_id]
    assert SqlIndex(db).get_wrapped_key("7") is None
    with pytest.raises(NotFound):
        vault.get("7", first.object_id)
