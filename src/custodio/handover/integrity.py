"""Verifying operators' TS 102 232-1 integrity checks (``IntegrityCheck`` in ``TRIPayload``).

For each operator named in ``handover_integrity_keys`` the receiver keeps, per stream
(LIID, operator, network element, CIN, channel), the digest of each recent PDU by sequence
number, in a bounded window (``window`` PDUs per stream, the oldest forgotten first). The
digest is taken over the complete PS-PDU as received: its BER encoding from the outer
tag to the last content octet, octet for octet. When an integrity check arrives, the
digests of its ``includedSequenceNumbers`` are concatenated in the order it lists them:

    M = H(PDU[n1]) || H(PDU[n2]) || ... || H(PDU[nk])

- ``checkType`` hash(1): ``checkValue`` must equal ``M``;
- ``checkType`` signature(2): ``checkValue`` must be a valid signature over ``M`` by the
  operator's configured public key (ECDSA, DSA and RSA hashing with ``H``).

``H`` is ``hashAlgorithm`` (SHA-256 when absent). A stream's window is kept in the
algorithm of the last check seen on it (SHA-256 at first): a check naming another one is
unverifiable, and the stream switches. docs/handover.md ("Integrity checks") says the
same, with the clause of the standard. Verification never drops data: it only counts,
logs and (on failure) audits.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from custodio.config import Pairs
from custodio.crypto.operator_keys import OperatorKey, load_public_key
from custodio.errors import ConfigError
from custodio.etsi.pdu import IntegrityCheck
from custodio.handover.sessions import StreamKey

HASHES = {1: "sha1", 2: "sha256", 3: "sha384", 4: "sha512"}  # HashAlgorithm
DEFAULT_HASH = "sha256"
HASH_CHECK, SIGNATURE_CHECK = 1, 2  # CheckType
DATA_CHANNELS = {1: 2, 2: 3}  # DataType iRI(1) -> HI2, cC(2) -> HI3
DEFAULT_WINDOW = 4096
MAX_STREAMS = 65536

OK, FAILED, UNVERIFIABLE = "ok", "failed", "unverifiable"


@dataclass(frozen=True)
class Verdict:
    """The outcome of one integrity check."""

    outcome: str  # ok, failed, unverifiable
    reason: str
    algorithm: str
    stream: StreamKey


@dataclass(slots=True)
class _Window:
    algorithm: str = DEFAULT_HASH
    digests: dict[int, bytes] = field(default_factory=dict)


class IntegrityChecker:
    """Digests of recent PDUs per stream, and the verification of integrity checks."""

    def __init__(
        self, keys: Mapping[bytes, OperatorKey | None], window: int = DEFAULT_WINDOW
    ) -> None:
        if window < 1:
            raise ConfigError("the integrity window must hold at least one PDU")
        self.keys = dict(keys)
        self.operators = frozenset(self.keys)  # hot path: `operator in operators`
        self.window = window
        self._streams: dict[StreamKey, _Window] = {}

    @classmethod
    def from_setting(cls, pairs: Pairs, data_dir: Path) -> IntegrityChecker:
        """``OPERATOR=PEM`` entries (an empty PEM: hash checks only)."""
        return cls({op.encode("utf-8"): _key(pem, data_dir) if pem else None for op, pem in pairs})

    def see(self, stream: StreamKey, sequence_number: int, raw: bytes | memoryview) -> None:
        """Remember the digest of a PDU of ``stream`` (its operator is enabled)."""
        window = self._streams.get(stream)
        if window is None:
            if len(self._streams) >= MAX_STREAMS:
                del self._streams[next(iter(self._streams))]
            window = self._streams[stream] = _Window()
        digests = window.digests
        digests[sequence_number] = hashlib.new(window.algorithm, raw).digest()
        if len(digests) > self.window:
            del digests[next(iter(digests))]

    def check(self, stream: StreamKey, check: IntegrityCheck) -> Verdict:
        """Verify ``check`` over the PDUs of the stream it covers.

        ``stream`` is the check PDU's own; its channel is replaced by the one ``dataType``
        names (iRI: HI2, cC: HI3), if any.
        """
        liid, operator, element, cin, channel = stream
        target = (liid, operator, element, cin, DATA_CHANNELS.get(check.data_type or 0, channel))
        algorithm = HASHES.get(check.hash_algorithm or 2)
        if algorithm is None:
            return Verdict(UNVERIFIABLE, f"unknown hash algorithm {check.hash_algorithm}", "?",
                           target)  # fmt: skip
        message, missing = self._message(target, algorithm, check.sequence_numbers)
        if missing is not None:
            return Verdict(UNVERIFIABLE, missing, algorithm, target)
        return self._verify(target, check, algorithm, message)

    def _message(
        self, target: StreamKey, algorithm: str, numbers: tuple[int, ...]
    ) -> tuple[bytes, str | None]:
        window = self._streams.get(target)
        if window is None or window.algorithm != algorithm:
            if window is not None:
                window.algorithm, window.digests = algorithm, {}
            else:
                self._streams[target] = _Window(algorithm)
            return b"", f"no {algorithm} digests kept for the stream yet"
        if not numbers:
            return b"", "the check lists no sequence numbers"
        gone = [n for n in numbers if n not in window.digests]
        if gone:
            return b"", f"PDU(s) {_short(gone)} not in the window (never received, or too old)"
        return b"".join(window.digests[n] for n in numbers), None

    def _verify(
        self, target: StreamKey, check: IntegrityCheck, algorithm: str, message: bytes
    ) -> Verdict:
        value = bytes(check.check_value)
        if check.check_type == HASH_CHECK:
            good = hmac.compare_digest(value, message)
            return Verdict(OK if good else FAILED, "" if good else "hash mismatch", algorithm,
                           target)  # fmt: skip
        if check.check_type != SIGNATURE_CHECK:
            return Verdict(UNVERIFIABLE, f"unknown check type {check.check_type}", algorithm,
                           target)  # fmt: skip
        key = self.keys.get(target[1])
        if key is None:
            return Verdict(UNVERIFIABLE, "no public key configured for the operator", algorithm,
                           target)  # fmt: skip
        good = key.verify(value, message, algorithm)
        return Verdict(OK if good else FAILED, "" if good else "signature does not verify",
                       algorithm, target)  # fmt: skip


def _key(pem: str, data_dir: Path) -> OperatorKey:
    path = Path(pem)
    return load_public_key(path if path.is_absolute() else data_dir / path)


def _short(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:5])
    return shown + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")
