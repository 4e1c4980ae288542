"""An administrator resets a user's lost second factor through the API (and `custodio user
reset-totp`); a password change ends the user's other sessions, disabling all of them;
each refusal audited."""

from __future__ import annotations

from datetime import timedelta

import pyotp

from tests.integration.api.conftest import Served, error
from tests.integration.cli_in_process import (  # noqa: F401 (fixtures, by name)
    Custodio,
    custodio,
    environment,
    service_url,
)
from tests.integration.conftest import PASSWORD

NEW_PASSWORD = "another-correct-horse-battery"


def enrolled(served: Served, user: str) -> pyotp.TOTP:
    """``user`` with a confirmed second factor: his authenticator app."""
    client = served.client(user)
    app = pyotp.TOTP(client.post("/me/totp").json()["secret"])
    confirmed = client.post("/me/totp/confirm", json={"code": app.at(served.line.world.clock.now)})
    assert confirmed.status_code == 200, confirmed.text
    return app


def login_with_code(served: Served, user: str, app: pyotp.TOTP) -> str:
    clock = served.line.world.clock
    clock.now += timedelta(seconds=30)
    body = {"name": user, "password": PASSWORD, "otp": app.at(clock.now)}
    reply = served.anonymous().post("/session", json=body)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["token"])


def test_an_administrator_resets_a_lost_second_factor(served: Served) -> None:
    app = enrolled(served, "inv1")
    inv1 = served.anonymous(Authorization=f"Bearer {login_with_code(served, 'inv1', app)}")
    admin = served.client("admin")
    before = served.last_seq()
    error(admin.post("/users/admin/totp/reset"), 403, "forbidden", "cannot reset his own")
    error(served.client("wo").post("/users/inv1/totp/reset"), 403, "forbidden",
          "may not totp.reset")  # fmt: skip
    error(admin.post("/users/nobody/totp/reset"), 404, "not_found")
    reset = admin.post("/users/inv1/totp/reset")
    assert reset.status_code == 200, reset.text
    # the session he enrolled in and the one opened with a code
    assert reset.json() == {"had_second_factor": True, "sessions_ended": 2}
    error(inv1.get("/me"), 401, "session_expired")
    assert served.login("inv1")["user"]["name"] == "inv1"  # no code asked any more
    again = admin.post("/users/inv1/totp/reset").json()
    assert again == {"had_second_factor": False, "sessions_ended": 1}
    resets = [(e["actor"], e["target"], e["outcome"], e["details"].get("sessions_ended"))
              for e in served.entries(after=before) if e["action"] == "totp.reset"]  # fmt: skip
    assert resets == [
        ("admin", "user:admin", "denied", None),
        ("wo", "user:inv1", "denied", None),
        ("admin", "user:inv1", "allowed", 2),
        ("admin", "user:inv1", "allowed", 1),
    ]


def test_a_password_change_ends_the_other_sessions_and_disabling_all(served: Served) -> None:
    here, other = served.client("inv2"), served.client("inv2")
    changed = here.post("/me/password", json={"old": PASSWORD, "new": NEW_PASSWORD})
    assert changed.status_code == 200, changed.text
    assert here.get("/me").status_code == 200
    error(other.get("/me"), 401, "session_expired")
    held = served.client("wo")
    assert served.client("admin").post("/users/wo/disable", json={}).status_code == 200
    error(held.get("/me"), 401, "session_expired")
    details = [(e["action"], e["details"]) for e in served.entries()
               if e["action"] in ("password.change", "user.disable")]  # fmt: skip
    assert details == [
        ("password.change", {"sessions_ended": 1}),
        ("user.disable", {"disabled": True, "sessions_ended": 1}),
    ]


def test_custodio_user_reset_totp(served: Served, custodio: Custodio) -> None:  # noqa: F811
    enrolled(served, "inv1")
    done = custodio("admin", "user", "reset-totp", "inv1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "user 'inv1': second factor reset; 1 session(s) ended"
    done = custodio("admin", "user", "reset-totp", "inv1")
    assert done.stdout.strip() == "user 'inv1': no second factor to reset; 0 session(s) ended"
    done = custodio("admin", "user", "reset-totp", "admin")
    assert done.returncode == 5 and "cannot reset his own second factor" in done.stderr
