"""``GET /api/v1/search``: hits in what the caller may read, with a purpose, audited with
what was looked for."""

from __future__ import annotations

from tests.integration.api.conftest import Served, error
from tests.integration.conftest import CASE


def test_search_finds_an_sms_for_its_investigator_only(served: Served) -> None:
    line = served.line
    line.deliver(calls=0, sms=1, sms_texts=("Mañana a las 9 en el garaje de la calle Sevilla.",))
    line.assemble()
    (row,) = line.rows("SELECT id FROM communications WHERE kind = 'sms'")
    inv1, inv2 = served.client("inv1"), served.client("inv2")
    before = served.last_seq()
    (hit,) = inv1.get("/search", params={"q": "garaje", "purpose": "diligencias"}).json()
    assert (hit["case"], hit["communication_id"], hit["kind"]) == (CASE, row["id"], "sms")
    assert "«garaje»" in hit["snippet"]
    one = inv1.get("/search", params={"q": "garaje", "case": CASE, "purpose": "d"}).json()
    assert [h["communication_id"] for h in one] == [row["id"]]
    assert inv1.get("/search", params={"q": "tomate", "purpose": "d"}).json() == []
    error(inv1.get("/search", params={"q": "garaje"}), 403, "forbidden", "needs a purpose")
    error(inv2.get("/search", params={"q": "garaje", "purpose": "d"}), 403, "forbidden",
          "may search no case")  # fmt: skip
    error(inv1.get("/search", params={"q": "x" * 201, "purpose": "d"}), 422, "invalid_request")
    error(inv1.get("/search", params={"q": "--", "purpose": "d"}), 400, "invalid_input")
    seen = [(e["action"], e["actor"], e["outcome"], e["details"].get("query"))
            for e in served.entries(after=before) if e["action"] == "search"]  # fmt: skip
    assert seen == [
        ("search", "inv1", "allowed", "garaje"),
        ("search", "inv1", "allowed", "garaje"),
        ("search", "inv1", "allowed", "tomate"),
        ("search", "inv1", "denied", None),  # the service records the query when it runs
        ("search", "inv2", "denied", None),
    ]
