"""The second factor's secrets sealed under second-factor.key, an administrator's reset of a
lost one, and the sessions that a password change or a disabled account ends (issue 16),
with ``auth_second_factor = "required"``."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from custodio.access import admin, casework, second_factor, sessions
from custodio.access.service import Service
from custodio.crypto import totp
from custodio.errors import ConfigError, Forbidden, IntegrityError, SessionExpired
from tests.integration.conftest import CASE, PASSWORD, Clock, World, init_data_dir, new_warrant

CLEAR = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # a secret as a catalog before sealing held it


@pytest.fixture
def secure(tmp_path: Path, catalog_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """An administrator, a second one, a warrant officer and an investigator of a case."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    cfg = init_data_dir(tmp_path / "data", catalog_url, monkeypatch, second_factor="required")
    clock = Clock()
    svc = Service.open(cfg, clock=clock)
    w = World(svc, clock, cfg.data_dir, {})
    boss = w.as_("admin")
    admin.add_unit(svc, boss, "UDYCO")
    for name, role in [("admin2", "administrator"), ("wo", "warrant_officer"),
                       ("inv1", "investigator")]:  # fmt: skip
        admin.add_user(svc, boss, admin.NewUser(name, role, PASSWORD, unit="UDYCO"))
    wo = w.as_("wo")
    casework.add_case(svc, wo, casework.NewCase(CASE, "JI nº 3 Madrid", "Niebla", "UDYCO"))
    casework.add_warrant(svc, wo, CASE, new_warrant())
    casework.assign(svc, wo, CASE, "inv1", None)
    try:
        yield w
    finally:
        w.svc.close()


def user_row(w: World, name: str) -> dict[str, Any]:
    row = w.svc.db.read(lambda tx: tx.one("SELECT * FROM users WHERE name = ?", (name,)))
    assert row is not None
    return dict(row)


def set_columns(w: World, name: str, **values: object) -> None:
    sets = ", ".join(f"{column} = ?" for column in values)
    w.svc.db.write(lambda tx: tx.execute(f"UPDATE users SET {sets} WHERE name = ?",
                                         (*values.values(), name)))  # fmt: skip


def audit_rows(w: World, action: str) -> list[dict[str, Any]]:
    rows = w.svc.db.read(
        lambda tx: tx.all("SELECT * FROM audit_entries WHERE action = ? ORDER BY seq", (action,))
    )
    return [{**r, "details": json.loads(str(r["details"]))} for r in rows]


def enrol(w: World, name: str) -> str:
    session = w.svc.login(name, PASSWORD)
    secret = second_factor.enrol(w.svc, session).secret
    second_factor.confirm(w.svc, session, totp.code_at(secret, w.clock.now))
    return secret


def login_with_code(w: World, name: str, secret: str) -> sessions.Issued:
    w.clock.now += timedelta(seconds=totp.STEP_SECONDS)  # a step not used yet
    return sessions.start(w.svc, name, PASSWORD, totp.code_at(secret, w.clock.now))


def reopen(w: World) -> None:
    w.svc.close()
    w.svc = Service.open(w.svc.config, clock=w.clock)
    w.sessions.clear()


# -- the secrets sealed ----------------------------------------------------------------------


def test_init_makes_the_key_and_the_catalog_holds_no_clear_secret(secure: World) -> None:
    key_file = secure.svc.config.second_factor_key_file
    assert key_file.parent == secure.data_dir and key_file.name == "second-factor.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and len(key_file.read_bytes()) == 32
    session = secure.svc.login("inv1", PASSWORD)
    secret = second_factor.enrol(secure.svc, session).secret
    pending = user_row(secure, "inv1")
    assert secret not in json.dumps(pending, default=str)
    assert str(pending["totp_pending_secret"]).startswith("v1:")
    second_factor.confirm(secure.svc, session, totp.code_at(secret, secure.clock.now))
    confirmed = user_row(secure, "inv1")
    assert secret not in json.dumps(confirmed, default=str)
    assert confirmed["totp_secret"] == pending["totp_pending_secret"]  # moved as it is
    issued = login_with_code(secure, "inv1", secret)
    assert casework.show_case(secure.svc, issued.session, CASE)


def test_a_sealed_secret_copied_to_another_user_does_not_open(secure: World) -> None:
    secret = enrol(secure, "inv1")
    set_columns(secure, "wo", totp_secret=user_row(secure, "inv1")["totp_secret"])
    secure.clock.now += timedelta(seconds=totp.STEP_SECONDS)
    with pytest.raises(IntegrityError, match="does not open") as failed:
        sessions.start(secure.svc, "wo", PASSWORD, totp.code_at(secret, secure.clock.now))
    assert "reset-totp" in (failed.value.hint or "")
    refused = audit_rows(secure, "user.login")[-1]
    assert (refused["actor"], refused["outcome"]) == ("wo", "denied")
    assert "does not open" in refused["details"]["reason"]


def test_an_older_data_directory_gets_a_key_and_its_clear_secrets_sealed_at_start(
    secure: World,
) -> None:
    set_columns(secure, "inv1", totp_secret=CLEAR, totp_enrolled_at="2026-11-01T00:00:00.000000Z")
    set_columns(secure, "wo", totp_pending_secret=CLEAR)
    key_file = secure.svc.config.second_factor_key_file
    key_file.unlink()
    reopen(secure)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    for name, column in (("inv1", "totp_secret"), ("wo", "totp_pending_secret")):
        row = user_row(secure, name)
        assert str(row[column]).startswith("v1:") and CLEAR not in json.dumps(row, default=str)
    [sealed] = audit_rows(secure, "totp.sealed")
    assert (sealed["actor"], sealed["outcome"], sealed["details"]) == (
        "system", "allowed", {"users": 2})  # fmt: skip
    issued = login_with_code(secure, "inv1", CLEAR)  # the same secret: the app goes on
    assert casework.show_case(secure.svc, issued.session, CASE)
    reopen(secure)  # nothing left in the clear: nothing more sealed
    assert len(audit_rows(secure, "totp.sealed")) == 1


def test_a_missing_key_is_refused_while_secrets_are_sealed_under_it(secure: World) -> None:
    enrol(secure, "inv1")
    secure.svc.close()
    key_file = secure.svc.config.second_factor_key_file
    kept = key_file.read_bytes()
    key_file.unlink()
    with pytest.raises(ConfigError, match=r"second-factor\.key is missing") as refused:
        Service.open(secure.svc.config)
    assert "restore it from the backup" in (refused.value.hint or "")
    assert not key_file.exists()  # no new key that would hide the loss
    key_file.write_bytes(kept)
    key_file.chmod(0o600)
    secure.svc = Service.open(secure.svc.config, clock=secure.clock)


# -- an administrator resets a lost second factor ----------------------------------------------


def test_an_administrator_resets_a_lost_second_factor(secure: World) -> None:
    secret = enrol(secure, "inv1")
    issued = login_with_code(secure, "inv1", secret)
    boss = secure.as_("admin")
    done = second_factor.reset(secure.svc, boss, "inv1")
    assert done == second_factor.Reset(had_second_factor=True, sessions_ended=1)
    with pytest.raises(SessionExpired, match="revoked"):
        sessions.resume(secure.svc, issued.token)
    row = user_row(secure, "inv1")
    assert [row[c] for c in ("totp_secret", "totp_pending_secret", "totp_last_step",
                             "totp_enrolled_at")] == [None] * 4  # fmt: skip
    plain = sessions.start(secure.svc, "inv1", PASSWORD).session  # no code asked now
    with pytest.raises(Forbidden, match="needs a second factor") as refused:
        casework.show_case(secure.svc, plain, CASE)
    assert refused.value.hint == "enrol a second factor: `custodio totp enrol`"
    second_factor.enrol(secure.svc, plain)  # he enrols a new one
    with pytest.raises(Forbidden, match="cannot reset his own second factor"):
        second_factor.reset(secure.svc, boss, "admin")
    with pytest.raises(Forbidden, match=r"may not totp\.reset"):
        second_factor.reset(secure.svc, secure.as_("wo"), "inv1")
    assert second_factor.reset(secure.svc, secure.as_("admin2"), "admin").had_second_factor is False
    entries = [(e["actor"], e["target"], e["outcome"], e["details"])
               for e in audit_rows(secure, "totp.reset")]  # fmt: skip
    assert entries[0] == ("admin", "user:inv1", "allowed",
                          {"had_second_factor": True, "sessions_ended": 1})  # fmt: skip
    assert [e[:3] for e in entries[1:]] == [
        ("admin", "user:admin", "denied"),
        ("wo", "user:inv1", "denied"),
        ("admin2", "user:admin", "allowed"),
    ]
    assert "cannot reset his own" in entries[1][3]["reason"]


# -- sessions that end with a password change or a disabled account ------------------------------


def test_a_password_change_ends_the_users_other_sessions(secure: World) -> None:
    here = sessions.start(secure.svc, "wo", PASSWORD)
    others = [sessions.start(secure.svc, "wo", PASSWORD) for _ in range(2)]
    admin.change_password(secure.svc, here.session, PASSWORD, "a-new-password-of-mine")
    for issued in others:
        with pytest.raises(SessionExpired, match="revoked"):
            sessions.resume(secure.svc, issued.token)
    assert sessions.resume(secure.svc, here.token) == here.session  # the one he changed it in
    plain = secure.svc.login("wo", "a-new-password-of-mine")  # no stored session: all end
    admin.change_password(secure.svc, plain, "a-new-password-of-mine", "yet-another-password")
    with pytest.raises(SessionExpired, match="revoked"):
        sessions.resume(secure.svc, here.token)
    ended = [e["details"] for e in audit_rows(secure, "password.change")]
    assert ended == [{"sessions_ended": 2}, {"sessions_ended": 1}]


def test_disabling_a_user_ends_all_his_sessions(secure: World) -> None:
    held = [sessions.start(secure.svc, "wo", PASSWORD) for _ in range(2)]
    admin.disable_user(secure.svc, secure.as_("admin"), "wo")
    admin.disable_user(secure.svc, secure.as_("admin"), "wo", disabled=False)
    for issued in held:  # enabled again, his sessions stay ended
        with pytest.raises(SessionExpired, match="revoked"):
            sessions.resume(secure.svc, issued.token)
    details = [e["details"] for e in audit_rows(secure, "user.disable")]
    assert details == [{"disabled": True, "sessions_ended": 2}, {"disabled": False}]
