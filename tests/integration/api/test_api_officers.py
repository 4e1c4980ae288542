"""The warrant officer's work through the API: a case opened, assigned, its warrant
registered, extended, bound to another LIID and revoked; the protected list. Others are
refused; each step audited."""

from __future__ import annotations

from urllib.parse import quote

from tests.integration.api.conftest import Served, error

NEW = "DP 200/2026"
BASE = f"/cases/{quote(NEW)}"
WARRANT = {"reference": "AUTO 60/2026", "court": "JI nº 5 Madrid", "judge": "Luis Gil",
           "valid_from": "2026-11-01", "valid_until": "2026-12-31",
           "scope": ["content", "traffic"], "targets": ["e164:+34600222333"],
           "liid": "ES-LIID-0200", "operator": "OPERADOR-ES"}  # fmt: skip


def test_cases_assignments_and_warrants(served: Served) -> None:
    wo, inv1, inv2 = served.client("wo"), served.client("inv1"), served.client("inv2")
    before = served.last_seq()
    case = {"reference": NEW, "court": "JI nº 5 Madrid", "title": "Operación Brisa",
            "unit": "UDYCO"}  # fmt: skip
    assert wo.post("/cases", json=case).status_code == 201
    error(wo.post("/cases", json=case), 409, "conflict", "already exists")
    error(inv1.post("/cases", json={**case, "reference": "DP 201/2026"}), 403, "forbidden")
    assert wo.post(f"{BASE}/assignments", json={"user": "inv2", "until": "2027-06-30"}
                   ).status_code == 201  # fmt: skip
    assert [c["reference"] for c in inv2.get("/cases").json()] == [NEW]
    assert wo.post(f"{BASE}/warrants", json=WARRANT).status_code == 201
    error(wo.post(f"{BASE}/warrants", json={**WARRANT, "reference": "X", "liid": None}), 400,
          "invalid_input", "go together")  # fmt: skip
    error(wo.post(f"{BASE}/warrants", json={**WARRANT, "reference": "Y", "scope": ["mind"]}),
          400, "invalid_input", "scope")  # fmt: skip
    extended = wo.post(f"{BASE}/warrants/extend", json={
        "warrant": "AUTO 60/2026", "order_reference": "AUTO 61/2026", "judge": "Luis Gil",
        "valid_until": "2027-01-31"})  # fmt: skip
    assert extended.status_code == 200, extended.text
    bind = {"warrant": "AUTO 60/2026", "liid": "ES-LIID-0201", "operator": "OTRO"}
    bound = wo.post(f"{BASE}/warrants/bind", json=bind)
    assert bound.status_code == 200, bound.text
    (warrant,) = inv2.get(f"{BASE}/warrants").json()
    assert warrant["valid_until"].startswith("2027-01-31")
    assert {li["liid"] for li in warrant["liids"]} == {"ES-LIID-0200", "ES-LIID-0201"}
    error(inv2.post(f"{BASE}/warrants/revoke", json={"warrant": "AUTO 60/2026", "reason": "x"}),
          403, "forbidden")  # fmt: skip
    revoked = wo.post(f"{BASE}/warrants/revoke",
                      json={"warrant": "AUTO 60/2026", "reason": "auto de 30/11"})  # fmt: skip
    assert revoked.status_code == 200
    assert inv2.get(f"{BASE}/warrants").json()[0]["status"] == "revoked"
    assert wo.delete(f"{BASE}/assignments/inv2").status_code == 204
    assert inv2.get("/cases").json() == []
    error(wo.delete(f"{BASE}/assignments/inv2"), 404, "not_found", "not assigned")
    assert wo.post(f"{BASE}/close").status_code == 200
    assert wo.get(BASE).json()["status"] == "closed"
    reads = ("user.login", "case.list", "case.view", "warrant.view")
    seen = [(e["action"], e["actor"], e["outcome"]) for e in served.entries(after=before)
            if e["action"] not in reads]  # fmt: skip
    assert seen == [
        ("case.create", "wo", "allowed"),
        ("case.create", "inv1", "denied"),
        ("case.assign", "wo", "allowed"),
        ("warrant.create", "wo", "allowed"),
        ("warrant.extend", "wo", "allowed"),
        ("warrant.create", "wo", "allowed"),  # the LIID bound
        ("warrant.revoke", "inv2", "denied"),
        ("warrant.revoke", "wo", "allowed"),
        ("case.assign", "wo", "allowed"),
        ("case.close", "wo", "allowed"),
    ]


def test_the_protected_list(served: Served) -> None:
    wo, judge, inv1 = served.client("wo"), served.client("judge"), served.client("inv1")
    added = wo.post("/protected", json={"number": "600 777 888", "reason": "letrado"})
    assert added.status_code == 201 and added.json() == {"number": "+34600777888"}
    assert [p["number"] for p in judge.get("/protected").json()] == ["+34600777888"]
    error(inv1.get("/protected"), 403, "forbidden", "may not protected.list")
    error(wo.post("/protected/remove", json={"number": "+34600777888", "reason": "x"}), 403,
          "forbidden", "may not protected.remove")  # fmt: skip
    removed = judge.post("/protected/remove", json={"number": "+34600777888", "reason": "fin"})
    assert removed.json() == {"number": "+34600777888"}
    assert wo.get("/protected").json() == []
    actions = [(e["action"], e["actor"], e["outcome"]) for e in served.entries()
               if e["action"].startswith("protected.")]  # fmt: skip
    assert actions == [
        ("protected.add", "wo", "allowed"),
        ("protected.list", "judge", "allowed"),
        ("protected.list", "inv1", "denied"),
        ("protected.remove", "wo", "denied"),
        ("protected.remove", "judge", "allowed"),
        ("protected.list", "wo", "allowed"),
    ]
