"""TOTP (RFC 6238) as Custodio uses it: the RFC's own vectors, the window, the step."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from custodio.crypto import totp

# RFC 6238 Appendix B, HMAC-SHA-1, seed "12345678901234567890"; 8-digit codes there, the
# last six digits here (the truncation is modulo 10^digits).
SECRET = base64.b32encode(b"12345678901234567890").decode()
VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("seconds", "code"), VECTORS)
def test_the_rfc_6238_vectors(seconds: int, code: str) -> None:
    at = datetime.fromtimestamp(seconds, UTC)
    assert totp.code_at(SECRET, at) == code[-6:]
    assert totp.matching_step(SECRET, code[-6:], at) == seconds // 30


def test_a_code_is_good_one_step_either_side_and_no_further() -> None:
    at = datetime(2026, 11, 29, 12, 0, 15, tzinfo=UTC)
    step = totp.step_at(at)
    for offset in (-1, 0, 1):
        code = totp.code_at(SECRET, at + timedelta(seconds=30 * offset))
        assert totp.matching_step(SECRET, code, at) == step + offset
    for offset in (-2, 2):
        code = totp.code_at(SECRET, at + timedelta(seconds=30 * offset))
        assert totp.matching_step(SECRET, code, at) is None


def test_new_secrets_are_160_bits_and_the_uri_names_the_issuer() -> None:
    secret = totp.new_secret()
    assert len(base64.b32decode(secret)) == 20 and secret != totp.new_secret()
    assert totp.uri(secret, "inv1") == (
        f"otpauth://totp/Custodio:inv1?secret={secret}&issuer=Custodio"
    )
