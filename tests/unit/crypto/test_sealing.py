"""Sealed secrets (crypto/sealing.py): a golden vector pins the text form; every flipped
byte, every truncation, another associated data or key fails to open; the key file."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custodio.crypto import sealing
from custodio.crypto.sealing import SealingKey
from custodio.errors import ConfigError, IntegrityError

KEY = SealingKey(bytes(range(32)))
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
AAD = b"custodio totp secret, user 42"
NONCE = bytes(range(100, 112))
GOLDEN = "v1:ZGVmZ2hpamtsbW5vAlmNMSDaEs57Kg-j6TUyrQiAVV3SX7ci4pn8A8jz_RiRRgtd4IWvmGrpIxzlsbMY"


def test_format_is_stable() -> None:
    assert KEY.seal(SECRET, AAD, nonce=NONCE) == GOLDEN
    assert KEY.open(GOLDEN, AAD) == SECRET
    raw = base64.urlsafe_b64decode(GOLDEN[3:] + "=" * (-len(GOLDEN[3:]) % 4))
    assert raw[:12] == NONCE and len(raw) == 12 + len(SECRET) + 16


def test_each_seal_has_its_own_nonce() -> None:
    first, second = KEY.seal(SECRET, AAD), KEY.seal(SECRET, AAD)
    assert first != second and sealing.is_sealed(first)
    assert KEY.open(first, AAD) == KEY.open(second, AAD) == SECRET
    assert SECRET not in first and not sealing.is_sealed(SECRET)


def raw_of(text: str) -> bytes:
    body = text[len(sealing.PREFIX) :]
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def text_of(raw: bytes) -> str:
    return sealing.PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_every_flipped_byte_fails() -> None:
    raw = raw_of(GOLDEN)
    for i in range(len(raw)):
        flipped = raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1 :]
        with pytest.raises(IntegrityError):
            KEY.open(text_of(flipped), AAD)


def test_every_truncation_fails() -> None:
    raw = raw_of(GOLDEN)
    for length in range(len(raw)):
        with pytest.raises(IntegrityError):
            KEY.open(text_of(raw[:length]), AAD)


def test_another_user_or_key_does_not_open() -> None:
    with pytest.raises(IntegrityError):
        KEY.open(GOLDEN, b"custodio totp secret, user 43")
    with pytest.raises(IntegrityError):
        SealingKey(bytes(32)).open(GOLDEN, AAD)
    for text in ("", SECRET, "v1:", "v1:!!!!", "v2:" + GOLDEN[3:]):
        with pytest.raises(IntegrityError):
            KEY.open(text, AAD)


@given(st.text(max_size=200))
def test_any_text_raises_only_integrity_error(text: str) -> None:
    with pytest.raises(IntegrityError):
        KEY.open(text, AAD)


def test_the_key_file(tmp_path: Path) -> None:
    path = tmp_path / "second-factor.key"
    made = sealing.create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(path.read_bytes()) == 32
    assert sealing.load_key_file(path).open(made.seal(SECRET, AAD), AAD) == SECRET
    with pytest.raises(FileExistsError):
        sealing.create_key_file(path)
    path.write_bytes(b"short")
    with pytest.raises(ConfigError, match="holds 5 bytes"):
        sealing.load_key_file(path)
    with pytest.raises(ConfigError, match="cannot read the second-factor key"):
        sealing.load_key_file(tmp_path / "missing.key")
