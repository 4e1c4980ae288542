"""The vault on a real local directory, including a process killed before the commit."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from custodio.errors import BackendError, IntegrityError
from custodio.vault import maintenance
from custodio.vault.backends.fs import DirectoryBackend
from custodio.vault.envelope import Kind, object_name
from custodio.vault.index import MemoryIndex
from custodio.vault.providers.keyfile import KeyFileProvider
from custodio.vault.store import Vault, VaultSettings

MARKERS = [b"+34 600 123 456", b"nos vemos en el puerto a las 22h", b"RIFF\x24\x08\x00\x00WAVEfmt "]
PASSPHRASE = "integration passphrase"


@pytest.fixture
def keyfile(tmp_path: Path) -> KeyFileProvider:
    return KeyFileProvider.create(tmp_path / "vault.keys", PASSPHRASE, scrypt_n=2**14)


@pytest.fixture
def vault(tmp_path: Path, keyfile: KeyFileProvider) -> Vault:
    return Vault(
        DirectoryBackend(tmp_path / "objects"),
        MemoryIndex(),
        keyfile,
        VaultSettings(chunk_size=4096),
    )


def all_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def test_round_trip_range_and_markers(vault: Vault, tmp_path: Path) -> None:
    data = b"".join(MARKERS) * 1000
    ref = vault.put("CASE-FS-1", Kind.AUDIO, data)
    assert vault.get("CASE-FS-1", ref.object_id) == data
    assert vault.read_range("CASE-FS-1", ref.object_id, 5000, 10_000) == data[5000:15_000]
    assert ref.stored_size < len(data)  # repetitive content compresses
    stored = all_bytes(tmp_path)
    for marker in [*MARKERS, b"CASE-FS-1"]:
        assert marker not in stored
    assert not list((tmp_path / "objects" / "tmp").iterdir())


def test_tampered_file_is_an_integrity_error(vault: Vault, tmp_path: Path) -> None:
    ref = vault.put("CASE-FS-1", Kind.PDU, os.urandom(10_000))
    path = tmp_path / "objects" / object_name(bytes.fromhex(ref.object_id))
    blob = bytearray(path.read_bytes())
    blob[5000] ^= 0x40
    path.write_bytes(blob)
    with pytest.raises(IntegrityError, match=ref.object_id):
        vault.get("CASE-FS-1", ref.object_id)
    assert len(maintenance.verify(vault).corrupt) == 1


def test_failed_write_leaves_nothing_visible(tmp_path: Path) -> None:
    backend = DirectoryBackend(tmp_path / "objects")

    def pieces():  # type: ignore[no-untyped-def]
        yield b"x" * 100_000
        raise OSError(28, "No space left on device")

    with pytest.raises(BackendError, match="full"):
        backend.write("objects/ab/abcd", pieces())
    assert list(backend.list()) == []
    assert not list((tmp_path / "objects" / "tmp").iterdir())


KILLED_PUT = """
import os, signal, sys
from custodio.vault.backends.fs import DirectoryBackend
from custodio.vault.envelope import Kind
from custodio.vault.index import MemoryIndex
from custodio.vault.providers.keyfile import KeyFileProvider
from custodio.vault.store import Vault

class KilledIndex(MemoryIndex):
    def add_reference(self, ref):
        os.kill(os.getpid(), signal.SIGKILL)

provider = KeyFileProvider.open(sys.argv[2], sys.argv[3])
vault = Vault(DirectoryBackend(sys.argv[1]), KilledIndex(), provider)
vault.put("CASE-FS-1", Kind.AUDIO, b"the commit never happens" * 1000)
"""


def test_process_killed_before_commit_leaves_an_unreferenced_object(
    vault: Vault, tmp_path: Path, keyfile: KeyFileProvider
) -> None:
    root = str(tmp_path / "objects")
    done = subprocess.run(
        [sys.executable, "-c", KILLED_PUT, root, str(keyfile.path), PASSPHRASE], check=False
    )
    assert done.returncode == -signal.SIGKILL
    report = maintenance.verify(vault)
    assert len(report.unreferenced) == 1 and not report.missing and not report.ok
    assert len(maintenance.cleanup(vault, grace=dt.timedelta(0)).deleted) == 1
    assert maintenance.verify(vault).ok
