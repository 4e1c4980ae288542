"""Ed25519 signatures for audit checkpoints and destruction certificates.

The private key lives in a PEM file readable by its owner only (mode 0600). A key id is the
first 8 bytes of SHA-256 over the raw public key, in hex: short enough to print, enough to
tell keys apart.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from custodio import datadir
from custodio.errors import ConfigError


class Signer:
    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public_key = public_key_bytes(key.public_key())
        self.key_id = key_id(self.public_key)

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


def generate(path: Path) -> Signer:
    """Create a new signing key file; refuses to overwrite one."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    datadir.write_new_private(path, pem)
    return Signer(key)


def load(path: Path) -> Signer:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as e:
        raise ConfigError(
            f"cannot read the audit signing key {path}: {e}",
            hint="restore it from the key ceremony backup",
        ) from e
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} does not hold an Ed25519 key")
    return Signer(key)


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: bytes) -> str:
    return hashlib.sha256(public_key).digest()[:8].hex()


def verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def private_key_from_seed(seed: bytes) -> Ed25519PrivateKey:
    """The Ed25519 key of a 32-byte seed (golden vectors, key ceremonies)."""
    return Ed25519PrivateKey.from_private_bytes(seed)
