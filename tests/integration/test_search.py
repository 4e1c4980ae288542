"""Search (docs/search.md): words in transcripts, SMS text and notes, numbers and identifiers
in parties and entities — ranked, marked, with the second where the words were said, and
only inside what the policy lets the caller see, applied in SQL. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pytest

from custodio.access import casework, vaults
from custodio.access.search import search
from custodio.catalog import comms, identifiers, labels, search_index, transcripts
from custodio.catalog import search as catalog_search
from custodio.catalog.search_index import Passage
from custodio.db import Tx
from custodio.errors import Forbidden, InvalidInput, NotFound
from custodio.vault.envelope import Kind
from tests.integration.conftest import CASE, World, new_warrant, secrets

OTHER_CASE = "DP 7/2026"
INSIDE = "2026-11-20T10:00:00.000000Z"  # inside the warrants' windows (November to January)
BEFORE = "2026-10-15T10:00:00.000000Z"  # before them
WHY = "Operación Niebla: the money's trail"


@dataclass
class Cases:
    world: World
    ids: dict[str, tuple[int, int]]  # reference -> (agency id, case id)

    def comm(self, ref: str = CASE, *, begin_at: str = INSIDE, kind: str = "voice",
             sealed: bool = False, parties: tuple[str, ...] = ()) -> int:  # fmt: skip
        """A communication as assembly stores it, with parties delivered as numbers."""
        agency, case = self.ids[ref]

        def write(tx: Tx) -> int:
            comm_id = comms.insert_comm(tx, {
                "agency_id": agency, "case_id": case, "liid": "ES-LI-0001",
                "operator": "movistar", "cin": None, "kind": kind, "direction": "originating",
                "status": "complete", "reasons": [], "notes": [], "begin_at": begin_at,
                "sealed": int(sealed), "open_seq": 1, "last_seq": 1,
            })  # fmt: skip
            comms.replace_parties(tx, comm_id, [
                comms.Party("originating" if i == 0 else "terminating", number,
                            identifiers.e164(number), i == 0, "msisdn")
                for i, number in enumerate(parties)
            ])  # fmt: skip
            return comm_id

        return int(self.world.svc.db.write(write))

    def transcript(self, comm_id: int, *segments: tuple[float, str], direction: str = "target",
                   task: str = "transcribe") -> None:  # fmt: skip
        """A transcript as classification records it (the object itself is not needed)."""
        doc = json.dumps([comm_id, direction, task, segments]).encode()
        digest = hashlib.sha256(doc).hexdigest()
        passages = [Passage(text, start) for start, text in segments]
        self.world.svc.db.write(lambda tx: transcripts.record(
            tx, comm_id, direction, "1", digest[:32], digest, len(doc), {"task": task},
            passages=passages))  # fmt: skip

    def sms(self, text: str, ref: str = CASE, **kw: object) -> int:
        """An SMS and its message product, as assembly records them."""
        comm_id = self.comm(ref, kind="sms", **kw)  # type: ignore[arg-type]
        product = comms.Product(kind="message", sha256="00" * 32, size=len(text),
                                vault_case="1", object_id=f"{comm_id:032x}")  # fmt: skip
        self.world.svc.db.write(lambda tx: comms.add_product(tx, comm_id, product, text=text))
        return comm_id

    def entities(self, comm_id: int, *found: tuple[str, str, str, float]) -> None:
        """Entity labels (kind, value, text, second) as one classification run stores them."""
        case = self.ids[CASE][1]
        new = [labels.NewLabel(label_key=f"{kind}:{value}", owner="entities", kind=kind,
                               value=value, confidence=0.99, source="entities/1",
                               direction="target", text=text, start_s=start_s)
               for kind, value, text, start_s in found]  # fmt: skip
        self.world.svc.db.write(lambda tx: labels.store_run(tx, comm_id, case, ("entities",), new))


@pytest.fixture
def cases(world: World) -> Cases:
    """The world's case (inv1, judge) and another (inv2), each with a content warrant."""
    svc, wo = world.svc, world.as_("wo")
    casework.add_case(svc, wo, casework.NewCase(OTHER_CASE, "JI nº 5 Madrid", "Bruma", "UDYCO"))
    casework.add_warrant(svc, wo, OTHER_CASE, new_warrant(
        "AUTO 9/2026", targets=(identifiers.parse("e164:+34600999888"),),
        liids=(("ES-LI-0009", "movistar"),)))  # fmt: skip
    casework.assign(svc, wo, OTHER_CASE, "inv2", None)
    casework.assign(svc, wo, CASE, "judge", None)
    rows = svc.db.read(lambda tx: tx.all("SELECT id, agency_id, reference FROM cases"))
    return Cases(world, {r["reference"]: (int(r["agency_id"]), int(r["id"])) for r in rows})


def find(world: World, text: str, who: str = "inv1", case_ref: str | None = CASE,
         **kw: object) -> list[dict[str, object]]:  # fmt: skip
    return search(world.svc, world.as_(who), text, case_ref=case_ref, purpose=WHY, **kw)  # type: ignore[arg-type]


def test_words_are_found_with_the_second_they_were_said_marked_in_a_snippet(
    cases: Cases,
) -> None:
    call = cases.comm()
    cases.transcript(call, (0.0, "Hola, ¿qué tal?"),
                     (12.5, "Mañana hacemos la transferencia del dinero al garaje."))  # fmt: skip
    cases.transcript(call, (3.25, "Vale, el dinero lo tiene Luis."), direction="other")
    hits = find(cases.world, "dinero")
    assert {(h["communication_id"], h["direction"], h["at_s"]) for h in hits} == {
        (call, "target", 12.5), (call, "other", 3.25)}  # fmt: skip
    assert all(h["case"] == CASE and h["kind"] == "transcript" for h in hits)
    assert all("«dinero»" in str(h["snippet"]) for h in hits), hits


def test_accents_and_plurals(cases: Cases) -> None:
    """Both backends fold diacritics; plurals find singulars and back (PostgreSQL by its
    Spanish stemmer, SQLite by matching long words as prefixes after a final s)."""
    accented, plain = cases.comm(), cases.comm()
    cases.transcript(accented, (1.0, "Ya tengo el díñero de las transferencias."))
    cases.transcript(plain, (2.0, "Haz una transferencia con el dinero, mañana."))
    both = {accented, plain}
    for query in ("dinero", "díñero", "DINERO"):
        assert {h["communication_id"] for h in find(cases.world, query)} == both, query
    assert {h["communication_id"] for h in find(cases.world, "transferencias")} == both
    assert {h["communication_id"] for h in find(cases.world, "transferencia")} == both
    assert {h["communication_id"] for h in find(cases.world, "manana")} == {plain}
    (hit,) = find(cases.world, "díñero mañana")  # every word must be there
    assert hit["communication_id"] == plain
    snippet = str(find(cases.world, "dinero transferencia")[0]["snippet"])
    assert "«" in snippet and "»" in snippet


def test_the_stemmer_of_postgresql_goes_further(cases: Cases) -> None:
    """Only PostgreSQL stems: "hablando" finds "hablamos" there (SQLite: prefixes only)."""
    call = cases.comm()
    cases.transcript(call, (4.0, "Luego hablamos del coche."))
    found = [h["communication_id"] for h in find(cases.world, "hablando")]
    assert found == ([call] if cases.world.svc.db.dialect == "postgresql" else [])


def test_sms_text_and_notes_are_found(cases: Cases) -> None:
    sms = cases.sms("Deja el paquete en Algeciras el martes.")
    call = cases.comm()
    cases.world.svc.db.write(lambda tx: search_index.add_note(
        tx, call, 1, "Luis habla de Algeciras: comprobar el puerto."))  # fmt: skip
    hits = find(cases.world, "algeciras")
    assert {(h["communication_id"], h["kind"], h["at_s"]) for h in hits} == {
        (sms, "sms", None), (call, "note", None)}  # fmt: skip
    cases.world.svc.db.write(lambda tx: search_index.add_note(tx, call, 1, "Nada que ver."))
    assert [h["kind"] for h in find(cases.world, "algeciras")] == ["sms"]  # the note changed


def test_a_number_is_found_however_it_is_written(cases: Cases) -> None:
    call = cases.comm(parties=("+34600111222", "+34911222333"))
    cases.comm(parties=("+34600999888",))
    for written in ("+34 600 111 222", "600111222", "600 11 12 22", "0034-600-111-222",
                    "(+34) 600.111.222"):  # fmt: skip
        hits = find(cases.world, written)
        assert [(h["communication_id"], h["kind"]) for h in hits] == [(call, "party")], written
        assert hits[0]["snippet"] == "originating: «+34600111222»"
    prefix = find(cases.world, "600 111")  # the start of a number
    assert [h["communication_id"] for h in prefix] == [call]
    assert find(cases.world, "600 123") == []


def test_an_entity_is_found_with_the_second_it_was_said(cases: Cases) -> None:
    call = cases.comm()
    cases.entities(call, ("iban", "ES9121000418450200051332", "ES91 2100 0418 4502 0005 1332",
                          33.5), ("plate", "1234BCD", "1234 BCD", 40.0))  # fmt: skip
    (hit,) = find(cases.world, "es91 2100 0418 4502 0005 1332")
    assert (hit["kind"], hit["at_s"], hit["direction"]) == ("entity", 33.5, "target")
    assert hit["snippet"] == "iban ES9121000418450200051332: «ES91 2100 0418 4502 0005 1332»"
    assert [h["at_s"] for h in find(cases.world, "1234-BCD")] == [40.0]
    assert [h["at_s"] for h in find(cases.world, "ES912100")] == [33.5]  # a prefix


def test_more_matches_rank_first(cases: Cases) -> None:
    once, thrice = cases.comm(), cases.comm()
    cases.transcript(once, (1.0, "El dinero está en la caja, la llave en el coche azul."))
    cases.transcript(thrice, (1.0, "El dinero, más dinero y todo el dinero del coche azul."))
    assert [h["communication_id"] for h in find(cases.world, "dinero")] == [thrice, once]
    scores = [float(h["score"]) for h in find(cases.world, "dinero")]  # type: ignore[arg-type]
    assert scores[0] > scores[1] > 0


def test_only_the_newest_visible_matches_are_ranked(
    cases: Cases, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A word in more passages than RANK_WINDOW: the best of the newest visible ones."""
    monkeypatch.setattr(catalog_search, "RANK_WINDOW", 2)
    old = cases.comm()
    cases.transcript(old, (1.0, "Dinero, dinero, dinero y más dinero."))
    a, b = cases.comm(), cases.comm()
    cases.transcript(a, (1.0, "Algo de dinero para el viaje de mañana."))
    cases.transcript(b, (1.0, "Lleva el dinero."))
    theirs = cases.comm(OTHER_CASE)  # newest of all, but not inv1's: not in his window
    cases.transcript(theirs, (1.0, "Dinero, dinero."))
    assert {h["communication_id"] for h in find(cases.world, "dinero")} == {a, b}
    monkeypatch.setattr(catalog_search, "RANK_WINDOW", 5_000)
    assert find(cases.world, "dinero")[0]["communication_id"] == old


def test_another_case_is_never_searched_and_the_limit_counts_only_visible_hits(
    cases: Cases,
) -> None:
    mine = cases.comm()
    cases.transcript(mine, (5.0, "Hablamos del dinero."))
    for _ in range(5):  # better hits, in a case inv1 is not assigned to
        theirs = cases.comm(OTHER_CASE)
        cases.transcript(theirs, (1.0, "Dinero, dinero, dinero: el dinero de la operación."))
    hits = find(cases.world, "dinero", case_ref=None, limit=2)
    assert [(h["case"], h["communication_id"]) for h in hits] == [(CASE, mine)]
    entry = cases.world.last_audit()
    details = json.loads(str(entry["details"]))
    assert (entry["action"], entry["case_id"], details["cases"], details["hits"]) == (
        "search", None, [CASE], 1)  # fmt: skip
    assert len(find(cases.world, "dinero", "inv2", case_ref=None, limit=2)) == 2
    with pytest.raises(Forbidden, match="not assigned"):
        find(cases.world, "dinero", case_ref=OTHER_CASE)
    entry = cases.world.last_audit()
    assert (entry["action"], entry["outcome"]) == ("search", "denied")


def test_warrant_windows_and_seals_apply_to_investigators_not_to_judges(
    cases: Cases,
) -> None:
    inside, before = cases.comm(), cases.comm(begin_at=BEFORE)
    sealed = cases.comm(sealed=True)
    for comm_id in (inside, before, sealed):
        cases.transcript(comm_id, (2.0, "El cargamento llega el martes."))
    assert [h["communication_id"] for h in find(cases.world, "cargamento")] == [inside]
    judged = {h["communication_id"] for h in find(cases.world, "cargamento", "judge")}
    assert judged == {inside, before, sealed}


def test_a_superseded_transcript_leaves_the_index(cases: Cases) -> None:
    call = cases.comm()
    cases.transcript(call, (1.0, "Nos vemos en Tarifa."))
    cases.transcript(call, (1.0, "Nos vemos en Tánger."))  # a re-run heard it better
    assert find(cases.world, "tarifa") == []
    assert [h["communication_id"] for h in find(cases.world, "tanger")] == [call]


def test_a_search_needs_a_purpose_and_a_role_that_may_read_content(cases: Cases) -> None:
    w = cases.world
    with pytest.raises(Forbidden, match="needs a purpose"):
        search(w.svc, w.as_("inv1"), "dinero", case_ref=CASE, purpose=None)
    entry = w.last_audit()
    details = json.loads(str(entry["details"]))
    assert (entry["action"], entry["outcome"], entry["actor"]) == ("search", "denied", "inv1")
    for who in ("aud", "wo", "terp"):
        with pytest.raises(Forbidden, match="may not search"):
            search(w.svc, w.as_(who), "dinero", case_ref=None, purpose=WHY)
    with pytest.raises(NotFound):
        find(w, "dinero", case_ref="DP 404/2026")
    assert details.get("reason")


def test_every_search_is_audited_with_what_was_searched_for(cases: Cases) -> None:
    cases.transcript(cases.comm(), (1.0, "La mercancía está en Vigo."))
    find(cases.world, "mercancía vigo")
    entry = cases.world.last_audit()
    details = json.loads(str(entry["details"]))
    assert (entry["action"], entry["outcome"], entry["actor"]) == ("search", "allowed", "inv1")
    assert entry["purpose"] == WHY and entry["target"] == f"case:{CASE}"
    assert details == {"query": "mercancía vigo", "cases": [CASE], "limit": 50, "hits": 1}


@pytest.mark.parametrize("text", [
    '"dinero', "dinero OR coche", "dinero NEAR(coche, 2)", "din* AND -coche", "^dinero",
    "'; DROP TABLE search_docs; --", "dinero:coche", "(dinero) {text}: x", "ñ' \\ \" %_",
])  # fmt: skip
def test_query_syntax_is_only_ever_words(cases: Cases, text: str) -> None:
    cases.transcript(cases.comm(), (1.0, "El dinero y el coche."))
    find(cases.world, text)  # no error; operators are words like any other
    assert len(find(cases.world, "dinero")) == 1


def test_bad_queries_are_refused_before_anything_runs(cases: Cases) -> None:
    for text, message in [("x" * 201, "201 characters"), ("¿?¡! --", "no words")]:
        with pytest.raises(InvalidInput, match=message):
            find(cases.world, text)
    with pytest.raises(InvalidInput, match="limit"):
        find(cases.world, "dinero", limit=0)


def test_a_catalog_from_before_the_index_is_filled_in_from_the_vault(cases: Cases) -> None:
    """Transcripts and SMS stored before migration 9 are read from the vault once the
    service holds the keys (`custodio serve` at start); the mark then goes."""
    w = cases.world
    assert w.count("search_backfill") == 0  # a new catalog has nothing to fill in
    vault = vaults.open_vault(w.svc.config, w.svc.db, secrets)
    call, sms = cases.comm(), cases.comm(kind="sms")
    doc = {"segments": [{"start": 7.5, "end": 9.0, "text": "Llévalo a Sanlúcar.", "flag": None}]}
    said = vault.put("1", Kind.TRANSCRIPT, json.dumps(doc).encode())
    text = vault.put("1", Kind.MESSAGE, json.dumps({"text": "Sanlúcar, a las diez."}).encode())

    def old_catalog(tx: Tx) -> None:  # products recorded without their text, as before
        transcripts.record(tx, call, "target", "1", said.object_id, "00" * 32, said.size,
                           {"task": "transcribe"})  # fmt: skip
        tx.execute(
            "INSERT INTO comm_products (communication_id, kind, records, vault_case, object_id, "
            "sha256, size, details, created_at) VALUES (?, 'message', 0, '1', ?, ?, ?, '{}', 'x')",
            (sms, text.object_id, "00" * 32, text.size),
        )
        tx.execute("INSERT INTO search_backfill (pending) VALUES (1)")

    w.svc.db.write(old_catalog)
    assert find(w, "sanlucar") == []
    assert search_index.backfill(w.svc.db, vault.get) == 2
    hits = find(w, "sanlucar")
    assert {(h["communication_id"], h["kind"], h["at_s"]) for h in hits} == {
        (call, "transcript", 7.5), (sms, "sms", None)}  # fmt: skip
    assert w.count("search_backfill") == 0
    assert search_index.backfill(w.svc.db, vault.get) == 0  # once
    assert len(find(w, "sanlucar")) == 2
