"""AES-256-GCM, the vault's one AEAD.

Thin wrapper over ``cryptography``'s AESGCM so that no other package imports the crypto
library. Inputs are any bytes-like object: pass ``memoryview`` slices, not ``bytes``
copies, in hot paths. A failed authentication raises :class:`custodio.errors.IntegrityError`;
callers re-raise it with the name of what failed.
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from custodio.errors import IntegrityError

BytesLike = bytes | bytearray | memoryview

KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16


class Aead:
    """AES-256-GCM under one key."""

    __slots__ = ("_cipher",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_SIZE:
            raise ValueError(f"AES-256-GCM needs a {KEY_SIZE}-byte key, got {len(key)}")
        self._cipher = AESGCM(key)

    def seal(self, nonce: bytes, plaintext: BytesLike, aad: bytes) -> bytes:
        """Return ciphertext ‖ tag."""
        return self._cipher.encrypt(nonce, plaintext, aad)

    def open(self, nonce: bytes, sealed: BytesLike, aad: bytes) -> bytes:
        """Return the plaintext of ``sealed`` or raise IntegrityError."""
        try:
            return self._cipher.decrypt(nonce, sealed, aad)
        except InvalidTag:
            raise IntegrityError("authentication failed") from None
