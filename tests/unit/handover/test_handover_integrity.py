"""Integrity-check PDUs (TS 102 232-1 IntegrityCheck) verified over real sockets."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.utils import CryptographyDeprecationWarning
from tests.unit.handover.handover_net import cc, header, journal_pdus, running, wait_for

from custodio.config import Pairs
from custodio.etsi import encode as E
from custodio.handover.integrity import IntegrityChecker
from custodio.handover.listener import Receiver

OP = b"OP"


def digests(pdus: list[bytes], name: str = "sha256") -> bytes:
    """What the check covers: the digests of the whole PDUs, in the listed order."""
    return b"".join(hashlib.new(name, p).digest() for p in pdus)


def check(numbers: list[int], value: bytes, **kw: object) -> bytes:
    return E.integrity_check(header(1000, b"LIID-1", 7, OP), numbers, value, **kw)  # type: ignore[arg-type]


def deliver(tmp_path: Path, stream: list[bytes], checker: IntegrityChecker) -> Receiver:
    async def main() -> Receiver:
        async with running(tmp_path, integrity=checker) as r:
            _, writer = await asyncio.open_connection(*r.hi3)
            writer.write(b"".join(stream))
            await writer.drain()
            await wait_for(lambda: r.receiver.stats.pdus_durable == len(stream))
            writer.close()
            return r.receiver

    return asyncio.run(main())


def test_a_good_hash_check_passes(tmp_path: Path) -> None:
    pdus = [cc(n) for n in range(1, 6)]
    receiver = deliver(tmp_path, [*pdus, check([1, 2, 3, 4, 5], digests(pdus))],
                       IntegrityChecker({OP: None}))  # fmt: skip
    s = receiver.stats
    assert (s.integrity_ok, s.integrity_failed, s.integrity_unverifiable) == (1, 0, 0)
    assert s.pdus_recognised > 0  # the fast path hashed the recognised PDUs too


def test_a_sha512_check_is_unverifiable_then_the_stream_switches(tmp_path: Path) -> None:
    first, then = [cc(n) for n in (1, 2)], [cc(n) for n in (3, 4)]
    stream = [*first, check([1, 2], digests(first, "sha512"), hash_algorithm=4),
              *then, check([3, 4], digests(then, "sha512"), hash_algorithm=4)]  # fmt: skip
    s = deliver(tmp_path, stream, IntegrityChecker({OP: None})).stats
    assert (s.integrity_ok, s.integrity_unverifiable) == (1, 1)


def test_a_changed_pdu_fails_is_kept_and_is_audited(tmp_path: Path) -> None:
    from custodio.db import Database  # noqa: PLC0415
    from custodio.db.migrate import upgrade  # noqa: PLC0415

    db = Database(f"sqlite:///{tmp_path / 'catalog.sqlite3'}")
    upgrade(db)
    pdus = [cc(n) for n in range(1, 4)]
    sent = list(pdus)
    sent[1] = sent[1][:-1] + bytes([sent[1][-1] ^ 1])  # one octet changed on the way
    try:

        async def main() -> Receiver:
            async with running(tmp_path, integrity=IntegrityChecker({OP: None}), db=db) as r:
                _, writer = await asyncio.open_connection(*r.hi3)
                writer.write(b"".join([*sent, check([1, 2, 3], digests(pdus))]))
                await writer.drain()
                await wait_for(lambda: r.receiver.stats.pdus_durable == 4)
                writer.close()
                return r.receiver

        receiver = asyncio.run(main())
        assert receiver.stats.integrity_failed == 1 and receiver.stats.integrity_ok == 0
        rows = db.read(lambda tx: tx.all(
            "SELECT * FROM audit_entries WHERE action = 'handover.integrity_failed'"))  # fmt: skip
        assert len(rows) == 1 and rows[0]["outcome"] == "denied"
        assert json.loads(rows[0]["details"])["reason"] == "hash mismatch"
    finally:
        db.close()
    assert journal_pdus(tmp_path)[:3] == sent  # never drops data


def test_a_missing_pdu_is_unverifiable(tmp_path: Path) -> None:
    pdus = [cc(n) for n in (1, 2, 4)]
    value = digests([pdus[0], pdus[1], cc(3)])
    s = deliver(tmp_path, [*pdus, check([1, 2, 3], value)], IntegrityChecker({OP: None})).stats
    assert (s.integrity_ok, s.integrity_failed, s.integrity_unverifiable) == (0, 0, 1)


def test_an_unconfigured_operator_is_not_hashed(tmp_path: Path) -> None:
    pdus = [cc(n) for n in range(1, 3)]
    s = deliver(tmp_path, [*pdus, check([1, 2], digests(pdus))], IntegrityChecker({})).stats
    assert (s.integrity_ok, s.integrity_failed, s.integrity_unverifiable) == (0, 0, 0)


def write_public(
    tmp_path: Path, key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
) -> Pairs:
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "op.pem").write_bytes(pem)
    return Pairs.parse(["OP=op.pem", "OTHER="])


def test_ed25519_and_ecdsa_signature_checks_verify(tmp_path: Path) -> None:
    pdus = [cc(n) for n in range(1, 4)]
    message = digests(pdus)
    ed = ed25519.Ed25519PrivateKey.generate()
    checker = IntegrityChecker.from_setting(write_public(tmp_path, ed), tmp_path)
    good = check([1, 2, 3], ed.sign(message), check_type=2)
    bad = check([1, 2, 3], ed.sign(message + b"x"), check_type=2)
    s = deliver(tmp_path / "ed", [*pdus, good, bad], checker).stats
    assert (s.integrity_ok, s.integrity_failed) == (1, 1)

    ecdsa = ec.generate_private_key(ec.SECP256R1())
    checker = IntegrityChecker.from_setting(write_public(tmp_path, ecdsa), tmp_path)
    signature = ecdsa.sign(message, ec.ECDSA(hashes.SHA256()))
    s = deliver(tmp_path / "ec", [*pdus, check([1, 2, 3], signature, check_type=2)], checker).stats
    assert (s.integrity_ok, s.integrity_failed) == (1, 0)


def test_a_signature_check_without_a_key_is_unverifiable(tmp_path: Path) -> None:
    pdus = [cc(n) for n in range(1, 3)]
    stream = [*pdus, check([1, 2], b"\x30\x00", check_type=2)]
    s = deliver(tmp_path, stream, IntegrityChecker({OP: None})).stats
    assert s.integrity_unverifiable == 1


def test_a_dsa_signature_check_verifies_with_our_warning_not_the_librarys(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """TS 102 232-1 clause 7.2 names DSS (DSA) for ``checkType`` signature. The crypto
    library deprecates DSA: only a DSA key touches it, and loading one logs our warning
    (the library's warning would be an error under this suite's filter)."""
    with pytest.warns(CryptographyDeprecationWarning):  # the test's own use of the module
        from cryptography.hazmat.primitives.asymmetric import dsa  # noqa: PLC0415

        key = dsa.generate_private_key(2048)
        pdus = [cc(n) for n in range(1, 4)]
        good = key.sign(digests(pdus), hashes.SHA256())
    setting = write_public(tmp_path, key)  # type: ignore[arg-type]
    with caplog.at_level("WARNING"):
        checker = IntegrityChecker.from_setting(setting, tmp_path)
    assert "op.pem: DSA is deprecated" in caplog.text
    stream = [*pdus, check([1, 2, 3], good, check_type=2), check([1, 2], good, check_type=2)]
    s = deliver(tmp_path / "dsa", stream, checker).stats
    assert (s.integrity_ok, s.integrity_failed) == (1, 1)
