"""Operators' public keys: verifying the signatures of their handover integrity checks.

TS 102 232-1 ``IntegrityCheck`` with ``checkType`` signature carries a DSS/DSA signature
(RFC 3279 clause 2.2.2, DER) in ``checkValue``; operators also use ECDSA (DER), Ed25519 and
RSA PKCS #1 v1.5. The key type decides the scheme; ``hash_name`` the digest that ECDSA,
DSA and RSA apply to the message (Ed25519 signs the message itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, padding, rsa

from custodio.errors import ConfigError

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_Public = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | dsa.DSAPublicKey | rsa.RSAPublicKey


@dataclass(frozen=True)
class OperatorKey:
    """One operator's public key (Ed25519, ECDSA, DSA or RSA)."""

    key: _Public
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
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, message, digest)
        else:
            key.verify(signature, message, padding.PKCS1v15(), digest)


def load_public_key(path: Path) -> OperatorKey:
    """An operator's PEM public key (SubjectPublicKeyInfo)."""
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError, UnsupportedAlgorithm) as e:
        raise ConfigError(
            f"cannot read the operator public key {path}: {e}",
            hint="a PEM 'PUBLIC KEY' (Ed25519, ECDSA, DSA or RSA) from the operator",
        ) from e
    if not isinstance(
        key,
        ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey | dsa.DSAPublicKey | rsa.RSAPublicKey,
    ):
        raise ConfigError(f"{path}: {type(key).__name__} keys cannot verify integrity checks")
    return OperatorKey(key, str(path))
