"""The default key provider: KEKs in a JSON file, each sealed under a passphrase (scrypt).

    {"format": "custodio-vault-keyfile", "version": 1,
     "kdf": {"name": "scrypt", "n": 131072, "r": 8, "p": 1, "salt": "<hex>"},
     "current": "kek-1", "keks": {"kek-1": "<hex: nonce ‖ AES-256-GCM(KEK)>"}}

A KEK is sealed with associated data ``"custodio/vault/v1/keyfile" ‖ kek id``. The file is
replaced atomically (temporary file, fsync, rename) whenever it changes.
"""

from __future__ import annotations

import json
import os
import unicodedata
from pathlib import Path
from typing import Any

from custodio.crypto.aead import NONCE_SIZE, Aead
from custodio.crypto.kdf import scrypt
from custodio.crypto.keys import random_key
from custodio.errors import Conflict, IntegrityError, KeyProviderError
from custodio.vault.providers import WrappedKey, wrap_aad

FORMAT = "custodio-vault-keyfile"
FILE_INFO = b"custodio/vault/v1/keyfile"
DEFAULT_SCRYPT_N = 2**17


def _seal(key: bytes, secret: bytes, aad: bytes) -> str:
    nonce = random_key(NONCE_SIZE)
    return (nonce + Aead(key).seal(nonce, secret, aad)).hex()


def _open(key: bytes, blob: bytes, aad: bytes) -> bytes:
    return Aead(key).open(blob[:NONCE_SIZE], memoryview(blob)[NONCE_SIZE:], aad)


class KeyFileProvider:
    """KEKs unsealed in memory from a passphrase-protected file."""

    def __init__(self, path: Path, kdf: dict[str, Any], keks: dict[str, bytes], current: str):
        self.path = path
        self._kdf = kdf
        self._keks = keks
        self._current = current
        self._file_key: bytes | None = None

    @classmethod
    def create(
        cls, path: Path | str, passphrase: str, *, scrypt_n: int = DEFAULT_SCRYPT_N
    ) -> KeyFileProvider:
        """Make a new key file with one fresh KEK; refuses to overwrite one."""
        path = Path(path)
        if path.exists():
            raise Conflict(
                f"key file {path} already exists", hint="open it instead, or move it away"
            )
        kdf = {"name": "scrypt", "n": scrypt_n, "r": 8, "p": 1, "salt": random_key(16).hex()}
        provider = cls(path, kdf, {"kek-1": random_key()}, "kek-1")
        provider._file_key = provider._derive(passphrase)
        provider._save()
        return provider

    @classmethod
    def open(cls, path: Path | str, passphrase: str) -> KeyFileProvider:
        """Open a key file; KeyProviderError on a wrong passphrase or a damaged file."""
        path = Path(path)
        doc = _load(path)
        provider = cls(path, doc["kdf"], {}, doc["current"])
        key = provider._derive(passphrase)
        try:
            provider._keks = {
                k: _open(key, bytes.fromhex(v), FILE_INFO + k.encode())
                for k, v in doc["keks"].items()
            }
        except IntegrityError:
            raise KeyProviderError(
                f"wrong passphrase for key file {path}", hint="retry with the vault passphrase"
            ) from None
        provider._file_key = key
        return provider

    def _derive(self, passphrase: str) -> bytes:
        kdf = self._kdf
        secret = unicodedata.normalize("NFC", passphrase).encode()
        if not secret:
            raise KeyProviderError("empty passphrase for the vault key file")
        try:
            return scrypt(
                secret, salt=bytes.fromhex(kdf["salt"]), n=kdf["n"], r=kdf["r"], p=kdf["p"]
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyProviderError(
                f"key file {self.path} has bad scrypt parameters: {exc}"
            ) from None

    def _save(self) -> None:
        assert self._file_key is not None
        keks = {k: _seal(self._file_key, v, FILE_INFO + k.encode()) for k, v in self._keks.items()}
        doc = {
            "format": FORMAT,
            "version": 1,
            "kdf": self._kdf,
            "current": self._current,
            "keks": keks,
        }
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as out:
            json.dump(doc, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    @property
    def current_kek(self) -> str:
        return self._current

    def wrap(self, case_id: str, data_key: bytes) -> WrappedKey:
        blob = _seal(self._keks[self._current], data_key, wrap_aad(case_id, self._current))
        return WrappedKey(case_id, self._current, bytes.fromhex(blob))

    def unwrap(self, wrapped: WrappedKey) -> bytes:
        kek = self._keks.get(wrapped.kek_id)
        if kek is None:
            raise KeyProviderError(
                f"the data key of case {wrapped.case_id} is wrapped by {wrapped.kek_id}, "
                f"which key file {self.path} no longer holds",
                hint="restore the key file from the key ceremony backup",
            )
        try:
            return _open(kek, wrapped.blob, wrap_aad(wrapped.case_id, wrapped.kek_id))
        except IntegrityError:
            raise KeyProviderError(
                f"the wrapped data key of case {wrapped.case_id} does not unwrap: altered or moved"
            ) from None

    def new_kek(self) -> str:
        number = 1 + max(int(k.split("-")[1]) for k in self._keks)
        kek_id = f"kek-{number}"
        self._keks[kek_id] = random_key()
        self._current = kek_id
        self._save()
        return kek_id

    def retire_kek(self, kek_id: str) -> None:
        if kek_id == self._current:
            raise Conflict(f"{kek_id} is the current KEK", hint="create a new one first")
        self._keks.pop(kek_id, None)
        self._save()

    def change_passphrase(self, passphrase: str) -> None:
        """Re-seal the KEKs under a new passphrase (and a new salt)."""
        self._kdf = {**self._kdf, "salt": random_key(16).hex()}
        self._file_key = self._derive(passphrase)
        self._save()


def _load(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KeyProviderError(
            f"key file {path} does not exist", hint="check vault.key_file"
        ) from None
    except (OSError, ValueError) as exc:
        raise KeyProviderError(f"key file {path} is unreadable: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != 1:
        raise KeyProviderError(f"{path} is not a version 1 Custodio vault key file")
    return doc
