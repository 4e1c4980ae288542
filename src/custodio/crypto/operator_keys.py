"""Operators' public keys: verifying the signatures of their handover integrity checks.

TS 102 232-1 ``IntegrityCheck`` with ``checkType`` signature carries a DSS/DSA signature
(RFC 3279 clause 2.2.2, DER) in ``checkValue``; operators also use ECDSA (DER), Ed25519 and
RSA PKCS #1 v1.5. The key type decides the scheme; ``hash_name`` the digest that ECDSA,
DSA and RSA apply to the message (Ed25519 signs the message itself).

The crypto library deprecates DSA (``cryptography`` 47 and later warn on any use of its
``dsa`` module and on loading a DSA key): the module is touched only when an operator's
key is neither Ed25519, ECDSA nor RSA, and the library's warning becomes a log line naming
the key's file, so that the operator can be asked for a modern key before DSA goes.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.utils import CryptographyDeprecationWarning

from custodio.errors import ConfigError

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_MODERN = (ed25519.Ed25519PublicKey, ec.EllipticCurvePublicKey, rsa.RSAPublicKey)
log = logging.getLogger(__name__)


class _DSAKey(Protocol):
    """What a DSA public key offers (named without touching the deprecated module)."""

    def verify(self, signature: bytes, data: bytes, algorithm: hashes.HashAlgorithm) -> None: ...


@dataclass(frozen=True)
class OperatorKey:
    """One operator's public key (Ed25519, ECDSA, DSA or RSA)."""

    key: PublicKeyTypes  # one of _MODERN, or a DSA key (see the module's docstring)
    source: str

    def verify(self, signature: bytes, message: bytes, hash_name: str) -> bool:
        """Whether ``signature`` over ``message`` verifies (False, never an exception)."""
        try:
            self._verify(signature, message, _HASHES[hash_name]())
        except (InvalidSignature, ValueError, KeyError):
            return False
        return True

    def _verify(self, signature: bytes, message: bytes, digest: hashes.HashAlgorithm) -> None:
        key = self.key
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(digest))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), digest)
        else:  # DSA: only such a key gets past load_public_key
            cast(_DSAKey, key).verify(signature, message, digest)


def load_public_key(path: Path) -> OperatorKey:
    """An operator's PEM public key (SubjectPublicKeyInfo). The library's deprecation
    warnings on the key (DSA) are logged with the file's name, not raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CryptographyDeprecationWarning)
        try:
            key = serialization.load_pem_public_key(path.read_bytes())
        except (OSError, ValueError, UnsupportedAlgorithm) as e:
            raise ConfigError(
                f"cannot read the operator public key {path}: {e}",
                hint="a PEM 'PUBLIC KEY' (Ed25519, ECDSA, DSA or RSA) from the operator",
            ) from e
        usable = isinstance(key, _MODERN) or _is_dsa(key)
    for warning in caught:
        log.warning("operator key %s: %s", path, warning.message)
    if not usable:
        raise ConfigError(f"{path}: {type(key).__name__} keys cannot verify integrity checks")
    return OperatorKey(key, str(path))


def _is_dsa(key: PublicKeyTypes) -> bool:
    from cryptography.hazmat.primitives.asymmetric import dsa  # noqa: PLC0415 (see above)

    return isinstance(key, dsa.DSAPublicKey)
