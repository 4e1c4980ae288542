"""Quarantine (warrant officers and judges, four eyes), classification jobs
(administrators), the audit log (auditors) through the API; each refusal audited."""

from __future__ import annotations

from typing import Any

from tests.integration.api.conftest import Served, error
from tests.integration.assemble.conftest import add_warrant
from tests.integration.conftest import CASE

UNKNOWN = "ES-LIID-0001"  # the simulator's second LIID: nobody bound it


def held(served: Served) -> dict[str, Any]:
    served.line.deliver(profile="mobile", calls=2, targets=2, duration=0.4)
    served.line.assemble()
    items = served.client("wo").get("/quarantine").json()
    (item,) = [i for i in items if i["reason"] == "unknown-liid"]
    return dict(item)


def test_quarantine_release_by_four_eyes(served: Served) -> None:
    item = held(served)
    wo, judge, inv1 = served.client("wo"), served.client("judge"), served.client("inv1")
    base = f"/quarantine/{item['id']}"
    before = served.last_seq()
    shown = wo.get(base).json()
    assert (shown["id"], shown["liid"], shown["reason"]) == (item["id"], UNKNOWN, "unknown-liid")
    assert judge.get(base).status_code == 200
    error(inv1.get("/quarantine"), 403, "forbidden", "may not quarantine.list")
    error(inv1.get(base), 403, "forbidden", "may not quarantine.show")
    error(judge.post(f"{base}/approve"), 409, "conflict", "nobody asked")
    error(wo.post(f"{base}/release", json={"order": ""}), 422, "invalid_request", "order")
    error(judge.post(f"{base}/release", json={"order": "AUTO 50"}), 403, "forbidden")
    assert wo.post(f"{base}/release", json={"order": "AUTO 50/2026 of JI nº 3"}).json() == {
        "ok": True}  # fmt: skip
    error(wo.post(f"{base}/approve"), 403, "forbidden", "may not quarantine.approve")
    error(judge.post(f"{base}/approve"), 409, "conflict", "no warrant of your agency")
    add_warrant(served.line, "AUTO 50/2026", UNKNOWN)
    released = judge.post(f"{base}/approve").json()
    assert released["released"] and released["communication"] == item["communication_id"]
    assert released["derived"] == ["audio", "audio"]
    error(judge.post(f"{base}/destroy", json={"order": "AUTO 51"}), 409, "conflict", "released")
    seen = [(e["action"], e["actor"], e["outcome"]) for e in served.entries(after=before)
            if e["action"].startswith("quarantine.")]  # fmt: skip
    assert seen == [
        ("quarantine.show", "wo", "allowed"),
        ("quarantine.show", "judge", "allowed"),
        ("quarantine.list", "inv1", "denied"),
        ("quarantine.show", "inv1", "denied"),
        ("quarantine.release", "judge", "denied"),
        ("quarantine.release", "wo", "allowed"),
        ("quarantine.approve", "wo", "denied"),
        ("quarantine.approve", "judge", "allowed"),
    ]


def test_a_judge_destroys_a_held_item(served: Served) -> None:
    item = held(served)
    base = f"/quarantine/{item['id']}"
    wo, judge = served.client("wo"), served.client("judge")
    shown = wo.get(base).json()
    error(wo.post(f"{base}/destroy", json={"order": "AUTO 9"}), 403, "forbidden")
    done = judge.post(f"{base}/destroy", json={"order": "AUTO 52/2026: destroy"}).json()
    assert done["destroyed"] and done["object_deleted"] and done["sha256"] == shown["sha256"]
    error(judge.post(f"{base}/destroy", json={"order": "again"}), 409, "conflict", "destroyed")
    refused, entry = [e for e in served.entries() if e["action"] == "quarantine.destroy"]
    assert (refused["actor"], refused["outcome"]) == ("wo", "denied")
    assert (entry["actor"], entry["outcome"]) == ("judge", "allowed")
    assert entry["details"]["order"] == "AUTO 52/2026: destroy"


def test_jobs_for_administrators(served: Served) -> None:
    served.line.deliver(profile="voip", calls=1, duration=0.4)
    served.line.assemble()
    admin, wo, inv1 = served.client("admin"), served.client("wo"), served.client("inv1")
    before = served.last_seq()
    (job,) = admin.get("/jobs").json()
    assert (job["kind"], job["state"]) == ("classify", "queued")
    assert wo.get("/jobs", params={"state": "queued"}).json() == [job]
    assert admin.get("/jobs", params={"state": "failed"}).json() == []
    error(inv1.get("/jobs"), 403, "forbidden", "may not jobs.list")
    assert admin.post("/jobs/retry", json={}).json() == {"jobs": []}
    error(admin.post("/jobs/retry", json={"ids": [job["id"]]}), 409, "conflict", "not failed")
    error(wo.post("/jobs/retry", json={}), 403, "forbidden", "may not jobs.retry")
    error(admin.post("/jobs/retry", json={"ids": "all"}), 422, "invalid_request", "ids")
    seen = [(e["action"], e["actor"], e["outcome"]) for e in served.entries(after=before)
            if e["action"] != "user.login"]  # fmt: skip
    assert seen == [
        ("jobs.list", "admin", "allowed"),
        ("jobs.list", "wo", "allowed"),
        ("jobs.list", "admin", "allowed"),
        ("jobs.list", "inv1", "denied"),
        ("jobs.retry", "admin", "allowed"),
        ("jobs.retry", "wo", "denied"),
    ]


def test_the_audit_log_for_auditors(served: Served) -> None:
    aud, inv1 = served.client("aud"), served.client("inv1")
    inv1.get("/cases")
    entries = aud.get("/audit/entries").json()
    assert entries and [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    assert ("case.list", "inv1") in {(e["action"], e["actor"]) for e in entries}
    of_case = aud.get("/audit/entries", params={"case": CASE}).json()
    assert of_case and all(e["case_id"] == of_case[0]["case_id"] for e in of_case)
    assert len(aud.get("/audit/entries", params={"limit": 3}).json()) == 3
    error(aud.get("/audit/entries", params={"limit": 0}), 422, "invalid_request", "limit")
    error(inv1.get("/audit/entries"), 403, "forbidden", "may not audit.read")
    verified = aud.post("/audit/verify", params={"full": "true"}).json()
    assert verified["entries"] >= len(entries) and verified["first_checked"] == 1
    assert served.client("admin").post("/audit/verify").status_code == 200
    error(inv1.post("/audit/verify"), 403, "forbidden", "may not audit.verify")
    last = [(e["action"], e["actor"], e["outcome"]) for e in served.entries()
            if e["action"].startswith("audit.")]  # fmt: skip
    assert last == [
        ("audit.read", "aud", "allowed"),
        ("audit.read", "aud", "allowed"),
        ("audit.read", "aud", "allowed"),
        ("audit.read", "inv1", "denied"),
        ("audit.verify", "aud", "allowed"),
        ("audit.verified", "system", "allowed"),
        ("audit.verify", "admin", "allowed"),
        ("audit.verified", "system", "allowed"),
        ("audit.verify", "inv1", "denied"),
    ]
