"""Key providers: who holds the key-encryption keys (KEKs) that wrap each case's data key.

A provider never hands out a KEK; it wraps and unwraps 32-byte data keys. Each wrapped
key names the KEK that wrapped it, so rotation (:meth:`KeyProvider.new_kek`, re-wrap every
data key, :meth:`KeyProvider.retire_kek`) never re-encrypts objects. Implementations:
:mod:`.keyfile` (passphrase-protected file, the default) and :mod:`.pkcs11` (HSM).
All failures are :class:`custodio.errors.KeyProviderError`, raised when the provider is
opened (wrong passphrase, token absent) rather than in the middle of a request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from custodio.vault.envelope import check_case_id

WRAP_INFO = b"custodio/vault/v1/dk"


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A case's data key, encrypted under the KEK ``kek_id``; safe to store in the catalog."""

    case_id: str
    kek_id: str
    blob: bytes


def wrap_aad(case_id: str, kek_id: str) -> bytes:
    """Associated data of a wrapped data key: bound to its case and its KEK."""
    case = check_case_id(case_id)
    return WRAP_INFO + bytes([len(case)]) + case + kek_id.encode()


class KeyProvider(Protocol):
    @property
    def current_kek(self) -> str:
        """The KEK that :meth:`wrap` uses."""
        ...

    def wrap(self, case_id: str, data_key: bytes) -> WrappedKey: ...

    def unwrap(self, wrapped: WrappedKey) -> bytes:
        """The data key; KeyProviderError if the KEK is gone or the blob was altered."""
        ...

    def new_kek(self) -> str:
        """Create a KEK and make it current; return its id."""
        ...

    def retire_kek(self, kek_id: str) -> None:
        """Destroy a KEK that no wrapped key uses any more."""
        ...
