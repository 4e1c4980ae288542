from __future__ import annotations

from pathlib import Path

import pytest

from custodio.vault.backends.memory import MemoryBackend
from custodio.vault.index import MemoryIndex
from custodio.vault.providers.keyfile import KeyFileProvider
from custodio.vault.store import Vault, VaultSettings

PASSPHRASE = "correct horse battery staple"


@pytest.fixture
def keyfile(tmp_path: Path) -> KeyFileProvider:
    return KeyFileProvider.create(tmp_path / "vault.keys", PASSPHRASE, scrypt_n=2**14)


@pytest.fixture
def vault(keyfile: KeyFileProvider) -> Vault:
    return Vault(MemoryBackend(), MemoryIndex(), keyfile, VaultSettings(chunk_size=64))
