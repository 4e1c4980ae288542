"""The classification pipeline end to end: the simulator over real TCP, assembly, the job
queue's runner, the pipeline's engines, labels in the catalog, alerts and a real webhook."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from custodio import config
from custodio.access import classification as service
from custodio.access import translations
from custodio.catalog import jobs as queue
from custodio.catalog import labels, notifications
from custodio.classify import handlers, pipeline
from custodio.classify.jobs import CLASSIFY, JobContext, Runner
from custodio.classify.speech.model import whisper_dir
from custodio.client.main import cli
from custodio.db.times import now
from custodio.errors import Forbidden
from custodio.simulator import media
from tests import speechgen
from tests.integration.assemble.conftest import Line
from tests.integration.conftest import CASE, PASSWORD
from tests.integration.served_api import serving

SMS = (
    "Entrega el martes en Algeciras. Transfiere 2.500 euros a ES91 2100 0418 4502 0005 1332, "
    "el coche es 1234 BCD, llama al 600 123 456."
)


class Hook:
    """A local webhook (http.server in a thread) that keeps what it was POSTed."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.close()


def runner(line: Line, **environ: str) -> Runner:
    cfg = config.load(line.world.data_dir, environ=environ)
    handlers.install()
    return Runner(JobContext(cfg, line.world.svc.db, line.vault), name="test")


def sms_comm(line: Line, text: str) -> int:
    line.deliver(calls=0, sms=1, sms_texts=(text,))
    line.assemble()
    (row,) = line.rows("SELECT id FROM communications WHERE kind = 'sms'")
    return int(row["id"])


def garage_sms(line: Line) -> tuple[int, JobContext]:
    """An SMS that hits the case's one watch-list term, 'garaje'; and a job context."""
    service.watchlist_add(line.world.svc, line.world.as_("inv1"), CASE, "garaje", "term")
    comm_id = sms_comm(line, "El paquete está en el garaje, matrícula 1234 BCD.")
    return comm_id, runner(line).ctx


def unwatch_all(line: Line) -> None:
    svc, inv = line.world.svc, line.world.as_("inv1")
    for term in service.watchlist_list(svc, inv, CASE):
        service.watchlist_remove(svc, inv, CASE, int(term["id"]))


def current(line: Line, comm_id: int) -> list[labels.StoredLabel]:
    return line.world.svc.db.read(lambda tx: labels.of_comm(tx, comm_id))


def test_an_sms_is_classified_by_its_job_with_entities_watchlist_alert_and_webhook(
    line: Line, hook: Hook
) -> None:
    svc, inv = line.world.svc, line.world.as_("inv1")
    term = service.watchlist_add(svc, inv, CASE, "entregar", "term")
    number = service.watchlist_add(svc, inv, CASE, "+34 600 123 456", "number")
    service.watchlist_add(svc, inv, CASE, "heroína", "term")  # not in the message
    comm_id = sms_comm(line, SMS)

    job = runner(line, CUSTODIO_ALERTS_WEBHOOK_URL=hook.url).run_next()  # queued by assembly
    assert job is not None and job.communication_id == comm_id
    assert line.rows("SELECT state FROM jobs WHERE id = ?", (job.id,))[0]["state"] == "done"

    found = {(lb.kind, lb.value) for lb in current(line, comm_id)}
    assert {("iban", "ES9121000418450200051332"), ("plate", "1234BCD"),
            ("phone", "+34600123456"), ("amount", "2500.00 EUR"), ("language", "es"),
            ("watchlist", "entregar"), ("watchlist", "+34 600 123 456")} <= found  # fmt: skip
    assert ("watchlist", "heroína") not in found
    assert not any(k == "interpreter" for k, _ in found)  # Spanish is a working language
    (score,) = [lb for lb in current(line, comm_id) if lb.kind == "priority"]
    assert {f["factor"] for f in score.detail["factors"]} == {
        "watchlist", "entities", "new_contact", "duration", "night"}  # fmt: skip

    notes = svc.db.read(lambda tx: notifications.list_for_case(tx, int(score.case_id or 0)))
    (alert,) = [n for n in notes if n.kind == "alert.watchlist"]
    assert alert.detail == {"communication_id": comm_id, "term_ids": sorted([term, number])}
    assert alert.webhook == "sent"
    posted = [b for b in hook.bodies if b["event"] == "alert.watchlist"]
    assert posted and posted[0]["communication_id"] == comm_id
    assert "Algeciras" not in json.dumps(hook.bodies) and "ES91" not in json.dumps(hook.bodies)

    (entry,) = line.rows("SELECT * FROM audit_entries WHERE action = 'comm.classified'")
    assert entry["actor"] == "system" and entry["target"] == f"communication:{comm_id}"
    details = json.loads(entry["details"])
    assert details["labels"]["iban"] == 1 and details["engines"]["entities"] == "1"
    assert "ES91" not in entry["details"] and "entrega" not in entry["details"].lower()


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_a_long_sms_is_classified_whole_across_its_parts(line: Line) -> None:
    """A concatenated SMS (TS 23.040 §9.2.3.24.1) whose IBAN and number straddle the
    parts: the joined text is classified, so both are found (each part alone has half)."""
    lead = "Hola, soy yo. Te escribo desde el otro movil porque el de siempre no va bien. " * 2
    text = lead[:140].rstrip() + " cuenta ES91 2100 0418 4502 0005 1332 y llama al 600 123 456."
    comm_id = sms_comm(line, text)
    (doc,) = [json.loads(line.vault.get(p["vault_case"], p["object_id"])) for p in line.rows(
        "SELECT * FROM comm_products WHERE kind = 'message'")]  # fmt: skip
    assert len(doc["parts"]) == 2 and doc["text"] == text
    assert all("ES91 2100 0418 4502 0005 1332" not in part["text"] for part in doc["parts"])
    assert runner(line).run_next() is not None
    found = {(lb.kind, lb.value) for lb in current(line, comm_id)}
    assert {("iban", "ES9121000418450200051332"), ("phone", "+34600123456")} <= found


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_a_rerun_replaces_labels_and_keeps_the_reviewed_ones(line: Line) -> None:
    svc, inv = line.world.svc, line.world.as_("inv1")
    comm_id, ctx = garage_sms(line)
    pipeline.classify(ctx.config, ctx.db, ctx.vault, comm_id)
    first = current(line, comm_id)
    plate = next(lb for lb in first if lb.kind == "plate")
    hit = next(lb for lb in first if lb.kind == "watchlist")
    service.review_label(svc, inv, plate.id, "overruled", "it is the neighbour's car")
    service.review_label(svc, inv, hit.id, "confirmed", None)
    unwatch_all(line)

    pipeline.classify(ctx.config, ctx.db, ctx.vault, comm_id)  # the job ran again
    again = current(line, comm_id)
    assert len(again) == len(first) - 1  # the hit is no longer found: kept, superseded
    plates = [lb for lb in again if lb.kind == "plate"]
    assert [(p.id, p.review, p.review_note) for p in plates] == [
        (plate.id, "overruled", "it is the neighbour's car")]  # fmt: skip
    everything = svc.db.read(
        lambda tx: labels.of_comm(tx, comm_id, labels.Filters(superseded=True))
    )
    (old_hit,) = [lb for lb in everything if lb.kind == "watchlist"]
    assert old_hit.id == hit.id and old_hit.review == "confirmed" and old_hit.superseded_at
    keys = [lb.label_key for lb in again]
    assert len(keys) == len(set(keys))  # nothing duplicated


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_a_worker_that_stalled_past_its_lease_or_ran_stale_stores_nothing(line: Line) -> None:
    comm_id, ctx = garage_sms(line)
    db = ctx.db
    # 'stalled' claims the job with a lease that runs out at once; 'taker' takes it over
    stalled = db.write(lambda tx: queue.claim(tx, "stalled", lease_seconds=0, max_attempts=5))
    later = now() + timedelta(seconds=1)
    taker = db.write(
        lambda tx: queue.claim(tx, "taker", lease_seconds=600, max_attempts=5, at=later)
    )
    assert stalled and taker and stalled.id == taker.id and taker.communication_id == comm_id
    pipeline.classify(ctx.config, db, ctx.vault, comm_id, job=taker)
    stored = [(lb.id, lb.kind, lb.value) for lb in current(line, comm_id)]
    assert ("watchlist", "garaje") in [(k, v) for _, k, v in stored]

    unwatch_all(line)  # a late run would now remove the hit
    late = pipeline.classify(ctx.config, db, ctx.vault, comm_id, job=stalled)
    assert late == {"job": stalled.id, "discarded": "lost"}
    assert [(lb.id, lb.kind, lb.value) for lb in current(line, comm_id)] == stored  # untouched
    assert db.write(lambda tx: queue.finish(tx, stalled, "stalled")) == "lost"
    classified = "SELECT details FROM audit_entries WHERE action = 'comm.classified'"
    assert len(line.rows(classified)) == 1  # the taker's run only

    # queued again while the taker ran (the communication was amended): stale, not stored
    db.write(lambda tx: queue.enqueue(tx, CLASSIFY, comm_id, taker.case_id))
    stale = pipeline.classify(ctx.config, db, ctx.vault, comm_id, job=taker)
    assert stale == {"job": taker.id, "discarded": "newer"}
    assert [(lb.id, lb.kind, lb.value) for lb in current(line, comm_id)] == stored
    assert db.write(lambda tx: queue.finish(tx, taker, "taker")) == "queued"  # runs again


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_a_foreign_language_sms_goes_to_the_interpreter_queue(line: Line) -> None:
    text = "Rendez-vous demain soir au port, apporte l'argent et ne dis rien à personne."
    comm_id = sms_comm(line, text)
    ctx = runner(line).ctx
    pipeline.classify(ctx.config, ctx.db, ctx.vault, comm_id)
    svc = line.world.svc
    # the queue is for those who give out translations; interpreters see only their own
    queue = service.interpreter_queue(svc, line.world.as_("inv1"), None)
    assert [(q["communication"], q["language"]) for q in queue] == [(comm_id, "fr")]
    assert service.interpreter_queue(svc, line.world.as_("wo"), "ar") == []
    with pytest.raises(Forbidden, match=r"may not case\.list"):
        service.interpreter_queue(svc, line.world.as_("terp"), None)
    translations.assign(svc, line.world.as_("inv1"), comm_id, "terp", "es")
    (mine,) = translations.my_queue(svc, line.world.as_("terp"))
    assert (mine["communication"], mine["spoken"], mine["language"]) == (comm_id, "fr", "es")


# --- voice: speech made here, sent by the simulator over TCP, assembled, classified -----

# Short on purpose: speech-to-text on a shared CPU takes seconds per second of speech.
# Words that Whisper base gets back from espeak-ng's Spanish through A-law (measured here;
# "Algeciras" came back as "algatía" and spoken digits as "beis teote…").
SCRIPT = (
    speechgen.Turn("a", "La entrega es el martes.", "es"),
    speechgen.Turn("b", "Vale, hasta luego.", "es"),
)


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Whisper base assembled once from its packages for the whole session."""
    data = tmp_path_factory.mktemp("whisper")
    return whisper_dir(config.Config(data, config.Settings()))


def speech_runner(line: Line, model_dir: Path) -> Runner:
    """A runner with the session's model; the per-segment limit raised, as the test machine
    is shared and a loaded CPU must not turn into flagged segments here."""
    return runner(
        line,
        CUSTODIO_CLASSIFY_MODEL_DIR=str(model_dir),
        CUSTODIO_CLASSIFY_SEGMENT_TIMEOUT_SECONDS="300",
    )


def send_call(line: Line, target: bytes, other: bytes, seed: int) -> int:
    """One call whose target says ``target`` and the other party ``other`` (A-law octets),
    delivered by the simulator over TCP as it delivers its own espeak-ng phrases."""
    frames = -(-max(len(target), len(other)) // media.FRAME_OCTETS)
    line.deliver(calls=1, duration=frames * media.FRAME_MS / 1000, seed=seed,
                 voices={"target": target, "other": other})  # fmt: skip
    line.assemble()
    (row,) = line.rows(
        "SELECT id FROM communications WHERE kind = 'voice' ORDER BY id DESC LIMIT 1"
    )
    return int(row["id"])


@pytest.mark.slow
@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_a_call_is_transcribed_per_direction_with_planted_words_at_their_seconds(
    line: Line, model_dir: Path
) -> None:
    svc, inv = line.world.svc, line.world.as_("inv1")
    term = service.watchlist_add(svc, inv, CASE, "entrega", "term")
    made = speechgen.call(SCRIPT)
    octets = {side: speechgen.alaw(made.pcm[side]) for side in ("a", "b")}
    comm_id = send_call(line, octets["a"], octets["b"], seed=11)
    run = speech_runner(line, model_dir)
    job = run.run_next()  # the job assembly queued when the call closed
    assert job is not None and job.communication_id == comm_id
    assert line.rows("SELECT state FROM jobs WHERE id = ?", (job.id,))[0]["state"] == "done"

    found = current(line, comm_id)
    (hit,) = [lb for lb in found if lb.kind == "watchlist"]
    said = next(w for w in made.words["a"] if w.text == "entrega")
    assert (hit.value, hit.direction) == ("entrega", "target")
    assert hit.start_s is not None and abs(hit.start_s - said.start) < 0.5, (hit, said)
    langs = {lb.direction: lb.value for lb in found if lb.kind == "language"}
    assert langs == {"target": "es", "other": "es"}
    talk = {lb.direction: float(lb.value) for lb in found if lb.kind == "talk-time"}
    assert talk["target"] > 0 and talk["other"] > 0
    assert not [lb for lb in found if lb.kind in ("silent", "one-sided", "interpreter")]
    notes = svc.db.read(lambda tx: notifications.list_for_case(tx, int(hit.case_id or 0)))
    assert next(n for n in notes if n.kind == "alert.watchlist").detail["term_ids"] == [term]

    docs = service.transcript(svc, inv, line.vault, comm_id, None, "checking the ASR")
    assert [d["direction"] for d in docs] == ["target", "other"]
    assert all(d["language"] == "es" and d["machine_draft"] is False for d in docs)
    assert any(w["text"].strip(".,").lower() == "entrega" for w in docs[0]["words"])
    assert all(w["start"] is not None and w["end"] is not None for w in docs[0]["words"])
    entry = line.world.last_audit()
    assert (entry["action"], entry["actor"]) == ("content.read", "inv1")
    products = line.rows(
        "SELECT direction, details FROM comm_products WHERE communication_id = ? "
        "AND kind = 'transcript' AND superseded_at IS NULL ORDER BY direction",
        (comm_id,),
    )
    assert [p["direction"] for p in products] == ["other", "target"]


@pytest.mark.slow
@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_a_silent_call_is_flagged_and_a_one_sided_english_call_gets_a_draft_translation(
    line: Line, model_dir: Path
) -> None:
    quiet = speechgen.alaw(speechgen.silence(2.0))
    hiss = speechgen.alaw(speechgen.noise(2.0, level_db=-40))
    silent = send_call(line, quiet, hiss, seed=21)
    spoken = speechgen.alaw(speechgen.say("Hello, can you hear me?", "en").pcm)
    one_sided = send_call(line, spoken, hiss, seed=22)
    run = speech_runner(line, model_dir)
    assert run.run_next() is not None and run.run_next() is not None

    flags = {lb.kind: lb.value for lb in current(line, silent)}
    assert flags.get("silent") == "silent" and "one-sided" not in flags
    assert "language" not in flags  # nothing was transcribed
    assert (
        line.rows(
            "SELECT 1 FROM comm_products WHERE communication_id = ? AND kind = 'transcript'",
            (silent,),
        )
        == []
    )
    # the silent call's job runs again after a person overruled the flag: nothing doubles
    before = current(line, silent)
    flag = next(lb for lb in before if lb.kind == "silent")
    service.review_label(line.world.svc, line.world.as_("inv1"), flag.id, "overruled",
                         "the target whispers")  # fmt: skip
    pipeline.classify(run.ctx.config, run.ctx.db, run.ctx.vault, silent)
    after = current(line, silent)
    assert sorted((lb.kind, lb.direction) for lb in after) == sorted(
        (lb.kind, lb.direction) for lb in before)  # fmt: skip
    assert next(lb for lb in after if lb.kind == "silent").id == flag.id
    assert next(lb for lb in after if lb.kind == "silent").review == "overruled"

    flags = {lb.kind: lb.value for lb in current(line, one_sided)}
    assert flags.get("one-sided") == "target" and "silent" not in flags
    # English is not a working language (es): the interpreter queue, and a machine draft
    assert flags.get("interpreter") == "en"
    svc = line.world.svc
    queue = service.interpreter_queue(svc, line.world.as_("wo"), "en")
    assert [q["communication"] for q in queue] == [one_sided]
    inv = line.world.as_("inv1")
    (draft,) = service.transcript(svc, inv, line.vault, one_sided, "target", "triage",
                                  translation=True)  # fmt: skip
    assert draft["machine_draft"] is True and draft["task"] == "translate"
    args = ["--user", "inv1", "comms", "transcript", str(one_sided), "--translation",
            "--purpose", "triage"]  # fmt: skip
    with serving(line, line.vault) as url:  # the CLI reads it through the API
        env = {
            "CUSTODIO_SERVER": url,
            "CUSTODIO_PASSWORD": PASSWORD,
            "CUSTODIO_VAULT_PASSPHRASE": None,
            "XDG_CONFIG_HOME": str(line.directory),
        }
        shown = CliRunner().invoke(cli, args, env=env)
    assert shown.exit_code == 0, shown.output
    assert "MACHINE DRAFT TRANSLATION" in shown.output.splitlines()[0]
    assert "target" in shown.output.splitlines()[1]  # who spoke, with the seconds
