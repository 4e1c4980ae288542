"""Cases, warrants and the communications timeline through the API: what each role sees,
each refusal audited."""

from __future__ import annotations

from urllib.parse import quote

from tests.integration.api.conftest import Served, error
from tests.integration.assemble.conftest import phones
from tests.integration.conftest import CASE

CASE_URL = quote(CASE)  # "DP%20123/2026": the slash stays, the route takes it


def test_cases_and_warrants_by_role(served: Served) -> None:
    inv1, inv2, wo = served.client("inv1"), served.client("inv2"), served.client("wo")
    before = served.last_seq()
    (case,) = inv1.get("/cases").json()
    assert (case["reference"], case["title"], case["unit"]) == (CASE, "Operación Niebla", "UDYCO")
    assert inv2.get("/cases").json() == []  # not assigned: not listed
    shown = inv1.get(f"/cases/{CASE_URL}").json()
    assert [a["name"] for a in shown["assigned"]] == ["inv1"]
    assert [w["reference"] for w in shown["warrants"]] == ["AUTO 45/2026"]
    (warrant,) = inv1.get(f"/cases/{CASE_URL}/warrants").json()
    assert warrant["scope"] == ["content", "traffic"] and warrant["status"] == "active"
    assert wo.get(f"/cases/{CASE_URL}/warrants").status_code == 200
    error(inv2.get(f"/cases/{CASE_URL}"), 403, "forbidden", "not assigned to this case")
    error(inv2.get(f"/cases/{CASE_URL}/warrants"), 403, "forbidden", "not assigned")
    terp = served.client("terp")
    error(terp.get(f"/cases/{CASE_URL}/warrants"), 403, "forbidden", "may not warrant.view")
    aud = served.client("aud")
    error(aud.get("/cases"), 403, "forbidden", "may not case.list")
    error(inv1.get("/cases/DP 999/2026"), 404, "not_found")
    seen = [(e["action"], e["actor"], e["outcome"], e["target"])
            for e in served.entries(after=before) if e["action"] != "user.login"]  # fmt: skip
    assert seen == [
        ("case.list", "inv1", "allowed", "cases"),
        ("case.list", "inv2", "allowed", "cases"),
        ("case.view", "inv1", "allowed", f"case:{CASE}"),
        ("warrant.view", "inv1", "allowed", f"case:{CASE}"),
        ("warrant.view", "wo", "allowed", f"case:{CASE}"),
        ("case.view", "inv2", "denied", f"case:{CASE}"),
        ("warrant.view", "inv2", "denied", f"case:{CASE}"),
        ("warrant.view", "terp", "denied", f"case:{CASE}"),
        ("case.list", "aud", "denied", "cases"),
    ]


def test_the_timeline_and_its_filters(served: Served) -> None:
    line = served.line
    line.deliver(profile="voip", calls=1, duration=0.5, sms=1, sms_texts=("A las 9.",))
    line.assemble()
    inv1 = served.client("inv1")
    url = f"/cases/{CASE_URL}/communications"
    listed = inv1.get(url).json()
    assert sorted(c["kind"] for c in listed) == ["sms", "voice"]
    assert all(not c["sealed"] for c in listed)
    (sms,) = inv1.get(url, params={"kind": "sms"}).json()
    assert sms["kind"] == "sms"
    assert [c["kind"] for c in inv1.get(url, params={"status": "complete", "kind": "voice"}).json()
            ] == ["voice"]  # fmt: skip
    other = phones(0)[1]
    assert [c["kind"] for c in inv1.get(url, params={"party": other}).json()] == ["voice"]
    assert inv1.get(url, params={"from": "2099-01-01"}).json() == []
    assert len(inv1.get(url, params={"to": "2099-01-01T00:00:00Z"}).json()) == 2
    error(inv1.get(url, params={"kind": "fax"}), 400, "invalid_input", "'fax'")
    error(inv1.get(url, params={"from": "yesterday"}), 400, "invalid_input", "not a date")
    error(inv1.get(url, params={"party": "12"}), 400, "invalid_input", "phone number")
    error(inv1.get(url, params={"kind": "x" * 21}), 422, "invalid_request", "kind")
    inv2 = served.client("inv2")
    before = served.last_seq()
    error(inv2.get(url), 403, "forbidden", "not assigned")
    (denied,) = served.entries(after=before)
    assert (denied["action"], denied["actor"], denied["outcome"]) == ("case.view", "inv2",
                                                                      "denied")  # fmt: skip


def test_one_communication_with_parties_and_products(served: Served) -> None:
    line = served.line
    line.deliver(profile="voip", calls=1, duration=0.5)
    line.assemble()
    (row,) = line.rows("SELECT id FROM communications WHERE kind = 'voice'")
    comm = row["id"]
    before = served.last_seq()
    shown = served.client("inv1").get(f"/communications/{comm}").json()
    assert shown["id"] == comm and shown["kind"] == "voice"
    assert {p["e164"] for p in shown["parties"]} == set(phones(0))
    assert {p["e164"] for p in shown["parties"] if p["is_target"]} == {phones(0)[0]}
    assert sorted(p["kind"] for p in shown["products"] if p["kind"] == "audio") == ["audio"] * 2
    error(served.client("inv2").get(f"/communications/{comm}"), 403, "forbidden", "not assigned")
    error(served.client("aud").get(f"/communications/{comm}"), 403, "forbidden")
    seal = served.client("inv1").get(f"/communications/{comm}/seal").json()
    assert seal["ok"] and seal["proven"] in (True, False) and seal["problems"] == []
    assert len(seal["objects"]) == 2 and all(o["ok"] for o in seal["objects"])
    error(served.client("inv2").get(f"/communications/{comm}/seal"), 403, "forbidden")
    reads = [(e["action"], e["actor"], e["outcome"], e["target"])
             for e in served.entries(after=before) if e["action"] == "traffic.read"]  # fmt: skip
    assert reads == [
        ("traffic.read", "inv1", "allowed", f"communication:{comm}"),
        ("traffic.read", "inv2", "denied", f"communication:{comm}"),
        ("traffic.read", "aud", "denied", f"communication:{comm}"),
        ("traffic.read", "inv1", "allowed", f"communication:{comm}"),  # the seal check
        ("traffic.read", "inv2", "denied", f"communication:{comm}"),
    ]
