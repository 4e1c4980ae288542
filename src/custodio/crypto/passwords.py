"""Password hashing with argon2id (RFC 9106), and random first passwords."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# RFC 9106 second recommended option (64 MiB, 3 passes), one lane per core here.
_HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=2)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_nothing(password: str) -> bool:
    """Do the work of :func:`verify_password` against a hash no password matches (made once):
    an unknown user costs what a wrong password costs. Always False."""
    verify_password(_dummy_hash(), password)
    return False


@functools.cache
def _dummy_hash() -> str:
    return _HASHER.hash(secrets.token_urlsafe(32))


def random_password() -> str:
    """A 20-character first password (about 119 bits)."""
    return secrets.token_urlsafe(15)
