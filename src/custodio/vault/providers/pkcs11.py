"""The HSM key provider: KEKs are AES-256 keys generated inside a PKCS#11 token.

A KEK is created non-extractable and sensitive; data keys are wrapped by the token with
CKM_AES_GCM (random 12-byte IV, associated data binding case and KEK), so the KEK never
leaves the token. KEKs are labelled ``<prefix>-<n>``; the highest ``n`` is current.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass
from typing import Any

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.exceptions import NoSuchToken, PinIncorrect, PKCS11Error, UserAlreadyLoggedIn
from pkcs11.mechanisms import GCMParams

from custodio.errors import Conflict, KeyProviderError
from custodio.vault.providers import WrappedKey, wrap_aad

IV_SIZE = 12
_LOGGED_IN: dict[tuple[str, str], str] = {}  # PINs this process logged in with


@dataclass(frozen=True, slots=True)
class Pkcs11Settings:
    module: str  # e.g. /usr/lib/softhsm/libsofthsm2.so
    token_label: str
    pin: str
    key_prefix: str = "custodio-kek"


class Pkcs11Provider:
    """Wraps data keys with KEKs that stay in a PKCS#11 token."""

    def __init__(self, settings: Pkcs11Settings, *, create: bool = False) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._session: Any = _open_session(settings)
        self._keks = self._find_keks()
        if not self._keks and create:
            self.new_kek()
        if not self._keks:
            raise KeyProviderError(
                f"token {settings.token_label} holds no {settings.key_prefix}-N key",
                hint="initialise the vault's KEK on this token (key ceremony)",
            )

    def _find_keks(self) -> dict[str, Any]:
        prefix = self.settings.key_prefix + "-"
        found = self._session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY})
        return {k.label: k for k in found if k.label.startswith(prefix)}

    @property
    def current_kek(self) -> str:
        return max(self._keks, key=lambda label: int(label.rsplit("-", 1)[1]))

    def wrap(self, case_id: str, data_key: bytes) -> WrappedKey:
        kek_id = self.current_kek
        iv = secrets.token_bytes(IV_SIZE)
        sealed = self._crypt("encrypt", kek_id, data_key, GCMParams(iv, wrap_aad(case_id, kek_id)))
        return WrappedKey(case_id, kek_id, iv + sealed)

    def unwrap(self, wrapped: WrappedKey) -> bytes:
        if wrapped.kek_id not in self._keks:
            raise KeyProviderError(
                f"the data key of case {wrapped.case_id} is wrapped by {wrapped.kek_id}, "
                f"which token {self.settings.token_label} does not hold",
                hint="plug in the token that holds it",
            )
        params = GCMParams(wrapped.blob[:IV_SIZE], wrap_aad(wrapped.case_id, wrapped.kek_id))
        return self._crypt("decrypt", wrapped.kek_id, wrapped.blob[IV_SIZE:], params)

    def _crypt(self, op: str, kek_id: str, data: bytes, params: GCMParams) -> bytes:
        try:
            with self._lock:
                method = getattr(self._keks[kek_id], op)
                return bytes(method(data, mechanism=Mechanism.AES_GCM, mechanism_param=params))
        except PKCS11Error as exc:
            raise KeyProviderError(
                f"token {self.settings.token_label} failed to {op} with {kek_id} "
                f"({type(exc).__name__}): a wrapped key was altered or the token is gone"
            ) from None

    def new_kek(self) -> str:
        number = 1 + max((int(k.rsplit("-", 1)[1]) for k in self._keks), default=0)
        label = f"{self.settings.key_prefix}-{number}"
        template = {Attribute.EXTRACTABLE: False, Attribute.SENSITIVE: True, Attribute.TOKEN: True}
        with self._lock:
            key = self._session.generate_key(
                KeyType.AES, 256, label=label, store=True, template=template
            )
        self._keks[label] = key
        return label

    def retire_kek(self, kek_id: str) -> None:
        if kek_id == self.current_kek:
            raise Conflict(f"{kek_id} is the current KEK", hint="create a new one first")
        key = self._keks.pop(kek_id, None)
        if key is not None:
            with self._lock:
                key.destroy()

    def close(self) -> None:
        self._session.close()


def _open_session(settings: Pkcs11Settings) -> Any:
    label = settings.token_label
    try:
        token = pkcs11.lib(settings.module).get_token(token_label=label)
        try:
            session = token.open(user_pin=settings.pin, rw=True)
        except UserAlreadyLoggedIn:  # login is per process: another session holds it
            if not hmac.compare_digest(_LOGGED_IN.get((settings.module, label), ""), settings.pin):
                raise PinIncorrect from None
            return token.open(rw=True)
        _LOGGED_IN[(settings.module, label)] = settings.pin
        return session
    except NoSuchToken:
        raise KeyProviderError(
            f"PKCS#11 token {label!r} is not present",
            hint="plug in the HSM or check vault.pkcs11_token",
        ) from None
    except PinIncorrect:
        raise KeyProviderError(f"wrong PIN for PKCS#11 token {label!r}") from None
    except (PKCS11Error, RuntimeError, OSError) as exc:
        raise KeyProviderError(
            f"cannot use PKCS#11 module {settings.module}: {type(exc).__name__} {exc}",
            hint="check vault.pkcs11_module and the HSM's client configuration",
        ) from None
