"""``custodio init``: a new data directory with its catalog, audit log, keys and first user."""

from __future__ import annotations

import dataclasses
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from custodio import audit, config
from custodio.access import vaults
from custodio.access.admin import check_password_strength
from custodio.audit.entry import Event
from custodio.catalog import meta, people
from custodio.crypto import passwords, sealing, signing
from custodio.db import Database, Tx, migrate
from custodio.db.times import now_text
from custodio.errors import AlreadyInitialised, ConfigError

SYSTEM = "system"


@dataclass(frozen=True)
class InitRequest:
    data_dir: Path
    agency: str
    admin: str
    password: str
    unit: str = "headquarters"


def init(request: InitRequest, secrets: vaults.Secrets) -> config.Config:
    """Create and fill a data directory; refuse, changing nothing, if one is there.

    ``secrets`` gives the vault's passphrase (or HSM PIN) when the key provider is made.
    """
    check_password_strength(request.password)
    people.check_user_name(request.admin)
    cfg = config.defaults(request.data_dir)
    _refuse_existing(request.data_dir)
    created = not request.data_dir.exists()
    request.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        _create(cfg, request)
        vaults.create_vault(cfg, secrets)
        _write_settings(cfg)
    except BaseException:
        _undo(cfg, created)
        raise
    return config.load(request.data_dir)


def _refuse_existing(data_dir: Path) -> None:
    if (data_dir / config.CONFIG_FILE).exists():
        raise AlreadyInitialised(
            f"{data_dir} is already a Custodio data directory",
            hint="nothing was changed; use another --data directory to start afresh",
        )
    if data_dir.exists() and any(data_dir.iterdir()):
        raise AlreadyInitialised(
            f"{data_dir} is not empty", hint="nothing was changed; give an empty or new directory"
        )


def _create(cfg: config.Config, request: InitRequest) -> None:
    signer = signing.generate(cfg.signing_key_file)
    sealing.create_key_file(cfg.second_factor_key_file)  # seals the users' TOTP secrets
    hashed = passwords.hash_password(request.password)
    if not cfg.settings.catalog_url:  # the embedded catalog: owner-only before SQLite opens it
        os.close(
            os.open(
                cfg.data_dir / config.EMBEDDED_CATALOG, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600
            )
        )
    with Database(cfg.catalog_url) as db:
        migrate.upgrade(db)
        db.write(lambda tx: _fill(tx, request, signer, hashed))
        audit.checkpoint(db, signer, db.read(lambda tx: meta.get(tx, "audit_log_id")))


def _write_settings(cfg: config.Config) -> None:
    """Last: its presence is what makes the directory initialised."""
    settings = {f.name: getattr(cfg.settings, f.name) for f in dataclasses.fields(cfg.settings)}
    cfg.config_file.write_text(config.render_toml(settings), "utf-8")
    cfg.config_file.chmod(0o600)


def _fill(tx: Tx, request: InitRequest, signer: signing.Signer, hashed: str) -> None:
    if meta.find(tx, "audit_log_id") is not None:
        raise AlreadyInitialised(
            "the catalog is already initialised (another data directory uses it)",
            hint="nothing was changed; give an empty database in catalog_url",
        )
    for key, value in (
        ("audit_log_id", str(uuid.uuid4())),
        ("audit_public_key", signer.public_key.hex()),
        ("created_at", now_text()),
    ):
        meta.put(tx, key, value)
    agency = people.create_agency(tx, request.agency)
    unit = people.create_unit(tx, agency, request.unit)
    people.create_user(
        tx, agency=agency, name=request.admin, role="administrator", password_hash=hashed, unit=unit
    )
    details = {
        "agency": request.agency,
        "administrator": request.admin,
        "signing_key": signer.key_id,
    }
    event = Event(
        action="system.init",
        outcome=audit.ALLOWED,
        target="custodio",
        actor=SYSTEM,
        agency_id=agency,
        details=details,
    )
    audit.append(tx, event)


def _undo(cfg: config.Config, created_dir: bool) -> None:
    """Remove what a failed init wrote (a PostgreSQL catalog keeps its rolled-back state)."""
    try:
        if created_dir:
            shutil.rmtree(cfg.data_dir)
            return
        for child in cfg.data_dir.iterdir():
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    except OSError as e:
        raise ConfigError(f"init failed and could not clean up {cfg.data_dir}: {e}") from e
