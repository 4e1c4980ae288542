"""The vault on a real SeaweedFS S3 server started by the tests."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from conftest import Seaweed, free_port, seaweed_server  # type: ignore[import-not-found]
from custodio.errors import BackendError
from custodio.vault import maintenance
from custodio.vault.backends.s3 import S3Backend, create_bucket
from custodio.vault.envelope import Kind
from custodio.vault.index import MemoryIndex
from custodio.vault.providers.keyfile import KeyFileProvider
from custodio.vault.store import Vault, VaultSettings

MARKERS = [b"+34 600 123 456", b"nos vemos en el puerto a las 22h", b"RIFF\x24\x08\x00\x00WAVEfmt "]
MiB = 1024 * 1024


@pytest.fixture
def keyfile(tmp_path: Path) -> KeyFileProvider:
    return KeyFileProvider.create(tmp_path / "vault.keys", "s3 passphrase", scrypt_n=2**14)


def new_vault(server: Seaweed, keyfile: KeyFileProvider, *, lock_days: int = 0) -> Vault:
    bucket = f"vault-{secrets.token_hex(4)}"
    settings = server.settings(bucket, retention_days=lock_days, part_size=5 * MiB)
    create_bucket(settings, object_lock=bool(lock_days))
    return Vault(S3Backend(settings), MemoryIndex(), keyfile, VaultSettings(chunk_size=256 * 1024))


def test_round_trip_multipart_and_markers(seaweed: Seaweed, keyfile: KeyFileProvider) -> None:
    vault = new_vault(seaweed, keyfile)
    small = b"".join(MARKERS) * 100
    large = os.urandom(6 * MiB) + b"".join(MARKERS) * 100_000  # ~12 MiB: multipart
    refs = [vault.put("CASE-S3-1", Kind.AUDIO, data) for data in (small, large)]
    assert vault.get("CASE-S3-1", refs[0].object_id) == small
    assert vault.get("CASE-S3-1", refs[1].object_id) == large
    assert (
        vault.read_range("CASE-S3-1", refs[1].object_id, 7 * MiB, 1000)
        == large[7 * MiB : 7 * MiB + 1000]
    )
    assert maintenance.verify(vault).ok
    stored = b"".join(
        p.read_bytes() for p in seaweed.directory.rglob("*") if p.is_file() and p.suffix != ".log"
    )
    assert len(stored) > 6 * MiB
    for marker in [*MARKERS, b"CASE-S3-1"]:
        assert marker not in stored


def test_object_lock_keeps_shredded_ciphertext(seaweed: Seaweed, keyfile: KeyFileProvider) -> None:
    vault = new_vault(seaweed, keyfile, lock_days=1)
    ref = vault.put("CASE-S3-2", Kind.PDU, b"locked evidence")
    assert not vault.backend.delete(f"objects/{ref.object_id[:2]}/{ref.object_id}")
    report = maintenance.shred_case(vault, "CASE-S3-2", ordered_by="court")
    assert [o.deleted for o in report.objects] == [False]
    assert report.objects[0].stored_sha256 is not None
    assert not maintenance.verify(vault, case_id="CASE-S3-2").checked  # nothing referenced


def test_unreachable_backend_is_a_clear_error(keyfile: KeyFileProvider, seaweed: Seaweed) -> None:
    settings = seaweed.settings("x")
    dead = type(settings)(f"http://127.0.0.1:{free_port()}", "x", "a", "b", timeout_s=1)
    with pytest.raises(BackendError, match="unreachable"):
        S3Backend(dead)


def test_server_dying_mid_write_leaves_nothing(tmp_path: Path, keyfile: KeyFileProvider) -> None:
    (tmp_path / "weed").mkdir()
    server = seaweed_server(tmp_path / "weed")
    server.start()
    try:
        vault = new_vault(server, keyfile)
        backend = vault.backend
        assert isinstance(backend, S3Backend)
        upload_part = backend._part

        def part_then_die(name: str, upload_id: str, number: int, body: bytes):  # type: ignore[no-untyped-def]
            if number == 2:
                server.stop()  # the real server goes away in the middle of the upload
            return upload_part(name, upload_id, number, body)

        backend._part = part_then_die  # type: ignore[method-assign]
        with pytest.raises(BackendError, match="unreachable"):
            vault.put("CASE-S3-3", Kind.AUDIO, os.urandom(12 * MiB))
        server.start()
        assert list(backend.list()) == []
        assert list(vault.index.objects()) == []
    finally:
        server.stop()
