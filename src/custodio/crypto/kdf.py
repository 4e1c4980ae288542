"""Key derivation: HKDF-SHA256 (sub-keys of a data key) and scrypt (passphrases)."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

SCRYPT_MIN_N = 2**14
SCRYPT_MAX_N = 2**22


def hkdf_sha256(key: bytes, *, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """RFC 5869 HKDF with SHA-256."""
    if len(key) < 32:
        raise ValueError("HKDF input key must be at least 32 bytes")
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(key)


def scrypt(passphrase: bytes, *, salt: bytes, n: int, r: int, p: int, length: int = 32) -> bytes:
    """RFC 7914 scrypt, with the cost parameters checked."""
    if not SCRYPT_MIN_N <= n <= SCRYPT_MAX_N or n & (n - 1):
        raise ValueError(f"scrypt n must be a power of two in [2^14, 2^22], got {n}")
    if not 1 <= r <= 32 or not 1 <= p <= 16:
        raise ValueError(f"scrypt r={r} p={p} out of range (r 1..32, p 1..16)")
    if len(salt) < 16:
        raise ValueError("scrypt salt must be at least 16 bytes")
    return Scrypt(salt=salt, length=length, n=n, r=r, p=p).derive(passphrase)
