"""What a classification job does for one communication.

:func:`run` (the handler of jobs of kind ``classify``: :mod:`custodio.classify.handlers`)
loads the communication, its products and its case's watch-list and tuning; reads the
audio of each direction (or the SMS) from the vault; runs the engines; and stores
everything the run found in **one** transaction: the labels (replacing the previous
run's, :func:`custodio.catalog.labels.store_run`), the transcripts (derived products,
superseding the previous run's), the alerts (:mod:`custodio.classify.alerts`) and a
``comm.classified`` audit entry (engine versions and label counts — never content).
Webhooks are POSTed after the commit.

Voice, per direction (the transcript says who spoke without diarization):
voice activity → spoken language on the gathered speech (restricted to
``classify_languages``) → speech-to-text per speech segment → a machine draft
translation to English when the language is not a working language. SMS: the text's
language (lingua). Then, on the words of each direction: watch-list hits, entities
(spoken numbers included), privilege hints; and for the communication: silent and
one-sided flags, talk time per party, interpreter needed, and the priority score.

A sealed communication (protected number) or one without a case is not analysed: its
content is not to be read, by people or machines; the run records only that it skipped.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from custodio import audit
from custodio.catalog import cases, comms, labels, transcripts, watchlists
from custodio.catalog import jobs as queue
from custodio.catalog.search_index import Passage
from custodio.catalog.vault_index import TxIndex
from custodio.classify import alerts, entities, priority, privilege, watchlist
from custodio.classify.jobs import Job, JobContext
from custodio.classify.labels import Label, Source
from custodio.classify.speech import vad
from custodio.classify.speech.asr import Speech
from custodio.classify.speech.audio import pcm_from_wav
from custodio.classify.speech.language import text_language
from custodio.classify.text import Word, words_from_text
from custodio.config import Config
from custodio.db import Database, Tx
from custodio.db.times import from_text, to_text
from custodio.vault.envelope import Kind
from custodio.vault.index import ObjectRef
from custodio.vault.store import Vault

log = logging.getLogger(__name__)

EVENT = "comm.classified"
SYSTEM = "system"
TRANSCRIPT_FORMAT = 1
# Owners whose labels a run replaces (a run that finds nothing of one removes its old ones).
ENGINES = (
    "activity",
    "language",
    watchlist.ENGINE,
    entities.ENGINE,
    privilege.ENGINE,
    priority.ENGINE,
)
DIRECTIONS = ("target", "other")


# --- the job handler -----------------------------------------------------------------


def run(ctx: JobContext, job: Job) -> None:
    """The ``classify`` job: classify the communication (idempotent)."""
    classify(ctx.config, ctx.db, ctx.vault, job.communication_id, job=job)


@dataclass
class Side:
    """What the engines found in one direction (or the SMS, direction None)."""

    direction: str | None
    words: list[Word] = field(default_factory=list)
    language: str | None = None
    language_p: float = 0.0
    activity: Any = None  # speech.vad.Activity for voice
    transcript: dict[str, Any] | None = None  # the transcript object's JSON
    translation: dict[str, Any] | None = None


@dataclass(frozen=True)
class Facts:
    """What the run reads from the catalog before it touches any content."""

    comm: comms.Communication
    products: list[comms.Product]
    case_reference: str
    terms: list[watchlists.WatchTerm]
    tuning: watchlists.Tuning
    new_contacts: int


def classify(
    config: Config, db: Database, vault: Vault, comm_id: int, *, job: Job | None = None
) -> dict[str, Any]:
    """Classify one communication; return the summary written to the audit log.

    Run as ``job``, the results are stored only while its worker still holds it
    (:func:`custodio.catalog.jobs.holds`): a worker that stalled past its lease, or whose
    communication was queued again meanwhile, stores nothing and says why.
    """
    job_id = None if job is None else job.id
    facts = db.read(lambda tx: _facts(tx, comm_id))
    comm = facts.comm
    skip = _skip_reason(comm)
    if skip is not None:
        summary = {"skipped": skip, "job": job_id}
        db.write(lambda tx: _audit(tx, comm, summary))
        return summary
    settings = config.settings
    allowed = _langs(settings.classify_languages)
    working = _langs(settings.classify_working_languages)
    hotwords = tuple(t.text for t in facts.terms if t.kind != "number")
    sides = _analyse(config, vault, comm, facts.products, allowed, working, hotwords)
    found, term_ids, versions = _labels(sides, comm, facts, working, settings)
    refs = _write_transcripts(vault, comm, sides)
    webhook = bool(settings.alerts_webhook_url)

    def store(tx: Tx) -> dict[str, Any]:
        held = "held" if job is None else queue.holds(tx, job)
        if held != "held":
            return {"job": job_id, "discarded": held}
        case_id, agency_id = comm.case_id, comm.agency_id
        assert case_id is not None and agency_id is not None  # _skip_reason: a case's
        new = [_flatten(direction, label) for direction, label in found]
        result = labels.store_run(tx, comm_id, case_id, ENGINES, new)
        recorded = 0
        for direction, ref, details, passages in refs:
            if transcripts.record(
                tx,
                comm_id,
                direction,
                ref.case_id,
                ref.object_id,
                ref.sha256 or "",
                ref.size,
                details,
                passages=passages,
            ):
                TxIndex(tx).add_reference(ref)
                recorded += 1
        score = next(float(lb.detail["score"]) for _, lb in found if lb.kind == "priority")
        threshold = (
            facts.tuning.alert_threshold
            if facts.tuning.alert_threshold is not None
            else priority.DEFAULT_ALERT_THRESHOLD
        )
        outcome = alerts.Outcome(agency_id, case_id, comm_id, term_ids, score, threshold)
        alert_ids = alerts.raise_alerts(tx, outcome, webhook=webhook)
        summary = {
            "job": job_id,
            "engines": versions,
            "labels": labels.counts(new),
            "added": result.added,
            "replaced": result.replaced,
            "kept_reviewed": result.kept_reviewed,
            "superseded": result.superseded,
            "transcripts": recorded,
            "alerts": len(alert_ids),
        }
        _audit(tx, comm, summary)
        return summary

    stored: dict[str, Any] = db.write(store)
    if "discarded" in stored:
        why = "lost its lease" if stored["discarded"] == "lost" else "was queued again"
        log.warning("communication %d: job %s %s, results discarded", comm_id, job_id, why)
        return stored
    if webhook:  # this run's alerts, and any an earlier run left pending
        alerts.deliver(db, settings.alerts_webhook_url)
    return stored


def _skip_reason(comm: comms.Communication) -> str | None:
    if comm.case_id is None or comm.quarantined:
        return "no-case"
    if comm.sealed:
        return "sealed"
    if comm.status == "open":
        return "open"
    return None


def _langs(setting: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(x.lower() for x in setting)


def _facts(tx: Tx, comm_id: int) -> Facts:
    comm = comms.get(tx, comm_id)
    products = [p for p in comms.products_of(tx, comm_id) if p.kind in ("audio", "message")]
    case_id = comm.case_id
    if case_id is None:
        return Facts(comm, products, "", [], watchlists.Tuning(None, {}, None), 0)
    reference = cases.by_id(tx, case_id).reference
    others = [p.e164 for p in comms.parties_of(tx, comm_id) if p.e164 and not p.is_target]
    seen = labels.numbers_seen_before(tx, case_id, comm_id, others)
    return Facts(
        comm,
        products,
        reference,
        watchlists.terms(tx, case_id),
        watchlists.tuning(tx, case_id),
        len(set(others) - seen),
    )


# --- the engines -----------------------------------------------------------------------


def _analyse(
    config: Config,
    vault: Vault,
    comm: comms.Communication,
    products: Sequence[comms.Product],
    allowed: tuple[str, ...],
    working: tuple[str, ...],
    hotwords: tuple[str, ...] = (),
) -> list[Side]:
    messages = [p for p in products if p.kind == "message"]
    audio = {p.direction: p for p in products if p.kind == "audio"}
    if messages:
        return [_sms(vault, m, allowed) for m in messages[:1]]
    if audio or comm.kind == "voice":
        return [
            _voice(config, vault, audio.get(d), d, allowed, working, hotwords) for d in DIRECTIONS
        ]
    return []


def _sms(vault: Vault, product: comms.Product, allowed: tuple[str, ...]) -> Side:
    body = json.loads(vault.get(*product.stored()))
    text = str(body.get("text") or "")  # null: 8-bit data, or parts missing
    side = Side(None, words_from_text(text))
    lang, p = text_language(text, allowed)
    side.language, side.language_p = lang, float(p)
    return side


_speech_lock = threading.Lock()
_speech: dict[str, Speech] = {}


def speech_engine(config: Config) -> Speech:
    """The process's one loaded speech-to-text model (loaded, and its digest checked, on
    first use; one per model setting, so a test session with two data dirs shares it)."""
    s = config.settings
    model = config.data_dir / s.classify_model_dir if s.classify_model_dir else config.data_dir
    key = f"{model}|{s.classify_threads}|{s.classify_segment_timeout_seconds}"
    with _speech_lock:
        if key not in _speech:
            _speech[key] = Speech.from_config(config)
        return _speech[key]


def _voice(
    config: Config,
    vault: Vault,
    product: comms.Product | None,
    direction: str,
    allowed: tuple[str, ...],
    working: tuple[str, ...],
    hotwords: tuple[str, ...] = (),
) -> Side:
    """One direction of a call. The case's watch-list terms bias the decoder towards their
    spelling (docs/benchmarks.md: recall 0.57 -> 0.79 on generated calls)."""
    side = Side(direction)
    if product is None:
        return side
    pcm = pcm_from_wav(vault.get(*product.stored()))
    side.activity = vad.activity(pcm, refine=True)
    if side.activity.silent:
        return side
    engine = speech_engine(config)
    segments = side.activity.segments
    lang, p = engine.detect_language(pcm, segments, allowed)
    side.language, side.language_p = lang, float(p)
    transcript = engine.transcribe(pcm, segments, lang, task="transcribe", hotwords=hotwords)
    side.words = [Word(w.text, w.start, w.end) for w in transcript.words]
    side.transcript = _transcript_json(direction, transcript, engine.version)
    if lang not in working:
        draft = engine.transcribe(pcm, segments, lang, task="translate")
        side.translation = _transcript_json(direction, draft, engine.version)
    return side


def _transcript_json(direction: str, t: Any, version: str) -> dict[str, Any]:
    return {
        "format": TRANSCRIPT_FORMAT,
        "direction": direction,
        "language": t.language,
        "task": t.task,
        "machine_draft": t.task == "translate",
        "engine": version,
        "words": [{"text": w.text, "start": w.start, "end": w.end} for w in t.words],
        "segments": [
            {"start": s.start, "end": s.end, "text": s.text, "flag": s.flag} for s in t.segments
        ],
    }


def _write_transcripts(
    vault: Vault, comm: comms.Communication, sides: Sequence[Side]
) -> list[tuple[str, ObjectRef, dict[str, Any], list[Passage]]]:
    """Transcript objects into the vault (before the transaction that records them), with
    their segments for the search index."""
    out = []
    for side in sides:
        for doc in (side.transcript, side.translation):
            if doc is None or side.direction is None:
                continue
            data = json.dumps(doc, ensure_ascii=False, sort_keys=True).encode()
            ref = vault.write_file(
                str(comm.case_id), Kind.TRANSCRIPT, io.BytesIO(data), sha256=True
            )
            if ref.sha256 is None:
                ref = ObjectRef(
                    ref.case_id,
                    ref.object_id,
                    ref.kind,
                    ref.size,
                    ref.stored_size,
                    sha256=hashlib.sha256(data).hexdigest(),
                )
            flagged = sum(1 for s in doc["segments"] if s["flag"])
            details = {
                "task": doc["task"],
                "language": doc["language"],
                "engine": doc["engine"],
                "machine_draft": doc["machine_draft"],
                "words": len(doc["words"]),
                "segments": len(doc["segments"]),
                "flagged_segments": flagged,
            }
            passages = [Passage(str(seg["text"]), seg["start"]) for seg in doc["segments"]]
            out.append((side.direction, ref, details, passages))
    return out


# --- labels ----------------------------------------------------------------------------


def _labels(
    sides: Sequence[Side],
    comm: comms.Communication,
    facts: Facts,
    working: tuple[str, ...],
    settings: Any,
) -> tuple[list[tuple[str | None, Label]], list[int], dict[str, str]]:
    threshold = facts.tuning.match_threshold or watchlist.DEFAULT_THRESHOLD
    terms = tuple(watchlist.Term(t.text, t.kind) for t in facts.terms)  # type: ignore[arg-type]
    wl = watchlist.WatchList(terms, threshold=threshold)
    gazetteer = [t.text for t in facts.terms if t.kind == "place"]
    firms = settings.classify_law_firms
    found: list[tuple[str | None, Label]] = []
    for side in sides:
        if not side.words:
            continue
        d = side.direction
        found += [(d, lb) for lb in watchlist.match(side.words, wl)]
        found += [(d, lb) for lb in entities.extract(side.words, gazetteer=gazetteer)]
        found += [(d, lb) for lb in privilege.find(side.words, firms=firms)]
    found += _activity_labels(sides)
    found += _language_labels(sides, working)
    by_text = {(t.text, t.kind): t.id for t in facts.terms}
    hit_ids = sorted(
        {
            by_text[(lb.value, lb.detail.get("term_kind", "term"))]
            for _, lb in found
            if lb.kind == "watchlist" and (lb.value, lb.detail.get("term_kind", "term")) in by_text
        }
    )
    facts_p = priority.Facts(
        watchlist_terms=len(hit_ids),
        entities=sum(1 for _, lb in found if lb.kind in priority.ENTITY_KINDS),
        new_contacts=facts.new_contacts,
        minutes=_minutes(comm, sides),
        begin_at=from_text(comm.begin_at) if comm.begin_at else None,
    )
    found.append((None, priority.score(facts_p, facts.tuning.weights)))
    versions = {
        watchlist.ENGINE: watchlist.VERSION,
        entities.ENGINE: entities.VERSION,
        privilege.ENGINE: privilege.VERSION,
        priority.ENGINE: priority.VERSION,
        **_speech_versions(sides),
    }
    return found, hit_ids, versions


def _speech_versions(sides: Sequence[Side]) -> dict[str, str]:
    out = {}
    for side in sides:
        if side.activity is not None:
            out["vad"] = f"{vad.ENGINE}/{vad.VERSION}"
        if side.transcript is not None:
            out["asr"] = str(side.transcript["engine"])
    if any(s.direction is None for s in sides):
        out["language"] = "lingua"
    return out


def _minutes(comm: comms.Communication, sides: Sequence[Side]) -> float:
    if comm.kind == "sms":
        return 1.0
    start = comm.answer_at or comm.begin_at
    if start and comm.end_at:
        return max(0.0, (from_text(comm.end_at) - from_text(start)).total_seconds() / 60)
    durations = [s.activity.duration_s for s in sides if s.activity is not None]
    return max(durations, default=0.0) / 60


def _activity_labels(sides: Sequence[Side]) -> list[tuple[str | None, Label]]:
    voiced = [s for s in sides if s.direction is not None]
    if not voiced:
        return []

    src = Source("activity", f"{vad.ENGINE}/{vad.VERSION}")
    out: list[tuple[str | None, Label]] = []
    speaking = [s.direction for s in voiced if s.activity is not None and not s.activity.silent]
    for s in voiced:
        if s.activity is None:
            continue
        a = s.activity
        out.append(
            (
                s.direction,
                Label(
                    kind="talk-time",
                    value=f"{a.talk_s:.1f}",
                    confidence=1.0,
                    source=Source(src.engine, src.version, "talk-time"),
                    detail={
                        "talk_s": round(a.talk_s, 2),
                        "duration_s": round(a.duration_s, 2),
                        "segments": len(a.segments),
                    },
                ),
            )
        )
    if not speaking:
        out.append(
            (
                None,
                Label(
                    kind="silent",
                    value="silent",
                    confidence=1.0,
                    source=Source(src.engine, src.version, "silent"),
                ),
            )
        )
    elif len(speaking) == 1:
        out.append(
            (
                None,
                Label(
                    kind="one-sided",
                    value=str(speaking[0]),
                    confidence=1.0,
                    source=Source(src.engine, src.version, "one-sided"),
                ),
            )
        )
    return out


def _language_labels(
    sides: Sequence[Side], working: tuple[str, ...]
) -> list[tuple[str | None, Label]]:
    out: list[tuple[str | None, Label]] = []
    needs: dict[str, float] = {}
    for s in sides:
        if s.language is None:
            continue
        rule = "text" if s.direction is None else "speech"
        out.append(
            (
                s.direction,
                Label(
                    kind="language",
                    value=s.language,
                    confidence=round(min(1.0, max(0.0, s.language_p)), 4),
                    source=Source("language", "1", rule),
                ),
            )
        )
        if s.language not in working:
            needs[s.language] = max(needs.get(s.language, 0.0), s.language_p)
    for lang, p in sorted(needs.items()):
        out.append(
            (
                None,
                Label(
                    kind="interpreter",
                    value=lang,
                    confidence=round(min(1.0, max(0.0, p)), 4),
                    source=Source("language", "1", "interpreter"),
                ),
            )
        )
    return out


def _flatten(direction: str | None, label: Label) -> labels.NewLabel:
    key = (
        label.key
        if direction is None
        else hashlib.sha256(f"{direction}:{label.key}".encode()).hexdigest()[:32]
    )
    return labels.NewLabel(
        label_key=key,
        owner=label.owner,
        kind=label.kind,
        value=label.value,
        confidence=label.confidence,
        source=str(label.source),
        direction=direction,
        text=label.text,
        word_start=label.start,
        word_end=label.end,
        start_s=label.start_s,
        end_s=label.end_s,
        detail=dict(label.detail),
        created_at=to_text(label.created),
    )


def _audit(tx: Tx, comm: comms.Communication, details: dict[str, Any]) -> None:
    audit.append(
        tx,
        audit.Event(
            action=EVENT,
            outcome=audit.ALLOWED,
            target=f"communication:{comm.id}",
            actor=SYSTEM,
            agency_id=comm.agency_id,
            case_id=comm.case_id,
            details=details,
        ),
    )
