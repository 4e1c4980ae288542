"""Labels with their provenance, their review, intimate passages, a judge's privilege
decision, alerts and the interpreter queue through the API; each refusal audited."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from custodio.access import casework, classification
from custodio.classify import pipeline
from tests.integration.api.conftest import Served, error
from tests.integration.conftest import CASE


@pytest.mark.slow
def test_labels_review_privilege_and_alerts(served: Served) -> None:
    line, svc = served.line, served.line.world.svc
    classification.watchlist_add(svc, line.world.as_("inv1"), CASE, "garaje", "term")
    line.deliver(calls=0, sms=1, sms_texts=("Hablé con mi abogado: todo está en el garaje.",))
    line.assemble()
    (row,) = line.rows("SELECT id FROM communications WHERE kind = 'sms'")
    comm = int(row["id"])
    pipeline.classify(svc.config, svc.db, line.vault, comm)
    inv1, inv2 = served.client("inv1"), served.client("inv2")
    url = f"/communications/{comm}/labels"
    before = served.last_seq()

    labels = {r["kind"]: r for r in inv1.get(url, params={"purpose": "review"}).json()}
    assert {"watchlist", "privilege", "language", "priority"} <= set(labels)
    assert labels["watchlist"]["source"].startswith("watchlist/")
    only = inv1.get(url, params={"purpose": "review", "kind": "watchlist"}).json()
    assert [r["kind"] for r in only] == ["watchlist"]
    error(inv2.get(url, params={"purpose": "curiosity"}), 403, "forbidden", "not assigned")

    hit = labels["watchlist"]["id"]
    reviewed = inv1.post(f"/labels/{hit}/review",
                         json={"decision": "overruled", "note": "another garage"})  # fmt: skip
    assert reviewed.status_code == 200, reviewed.text
    assert (reviewed.json()["review"], reviewed.json()["reviewed_by"]) == ("overruled", "inv1")
    error(inv2.post(f"/labels/{hit}/review", json={"decision": "confirmed"}), 403, "forbidden")
    error(inv1.post(f"/labels/{hit}/review", json={"decision": "maybe"}), 422, "invalid_request")
    error(inv1.post(f"/labels/{hit}/review", json={"decision": "confirmed", "note": "n" * 2001}),
          422, "invalid_request", "note")  # fmt: skip

    intimate = inv1.post(f"/communications/{comm}/intimate",
                         json={"start_s": 0, "end_s": 1.5, "note": "family"})  # fmt: skip
    assert intimate.status_code == 201 and intimate.json()["label"] > 0
    error(inv1.post(f"/communications/{comm}/intimate", json={"start_s": 2, "end_s": 1}), 400,
          "invalid_input", "before --to")  # fmt: skip
    error(inv2.post(f"/communications/{comm}/intimate", json={"start_s": 0, "end_s": 1}), 403,
          "forbidden")  # fmt: skip

    (alert,) = inv1.get("/alerts").json()
    assert (alert["kind"], alert["communication_id"], alert["case"]) == (
        "alert.watchlist", comm, CASE)  # fmt: skip
    assert "garaje" not in str(alert)
    assert inv1.get("/alerts", params={"case": CASE}).json() == [alert]
    assert inv1.get("/alerts", params={"after": alert["id"]}).json() == []
    error(inv2.get("/alerts", params={"case": CASE}), 403, "forbidden", "not assigned")
    error(served.client("aud").get("/alerts"), 403, "forbidden")

    flag = labels["privilege"]["id"]
    error(inv1.post(f"/privilege/{flag}", json={"decision": "seal"}, params={"purpose": "x"}),
          403, "forbidden", "may not privilege.decide")  # fmt: skip
    casework.assign(svc, line.world.as_("wo"), CASE, "judge", None)
    judge = served.client("judge")
    (flagged,) = judge.get(f"/cases/{quote(CASE)}/privilege").json()
    assert (flagged["label"], flagged["communication"], flagged["rule"]) == (flag, comm, "phrase")
    assert "abogado" not in str(flagged)
    error(judge.post(f"/privilege/{flag}", json={"decision": "seal"}), 403, "forbidden",
          "needs a purpose")  # fmt: skip
    decided = judge.post(f"/privilege/{flag}", json={"decision": "seal"},
                         params={"purpose": "auto de 29/11: su letrado"})  # fmt: skip
    assert decided.status_code == 200, decided.text
    assert decided.json() == {"communication": comm, "decision": "sealed", "labels": [flag]}
    error(inv1.get(url, params={"purpose": "check"}), 403, "forbidden", "sealed")

    seen = [(e["action"], e["actor"], e["outcome"]) for e in served.entries(after=before)
            if e["action"] not in ("user.login", "case.assign")]  # fmt: skip
    assert seen == [
        ("content.read", "inv1", "allowed"),
        ("content.read", "inv1", "allowed"),
        ("content.read", "inv2", "denied"),
        ("label.review", "inv1", "allowed"),
        ("label.review", "inv2", "denied"),
        ("label.review", "inv1", "allowed"),  # the intimate passage
        ("label.review", "inv2", "denied"),
        ("case.list", "inv1", "allowed"),  # alerts of every case he may see
        ("alert.list", "inv1", "allowed"),
        ("case.list", "inv1", "allowed"),
        ("alert.list", "inv2", "denied"),
        ("case.list", "aud", "denied"),
        ("privilege.decide", "inv1", "denied"),
        ("case.view", "judge", "allowed"),
        ("privilege.decide", "judge", "denied"),
        ("privilege.decide", "judge", "allowed"),
        ("content.read", "inv1", "denied"),
    ]


def test_the_interpreter_queue(served: Served) -> None:
    """Calls waiting for an interpreter: for those who give out translations (an
    interpreter's own queue is GET /me/translations, test_api_translations.py)."""
    before = served.last_seq()
    assert served.client("wo").get("/interpreter-queue").json() == []
    assert served.client("inv1").get("/interpreter-queue", params={"language": "ar"}).json() == []
    error(served.client("aud").get("/interpreter-queue"), 403, "forbidden", "case.list")
    error(served.client("terp").get("/interpreter-queue"), 403, "forbidden", "case.list")
    error(served.client("inv1").get("/interpreter-queue", params={"language": "x" * 17}), 422,
          "invalid_request")  # fmt: skip
    seen = [(e["action"], e["actor"], e["outcome"], e["target"])
            for e in served.entries(after=before) if e["action"] != "user.login"]  # fmt: skip
    assert seen == [
        ("case.list", "wo", "allowed", "interpreter-queue"),
        ("case.list", "inv1", "allowed", "interpreter-queue"),
        ("case.list", "aud", "denied", "interpreter-queue"),
        ("case.list", "terp", "denied", "interpreter-queue"),
    ]
