"""Logging in and out through the API; the bearer token on every other route; the one
error shape for every refusal (FastAPI's own validation included)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from tests.integration.api.conftest import Served, error


def test_login_me_and_logout_are_audited(served: Served) -> None:
    before = served.last_seq()
    issued = served.login("inv1")
    assert issued["token_type"] == "bearer" and len(issued["token"]) >= 32
    assert issued["user"]["name"] == "inv1"
    assert datetime.fromisoformat(issued["expires_at"]) > served.line.world.clock.now
    client = served.anonymous(Authorization=f"Bearer {issued['token']}")
    me = client.get("/me")
    assert me.status_code == 200 and me.json()["name"] == "inv1"
    assert client.delete("/session").status_code == 204
    error(client.get("/me"), 401, "session_expired", "the session has ended")
    actions = [(e["action"], e["outcome"], e["actor"]) for e in served.entries(after=before)]
    assert actions == [
        ("user.login", "allowed", "inv1"),
        ("user.logout", "allowed", "inv1"),
        ("session.resume", "denied", "inv1"),
    ]


def test_a_wrong_password_is_401_and_audited(served: Served) -> None:
    before = served.last_seq()
    reply = served.anonymous().post("/session", json={"name": "inv1", "password": "wrong"})
    found = error(reply, 401, "authentication_failed", "unknown user or wrong password")
    assert reply.headers["WWW-Authenticate"] == "Bearer"
    assert "password" not in (found["hint"] or "")
    unknown = served.anonymous().post("/session", json={"name": "nobody", "password": "x"})
    error(unknown, 401, "authentication_failed", "unknown user or wrong password")
    (first, second) = served.entries(after=before)
    assert (first["action"], first["outcome"], first["actor"]) == ("user.login", "denied", "inv1")
    assert (second["action"], second["actor"]) == ("user.login", "nobody")


def test_no_token_or_a_bad_one_is_401(served: Served) -> None:
    error(served.anonymous().get("/cases"), 401, "authentication_failed", "no session token")
    bad = served.anonymous(Authorization="Bearer " + "A" * 43).get("/cases")
    error(bad, 401, "session_expired", "unknown token")
    junk = served.anonymous(Authorization="Bearer not-a-token").get("/cases")
    error(junk, 401, "authentication_failed", "not a session token")
    basic = served.anonymous(Authorization="Basic aW52MTp4").get("/cases")
    error(basic, 401, "authentication_failed", "no session token")


def test_every_error_has_the_one_shape(served: Served) -> None:
    client = served.client("inv1")
    error(client.get("/no/such/thing"), 404, "not_found", "no such endpoint")
    error(client.delete("/cases"), 405, "method_not_allowed")
    error(served.anonymous().post("/session", json={"name": "inv1"}), 422, "invalid_request",
          "password")  # fmt: skip
    long_name = {"name": "x" * 201, "password": "p"}
    error(served.anonymous().post("/session", json=long_name), 422, "invalid_request", "name")
    error(client.get("/communications/0"), 422, "invalid_request", "comm_id")
    error(client.get("/communications/99999"), 404, "not_found", "no communication 99999")
    error(client.get("/cases/no such case"), 404, "not_found")


def test_a_body_too_large_is_refused_before_it_is_read(served: Served) -> None:
    big = {"name": "inv1", "password": "p" * (70 * 1024)}
    error(served.anonymous().post("/session", json=big), 413, "too_large", "over 65536 octets")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"name": "inv1", "password": "'
        for _ in range(80):
            yield b"p" * 1024
        yield b'"}'

    streamed = served.anonymous().post("/session", content=chunks(),
                                       headers={"Content-Type": "application/json"})  # fmt: skip
    error(streamed, 413, "too_large", "over 65536 octets")
