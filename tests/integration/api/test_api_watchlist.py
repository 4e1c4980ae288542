"""A case's watch-list and tuning through the API: investigators of the case and warrant
officers change them, judges read them, others are refused; each audited."""

from __future__ import annotations

from urllib.parse import quote

from tests.integration.api.conftest import Served, error
from tests.integration.conftest import CASE

BASE = f"/cases/{quote(CASE)}"


def test_watchlist_and_tuning(served: Served) -> None:
    inv1, inv2, wo = served.client("inv1"), served.client("inv2"), served.client("wo")
    before = served.last_seq()
    added = inv1.post(f"{BASE}/watchlist", json={"text": "Sevilla", "kind": "place"})
    assert added.status_code == 201, added.text
    term = added.json()["term"]
    number = wo.post(f"{BASE}/watchlist", json={"text": "+34 600 999 888", "kind": "number"})
    assert number.status_code == 201
    listed = inv1.get(f"{BASE}/watchlist").json()
    assert [(t["text"], t["kind"]) for t in listed] == [("Sevilla", "place"),
                                                        ("+34 600 999 888", "number")]  # fmt: skip
    error(inv1.post(f"{BASE}/watchlist", json={"text": "x", "kind": "number"}), 400,
          "invalid_input", "has no digits")  # fmt: skip
    error(inv1.post(f"{BASE}/watchlist", json={"text": "y", "kind": "colour"}), 422,
          "invalid_request", "kind")  # fmt: skip
    error(inv2.get(f"{BASE}/watchlist"), 403, "forbidden", "not assigned")
    error(inv2.post(f"{BASE}/watchlist", json={"text": "z"}), 403, "forbidden")
    assert inv1.delete(f"{BASE}/watchlist/{term}").status_code == 204
    assert [t["text"] for t in inv1.get(f"{BASE}/watchlist").json()] == ["+34 600 999 888"]
    removed = inv1.get(f"{BASE}/watchlist", params={"removed": "true"}).json()
    assert {t["text"] for t in removed} == {"Sevilla", "+34 600 999 888"}
    error(inv1.delete(f"{BASE}/watchlist/99999"), 404, "not_found")

    tuning = inv1.get(f"{BASE}/tuning").json()
    assert tuning["match_threshold"] == 88 and "watchlist" in tuning["weights"]
    changed = inv1.patch(f"{BASE}/tuning", json={"weights": {"watchlist": 35},
                                                 "alert_threshold": 70})  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["weights"]["watchlist"] == 35
    assert changed.json()["alert_threshold"] == 70
    assert inv1.get(f"{BASE}/tuning").json() == changed.json()
    error(inv1.patch(f"{BASE}/tuning", json={"weights": {"colour": 3}}), 400, "invalid_input",
          "unknown priority factor")  # fmt: skip
    error(inv1.patch(f"{BASE}/tuning", json={"match_threshold": 10}), 422, "invalid_request")
    error(inv2.patch(f"{BASE}/tuning", json={"alert_threshold": 1}), 403, "forbidden")
    error(served.client("aud").get(f"{BASE}/tuning"), 403, "forbidden")

    seen = [(e["action"], e["actor"], e["outcome"]) for e in served.entries(after=before)
            if e["action"] != "user.login"]  # fmt: skip
    assert seen == [
        ("classify.configure", "inv1", "allowed"),
        ("classify.configure", "wo", "allowed"),
        ("watchlist.view", "inv1", "allowed"),
        ("watchlist.view", "inv2", "denied"),
        ("classify.configure", "inv2", "denied"),
        ("classify.configure", "inv1", "allowed"),
        ("watchlist.view", "inv1", "allowed"),
        ("watchlist.view", "inv1", "allowed"),
        ("watchlist.view", "inv1", "allowed"),
        ("classify.configure", "inv1", "allowed"),
        ("watchlist.view", "inv1", "allowed"),
        ("classify.configure", "inv2", "denied"),
        ("watchlist.view", "aud", "denied"),
    ]
