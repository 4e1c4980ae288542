"""The vault over the in-memory backend and index: put/get, dedup, keys, maintenance."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import replace
from pathlib import Path

import pytest

from custodio.errors import IntegrityError, InvalidInput, KeyProviderError, NotFound
from custodio.vault import maintenance
from custodio.vault.backends.memory import MemoryBackend
from custodio.vault.envelope import Kind, object_name
from custodio.vault.index import MemoryIndex, ObjectRef
from custodio.vault.providers.keyfile import KeyFileProvider
from custodio.vault.store import Vault, VaultSettings

PASSPHRASE = "correct horse battery staple"  # as in conftest.py

MARKERS = [b"+34 600 123 456", b"nos vemos en el puerto", b"RIFF\x24\x08\x00\x00WAVEfmt "]


def evidence(n: int = 3) -> bytes:
    return b"".join(MARKERS) * n + bytes(range(256))


def backend_of(vault: Vault) -> MemoryBackend:
    assert isinstance(vault.backend, MemoryBackend)
    return vault.backend


def test_put_get_and_range(vault: Vault) -> None:
    data = evidence(10)
    ref = vault.put("C1", Kind.AUDIO, data)
    assert (ref.size, ref.refcount) == (len(data), 1)
    assert vault.get("C1", ref.object_id) == data
    assert vault.read_range("C1", ref.object_id, 70, 200) == data[70:270]
    assert ref.stored_size == len(
        backend_of(vault).objects[object_name(bytes.fromhex(ref.object_id))]
    )


def test_identical_content_is_stored_once_per_case(vault: Vault) -> None:
    a = vault.put("C1", Kind.AUDIO, b"same")
    b = vault.put("C1", Kind.AUDIO, b"same")
    c = vault.put("C2", Kind.AUDIO, b"same")
    assert a.object_id == b.object_id != c.object_id
    assert b.refcount == 2
    assert len(backend_of(vault).objects) == 2
    assert not vault.release("C1", a.object_id)
    assert vault.release("C1", a.object_id)
    assert len(backend_of(vault).objects) == 1


def test_put_file_records_the_original_digest(vault: Vault) -> None:
    data = evidence(7)
    ref = vault.put_file("C1", Kind.DOCUMENT, io.BytesIO(data), sha256=True)
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert ref.object_id == vault.put("C1", Kind.DOCUMENT, data).object_id
    assert vault.get("C1", ref.object_id) == data


class ChangingFile(io.BytesIO):
    """A file whose content changes after it was first read to the end."""

    def seek(self, pos: int, whence: int = 0) -> int:
        self.getbuffer()[-1] ^= 1
        return super().seek(pos, whence)


def test_put_file_refuses_a_file_that_changes(vault: Vault) -> None:
    with pytest.raises(InvalidInput, match="changed"):
        vault.put_file("C1", Kind.DOCUMENT, ChangingFile(evidence()))
    assert not backend_of(vault).objects


def test_no_plaintext_marker_reaches_the_backend(vault: Vault) -> None:
    case = "CASE-MARKER-2024"
    vault.put(case, Kind.TRANSCRIPT, evidence())
    vault.put_file(case, Kind.AUDIO, io.BytesIO(evidence(50)))
    for name, blob in backend_of(vault).objects.items():
        for marker in [*MARKERS, case.encode()]:
            assert marker not in blob
        assert case not in name


def test_a_corrupt_object_names_itself(vault: Vault) -> None:
    ref = vault.put("C1", Kind.AUDIO, evidence())
    name = object_name(bytes.fromhex(ref.object_id))
    blob = bytearray(backend_of(vault).objects[name])
    blob[100] ^= 4
    backend_of(vault).objects[name] = bytes(blob)
    with pytest.raises(IntegrityError, match=ref.object_id):
        vault.get("C1", ref.object_id)
    with pytest.raises(IntegrityError, match=ref.object_id):
        vault.read_range("C1", ref.object_id, 0, 10)


def test_an_object_copied_into_another_case_does_not_open(vault: Vault) -> None:
    a = vault.put("C1", Kind.AUDIO, b"case one audio")
    b = vault.put("C2", Kind.AUDIO, b"case two audio")
    objects = backend_of(vault).objects
    objects[object_name(bytes.fromhex(b.object_id))] = objects[
        object_name(bytes.fromhex(a.object_id))
    ]
    with pytest.raises(IntegrityError):
        vault.get("C2", b.object_id)
    report = maintenance.verify(vault)
    assert [p.case_id for p in report.misplaced] == ["C2"]


def test_wrong_passphrase_is_a_clear_error(tmp_path: Path, keyfile: KeyFileProvider) -> None:
    with pytest.raises(KeyProviderError, match="wrong passphrase"):
        KeyFileProvider.open(keyfile.path, "not the passphrase")
    with pytest.raises(KeyProviderError, match="does not exist"):
        KeyFileProvider.open(tmp_path / "nope.keys", PASSPHRASE)
    assert KeyFileProvider.open(keyfile.path, PASSPHRASE).current_kek == "kek-1"


def test_reopened_key_file_reads_old_objects(keyfile: KeyFileProvider) -> None:
    backend, index = MemoryBackend(), MemoryIndex()
    ref = Vault(backend, index, keyfile).put("C1", Kind.PDU, b"pdu")
    keyfile.change_passphrase("new passphrase")
    reopened = KeyFileProvider.open(keyfile.path, "new passphrase")
    assert Vault(backend, index, reopened).get("C1", ref.object_id) == b"pdu"


def test_key_rotation_rewraps_without_touching_objects(
    vault: Vault, keyfile: KeyFileProvider
) -> None:
    refs = [vault.put(f"C{i}", Kind.AUDIO, b"audio %d" % i) for i in range(3)]
    before = dict(backend_of(vault).objects)
    report = maintenance.rotate_kek(vault)
    assert (report.new_kek, report.rewrapped, report.retired) == ("kek-2", 3, ["kek-1"])
    assert backend_of(vault).objects == before
    assert {w.kek_id for w in vault.index.wrapped_keys()} == {"kek-2"}
    fresh = Vault(vault.backend, vault.index, KeyFileProvider.open(keyfile.path, PASSPHRASE))
    assert [fresh.get(r.case_id, r.object_id) for r in refs] == [b"audio 0", b"audio 1", b"audio 2"]


def test_old_wrapped_keys_die_with_the_retired_kek(vault: Vault) -> None:
    vault.put("C1", Kind.AUDIO, b"x")
    old = vault.index.get_wrapped_key("C1")
    assert old is not None
    maintenance.rotate_kek(vault)
    with pytest.raises(KeyProviderError, match="no longer holds"):
        vault.provider.unwrap(old)  # e.g. from a catalog backup


def test_wrapped_key_moved_to_another_case_fails(vault: Vault) -> None:
    vault.put("C1", Kind.AUDIO, b"x")
    wrapped = vault.index.get_wrapped_key("C1")
    assert wrapped is not None
    with pytest.raises(KeyProviderError, match="does not unwrap"):
        vault.provider.unwrap(replace(wrapped, case_id="C2"))


def test_crypto_shredding(vault: Vault) -> None:
    kept = vault.put("C2", Kind.AUDIO, b"other case")
    refs = [vault.put("C1", Kind.AUDIO, evidence(i)) for i in range(1, 4)]
    blobs = {
        r.object_id: backend_of(vault).objects[object_name(bytes.fromhex(r.object_id))]
        for r in refs
    }
    backend_of(vault).locked.add(object_name(bytes.fromhex(refs[0].object_id)))
    report = maintenance.shred_case(vault, "C1", ordered_by="judge J. Pérez, order 12/2025")
    assert [o.deleted for o in report.objects] == [False, True, True]
    assert b"judge" in report.certificate_body()
    with pytest.raises(NotFound):
        vault.get("C1", refs[0].object_id)
    # even with the ciphertext and the catalog rows restored, nothing opens without the key
    for ref in refs:
        vault.index.add_reference(ref)
        backend_of(vault).objects[object_name(bytes.fromhex(ref.object_id))] = blobs[ref.object_id]
    with pytest.raises(NotFound, match="no data key"):
        vault.get("C1", refs[1].object_id)
    assert vault.get("C2", kept.object_id) == b"other case"


def test_shredding_is_idempotent(vault: Vault) -> None:
    vault.put("C1", Kind.AUDIO, b"x")
    maintenance.shred_case(vault, "C1", ordered_by="court")
    again = maintenance.shred_case(vault, "C1", ordered_by="court")
    assert again.objects == [] and again.kek_id is None


class CrashingIndex(MemoryIndex):
    """The catalog commit fails after the backend write (process killed, DB down)."""

    def add_reference(self, ref: ObjectRef) -> ObjectRef:
        raise RuntimeError("killed")


def test_crash_between_write_and_commit_leaves_an_unreferenced_object(
    keyfile: KeyFileProvider,
) -> None:
    backend, index = MemoryBackend(), CrashingIndex()
    with pytest.raises(RuntimeError):
        Vault(backend, index, keyfile).put("C1", Kind.AUDIO, b"lost commit")
    vault = Vault(backend, index, keyfile)
    report = maintenance.verify(vault)
    assert len(report.unreferenced) == 1 and not report.ok
    assert maintenance.cleanup(vault).too_young == [report.unreferenced[0].name]
    cleaned = maintenance.cleanup(vault, grace=dt.timedelta(0))
    assert cleaned.deleted == [report.unreferenced[0].name]
    assert maintenance.verify(vault).ok


def test_backend_failure_mid_write_leaves_nothing(vault: Vault) -> None:
    class Failing(MemoryBackend):
        def write(self, name: str, pieces):  # type: ignore[no-untyped-def]
            for i, _ in enumerate(pieces):
                if i == 3:
                    raise OSError("connection reset")
            raise AssertionError

    failing = Failing()
    broken = Vault(failing, vault.index, vault.provider, VaultSettings(chunk_size=64))
    with pytest.raises(OSError):
        broken.put("C1", Kind.AUDIO, evidence())
    assert not failing.objects and list(vault.index.objects()) == []


def test_verify_reports_missing_corrupt_and_stray(vault: Vault) -> None:
    good = vault.put("C1", Kind.AUDIO, b"good")
    gone = vault.put("C1", Kind.AUDIO, b"gone")
    bad = vault.put("C2", Kind.PDU, b"bad")
    objects = backend_of(vault).objects
    del objects[object_name(bytes.fromhex(gone.object_id))]
    name = object_name(bytes.fromhex(bad.object_id))
    objects[name] = objects[name][:-1] + b"\0"
    objects["objects/zz/stray"] = b"?"
    backend_of(vault).times["objects/zz/stray"] = dt.datetime.now(dt.UTC)
    report = maintenance.verify(vault)
    assert report.checked == 3
    assert [p.case_id for p in report.missing] == ["C1"]
    assert [p.case_id for p in report.corrupt] == ["C2"]
    assert [p.name for p in report.misplaced] == ["objects/zz/stray"]
    assert maintenance.verify(vault, case_id="C1").missing[0].name.endswith(gone.object_id)
    assert good.object_id not in str(report.missing + report.corrupt)
    sampled = maintenance.verify(vault, sample=0.01)
    assert sampled.checked <= 3


def test_unknown_kind_is_invalid_input() -> None:
    assert Kind.parse("Audio") is Kind.AUDIO
    with pytest.raises(InvalidInput, match="pdu, audio"):
        Kind.parse("video")
