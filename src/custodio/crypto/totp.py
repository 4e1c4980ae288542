"""Time-based one-time passwords (RFC 6238) with ``pyotp``: 30-second steps, 6 digits,
HMAC-SHA-1 (what every authenticator app speaks), a code accepted one step either side.

:func:`matching_step` says *which* time step a code belongs to, so that the caller can
accept each step once (RFC 6238 section 5.2: a verifier must not accept the second attempt
of the same OTP).
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp

STEP_SECONDS = 30
DIGITS = 6
WINDOW = 1  # steps either side (RFC 6238 section 5.2 recommends at most one)
ISSUER = "Custodio"


def new_secret() -> str:
    """A fresh shared secret: 160 random bits, base32 (RFC 4226 section 4, R6)."""
    return pyotp.random_base32(32)


def uri(secret: str, account: str) -> str:
    """The ``otpauth://totp/...`` URI that authenticator apps read (as a QR code)."""
    return _totp(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def step_at(at: datetime) -> int:
    return int(at.timestamp()) // STEP_SECONDS


def code_at(secret: str, at: datetime) -> str:
    """The code for the time step of ``at`` (for tests and enrolment checks)."""
    return _totp(secret).generate_otp(step_at(at))


def matching_step(secret: str, code: str, at: datetime) -> int | None:
    """The latest time step within the window around ``at`` whose code is ``code``.

    Every step in the window is compared (in constant time), whichever matches."""
    totp = _totp(secret)
    now = step_at(at)
    found = None
    for step in range(now - WINDOW, now + WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    return found


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
