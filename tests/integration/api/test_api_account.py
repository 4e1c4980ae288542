"""One's own account and an administrator's users through the API: a user made with a
first password can do nothing but change it; a second factor enrolled and then required;
sessions revoked by an administrator; each step audited."""

from __future__ import annotations

from datetime import timedelta

import pyotp

from tests.integration.api.conftest import Served, error
from tests.integration.conftest import PASSWORD

NEW_PASSWORD = "another-correct-horse-battery"


def test_a_first_password_must_be_changed_first(served: Served) -> None:
    admin = served.client("admin")
    made = admin.post("/users", json={"name": "inv9", "role": "investigator", "unit": "UDYCO"})
    assert made.status_code == 201, made.text
    first = made.json()["first_password"]
    assert first
    assert "inv9" in [u["name"] for u in admin.get("/users").json()]
    error(served.client("inv1").get("/users"), 403, "forbidden", "may not user.list")
    error(admin.post("/users", json={"name": "x", "role": "king"}), 422, "invalid_request")
    token = served.login("inv9", first)["token"]
    inv9 = served.anonymous(Authorization=f"Bearer {token}")
    error(inv9.get("/cases"), 403, "forbidden", "must change the first password")
    error(inv9.post("/me/password", json={"old": "wrong", "new": NEW_PASSWORD}), 401,
          "authentication_failed")  # fmt: skip
    changed = inv9.post("/me/password", json={"old": first, "new": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    assert inv9.get("/cases").status_code == 200
    assert served.login("inv9", NEW_PASSWORD)["user"]["name"] == "inv9"


def test_a_second_factor_enrolled_then_required(served: Served) -> None:
    clock = served.line.world.clock
    inv1 = served.client("inv1")
    enrolment = inv1.post("/me/totp").json()
    assert enrolment["uri"].startswith("otpauth://totp/")
    error(inv1.post("/me/totp/confirm", json={"code": "000000"}), 400, "invalid_input",
          "does not match")  # fmt: skip
    code = pyotp.TOTP(enrolment["secret"]).at(clock.now)
    assert inv1.post("/me/totp/confirm", json={"code": code}).status_code == 200
    plain = served.anonymous().post("/session", json={"name": "inv1", "password": PASSWORD})
    error(plain, 401, "one_time_code_needed", "needs a one-time code")
    clock.now += timedelta(seconds=30)
    later = pyotp.TOTP(enrolment["secret"]).at(clock.now)
    with_code = served.anonymous().post(
        "/session", json={"name": "inv1", "password": PASSWORD, "otp": later}
    )
    assert with_code.status_code == 201, with_code.text


def test_an_administrator_revokes_sessions_and_disables_a_user(served: Served) -> None:
    admin, inv1 = served.client("admin"), served.client("inv1")
    before = served.last_seq()
    assert inv1.get("/me").status_code == 200
    assert admin.delete("/users/inv1/sessions").json() == {"sessions": 1}
    error(inv1.get("/me"), 401, "session_expired")
    error(served.client("wo").delete("/users/inv1/sessions"), 403, "forbidden")
    assert admin.post("/users/inv2/disable", json={}).status_code == 200
    refused = served.anonymous().post("/session", json={"name": "inv2", "password": PASSWORD})
    error(refused, 401, "authentication_failed", "disabled")
    assert admin.post("/users/inv2/disable", json={"disabled": False}).status_code == 200
    assert served.login("inv2")["user"]["name"] == "inv2"
    assert admin.post("/users/inv2/unlock").status_code == 200
    assert admin.post("/units", json={"name": "UCO"}).status_code == 201
    error(admin.post("/units", json={"name": "UCO"}), 409, "conflict")
    watched = ("session.revoke", "user.disable", "user.unlock", "unit.create")
    actions = [(e["action"], e["actor"], e["outcome"]) for e in served.entries(after=before)
               if e["action"] in watched]  # fmt: skip
    assert actions == [
        ("session.revoke", "admin", "allowed"),
        ("session.revoke", "wo", "denied"),
        ("user.disable", "admin", "allowed"),
        ("user.disable", "admin", "allowed"),
        ("user.unlock", "admin", "allowed"),
        ("unit.create", "admin", "allowed"),
    ]
