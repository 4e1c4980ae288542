"""Interpreters (docs/access-policy.md, "Interpreters"): a communication given to one for
translation is all he reaches — its parties and its content, with a purpose — until he
submits his translation (a label with his name as its source) or it is taken back; every
other communication of the case, the case itself, other cases and search are refused and
audited. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from custodio.access import casework, classification, translations, vaults
from custodio.access import comms as comm_access
from custodio.access.search import search
from custodio.catalog import comms, identifiers, labels, transcripts
from custodio.client.main import cli
from custodio.db import Tx
from custodio.errors import Conflict, Forbidden, InvalidInput, NotFound
from custodio.vault.envelope import Kind
from custodio.vault.store import Vault
from tests.integration.assemble.conftest import line  # noqa: F401 (a fixture, by name)
from tests.integration.cli_in_process import (  # noqa: F401
    Custodio,
    Done,
    custodio,
    environment,
    ok,
    service_url,
)
from tests.integration.cli_in_process import refused as cli_refused
from tests.integration.conftest import CASE, World, new_warrant, secrets

OTHER_CASE = "DP 7/2026"
INSIDE = "2026-11-20T10:00:00.000000Z"  # inside the warrants' windows (November to January)
BEFORE = "2026-10-15T10:00:00.000000Z"  # before them
WHY = "traducción del árabe"
SAID = {"direction": "target", "language": "ar", "text": "غدا في المرفأ",
        "words": [{"word": "غدا", "start": 0.1, "end": 0.4}]}  # fmt: skip


@dataclass
class Desk:
    world: World
    vault: Vault
    ids: dict[str, tuple[int, int]]  # reference -> (agency id, case id)

    def comm(self, ref: str = CASE, *, begin_at: str = INSIDE, sealed: bool = False) -> int:
        """A call as assembly stores it: two parties, a minute long."""
        agency, case = self.ids[ref]

        def write(tx: Tx) -> int:
            comm_id = comms.insert_comm(tx, {
                "agency_id": agency, "case_id": case, "liid": "ES-LI-0001",
                "operator": "movistar", "cin": None, "kind": "voice", "direction": "originating",
                "status": "complete", "reasons": [], "notes": [], "begin_at": begin_at,
                "end_at": begin_at.replace("10:00:00", "10:01:00"), "sealed": int(sealed),
                "open_seq": 1, "last_seq": 1,
            })  # fmt: skip
            comms.replace_parties(tx, comm_id, [
                comms.Party("originating", "+34600111222", "+34600111222", True, "msisdn"),
                comms.Party("terminating", "+212600000001", "+212600000001", False, "msisdn"),
            ])  # fmt: skip
            return comm_id

        comm_id = int(self.world.svc.db.write(write))
        self.transcript(comm_id, case)
        return comm_id

    def transcript(self, comm_id: int, case: int) -> None:
        body = json.dumps(SAID).encode()
        ref = self.vault.put(str(case), Kind.TRANSCRIPT, body)
        self.world.svc.db.write(lambda tx: transcripts.record(
            tx, comm_id, "target", ref.case_id, ref.object_id, hashlib.sha256(body).hexdigest(),
            len(body), {"task": "transcribe", "language": "ar"}))  # fmt: skip

    def entries(self, after: int, *actions: str) -> list[tuple[Any, ...]]:
        rows = self.world.svc.db.read(lambda tx: tx.all(
            "SELECT action, actor, outcome, target, purpose, details FROM audit_entries "
            "WHERE seq > ? ORDER BY seq", (after,)))  # fmt: skip
        return [(r["action"], r["actor"], r["outcome"], r["target"]) for r in rows
                if not actions or r["action"] in actions]  # fmt: skip

    def last_seq(self) -> int:
        found = self.world.svc.db.read(lambda tx: tx.scalar("SELECT MAX(seq) FROM audit_entries"))
        return int(found or 0)


@pytest.fixture
def desk(world: World) -> Desk:
    """The world's case (inv1) and another (inv2), each with a content warrant."""
    svc, wo = world.svc, world.as_("wo")
    casework.add_case(svc, wo, casework.NewCase(OTHER_CASE, "JI nº 5 Madrid", "Bruma", "UDYCO"))
    casework.add_warrant(svc, wo, OTHER_CASE, new_warrant(
        "AUTO 9/2026", targets=(identifiers.parse("e164:+34600999888"),),
        liids=(("ES-LI-0009", "movistar"),)))  # fmt: skip
    casework.assign(svc, wo, OTHER_CASE, "inv2", None)
    rows = svc.db.read(lambda tx: tx.all("SELECT id, agency_id, reference FROM cases"))
    vault = vaults.open_vault(svc.config, svc.db, secrets)
    return Desk(world, vault, {r["reference"]: (int(r["agency_id"]), int(r["id"])) for r in rows})


def refused(call: Callable[[], object], text: str | None = None) -> None:
    with pytest.raises(Forbidden, match=text):
        call()


def test_an_interpreter_reaches_only_the_communication_given_to_him(desk: Desk) -> None:
    w, svc = desk.world, desk.world.svc
    given, sibling, theirs = desk.comm(), desk.comm(), desk.comm(OTHER_CASE)
    terp = w.as_("terp")
    refused(lambda: comm_access.show_comm(svc, terp, given), "not been given this communication")
    translations.assign(svc, w.as_("inv1"), given, "terp", "es")
    before = desk.last_seq()

    shown = comm_access.show_comm(svc, terp, given)  # the parties, for the translation
    assert [p["e164"] for p in shown["parties"]] == ["+34600111222", "+212600000001"]
    assert "locations" not in shown  # location data is not his
    assert classification.transcript(svc, terp, desk.vault, given, None, WHY) == [SAID]
    assert classification.comm_labels(svc, terp, given, WHY) == []
    refused(lambda: classification.transcript(svc, terp, desk.vault, given, None, None),
            "needs a purpose")  # fmt: skip

    nothing_else: list[Callable[[], object]] = [
        lambda: comm_access.show_comm(svc, terp, sibling),
        lambda: classification.transcript(svc, terp, desk.vault, sibling, None, WHY),
        lambda: classification.comm_labels(svc, terp, sibling, WHY),
        lambda: comm_access.list_comms(svc, terp, CASE, comms.Filters()),
        lambda: casework.show_case(svc, terp, CASE),
        lambda: casework.list_cases(svc, terp),
        lambda: casework.list_warrants(svc, terp, CASE),
        lambda: classification.watchlist_list(svc, terp, CASE),
        lambda: classification.alerts_list(svc, terp, None),
        lambda: classification.interpreter_queue(svc, terp, None),
        lambda: search(svc, terp, "puerto", case_ref=None, purpose=WHY),
        lambda: comm_access.show_comm(svc, terp, theirs),
        lambda: classification.transcript(svc, terp, desk.vault, theirs, None, WHY),
    ]
    for call in nothing_else:
        refused(call)
    seen = desk.entries(before)
    assert seen[:4] == [
        ("traffic.read", "terp", "allowed", f"communication:{given}"),
        ("content.read", "terp", "allowed", f"communication:{given}"),
        ("content.read", "terp", "allowed", f"communication:{given}"),
        ("content.read", "terp", "denied", f"communication:{given}"),
    ]
    denied = seen[4:]
    assert len(denied) == len(nothing_else)
    assert all(actor == "terp" and outcome == "denied" for _, actor, outcome, _ in denied)
    assert denied[0] == ("traffic.read", "terp", "denied", f"communication:{sibling}")
    assert denied[-1] == ("content.read", "terp", "denied", f"communication:{theirs}")


def test_a_submitted_translation_is_his_label_and_closes_the_assignment(desk: Desk) -> None:
    w, svc = desk.world, desk.world.svc
    given = desk.comm()
    translations.assign(svc, w.as_("wo"), given, "terp", "es")
    terp = w.as_("terp")
    (queued,) = translations.my_queue(svc, terp)
    assert queued == {"assignment": queued["assignment"], "communication": given, "case": CASE,
                      "kind": "voice", "language": "es", "spoken": None, "begin_at": INSIDE,
                      "duration_s": 60.0, "assigned_at": queued["assigned_at"]}  # fmt: skip
    with pytest.raises(InvalidInput, match="asked for in 'es'"):
        translations.submit(svc, terp, given, "Mañana en el puerto.", "en")
    with pytest.raises(InvalidInput, match="empty"):
        translations.submit(svc, terp, given, "   ")
    before = desk.last_seq()
    done = translations.submit(svc, terp, given, "  Mañana en el puerto.\n")
    assert (done["communication"], done["source"]) == (given, "interpreter:terp")
    stored = svc.db.read(lambda tx: labels.get(tx, done["label"]))
    assert (stored.kind, stored.value, stored.text) == ("translation", "es", "Mañana en el puerto.")
    assert (stored.source, stored.owner) == ("interpreter:terp", "user:terp")
    assert stored.detail == {"assignment": queued["assignment"]}
    # the investigators of the case read it with the other labels (content, a purpose)
    (label,) = classification.comm_labels(svc, w.as_("inv1"), given, "revisión",
                                          labels.Filters(kinds=("translation",)))  # fmt: skip
    assert (label["text"], label["source"]) == ("Mañana en el puerto.", "interpreter:terp")
    # done: out of his queue, and his access ended with it
    assert translations.my_queue(svc, terp) == []
    refused(lambda: classification.transcript(svc, terp, desk.vault, given, None, WHY),
            "not been given")  # fmt: skip
    refused(lambda: translations.submit(svc, terp, given, "otra vez"), "not been given")
    assert desk.entries(before, "translation.submit") == [
        ("translation.submit", "terp", "allowed", f"communication:{given}"),
        ("translation.submit", "terp", "denied", f"communication:{given}"),
    ]
    details = svc.db.read(lambda tx: tx.scalar(
        "SELECT details FROM audit_entries WHERE action = 'translation.submit' "
        "AND outcome = 'allowed'"))  # fmt: skip
    assert "puerto" not in details  # the entry names the label, never the text
    assert json.loads(details)["label"] == done["label"]
    # a new assignment for a correction: the same interpreter may be given it again
    translations.assign(svc, w.as_("wo"), given, "terp", "es")
    assert [q["communication"] for q in translations.my_queue(svc, terp)] == [given]


def test_taking_it_back_ends_his_access(desk: Desk) -> None:
    w, svc = desk.world, desk.world.svc
    given = desk.comm()
    translations.assign(svc, w.as_("inv1"), given, "terp", "es")
    terp = w.as_("terp")
    assert classification.transcript(svc, terp, desk.vault, given, "target", WHY) == [SAID]
    translations.unassign(svc, w.as_("inv1"), given, "terp")
    refused(lambda: classification.transcript(svc, terp, desk.vault, given, "target", WHY),
            "not been given")  # fmt: skip
    refused(lambda: comm_access.show_comm(svc, terp, given), "not been given")
    assert translations.my_queue(svc, terp) == []
    with pytest.raises(NotFound, match="holds no open assignment"):
        translations.unassign(svc, w.as_("wo"), given, "terp")
    assigned = desk.entries(0, "translation.assign")
    # given and taken back; nothing to take back is an error, not a refusal: no entry
    assert [(a, o) for _, a, o, _ in assigned] == [("inv1", "allowed"), ("inv1", "allowed")]


def test_who_may_give_out_a_communication(desk: Desk) -> None:
    w, svc = desk.world, desk.world.svc
    given, theirs = desk.comm(), desk.comm(OTHER_CASE)
    sealed, early = desk.comm(sealed=True), desk.comm(begin_at=BEFORE)
    # an investigator of another case, a judge, the interpreter himself, an auditor: no
    refused(lambda: translations.assign(svc, w.as_("inv2"), given, "terp", "es"), "not assigned")
    refused(lambda: translations.assign(svc, w.as_("inv1"), theirs, "terp", "es"), "not assigned")
    refused(lambda: translations.assign(svc, w.as_("terp"), given, "terp", "es"), "may not")
    refused(lambda: translations.assign(svc, w.as_("aud"), given, "terp", "es"), "may not")
    casework.assign(svc, w.as_("wo"), CASE, "judge", None)
    refused(lambda: translations.assign(svc, w.as_("judge"), given, "terp", "es"), "may not")
    # a sealed one to nobody; one outside the warrant only by the warrant officer, and the
    # interpreter still cannot read it (nor sees it in his queue)
    refused(lambda: translations.assign(svc, w.as_("inv1"), sealed, "terp", "es"), "sealed")
    refused(lambda: translations.assign(svc, w.as_("wo"), sealed, "terp", "es"), "sealed")
    refused(lambda: translations.assign(svc, w.as_("inv1"), early, "terp", "es"), "no warrant")
    translations.assign(svc, w.as_("wo"), early, "terp", "es")
    refused(lambda: comm_access.show_comm(svc, w.as_("terp"), early), "no warrant")
    assert translations.my_queue(svc, w.as_("terp")) == []
    # only to an interpreter, once, in a language
    with pytest.raises(InvalidInput, match="not an interpreter"):
        translations.assign(svc, w.as_("inv1"), given, "inv2", "es")
    with pytest.raises(InvalidInput, match="ISO 639"):
        translations.assign(svc, w.as_("inv1"), given, "terp", "español")
    with pytest.raises(NotFound, match="no user named"):
        translations.assign(svc, w.as_("inv1"), given, "nobody", "es")
    translations.assign(svc, w.as_("inv1"), given, "terp", "ES")
    with pytest.raises(Conflict, match="already assigned"):
        translations.assign(svc, w.as_("inv1"), given, "terp", "fr")
    (queued,) = translations.my_queue(svc, w.as_("terp"))
    assert (queued["communication"], queued["language"]) == (given, "es")
    # the investigators' listing is unchanged by the assignment
    listed = comm_access.list_comms(svc, w.as_("inv1"), CASE, comms.Filters())
    assert [c["id"] for c in listed] == [given]  # not the sealed nor the early one


def test_the_cli_gives_out_lists_and_submits(
    desk: Desk,
    custodio: Custodio,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    """The commands through the API (the world's service, served on a loopback port)."""
    given = desk.comm()

    def run(user: str, *args: str) -> Done:
        return custodio(user, "translation", *args)

    done = run("inv1", "assign", str(given), "terp", "--language", "es")
    assert ok(done) == f"communication {given} given to terp to translate into es\n"
    listed = run("terp", "queue", "--json")
    assert [q["communication"] for q in json.loads(ok(listed))] == [given]
    assert "VOICE" not in ok(run("terp", "queue")) and CASE in ok(run("terp", "queue"))
    text = tmp_path / "traduccion.txt"
    text.write_text("Mañana en el puerto.\n", "utf-8")
    cli_refused(run("terp", "submit", str(given), "--text", "x", "--file", str(text)), 2,
                "--text or --file")  # fmt: skip
    submitted = run("terp", "submit", str(given), "--file", str(text), "--json")
    assert json.loads(ok(submitted))["source"] == "interpreter:terp"
    cli_refused(run("terp", "submit", str(given), "--text", "otra"), 5,
                "not been given this communication")  # fmt: skip
    taken = run("inv1", "assign", str(given), "terp", "--language", "fr")
    assert "to translate into fr" in ok(taken)
    assert ok(run("inv1", "unassign", str(given), "terp")) == (
        f"communication {given} no longer assigned to terp\n")  # fmt: skip
    assert ok(run("terp", "queue")) == "(none)\n"
    for path in ([], ["assign"], ["unassign"], ["queue"], ["submit"]):
        shown = CliRunner().invoke(cli, ["translation", *path, "--help"])
        assert shown.exit_code == 0 and shown.output.startswith("Usage:"), (path, shown.output)
