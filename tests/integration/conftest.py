"""An initialised Custodio on each catalog backend, with a cast of users and a case."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from custodio import config
from custodio.access import admin, casework, setup
from custodio.access.service import Service, Session
from custodio.catalog import identifiers, warrants

PASSWORD = "correct-horse-battery"
PASSPHRASE = "vault-passphrase-for-tests"


def secrets(name: str, prompt: str) -> str:
    """What an operator would type: the vault passphrase (the only secret the tests need)."""
    assert name == "VAULT_PASSPHRASE", name
    return PASSPHRASE


CASE = "DP 123/2026"


class Clock:
    """The service's clock, set by the test (warrant validity depends on it)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    svc: Service
    clock: Clock
    data_dir: Path
    sessions: dict[str, Session]

    def as_(self, name: str) -> Session:
        if name not in self.sessions:
            self.sessions[name] = self.svc.login(name, PASSWORD)
        return self.sessions[name]

    def count(self, table: str) -> int:
        return int(self.svc.db.read(lambda tx: tx.scalar(f"SELECT COUNT(*) FROM {table}")))

    def last_audit(self) -> dict[str, object]:
        row = self.svc.db.read(
            lambda tx: tx.one("SELECT * FROM audit_entries ORDER BY seq DESC LIMIT 1")
        )
        assert row is not None
        return row


def init_data_dir(
    path: Path,
    catalog_url: str,
    monkeypatch: pytest.MonkeyPatch,
    agency: str = "Policía Nacional",
    *,
    second_factor: str = "off",
) -> config.Config:
    """A data directory whose ``custodio.toml`` says ``auth_second_factor = "off"`` unless
    asked otherwise: the cast below logs in with a password alone. Only the tests of the
    second factor itself (tests/integration/test_sessions.py) run it ``required``, as every
    real deployment does (docs/configuration.md)."""
    monkeypatch.setenv("CUSTODIO_CATALOG_URL", catalog_url)
    monkeypatch.setenv("CUSTODIO_AUTH_SECOND_FACTOR", second_factor)
    cfg = setup.init(setup.InitRequest(path, agency, "admin", PASSWORD), secrets)
    monkeypatch.delenv("CUSTODIO_CATALOG_URL")
    monkeypatch.delenv("CUSTODIO_AUTH_SECOND_FACTOR")
    return cfg


def new_warrant(reference: str = "AUTO 45/2026", **changes: object) -> warrants.NewWarrant:
    fields: dict[str, object] = {
        "reference": reference,
        "court": "JI nº 3 Madrid",
        "judge": "Ana Ruiz",
        "issued_at": datetime(2026, 11, 1, tzinfo=UTC),
        "valid_from": datetime(2026, 11, 1, tzinfo=UTC),
        "valid_until": datetime(2027, 1, 31, tzinfo=UTC),
        "scope": frozenset({"content", "traffic"}),
        "targets": (identifiers.parse("e164:+34600111222"),),
        "liids": (("ES-LI-0001", "movistar"),),
    }
    fields.update(changes)
    return warrants.NewWarrant(**fields)  # type: ignore[arg-type]


@pytest.fixture
def world(tmp_path: Path, catalog_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "verifier-state"))
    cfg = init_data_dir(tmp_path / "data", catalog_url, monkeypatch)
    clock = Clock()
    svc = Service.open(cfg, clock=clock)
    w = World(svc, clock, cfg.data_dir, {})
    boss = w.as_("admin")
    admin.add_unit(svc, boss, "UDYCO")
    for name, role in [
        ("wo", "warrant_officer"),
        ("inv1", "investigator"),
        ("inv2", "investigator"),
        ("terp", "interpreter"),
        ("judge", "judge"),
        ("aud", "auditor"),
    ]:
        admin.add_user(svc, boss, admin.NewUser(name, role, PASSWORD, unit="UDYCO"))
    wo = w.as_("wo")
    casework.add_case(
        svc, wo, casework.NewCase(CASE, "JI nº 3 Madrid", "Operación Niebla", "UDYCO")
    )
    casework.add_warrant(svc, wo, CASE, new_warrant())
    casework.assign(svc, wo, CASE, "inv1", None)
    try:
        yield w
    finally:
        svc.close()
