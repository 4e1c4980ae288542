"""Interpreters through the API: a call given to one (POST .../translation-assignments) is
all he reaches — heard and read with a purpose — until he submits his translation
(POST .../translations: a label with his name as its source) or it is taken back; the
other call of the case, the case, its timeline, search and other cases answer 403, each
audited (docs/access-policy.md, "Interpreters")."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import quote

from custodio.catalog import transcripts
from custodio.vault.envelope import Kind
from tests.integration.api.conftest import Served, error
from tests.integration.assemble.conftest import Line
from tests.integration.conftest import CASE

WHY = "traducción 12/2026"


def two_calls(line: Line) -> tuple[int, int]:
    line.deliver(profile="voip", calls=2, duration=1.0)
    line.assemble()
    rows = line.rows("SELECT id FROM communications WHERE kind = 'voice' ORDER BY id")
    return int(rows[0]["id"]), int(rows[1]["id"])


def a_transcript(line: Line, comm: int) -> dict[str, object]:
    (audio,) = line.rows("SELECT vault_case FROM comm_products WHERE communication_id = ? "
                         "AND kind = 'audio' AND direction = 'target'", (comm,))  # fmt: skip
    doc: dict[str, object] = {"direction": "target", "language": "ar", "text": "غدا",
           "words": [{"word": "غدا", "start": 0.1, "end": 0.4}]}  # fmt: skip
    body = json.dumps(doc).encode()
    ref = line.vault.put(audio["vault_case"], Kind.TRANSCRIPT, body)
    line.world.svc.db.write(lambda tx: transcripts.record(
        tx, comm, "target", ref.case_id, ref.object_id, hashlib.sha256(body).hexdigest(),
        len(body), {"task": "transcribe", "language": "ar"}))  # fmt: skip
    return doc


def test_an_interpreter_hears_and_reads_only_the_call_given_to_him(served: Served) -> None:
    given, other = two_calls(served.line)
    doc = a_transcript(served.line, given)
    inv1, inv2, terp = served.client("inv1"), served.client("inv2"), served.client("terp")
    assign = f"/communications/{given}/translation-assignments"
    before = served.last_seq()

    error(inv2.post(assign, json={"interpreter": "terp", "language": "es"}), 403, "forbidden",
          "not assigned")  # fmt: skip
    error(terp.post(assign, json={"interpreter": "terp", "language": "es"}), 403, "forbidden",
          "may not translation.assign")  # fmt: skip
    error(inv1.post(assign, json={"interpreter": "terp", "language": "español"}), 422,
          "invalid_request")  # fmt: skip
    error(inv1.post(assign, json={"interpreter": "inv2", "language": "es"}), 400,
          "invalid_input", "not an interpreter")  # fmt: skip
    made = inv1.post(assign, json={"interpreter": "terp", "language": "es"})
    assert made.status_code == 201, made.text
    assert made.json()["interpreter"] == "terp" and made.json()["language"] == "es"
    error(inv1.post(assign, json={"interpreter": "terp", "language": "es"}), 409, "conflict")

    (mine,) = terp.get("/me/translations").json()
    assert (mine["communication"], mine["case"], mine["kind"], mine["language"]) == (
        given, CASE, "voice", "es")  # fmt: skip
    assert terp.get(f"/communications/{given}").status_code == 200
    heard = terp.get(f"/communications/{given}/audio", params={"purpose": WHY,
                                                               "direction": "target"})  # fmt: skip
    assert heard.status_code == 200 and heard.content[:4] == b"RIFF"
    part = terp.get(f"/communications/{given}/audio", params={"purpose": WHY},
                    headers={"Range": "bytes=0-43"})  # fmt: skip
    assert part.status_code == 206 and len(part.content) == 44
    read = terp.get(f"/communications/{given}/transcript", params={"purpose": WHY})
    assert read.json() == [doc]
    error(terp.get(f"/communications/{given}/audio"), 403, "forbidden", "needs a purpose")

    for path in (f"/communications/{other}", f"/communications/{other}/audio",
                 f"/communications/{other}/transcript", "/cases",
                 f"/cases/{quote(CASE)}", f"/cases/{quote(CASE)}/communications",
                 "/search", "/interpreter-queue"):  # fmt: skip
        refused = terp.get(path, params={"purpose": WHY, "q": "puerto"})
        error(refused, 403, "forbidden")
    error(terp.post(f"/communications/{other}/translations", json={"text": "x"}), 403,
          "forbidden", "not been given")  # fmt: skip

    seen = [(e["action"], e["actor"], e["outcome"]) for e in served.entries(after=before)
            if e["action"] != "user.login"]  # fmt: skip
    assert seen == [
        ("translation.assign", "inv2", "denied"),
        ("translation.assign", "terp", "denied"),
        ("translation.assign", "inv1", "allowed"),
        ("translation.queue", "terp", "allowed"),
        ("traffic.read", "terp", "allowed"),
        ("content.read", "terp", "allowed"),
        ("content.read", "terp", "allowed"),
        ("content.read", "terp", "allowed"),
        ("content.read", "terp", "denied"),
        ("traffic.read", "terp", "denied"),
        ("content.read", "terp", "denied"),
        ("content.read", "terp", "denied"),
        ("case.list", "terp", "denied"),
        ("case.view", "terp", "denied"),
        ("case.view", "terp", "denied"),
        ("search", "terp", "denied"),
        ("case.list", "terp", "denied"),
        ("translation.submit", "terp", "denied"),
    ]


def test_a_translation_submitted_and_an_assignment_taken_back(served: Served) -> None:
    given, other = two_calls(served.line)
    inv1, wo, terp = served.client("inv1"), served.client("wo"), served.client("terp")
    for comm in (given, other):
        made = wo.post(f"/communications/{comm}/translation-assignments",
                       json={"interpreter": "terp", "language": "es"})  # fmt: skip
        assert made.status_code == 201, made.text
    queued = [m["communication"] for m in terp.get("/me/translations").json()]
    assert sorted(queued) == [given, other]  # by when each began

    url = f"/communications/{given}/translations"
    error(terp.post(url, json={"text": "Mañana", "language": "en"}), 400, "invalid_input",
          "asked for in 'es'")  # fmt: skip
    error(terp.post(url, json={"text": ""}), 422, "invalid_request")
    error(inv1.post(url, json={"text": "Mañana"}), 403, "forbidden", "may not translation.submit")
    done = terp.post(url, json={"text": "Mañana en el puerto."})
    assert done.status_code == 201, done.text
    assert done.json()["source"] == "interpreter:terp"
    labels = inv1.get(f"/communications/{given}/labels",
                      params={"purpose": "revisión", "kind": "translation"}).json()  # fmt: skip
    assert [(lb["id"], lb["text"], lb["source"], lb["value"]) for lb in labels] == [
        (done.json()["label"], "Mañana en el puerto.", "interpreter:terp", "es")]  # fmt: skip
    error(terp.get(f"/communications/{given}"), 403, "forbidden", "not been given")
    assert [m["communication"] for m in terp.get("/me/translations").json()] == [other]

    gone = wo.delete(f"/communications/{other}/translation-assignments/terp")
    assert gone.status_code == 204, gone.text
    error(terp.get(f"/communications/{other}/audio", params={"purpose": WHY}), 403, "forbidden",
          "not been given")  # fmt: skip
    assert terp.get("/me/translations").json() == []
    error(wo.delete(f"/communications/{other}/translation-assignments/terp"), 404, "not_found")
    error(served.client("aud").get("/me/translations"), 403, "forbidden")
