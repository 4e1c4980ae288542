"""Logins, sessions and the second factor (issue 16 item 2), with ``auth_second_factor =
"required"`` as every real deployment runs it (the other tests' data directories run it
``off``: tests/integration/conftest.py)."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest

from custodio.access import admin, casework, second_factor, sessions
from custodio.access.service import OneTimeCodeNeeded, Service
from custodio.client import session_file
from custodio.client.main import main
from custodio.crypto import passwords, totp
from custodio.errors import (
    AccountLocked,
    AuthenticationFailed,
    Forbidden,
    InvalidInput,
    SessionExpired,
)
from tests.integration.conftest import (
    CASE,
    PASSPHRASE,
    PASSWORD,
    Clock,
    World,
    init_data_dir,
    new_warrant,
)
from tests.integration.served_cli import ServedCli, serving


@pytest.fixture
def secure(tmp_path: Path, catalog_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """An administrator, a warrant officer and an investigator assigned to a case."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    cfg = init_data_dir(tmp_path / "data", catalog_url, monkeypatch, second_factor="required")
    assert cfg.settings.auth_second_factor == "required"
    clock = Clock()
    svc = Service.open(cfg, clock=clock)
    w = World(svc, clock, cfg.data_dir, {})
    boss = w.as_("admin")
    admin.add_unit(svc, boss, "UDYCO")
    for name, role in [("wo", "warrant_officer"), ("inv1", "investigator")]:
        admin.add_user(svc, boss, admin.NewUser(name, role, PASSWORD, unit="UDYCO"))
    wo = w.as_("wo")
    casework.add_case(svc, wo, casework.NewCase(CASE, "JI nº 3 Madrid", "Niebla", "UDYCO"))
    casework.add_warrant(svc, wo, CASE, new_warrant())
    casework.assign(svc, wo, CASE, "inv1", None)
    try:
        yield w
    finally:
        svc.close()


def audit_rows(w: World, action: str) -> list[dict[str, Any]]:
    rows = w.svc.db.read(
        lambda tx: tx.all("SELECT * FROM audit_entries WHERE action = ? ORDER BY seq", (action,))
    )
    for row in rows:
        row["details"] = json.loads(str(row["details"]))
    return rows


def everything_stored(w: World) -> str:
    """Every audit entry and every session row, as text (to look for a token in)."""
    entries = w.svc.db.read(lambda tx: tx.all("SELECT * FROM audit_entries"))
    rows = w.svc.db.read(lambda tx: tx.all("SELECT * FROM sessions"))
    return json.dumps([entries, rows], default=str)


def enrol(w: World, name: str) -> str:
    """Give ``name`` a confirmed second factor (at the clock's time step); its secret."""
    session = w.svc.login(name, PASSWORD)
    secret = second_factor.enrol(w.svc, session).secret
    second_factor.confirm(w.svc, session, totp.code_at(secret, w.clock.now))
    return secret


def next_step(w: World) -> None:
    w.clock.now += timedelta(seconds=totp.STEP_SECONDS)


def wrong_code(secret: str, at: datetime) -> str:
    """A code that matches no step of the window around ``at``."""
    window = {totp.code_at(secret, at + timedelta(seconds=30 * k)) for k in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in window)


def test_login_resume_logout(secure: World) -> None:
    issued = sessions.start(secure.svc, "wo", PASSWORD, client="test")
    assert len(issued.token) == sessions.TOKEN_LENGTH
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", issued.token)
    assert issued.expires_at == secure.clock.now + timedelta(hours=12)
    session = sessions.resume(secure.svc, issued.token)
    assert session == issued.session and session.session_id is not None
    assert [c["reference"] for c in casework.list_cases(secure.svc, session)] == [CASE]
    sessions.end(secure.svc, session)
    with pytest.raises(SessionExpired, match="revoked") as ended:
        sessions.resume(secure.svc, issued.token)
    assert ended.value.hint == "log in again: `custodio login`"
    with pytest.raises(SessionExpired):  # a Session held on to stops too
        casework.list_cases(secure.svc, session)
    login = [e for e in audit_rows(secure, "user.login") if e["actor"] == "wo"][-1]
    assert login["outcome"] == "allowed" and login["details"] == {"session": session.session_id}
    [logout] = audit_rows(secure, "user.logout")
    assert logout["actor"] == "wo" and logout["target"] == f"session:{session.session_id}"
    [refused] = audit_rows(secure, "session.resume")
    assert refused["outcome"] == "denied" and refused["details"] == {"reason": "revoked"}
    stored = everything_stored(secure)
    assert issued.token not in stored and sessions.digest(issued.token) in stored


def test_idle_and_absolute_limits(secure: World) -> None:
    idle = sessions.start(secure.svc, "wo", PASSWORD)
    for _ in range(3):  # each use moves the idle limit on
        secure.clock.now += timedelta(minutes=29)
        sessions.resume(secure.svc, idle.token)
    secure.clock.now += timedelta(minutes=30)
    with pytest.raises(SessionExpired, match="idle longer than session_idle_minutes"):
        sessions.resume(secure.svc, idle.token)

    lasting = sessions.start(secure.svc, "wo", PASSWORD)
    held = sessions.resume(secure.svc, lasting.token)
    while secure.clock.now + timedelta(minutes=20) < lasting.expires_at:
        secure.clock.now += timedelta(minutes=20)
        sessions.resume(secure.svc, lasting.token)
    secure.clock.now = lasting.expires_at
    with pytest.raises(SessionExpired, match="older than session_max_hours"):
        sessions.resume(secure.svc, lasting.token)
    with pytest.raises(SessionExpired, match="older than"):
        casework.list_cases(secure.svc, held)
    reasons = [e["details"]["reason"] for e in audit_rows(secure, "session.resume")]
    assert [r.split(" (")[0] for r in reasons] == [
        "idle longer than session_idle_minutes",
        "older than session_max_hours",
    ]


def test_an_administrator_revokes_every_session_of_a_user(secure: World) -> None:
    first = sessions.start(secure.svc, "wo", PASSWORD)
    second = sessions.start(secure.svc, "wo", PASSWORD)
    held = sessions.resume(secure.svc, first.token)
    with pytest.raises(Forbidden, match=r"may not session\.revoke"):
        sessions.revoke(secure.svc, held, "wo")
    assert sessions.revoke(secure.svc, secure.as_("admin"), "wo") == 2
    for issued in (first, second):
        with pytest.raises(SessionExpired, match="revoked"):
            sessions.resume(secure.svc, issued.token)
    with pytest.raises(SessionExpired, match="revoked"):
        casework.list_cases(secure.svc, held)
    revocations = audit_rows(secure, "session.revoke")
    assert [(e["outcome"], e["actor"]) for e in revocations] == [
        ("denied", "wo"),
        ("allowed", "admin"),
    ]
    assert revocations[1]["details"] == {"sessions": 2}
    assert sessions.revoke(secure.svc, secure.as_("admin"), "wo") == 0


def test_a_first_password_must_be_changed_before_anything_else(secure: World) -> None:
    first = admin.add_user(secure.svc, secure.as_("admin"), admin.NewUser("new", "auditor", None))
    assert first is not None
    session = sessions.start(secure.svc, "new", first).session
    with pytest.raises(Forbidden, match="must change the first password") as refused:
        admin.list_users(secure.svc, session)
    assert refused.value.hint == "change it first: `custodio password`"
    [denied] = [e for e in audit_rows(secure, "user.list") if e["actor"] == "new"]
    assert denied["outcome"] == "denied"
    admin.change_password(secure.svc, session, first, "a-password-of-my-own")
    assert {u["name"] for u in admin.list_users(secure.svc, session)} >= {"new", "wo"}


def test_content_roles_need_the_second_factor(secure: World) -> None:
    password_only = sessions.start(secure.svc, "inv1", PASSWORD).session
    with pytest.raises(Forbidden, match="needs a second factor") as refused:
        casework.show_case(secure.svc, password_only, CASE)
    assert refused.value.hint == "enrol a second factor: `custodio totp enrol`"
    secret = second_factor.enrol(secure.svc, password_only).secret  # allowed without it
    with pytest.raises(InvalidInput, match="does not match"):
        second_factor.confirm(secure.svc, password_only, wrong_code(secret, secure.clock.now))
    second_factor.confirm(secure.svc, password_only, totp.code_at(secret, secure.clock.now))
    with pytest.raises(Forbidden, match="needs a second factor") as refused:
        casework.show_case(secure.svc, password_only, CASE)
    assert refused.value.hint == "log in with your one-time code: `custodio login`"
    with pytest.raises(OneTimeCodeNeeded):
        sessions.start(secure.svc, "inv1", PASSWORD)
    next_step(secure)
    issued = sessions.start(secure.svc, "inv1", PASSWORD, totp.code_at(secret, secure.clock.now))
    assert casework.show_case(secure.svc, issued.session, CASE)
    # a password-per-command login never counts as the second factor
    later = totp.code_at(secret, secure.clock.now + timedelta(seconds=totp.STEP_SECONDS))
    plain = secure.svc.login("inv1", PASSWORD, later)
    with pytest.raises(Forbidden, match="needs a second factor"):
        casework.show_case(secure.svc, plain, CASE)
    steps = [e["details"] for e in audit_rows(secure, "totp.enrol")]
    assert [(d["step"], "reason" in d) for d in steps] == [
        ("new secret", False),
        ("confirmed", True),  # the wrong first code: denied, nothing changed
        ("confirmed", False),
    ]
    assert secret not in everything_stored(secure)


def test_a_code_is_accepted_once_and_wrong_codes_lock_the_account(secure: World) -> None:
    secret = enrol(secure, "inv1")
    used = totp.code_at(secret, secure.clock.now)  # the confirming code
    with pytest.raises(AuthenticationFailed, match="used already"):
        sessions.start(secure.svc, "inv1", PASSWORD, used)
    next_step(secure)
    fresh = totp.code_at(secret, secure.clock.now)
    sessions.start(secure.svc, "inv1", PASSWORD, fresh)
    for replay in (fresh, used):  # the same step, and an earlier one still in the window
        with pytest.raises(AuthenticationFailed, match="used already"):
            sessions.start(secure.svc, "inv1", PASSWORD, replay)
    wrong = wrong_code(secret, secure.clock.now)
    for _ in range(2):  # with the two replays: 4 failures in a row
        with pytest.raises(AuthenticationFailed, match="wrong one-time code"):
            sessions.start(secure.svc, "inv1", PASSWORD, wrong)
    assert secure.svc.config.settings.login_max_failures == 5
    with pytest.raises(AccountLocked, match="now locked"):
        sessions.start(secure.svc, "inv1", PASSWORD, wrong)
    reasons = [e["details"]["reason"] for e in audit_rows(secure, "user.login")[-5:]]
    assert reasons[:2] == ["this one-time code was used already — wait for the next code"] * 2
    assert "wrong one-time code" in reasons and "now locked" in reasons[-1]


def test_an_unknown_user_costs_and_reads_like_a_wrong_password(secure: World) -> None:
    def failure(name: str) -> tuple[float, str]:
        started = time.perf_counter()
        with pytest.raises(AuthenticationFailed) as failed:
            sessions.start(secure.svc, name, "not-the-password")
        assert type(failed.value) is AuthenticationFailed
        return time.perf_counter() - started, str(failed.value)

    failure("nobody")  # the dummy hash is made once, at the first unknown user
    tries = [(failure("nobody"), failure("wo")) for _ in range(4)]  # 4 < the lock-out's 5
    unknown = statistics.median(t for (t, _), _ in tries)
    wrong = statistics.median(t for _, (t, _) in tries)
    assert {text for pair in tries for _, text in pair} == {"unknown user or wrong password"}
    print(f"median failed login: unknown user {unknown * 1000:.0f} ms, wrong password "
          f"{wrong * 1000:.0f} ms")  # fmt: skip
    assert 1 / 3 < unknown / wrong < 3


def test_over_long_inputs_are_refused_before_any_work(
    secure: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_hashing(*args: object) -> bool:
        raise AssertionError("argon2id ran")

    monkeypatch.setattr(passwords, "verify_password", no_hashing)
    entries = secure.count("audit_entries")
    bad: list[tuple[str, str, str | None]] = [
        ("x" * 65, PASSWORD, None),
        ("wo", "p" * 1025, None),
        ("wo", PASSWORD, "12345"),
        ("wo", PASSWORD, "1234567"),
        ("wo", PASSWORD, "12345a"),
        ("wo", PASSWORD, "١٢٣٤٥٦"),  # digits, but not ASCII ones
        ("", PASSWORD, None),
    ]
    for name, password, otp in bad:
        with pytest.raises(InvalidInput):
            sessions.start(secure.svc, name, password, otp)
    for token in ("", "x" * 42, "x" * 44, "x" * 42 + "=", "x" * 42 + "é"):
        with pytest.raises(InvalidInput, match="not a session token"):
            sessions.resume(secure.svc, token)
    with pytest.raises(InvalidInput, match="client label"):
        sessions.start(secure.svc, "wo", PASSWORD, client="c" * 65)
    assert secure.count("audit_entries") == entries


# -- the command line ------------------------------------------------------------------------


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = 0
    try:
        main(args)
    except SystemExit as e:
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def service(secure: World, tmp_path: Path) -> Iterator[ServedCli]:
    """`custodio serve` on the secure data directory, as a process of its own."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODIO_")}
    env = {**base, "CUSTODIO_DATA": str(secure.data_dir), "CUSTODIO_VAULT_PASSPHRASE": PASSPHRASE}
    with serving(env, tmp_path / "serve.log") as served:
        yield served


@pytest.fixture
def cli(
    service: ServedCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[dict[str, str]], None]:
    """The environment of a user at a terminal: the service's URL, XDG_CONFIG_HOME in
    tmp_path; ``cli(values)`` sets CUSTODIO_* values (an empty one is removed)."""
    for name in [k for k in os.environ if k.startswith("CUSTODIO_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CUSTODIO_SERVER", service.server)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))

    def setenv(values: dict[str, str]) -> None:
        for name, value in values.items():
            if value:
                monkeypatch.setenv(name, value)
            else:
                monkeypatch.delenv(name, raising=False)

    return setenv


def test_login_once_then_commands_without_a_password(
    secure: World,
    service: ServedCli,
    cli: Callable[[dict[str, str]], None],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    printed = []
    cli({"CUSTODIO_PASSWORD": PASSWORD})
    code, out, err = run(["--user", "wo", "login"], capsys)
    assert code == 0 and "logged in as wo until " in out, err
    token_file = session_file.path_for(service.server)
    assert token_file.parent == tmp_path / "config" / "custodio"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(token_file.parent.stat().st_mode) == 0o700
    token = json.loads(token_file.read_text())["token"]
    cli({"CUSTODIO_PASSWORD": ""})  # no password from here on
    code, out, err = run(["case", "list", "--json"], capsys)
    assert code == 0 and [c["reference"] for c in json.loads(out)] == [CASE], err
    printed.append(out + err)
    code, out, err = run(["--user", "wo", "case", "list"], capsys)  # --user naming him: his
    assert code == 0, err
    code, out, err = run(["logout"], capsys)
    assert (code, out.strip()) == (0, "logged out") and not token_file.exists()
    code, out, err = run(["case", "list"], capsys)
    assert code == 2 and "log in with `custodio login`" in err
    printed.append(out + err)
    assert token not in "".join(printed) + caplog.text + everything_stored(secure)
    assert token not in service.log.read_text() + service.printed()


def test_the_investigators_second_factor_from_the_command_line(
    service: ServedCli,
    cli: Callable[[dict[str, str]], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli({"CUSTODIO_PASSWORD": PASSWORD})
    code, out, err = run(["--user", "inv1", "case", "list"], capsys)
    assert code == 5 and "enrol a second factor: `custodio totp enrol`" in err
    code, out, err = run(["--user", "inv1", "totp", "enrol"], capsys)
    assert code == 0, err
    found = re.search(r"secret \(shown once\): (\w+)", out)
    assert found is not None
    secret = found[1]
    assert f"otpauth://totp/Custodio:inv1?secret={secret}&issuer=Custodio" in out
    app = pyotp.TOTP(secret)
    now = datetime.now().timestamp()
    cli({"CUSTODIO_OTP": app.at(now)})
    code, out, err = run(["--user", "inv1", "totp", "confirm"], capsys)
    assert code == 0 and "second factor enrolled" in out, err
    cli({"CUSTODIO_OTP": app.at(now + totp.STEP_SECONDS)})  # the next code: a fresh step
    code, out, err = run(["--user", "inv1", "login"], capsys)
    assert code == 0, err
    cli({"CUSTODIO_PASSWORD": "", "CUSTODIO_OTP": ""})
    code, out, err = run(["case", "show", CASE], capsys)
    assert code == 0 and "Niebla" in out, err
    cli({"CUSTODIO_PASSWORD": PASSWORD})  # --user naming someone else: he logs in himself
    code, out, err = run(["--user", "admin", "session", "revoke", "inv1"], capsys)
    assert code == 0 and "1 session(s) of 'inv1' ended" in out, err
    cli({"CUSTODIO_PASSWORD": ""})
    code, out, err = run(["case", "show", CASE], capsys)
    assert code == 4 and "log in again: `custodio login`" in err
    assert not session_file.path_for(service.server).exists()  # a dead token is forgotten


def test_a_token_file_others_can_read_is_not_used(
    service: ServedCli,
    cli: Callable[[dict[str, str]], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    cli({"CUSTODIO_PASSWORD": PASSWORD})
    assert run(["--user", "wo", "login"], capsys)[0] == 0
    token_file = session_file.path_for(service.server)
    token_file.chmod(0o644)
    cli({"CUSTODIO_PASSWORD": ""})
    code, _, err = run(["case", "list"], capsys)
    assert code == 3 and "readable by others (-rw-r--r--): not used" in err
