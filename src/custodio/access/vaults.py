"""Opening the vault a data directory is configured for: backend, key provider, index."""

from __future__ import annotations

from collections.abc import Callable

from custodio.catalog.vault_index import SqlIndex
from custodio.config import Config
from custodio.db import Database
from custodio.errors import ConfigError, KeyProviderError
from custodio.vault.backends import Backend
from custodio.vault.backends.fs import DirectoryBackend
from custodio.vault.backends.s3 import S3Backend, S3Settings
from custodio.vault.providers import KeyProvider
from custodio.vault.providers.keyfile import KeyFileProvider
from custodio.vault.providers.pkcs11 import Pkcs11Provider, Pkcs11Settings
from custodio.vault.store import Vault, VaultSettings

# (name of the CUSTODIO_ secret, prompt) -> its value; the CLI asks or reads the environment
Secrets = Callable[[str, str], str]


def open_vault(cfg: Config, db: Database, secrets: Secrets) -> Vault:
    """The vault, with its key provider unlocked; a clear error now, not mid-request."""
    settings = VaultSettings(
        chunk_size=cfg.settings.vault_chunk_kib * 1024, zstd_level=cfg.settings.vault_zstd_level
    )
    return Vault(backend(cfg, secrets), SqlIndex(db), provider(cfg, secrets), settings)


def create_vault(cfg: Config, secrets: Secrets) -> None:
    """Make the key provider's first KEK and the object directory (``custodio init``)."""
    s = cfg.settings
    if s.key_provider == "keyfile":
        passphrase = secrets("VAULT_PASSPHRASE", "passphrase for the vault key file")
        KeyFileProvider.create(cfg.vault_key_file, _strong(passphrase))
    elif s.key_provider == "pkcs11":
        Pkcs11Provider(_pkcs11(cfg, secrets), create=True)
    else:
        provider(cfg, secrets)  # raises the clear error
    if s.vault_backend == "directory":
        cfg.vault_directory.mkdir(mode=0o700, parents=True, exist_ok=True)


def provider(cfg: Config, secrets: Secrets) -> KeyProvider:
    kind = cfg.settings.key_provider
    if kind == "keyfile":
        passphrase = secrets("VAULT_PASSPHRASE", "passphrase for the vault key file")
        return KeyFileProvider.open(cfg.vault_key_file, passphrase)
    if kind == "pkcs11":
        return Pkcs11Provider(_pkcs11(cfg, secrets))
    raise ConfigError(
        f"key_provider {kind!r} is unknown", hint="set key_provider to keyfile or pkcs11"
    )


def backend(cfg: Config, secrets: Secrets) -> Backend:
    s = cfg.settings
    if s.vault_backend == "directory":
        return DirectoryBackend(cfg.vault_directory)
    if s.vault_backend == "s3":
        return S3Backend(
            S3Settings(
                endpoint=s.vault_s3_endpoint or None,
                bucket=s.vault_s3_bucket,
                access_key=s.vault_s3_access_key,
                secret_key=secrets("S3_SECRET_KEY", "S3 secret key"),
                region=s.vault_s3_region,
                retention_days=s.vault_retention_days,
            )
        )
    raise ConfigError(
        f"vault_backend {s.vault_backend!r} is unknown", hint="set vault_backend to directory or s3"
    )


def _pkcs11(cfg: Config, secrets: Secrets) -> Pkcs11Settings:
    pin = secrets("PKCS11_PIN", f"PIN of HSM token {cfg.settings.pkcs11_token}")
    return Pkcs11Settings(cfg.settings.pkcs11_module, cfg.settings.pkcs11_token, pin)


def _strong(passphrase: str) -> str:
    if len(passphrase) < 12:
        raise KeyProviderError("the vault passphrase needs at least 12 characters")
    return passphrase
