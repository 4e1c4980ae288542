"""The PKCS#11 key provider against a real SoftHSM2 token made by the tests."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pkcs11 import Attribute

from conftest import PIN, TOKEN  # type: ignore[import-not-found]
from custodio.errors import KeyProviderError
from custodio.vault import maintenance
from custodio.vault.backends.memory import MemoryBackend
from custodio.vault.envelope import Kind
from custodio.vault.index import MemoryIndex
from custodio.vault.providers.pkcs11 import Pkcs11Provider, Pkcs11Settings
from custodio.vault.store import Vault


def settings(module: str, **kw: str) -> Pkcs11Settings:
    return Pkcs11Settings(**{"module": module, "token_label": TOKEN, "pin": PIN, **kw})


def test_vault_with_hsm_kek_and_rotation(softhsm: str) -> None:
    provider = Pkcs11Provider(settings(softhsm, key_prefix="kek-rot"), create=True)
    vault = Vault(MemoryBackend(), MemoryIndex(), provider)
    ref = vault.put("CASE-HSM-1", Kind.AUDIO, b"audio through the HSM")
    kek = provider._keks[provider.current_kek]
    assert kek[Attribute.EXTRACTABLE] is False and kek[Attribute.SENSITIVE] is True
    report = maintenance.rotate_kek(vault)
    assert (report.new_kek, report.retired) == ("kek-rot-2", ["kek-rot-1"])
    reopened = Pkcs11Provider(settings(softhsm, key_prefix="kek-rot"))
    fresh = Vault(vault.backend, vault.index, reopened)
    assert fresh.get("CASE-HSM-1", ref.object_id) == b"audio through the HSM"
    assert reopened.current_kek == "kek-rot-2" and "kek-rot-1" not in reopened._keks


def test_token_absent_wrong_pin_and_no_kek(softhsm: str) -> None:
    with pytest.raises(KeyProviderError, match="not present"):
        Pkcs11Provider(settings(softhsm, token_label="no-such-token"))
    with pytest.raises(KeyProviderError, match="wrong PIN"):
        Pkcs11Provider(settings(softhsm, pin="0000"))
    with pytest.raises(KeyProviderError, match="holds no"):
        Pkcs11Provider(settings(softhsm, key_prefix="never-made"))


def test_altered_wrapped_key_is_refused(softhsm: str) -> None:
    provider = Pkcs11Provider(settings(softhsm, key_prefix="kek-alt"), create=True)
    wrapped = provider.wrap("CASE-HSM-2", bytes(32))
    assert provider.unwrap(wrapped) == bytes(32)
    with pytest.raises(KeyProviderError):
        provider.unwrap(replace(wrapped, case_id="CASE-HSM-3"))
