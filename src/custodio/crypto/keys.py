"""Random keys and keyed digests (HMAC-SHA256, streaming)."""

from __future__ import annotations

import hmac
import secrets

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac

BytesLike = bytes | bytearray | memoryview


def random_key(size: int = 32) -> bytes:
    """A fresh key from the operating system's CSPRNG."""
    return secrets.token_bytes(size)


class KeyedDigest:
    """Streaming HMAC-SHA256."""

    __slots__ = ("_mac",)

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("HMAC-SHA256 key must be at least 32 bytes")
        self._mac = crypto_hmac.HMAC(key, hashes.SHA256())

    def update(self, data: BytesLike) -> None:
        self._mac.update(data)

    def digest(self) -> bytes:
        return self._mac.finalize()


def keyed_digest(key: bytes, *parts: BytesLike) -> bytes:
    """HMAC-SHA256 of the concatenation of ``parts``."""
    mac = KeyedDigest(key)
    for part in parts:
        mac.update(part)
    return mac.digest()


def digests_equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(a, b)
