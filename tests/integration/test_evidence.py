"""Evidence through the whole stack: policy, vault on a real directory, SQL catalog, audit."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from custodio.access import evidence, vaults
from custodio.catalog import cases
from custodio.crypto import signing
from custodio.errors import BackendError, Forbidden, InvalidInput, KeyProviderError, NotFound
from custodio.vault.store import Vault
from tests.integration.conftest import CASE, World, secrets

MARKERS = [b"+34600111222", b"la entrega es el martes en el puerto", b"RIFF\x24\x00\x00\x00WAVE"]


@pytest.fixture
def vault(world: World) -> Iterator[Vault]:
    yield vaults.open_vault(world.svc.config, world.svc.db, secrets)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def seized_recording() -> bytes:
    return MARKERS[2] + b"\x00" * 40 + MARKERS[0] + MARKERS[1] + bytes(range(256)) * 300


def test_import_records_the_original_digest_and_audits_it(
    world: World, vault: Vault, tmp_path: Path
) -> None:
    data = seized_recording()
    path = write(tmp_path, "grabacion-incautada.wav", data)
    [done] = evidence.import_files(
        world.svc, world.as_("inv1"), vault, CASE, [path], "audio", "acta de incautación 12/2026"
    )
    assert done.sha256 == hashlib.sha256(data).hexdigest()
    entry = world.last_audit()
    assert (entry["actor"], entry["action"], entry["outcome"]) == (
        "inv1",
        "evidence.import",
        "allowed",
    )
    details = json.loads(str(entry["details"]))
    assert details["sha256"] == done.sha256 and details["object_id"] == done.object_id
    case = world.svc.db.read(lambda tx: cases.get(tx, 1, CASE))
    assert vault.get(evidence.vault_case_id(case), done.object_id) == data
    row = world.svc.db.read(lambda tx: tx.one("SELECT * FROM imports"))
    assert row is not None and (row["filename"], row["note"]) == (
        path.name,
        "acta de incautación 12/2026",
    )


def test_identical_content_in_one_case_is_stored_once(
    world: World, vault: Vault, tmp_path: Path
) -> None:
    a = write(tmp_path, "a.pdf", b"%PDF auto judicial " * 50)
    b = write(tmp_path, "b.pdf", b"%PDF auto judicial " * 50)
    first, second = evidence.import_files(
        world.svc, world.as_("wo"), vault, CASE, [a, b], "document"
    )
    assert first.object_id == second.object_id and second.duplicate
    assert len(list(Path(world.svc.config.vault_directory).rglob("objects/*/*"))) == 1
    assert world.count("imports") == 2


def test_an_investigator_outside_the_case_cannot_import(
    world: World, vault: Vault, tmp_path: Path
) -> None:
    path = write(tmp_path, "x.wav", seized_recording())
    with pytest.raises(Forbidden, match="not assigned"):
        evidence.import_files(world.svc, world.as_("inv2"), vault, CASE, [path], "audio")
    assert world.last_audit()["outcome"] == "denied"
    assert world.count("vault_objects") == 0
    assert not list(Path(world.svc.config.vault_directory).rglob("objects/*/*"))


def test_nothing_of_the_plaintext_reaches_the_backend(
    world: World, vault: Vault, tmp_path: Path
) -> None:
    path = write(tmp_path, "x.wav", seized_recording())
    evidence.import_files(world.svc, world.as_("inv1"), vault, CASE, [path], "audio")
    stored = b"".join(
        p.read_bytes() for p in Path(world.svc.config.vault_directory).rglob("*") if p.is_file()
    )
    assert stored
    for marker in MARKERS:
        assert marker not in stored


def test_an_unwritable_backend_leaves_nothing_referenced(
    world: World, vault: Vault, tmp_path: Path
) -> None:
    objects = Path(world.svc.config.vault_directory)
    shutil.rmtree(objects)
    objects.write_bytes(b"not a directory: the disk is gone")
    path = write(tmp_path, "x.wav", seized_recording())
    with pytest.raises(BackendError):
        evidence.import_files(world.svc, world.as_("inv1"), vault, CASE, [path], "audio")
    assert world.count("vault_objects") == 0 and world.count("imports") == 0


def test_a_missing_file_imports_nothing(world: World, vault: Vault, tmp_path: Path) -> None:
    good = write(tmp_path, "a.wav", b"x" * 10)
    with pytest.raises(InvalidInput, match="nothing was imported"):
        evidence.import_files(
            world.svc, world.as_("inv1"), vault, CASE, [good, tmp_path / "missing.wav"], "audio"
        )
    assert world.count("imports") == 0


def test_verify_names_a_corrupt_and_a_missing_object(
    world: World, vault: Vault, tmp_path: Path
) -> None:
    a = write(tmp_path, "a.wav", seized_recording())
    b = write(tmp_path, "b.pdf", b"%PDF " * 1000)
    one, two = evidence.import_files(world.svc, world.as_("inv1"), vault, CASE, [a, b], "document")
    assert evidence.verify(world.svc, world.as_("admin"), vault).ok
    root = Path(world.svc.config.vault_directory)
    corrupt = root / "objects" / one.object_id[:2] / one.object_id
    blob = bytearray(corrupt.read_bytes())
    blob[len(blob) // 2] ^= 0x01
    corrupt.write_bytes(bytes(blob))
    (root / "objects" / two.object_id[:2] / two.object_id).unlink()
    report = evidence.verify(world.svc, world.as_("aud"), vault, case_ref=CASE)
    assert [p.name.rsplit("/", 1)[1] for p in report.corrupt] == [one.object_id]
    assert [p.name.rsplit("/", 1)[1] for p in report.missing] == [two.object_id]
    assert not report.ok
    entry = world.last_audit()
    assert entry["action"] == "vault.verify" and json.loads(str(entry["details"]))["corrupt"] == 1
    with pytest.raises(Forbidden):
        evidence.verify(world.svc, world.as_("inv1"), vault)


CRASH = """
import io, os, signal, sys
from pathlib import Path
from custodio import config
from custodio.access import vaults
from custodio.access.service import Service
from custodio.vault.envelope import Kind
svc = Service.open(config.load(Path(sys.argv[1])))
vault = vaults.open_vault(svc.config, svc.db, lambda name, prompt: sys.argv[2])
vault.write_file("1", Kind.DOCUMENT, io.BytesIO(b"written, never recorded" * 100))
os.kill(os.getpid(), signal.SIGKILL)  # the process dies before the catalog commit
"""


def test_a_crash_between_write_and_commit_leaves_an_unreferenced_object_that_cleanup_removes(
    world: World, vault: Vault
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CRASH, str(world.data_dir), secrets("VAULT_PASSPHRASE", "")],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -9, done.stderr
    report = evidence.verify(world.svc, world.as_("admin"), vault)
    assert len(report.unreferenced) == 1 and not report.missing
    assert world.count("vault_objects") == 0  # never a dangling reference
    kept = evidence.cleanup(world.svc, world.as_("admin"), vault, grace=timedelta(hours=1))
    assert kept.too_young and not kept.deleted  # maybe still in flight: kept
    gone = evidence.cleanup(world.svc, world.as_("admin"), vault, grace=timedelta(0))
    assert len(gone.deleted) == 1
    assert evidence.verify(world.svc, world.as_("admin"), vault).ok


def test_shredding_destroys_the_key_and_signs_a_certificate(
    world: World, vault: Vault, tmp_path: Path
) -> None:
    path = write(tmp_path, "x.wav", seized_recording())
    [done] = evidence.import_files(world.svc, world.as_("inv1"), vault, CASE, [path], "audio")
    case = world.svc.db.read(lambda tx: cases.get(tx, 1, CASE))
    certificate = evidence.shred_case(world.svc, vault, case, order="AUTO 200/2027 destrucción")
    body = json.loads(certificate["body"])
    assert body["ordered_by"] == "AUTO 200/2027 destrucción"
    assert [o["object_id"] for o in body["objects"]] == [done.object_id]
    public = world.svc.signer().public_key
    assert signing.verify(
        public, bytes.fromhex(certificate["signature"]), certificate["body"].encode()
    )
    entry = world.last_audit()
    assert (entry["action"], entry["case_id"]) == ("vault.shredded", case.id)
    with pytest.raises(NotFound):
        vault.get(evidence.vault_case_id(case), done.object_id)
    assert world.count("vault_keys") == 0
    assert not list(Path(world.svc.config.vault_directory).rglob("objects/*/*"))


def test_key_rotation_keeps_every_object_readable(
    world: World, vault: Vault, tmp_path: Path
) -> None:
    path = write(tmp_path, "x.wav", seized_recording())
    [done] = evidence.import_files(world.svc, world.as_("inv1"), vault, CASE, [path], "audio")
    report = evidence.rotate(world.svc, world.as_("admin"), vault)
    assert report.rewrapped == 1 and report.retired == ["kek-1"]
    reopened = vaults.open_vault(world.svc.config, world.svc.db, secrets)
    case = world.svc.db.read(lambda tx: cases.get(tx, 1, CASE))
    assert reopened.get(evidence.vault_case_id(case), done.object_id) == seized_recording()


def test_a_wrong_vault_passphrase_is_a_clear_error_at_open(world: World) -> None:
    with pytest.raises(KeyProviderError):
        vaults.open_vault(world.svc.config, world.svc.db, lambda name, prompt: "not-the-passphrase")
