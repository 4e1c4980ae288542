"""TLS for the handover ports, and which operator a client certificate stands for.

Each operator's mediation system presents a client certificate signed by the CA that
``handover_tls_ca`` names. :class:`OperatorMap` turns the certificate into the operator
identity that its PDUs must carry in ``operatorIdentifier``:

- ``handover_operators`` lists ``SUBJECT=OPERATOR`` entries (:class:`~custodio.config.Pairs`), where
  SUBJECT is a certificate's common name or ``sha256:`` and the hex SHA-256 of the DER
  certificate (a fingerprint pins one certificate, a CN any certificate the CA issues
  with that name). A certificate that matches no entry is refused.
- With ``handover_operators`` empty, the certificate's common name is the operator.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from custodio.config import Pairs
from custodio.errors import ConfigError


@dataclass(frozen=True)
class PeerIdentity:
    """What a connection's client certificate says."""

    common_name: str | None
    fingerprint: str  # sha256:<hex>

    @classmethod
    def from_ssl(cls, der: bytes, peercert: Mapping[str, object] | None) -> PeerIdentity:
        return cls(_common_name(peercert), "sha256:" + hashlib.sha256(der).hexdigest())


def _common_name(peercert: Mapping[str, object] | None) -> str | None:
    subject = peercert.get("subject", ()) if peercert else ()
    for rdn in subject if isinstance(subject, tuple) else ():
        for name, value in rdn:
            if name == "commonName":
                return str(value)
    return None


@dataclass(frozen=True)
class OperatorMap:
    """Certificate subject (CN or ``sha256:`` fingerprint) → operator identifier."""

    entries: Mapping[str, str]

    @classmethod
    def from_pairs(cls, pairs: Pairs) -> OperatorMap:
        entries: dict[str, str] = {}
        for subject, operator in pairs:
            if not operator:
                raise ConfigError(
                    f"handover_operators: {subject!r} names no operator",
                    hint="e.g. mediator.example.net=OPERADOR-ES,sha256:<hex>=OTRO-OP",
                )
            key = subject.lower() if subject.lower().startswith("sha256:") else subject
            entries[key] = operator
        return cls(entries)

    def operator_for(self, peer: PeerIdentity) -> str | None:
        """The operator ``peer`` stands for, or None when it is not allowed in."""
        if not self.entries:
            return peer.common_name
        if peer.fingerprint in self.entries:
            return self.entries[peer.fingerprint]
        if peer.common_name is not None:
            return self.entries.get(peer.common_name)
        return None


def server_context(cert: Path, key: Path, client_ca: Path) -> ssl.SSLContext:
    """TLS 1.2+ server context that requires a client certificate signed by ``client_ca``."""
    try:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(client_ca))
        context.load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError) as e:
        raise ConfigError(
            f"cannot load the handover TLS files ({cert}, {key}, {client_ca}): {e}",
            hint="set handover_tls_cert, handover_tls_key and handover_tls_ca to PEM files",
        ) from e
    context.verify_mode = ssl.CERT_REQUIRED
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def client_context(ca: Path, cert: Path | None = None, key: Path | None = None) -> ssl.SSLContext:
    """TLS client context for the simulator: trusts ``ca``, presents ``cert`` if given."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca))
    context.check_hostname = False  # mediators connect by address; the CA pins the server
    if cert is not None:
        context.load_cert_chain(str(cert), None if key is None else str(key))
    return context
