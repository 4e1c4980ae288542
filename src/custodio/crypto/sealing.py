"""Short secrets sealed for the catalog under a key the catalog does not hold.

The users' TOTP secrets are the one use: whoever reads the catalog (a backup, its
administrator) must not be able to make anyone's one-time codes. The key is 32 random
bytes in a file of the data directory, owner-only (``second-factor.key``), never in the
catalog. Sealed text, so that it fits the catalog's text column::

    "v1:" base64url(nonce ‖ ciphertext ‖ tag)      no padding

AES-256-GCM with a fresh random 96-bit nonce per seal (a few secrets per user over the
key's life: far below the 2^32 seals NIST SP 800-38D section 8.3 allows a random nonce).
The caller's associated data names what the secret belongs to (a user's id), so that a
sealed value copied into another row does not open. Anything that does not open raises
:class:`custodio.errors.IntegrityError`.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from pathlib import Path

from custodio import datadir
from custodio.crypto.aead import KEY_SIZE, NONCE_SIZE, TAG_SIZE, Aead
from custodio.errors import ConfigError, IntegrityError

PREFIX = "v1:"


def is_sealed(text: str) -> bool:
    """Whether ``text`` is in the sealed form (a clear TOTP secret is base32: never)."""
    return text.startswith(PREFIX)


class SealingKey:
    """AES-256-GCM under one 32-byte key, for short text secrets."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        self._aead = Aead(key)

    def seal(self, secret: str, aad: bytes, *, nonce: bytes | None = None) -> str:
        """The sealed text of ``secret`` (``nonce``: fixed only by format tests)."""
        nonce = secrets.token_bytes(NONCE_SIZE) if nonce is None else nonce
        if len(nonce) != NONCE_SIZE:
            raise ValueError(f"a nonce has {NONCE_SIZE} bytes")
        sealed = nonce + self._aead.seal(nonce, secret.encode("utf-8"), aad)
        return PREFIX + base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")

    def open(self, text: str, aad: bytes) -> str:
        """The secret sealed in ``text`` with ``aad``; IntegrityError if it does not open."""
        if not is_sealed(text):
            raise IntegrityError("not a sealed secret")
        body = text[len(PREFIX) :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (binascii.Error, ValueError):
            raise IntegrityError("a sealed secret that is not base64url") from None
        if len(raw) < NONCE_SIZE + TAG_SIZE:
            raise IntegrityError("a sealed secret too short to hold a nonce and a tag")
        clear = self._aead.open(raw[:NONCE_SIZE], memoryview(raw)[NONCE_SIZE:], aad)
        try:
            return clear.decode("utf-8")
        except UnicodeDecodeError:
            raise IntegrityError("a sealed secret that is not UTF-8") from None


def create_key_file(path: Path) -> SealingKey:
    """Write a new random key to ``path`` (owner-only); FileExistsError if one is there."""
    key = secrets.token_bytes(KEY_SIZE)
    datadir.write_new_private(path, key)
    return SealingKey(key)


def load_key_file(path: Path) -> SealingKey:
    """The key in ``path``; ConfigError if it cannot be read or is not 32 bytes."""
    try:
        key = path.read_bytes()
    except OSError as e:
        raise ConfigError(
            f"cannot read the second-factor key {path}: {e}",
            hint="restore it from the backup of the data directory",
        ) from e
    if len(key) != KEY_SIZE:
        raise ConfigError(f"{path} holds {len(key)} bytes, not a {KEY_SIZE}-byte key")
    return SealingKey(key)
