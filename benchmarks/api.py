"""The REST API under load: timeline, search and audio first byte, 20 users on loopback.

    .venv/bin/python benchmarks/api.py [--comms 1000000] [--transcripts 200000]
        [--backend sqlite|postgresql|both] [--seconds 30] [--users 20] [--think 1.0] [--quick]
        [--against TREE [--this TREE] [--rounds 2] [--paired-only]]

A catalog of ``--comms`` communications (four cases, each with its warrant, spread over
87 days) and ``--transcripts`` transcripts of six segments each, with their search index;
``custodio serve`` on loopback ports; one investigator assigned to the four cases logs in
through the API ``--users`` times, and that many threads, each with its own httpx client
and token, ask for ``--seconds`` a mix of:

- timeline: ``GET /cases/REF/communications?from=..&to=..``, a window of one case placed
  at random and sized to hold about 50 communications (the API has filters, no page size);
- search: ``GET /search?q=..`` over the four cases, a word said in about 12 % of the
  transcripts (``dinero``) or one said in 1 of 10,000 (``zarzaparrilla``);
- audio first byte: ``GET /communications/ID/audio?direction=target`` with
  ``Range: bytes=0-4095``, the time until the first octet of the body arrives.

Each request is timed from the client: p50/p95/p99, count and throughput per kind. The
users ask with no pause (the service saturated: latency is then ``--users`` over the
throughput), then again each pausing ``--think`` seconds on average between an answer and
the next request (exponentially distributed: people reading what they asked for). Beside
each figure, measured in the same run on the same catalog: ``GET /health`` under the same
concurrency (the server's floor: uvicorn, the event loop, no catalog), and without HTTP,
one call at a time in this process, the same timeline query and search as catalog SQL
alone and as the service function (policy and audit entry included), and ``Vault.get``
of the same audio object. Then the CLI's start-up: ``custodio --help`` and
``custodio comms list`` asking the running service (median of 5). With ``--against TREE``
(a worktree of an older commit) the mixed load is then served alternately by this code
and by that tree's, ``--rounds`` times each, and the p95 ratios printed.

The data are written in bulk, not by the assembler and the classifier: the same rows
(``communications``, ``comm_parties``, the ``pdus`` product, ``transcript`` products and
their ``search_docs`` rows, the FTS5 rows on SQLite; the ``tsvector`` the database
generates on PostgreSQL) with ``executemany`` (SQLite) or ``COPY`` (PostgreSQL) in large
transactions. Left out: the audit entries of assembly (seals), the classification jobs and
the ``call.started`` notifications; the transcripts' vault objects are placeholders (only
the search index reads their text). The audio is real: ``--audio`` communications get a
60 s A-law WAV per direction stored through ``Vault.put``, so decryption is real. The built
data directory (and PostgreSQL database) is kept under ``/tmp/custodio-bench-api`` keyed
by backend and size, so that a rerun skips building; ``--rebuild`` builds it again,
``--clean`` removes them and exits.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import psycopg

from custodio import config
from custodio.access import admin, casework, setup, vaults
from custodio.access import comms as comms_service
from custodio.access import search as search_service
from custodio.access.service import Service
from custodio.assemble import wav
from custodio.catalog import comms as catalog_comms
from custodio.catalog import identifiers, warrants
from custodio.catalog import search as catalog_search
from custodio.db import Tx
from custodio.db.times import now_text, to_text
from custodio.vault.envelope import Kind

PASSWORD = "correct-horse-battery"
PASSPHRASE = "benchmark-passphrase"
AGENCY, UNIT, OPERATOR = "Policía Nacional", "UDYCO", "movistar"
CASES = tuple(f"DP {n}/2026" for n in range(1, 5))
START = datetime(2026, 9, 10, tzinfo=UTC)  # the warrants' start; today is after the span
SPAN = timedelta(days=87)
PAGE = 50  # communications a timeline window holds
SEGMENTS = 6  # per transcript
COMMON, COMMON_SHARE = "dinero", 0.12
RARE, RARE_EVERY = "zarzaparrilla", 10_000
AUDIO_SECONDS = 60
CHUNK = 50_000
CACHE = Path("/tmp/custodio-bench-api")
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
CUSTODIO = [sys.executable, "-m", "custodio.client.main"]
MIX = (("timeline", 0.4), ("search common", 0.15), ("search rare", 0.15), ("audio", 0.3))
_SPOKEN = (
    "de la que el en y a los se del las un por con no una su para es al lo como más pero "
    "sus le ya o este sí porque esta entre cuando muy sin sobre también me hasta hay donde "
    "quien desde todo nos durante todos uno les ni contra otros ese eso ante ellos esto "
    "antes algunos qué unos yo otro otras otra él tanto esa estos mucho quienes nada muchos "
    "cual poco ella estar estas algunas algo nosotros mañana llamar quedamos coche casa hora "
    "vale bueno oye mira luego tarde noche puerto paquete entrega semana viernes lunes"
)
WORDS = tuple(_SPOKEN.split())


def secrets(name: str, prompt: str) -> str:
    return PASSPHRASE


# --- the data -----------------------------------------------------------------------------


@dataclass
class Built:
    """A built data directory and what the load needs to know of it."""

    directory: str
    catalog_url: str
    comms: int
    transcripts: int
    audio_ids: list[int]
    case_ids: dict[str, int]
    build_s: float
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def per_case(self) -> int:
        return self.comms // len(CASES)


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    """Everyday words first, then made-up ones of 2 to 4 syllables (a long tail)."""
    syllables = [c + v for c in "bcdfglmnprstvz" for v in "aeiou"] + ["ción", "mos", "ñe"]
    made = {"".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(size * 2)}
    tail = sorted(made - {COMMON, RARE} - set(WORDS))[: size - len(WORDS)]
    rng.shuffle(tail)
    return list(WORDS) + tail


def data_dir(directory: Path, backend: str, db_name: str) -> config.Config:
    url = ""
    if backend == "postgresql":
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db_name}"')
            conn.execute(f'CREATE DATABASE "{db_name}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + db_name
    os.environ["CUSTODIO_CATALOG_URL"] = url
    os.environ["CUSTODIO_AUTH_SECOND_FACTOR"] = "off"
    try:
        return setup.init(setup.InitRequest(directory, AGENCY, "admin", PASSWORD), secrets)
    finally:
        del os.environ["CUSTODIO_CATALOG_URL"], os.environ["CUSTODIO_AUTH_SECOND_FACTOR"]


def people_and_cases(svc: Service) -> dict[str, int]:
    """A warrant officer, an investigator assigned to the four cases, each with a warrant."""
    boss = svc.login("admin", PASSWORD)
    admin.add_unit(svc, boss, UNIT)
    admin.add_user(svc, boss, admin.NewUser("wo", "warrant_officer", PASSWORD, unit=UNIT))
    admin.add_user(svc, boss, admin.NewUser("inv", "investigator", PASSWORD, unit=UNIT))
    wo = svc.login("wo", PASSWORD)
    for n, ref in enumerate(CASES):
        casework.add_case(svc, wo, casework.NewCase(ref, "JI 3 Madrid", f"Bench {n}", UNIT))
        casework.add_warrant(
            svc,
            wo,
            ref,
            warrants.NewWarrant(
                reference=f"AUTO {n + 1}/2026",
                court="JI 3 Madrid",
                judge="Ana Ruiz",
                issued_at=START,
                valid_from=START,
                valid_until=START + timedelta(days=170),
                scope=frozenset({"content", "traffic"}),
                targets=(identifiers.parse(f"e164:+3460011122{n}"),),
                liids=((f"ES-BENCH-{n:04d}", OPERATOR),),
            ),
        )
        casework.assign(svc, wo, ref, "inv", None)
    rows = svc.db.read(lambda tx: tx.all("SELECT id, reference FROM cases"))
    return {r["reference"]: int(r["id"]) for r in rows}


def bulk(tx: Tx, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """``executemany`` on SQLite, ``COPY`` on PostgreSQL."""
    if isinstance(tx.conn, sqlite3.Connection):
        marks = ", ".join("?" for _ in columns)
        tx.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        return
    assert isinstance(tx.conn, psycopg.Connection)
    with tx.conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)


COMM_COLS = ("id", *catalog_comms.COMM_COLUMNS, "created_at", "updated_at")
PARTY_COLS = ("id", "communication_id", "role", "delivered", "e164", "is_target", "source")
PRODUCT_COLS = (
    "id",
    "communication_id",
    "kind",
    "direction",
    "first_seq",
    "last_seq",
    "records",
    "vault_case",
    "object_id",
    "sha256",
    "size",
    "details",
    "created_at",
)
DOC_COLS = ("id", "communication_id", "kind", "source_id", "direction", "start_s", "text")


def comm_rows(
    first: int, last: int, n: int, case_ids: list[int], agency: int, warrant_ids: list[int]
) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]:
    """Communication ``i`` (ids ``first``..``last``) with its two parties."""
    now = now_text()
    step = SPAN / n
    for i in range(first, last):
        c = i % len(CASES)
        begin = START + step * i + timedelta(seconds=1)
        end = begin + timedelta(seconds=30 + i % 270)
        values = (
            i + 1,
            agency,
            case_ids[c],
            warrant_ids[c],
            f"ES-BENCH-{c:04d}",
            OPERATOR,
            i,
            None,
            "voice",
            "originating",
            "complete",
            "[]",
            "[]",
            to_text(begin),
            to_text(begin + timedelta(seconds=4)),
            to_text(end),
            "iri-end",
            "answered",
            f"warrant target e164:+3460011122{c} is the calling-isup party",
            0,
            0,
            0,
            i * 100 + 1,
            i * 100 + 99,
            now,
            now,
        )
        other = f"6{(i * 7919) % 100_000_000:08d}"
        parties = [
            ("originating", f"3460011122{c}", f"+3460011122{c}", 1, "calling-isup"),
            ("terminating", other, f"+34{other}", 0, "called-isup"),
        ]
        yield values, parties


def load_comms(svc: Service, n: int, case_ids: dict[str, int]) -> None:
    def ids(tx: Tx) -> tuple[int, list[int]]:
        agency = int(tx.scalar("SELECT agency_id FROM cases LIMIT 1"))
        rows = tx.all("SELECT w.id FROM warrants w JOIN cases c ON c.id = w.case_id ORDER BY c.id")
        return agency, [int(r["id"]) for r in rows]

    agency, warrant_ids = svc.db.read(ids)
    cases = [case_ids[ref] for ref in CASES]
    for first in range(0, n, CHUNK):
        last = min(n, first + CHUNK)
        comms, parties, products = [], [], []
        for values, pair in comm_rows(first, last, n, cases, agency, warrant_ids):
            comms.append(values)
            i = values[0]
            parties += [(2 * i - 1 + k, i, *p) for k, p in enumerate(pair)]
            digest = hashlib.sha256(i.to_bytes(8, "big")).hexdigest()
            products.append(
                (
                    i,
                    i,
                    "pdus",
                    None,
                    i * 100 + 1,
                    i * 100 + 99,
                    99,
                    None,
                    None,
                    digest,
                    0,
                    '{"sequences": {}}',
                    values[-1],
                )
            )
        svc.db.write(functools.partial(write_comms, rows=(comms, parties, products)))


def write_comms(tx: Tx, rows: tuple[list[Any], list[Any], list[Any]]) -> None:
    bulk(tx, "communications", COMM_COLS, rows[0])
    bulk(tx, "comm_parties", PARTY_COLS, rows[1])
    bulk(tx, "comm_products", PRODUCT_COLS, rows[2])


def _accumulate(values: list[float]) -> Iterator[float]:
    total = 0.0
    for v in values:
        total += v
        yield total


class Segments:
    """Generates transcripts' segments fast (one cumulative weight table for all)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary(self.rng)
        self.cum = list(_accumulate([1 / (r + 1) for r in range(len(self.words))]))

    def of(self, t: int) -> list[str]:
        rng = self.rng
        texts = [
            " ".join(rng.choices(self.words, cum_weights=self.cum, k=rng.randint(8, 16)))
            for _ in range(SEGMENTS)
        ]
        if rng.random() < COMMON_SHARE:
            texts[rng.randrange(SEGMENTS)] += f" el {COMMON} del viernes"
        if t % RARE_EVERY == 7:
            texts[rng.randrange(SEGMENTS)] += f" un {RARE} frío"
        return texts


def load_transcripts(svc: Service, n_comms: int, n: int, case_ids: dict[str, int]) -> None:
    """Transcript ``t`` is of communication ``t * n_comms // n + 1`` (target side)."""
    segments = Segments(2026)
    base = int(svc.db.read(lambda tx: tx.scalar("SELECT MAX(id) FROM comm_products")) or 0)
    cases = [str(case_ids[ref]) for ref in CASES]
    details = json.dumps(
        {"engine": "bulk", "language": "es", "segments": SEGMENTS, "task": "transcribe"},
        sort_keys=True,
    )
    per = max(1, CHUNK // SEGMENTS)
    for first in range(0, n, per):
        products, docs = [], []
        for t in range(first, min(n, first + per)):
            comm = t * n_comms // n + 1
            pid = base + t + 1
            oid = hashlib.sha256(b"transcript %d" % t).hexdigest()
            products.append(
                (
                    pid,
                    comm,
                    "transcript",
                    "target",
                    None,
                    None,
                    0,
                    cases[(comm - 1) % len(CASES)],
                    oid,
                    oid,
                    900,
                    details,
                    now_text(),
                )
            )
            for s, text in enumerate(segments.of(t)):
                docs.append(
                    (t * SEGMENTS + s + 1, comm, "transcript", pid, "target", float(5 * s), text)
                )
        svc.db.write(functools.partial(write_transcripts, products=products, docs=docs))


def write_transcripts(tx: Tx, products: list[Any], docs: list[Any]) -> None:
    """The products, their passages, and (SQLite) the passages into FTS5 as search_index
    does, row for row."""
    bulk(tx, "comm_products", PRODUCT_COLS, products)
    bulk(tx, "search_docs", DOC_COLS, docs)
    if tx.dialect == "sqlite":
        tx.execute(
            "INSERT INTO search_fts (rowid, text) SELECT id, text FROM search_docs "
            "WHERE id BETWEEN ? AND ?",
            (docs[0][0], docs[-1][0]),
        )


def load_audio(svc: Service, vault: Any, n_comms: int, count: int) -> list[int]:
    """``count`` communications, spread over the cases, get a real WAV per direction."""
    rng = random.Random(7)
    ids = sorted({1 + k * n_comms // count for k in range(count)})
    for comm_id in ids:
        comm = svc.db.read(lambda tx, c=comm_id: catalog_comms.get(tx, c))  # type: ignore[misc]
        for side in ("target", "other"):
            samples = rng.randbytes(8000 * AUDIO_SECONDS)
            data = wav.g711_wav(samples, wav.PCMA)
            ref = vault.put(str(comm.case_id), Kind.AUDIO, data)
            summary = {
                "codec": "PCMA",
                "samples": len(samples),
                "packets": len(samples) // 160,
                "duplicates": 0,
                "late": 0,
                "gaps": [],
                "undecoded_payload_types": {},
                "first_at": comm.begin_at,
            }
            product = catalog_comms.Product(
                kind="audio",
                direction=side,
                vault_case=ref.case_id,
                object_id=ref.object_id,
                sha256=hashlib.sha256(data).hexdigest(),
                size=ref.size,
                details=summary,
            )
            svc.db.write(lambda tx, c=comm_id, p=product: catalog_comms.add_product(tx, c, p))  # type: ignore[misc]
    return ids


TABLES = ("communications", "comm_parties", "comm_products", "search_docs")


def sequences(tx: Tx) -> None:
    """PostgreSQL: each identity past the ids given in bulk."""
    for t in TABLES:
        tx.execute(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))")


def finish(svc: Service) -> dict[str, int]:
    """PostgreSQL: the GIN index built once, ANALYZE (what autovacuum does in time). The
    row counts."""
    if svc.db.dialect == "postgresql":
        svc.db.write(
            lambda tx: tx.execute("CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv)")
        )
        with psycopg.connect(svc.db.url.target, autocommit=True) as conn:
            conn.execute("ANALYZE")
    return {
        t: int(svc.db.read(lambda tx, t=t: tx.scalar(f"SELECT COUNT(*) FROM {t}")))  # type: ignore[misc]
        for t in TABLES
    }


def build(
    directory: Path, backend: str, n_comms: int, n_transcripts: int, audio: int, db_name: str
) -> Built:
    started = time.perf_counter()
    cfg = data_dir(directory, backend, db_name)
    svc = Service.open(cfg)
    try:
        case_ids = people_and_cases(svc)
        if svc.db.dialect == "postgresql":
            svc.db.write(lambda tx: tx.execute("DROP INDEX search_docs_tsv"))  # built at the end
        t = time.perf_counter()
        load_comms(svc, n_comms, case_ids)
        print(f"  {n_comms:,} communications in {time.perf_counter() - t:.0f} s", flush=True)
        t = time.perf_counter()
        load_transcripts(svc, n_comms, n_transcripts, case_ids)
        print(f"  {n_transcripts:,} transcripts in {time.perf_counter() - t:.0f} s", flush=True)
        if svc.db.dialect == "postgresql":
            svc.db.write(sequences)
        t = time.perf_counter()
        vault = vaults.open_vault(cfg, svc.db, secrets)
        audio_ids = load_audio(svc, vault, n_comms, audio)
        print(f"  {len(audio_ids)} audio communications in {time.perf_counter() - t:.0f} s")
        rows = finish(svc)
    finally:
        svc.close()
    return Built(
        str(directory),
        cfg.catalog_url,
        n_comms,
        n_transcripts,
        audio_ids,
        case_ids,
        time.perf_counter() - started,
        rows,
    )


def prepared(backend: str, n_comms: int, n_transcripts: int, audio: int, rebuild: bool) -> Built:
    key = f"{backend}-{n_comms}-{n_transcripts}-{audio}"
    root = CACHE / key
    marker = root / "built.json"
    if marker.exists() and not rebuild:
        built = Built(**json.loads(marker.read_text()))
        print(f"{backend}: cached {root} (built in {built.build_s:.0f} s)")
        return built
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True, mode=0o700)
    print(f"{backend}: building {root} (bulk rows, not the assembler)", flush=True)
    built = build(root / "data", backend, n_comms, n_transcripts, audio, f"custodio_bench_{key}")
    marker.write_text(json.dumps(built.__dict__))
    print(f"{backend}: built in {built.build_s:.0f} s: {built.rows}")
    return built


def clean() -> None:
    if CACHE.exists():
        for marker in CACHE.glob("*/built.json"):
            url = json.loads(marker.read_text())["catalog_url"]
            if url.startswith("postgresql"):
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}"')
        shutil.rmtree(CACHE)
    print(f"removed {CACHE} and its PostgreSQL databases")


# --- the load -----------------------------------------------------------------------------


def serve_env(built: Built) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODIO_")}
    return {
        **base,
        "CUSTODIO_DATA": built.directory,
        "CUSTODIO_VAULT_PASSPHRASE": PASSPHRASE,
        "CUSTODIO_AUTH_SECOND_FACTOR": "off",
    }


def code_of(tree: str | None) -> tuple[list[str], dict[str, str]]:
    """The command that runs ``custodio`` from source ``tree`` (default: this one's), and
    the environment it needs (an older tree's entry point was ``custodio.app.main``)."""
    if tree is None:
        return CUSTODIO, {}
    src = Path(tree) / "src"
    old = (src / "custodio/app/main.py").exists()
    entry = "custodio.app.main" if old else "custodio.client.main"
    return [sys.executable, "-m", entry], {"PYTHONPATH": str(src)}


class Served:
    """``custodio serve`` on loopback ports 0; its HTTP address from what it prints."""

    def __init__(self, built: Built, tree: str | None = None) -> None:
        args = ["serve", "--http", "127.0.0.1:0", "--hi2", "127.0.0.1:0", "--hi3", "127.0.0.1:0"]
        self.err = open(Path(built.directory).parent / "serve.err", "w")  # noqa: SIM115
        command, extra = code_of(tree)
        self.proc = subprocess.Popen(
            [*command, *args],
            env={**serve_env(built), **extra},
            text=True,
            stdout=subprocess.PIPE,
            stderr=self.err,
        )
        assert self.proc.stdout is not None
        started = time.perf_counter()
        for line in self.proc.stdout:
            if "serving http://" in line:
                self.base = "http://" + line.split("://", 1)[1].split("/", 1)[0].split()[0]
                break
        else:
            raise SystemExit(f"serve did not start: see {self.err.name}")
        self.start_s = time.perf_counter() - started
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()  # drain it

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.err.close()


def login(base: str) -> str:
    reply = httpx.post(
        f"{base}/api/v1/session", json={"name": "inv", "password": PASSWORD}, timeout=60
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["token"])


@dataclass
class Load:
    """What every client asks for: case references, windows, audio ids."""

    base: str
    built: Built

    def window(self, rng: random.Random) -> tuple[str, str]:
        width = SPAN * (PAGE / self.built.per_case)
        at = START + (SPAN - width) * rng.random()
        return at.isoformat(), (at + width).isoformat()

    def request(self, kind: str, rng: random.Random) -> tuple[str, dict[str, Any], dict[str, str]]:
        if kind == "timeline":
            begin, end = self.window(rng)
            path = f"/api/v1/cases/{quote(rng.choice(CASES))}/communications"
            return path, {"from": begin, "to": end}, {}
        if kind.startswith("search"):
            word = COMMON if kind == "search common" else RARE
            return "/api/v1/search", {"q": word, "purpose": "diligencias"}, {}
        if kind == "audio":
            comm = rng.choice(self.built.audio_ids)
            return (
                f"/api/v1/communications/{comm}/audio",
                {"purpose": "diligencias", "direction": "target"},
                {"Range": "bytes=0-4095"},
            )
        return "/health", {}, {}


def timed(
    client: httpx.Client, path: str, params: dict[str, Any], headers: dict[str, str]
) -> tuple[float, int, int]:
    """Seconds to the first octet of the body (all of it read after), status, octets."""
    start = time.perf_counter()
    with client.stream("GET", path, params=params, headers=headers) as reply:
        first = None
        size = 0
        for chunk in reply.iter_raw():
            if first is None:
                first = time.perf_counter() - start
            size += len(chunk)
    return (first if first is not None else time.perf_counter() - start), reply.status_code, size


def hammer(
    load: Load,
    tokens: list[str],
    seconds: float,
    mix: Sequence[tuple[str, float]],
    think: float = 0.0,
) -> dict[str, list[float]]:
    """``len(tokens)`` threads asking for ``seconds``; latencies per kind (errors apart).
    With ``think`` each user pauses between an answer and his next request, for a time
    drawn from an exponential distribution of that mean (a person reading the page)."""
    out: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    lock = threading.Lock()
    kinds, weights = zip(*mix, strict=True)
    stop_at = time.perf_counter() + seconds

    def client(n: int, token: str) -> None:
        rng = random.Random(n)
        mine: list[tuple[str, float, int]] = []
        with httpx.Client(
            base_url=load.base, timeout=120, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            while time.perf_counter() < stop_at:
                kind = rng.choices(kinds, weights)[0]
                path, params, headers = load.request(kind, rng)
                t, status, _ = timed(http, path, params, headers)
                mine.append((kind, t, status))
                if think:
                    time.sleep(
                        min(rng.expovariate(1 / think), max(0.0, stop_at - time.perf_counter()))
                    )
        with lock:
            for kind, t, status in mine:
                if status in (200, 206):
                    out.setdefault(kind, []).append(t)
                else:
                    errors[kind] = errors.get(kind, 0) + 1

    threads = [threading.Thread(target=client, args=(n, tok)) for n, tok in enumerate(tokens)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        print(f"  errors (status not 200/206): {errors}")
    return out


def pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def report(name: str, values: Sequence[float], seconds: float, target_ms: float | None) -> None:
    if not values:
        print(f"  {name:<15} no answers")
        return
    p50, p95, p99 = (pct(values, p) * 1000 for p in (50, 95, 99))
    verdict = ""
    if target_ms is not None:
        verdict = f"  target p95 < {target_ms:.0f} ms: " + (
            "met" if p95 < target_ms else f"missed ({p95 / target_ms:.1f}x)"
        )
    print(
        f"  {name:<15} n={len(values):>6}  {len(values) / seconds:7.1f}/s  p50 {p50:7.1f}  "
        f"p95 {p95:7.1f}  p99 {p99:7.1f} ms{verdict}"
    )


TARGETS = {"timeline": 50.0, "search common": 100.0, "search rare": 100.0, "audio": 100.0}


# --- peers: the same work without HTTP, one call at a time ---------------------------------


def median_ms(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, pct(times, 95) * 1000


def peers(built: Built, runs: int) -> None:
    """Catalog SQL alone, the service function (policy + audit), Vault.get: in this process."""
    cfg = config.load(Path(built.directory))
    svc = Service.open(cfg)
    try:
        session = svc.login("inv", PASSWORD)
        vault = vaults.open_vault(cfg, svc.db, secrets)
        load = Load("", built)
        rng = random.Random(99)
        case_id = built.case_ids[CASES[0]]

        def window() -> catalog_comms.Filters:
            begin, end = load.window(rng)
            return catalog_comms.Filters(
                begin_from=to_text(datetime.fromisoformat(begin)),
                begin_to=to_text(datetime.fromisoformat(end)),
            )

        span = catalog_search.Span(to_text(START), to_text(START + timedelta(days=170)))
        visible = catalog_search.Visibility(
            tuple(catalog_search.CaseView(built.case_ids[ref], (span,)) for ref in CASES)
        )
        comm = built.audio_ids[0]
        product = svc.db.read(
            lambda tx: next(
                p
                for p in catalog_comms.products_of(tx, comm)
                if p.kind == "audio" and p.direction == "target"
            )
        )
        work: dict[str, Callable[[], object]] = {
            "timeline SQL": lambda: svc.db.read(
                lambda tx: catalog_comms.of_case(tx, case_id, window())
            ),
            "timeline service": lambda: comms_service.list_comms(svc, session, CASES[0], window()),
            "search common SQL": lambda: svc.db.read(
                lambda tx: catalog_search.search(tx, catalog_search.Query(COMMON), visible)
            ),
            "search common service": lambda: search_service.search(
                svc, session, COMMON, case_ref=None, purpose="diligencias"
            ),
            "search rare SQL": lambda: svc.db.read(
                lambda tx: catalog_search.search(tx, catalog_search.Query(RARE), visible)
            ),
            "search rare service": lambda: search_service.search(
                svc, session, RARE, case_ref=None, purpose="diligencias"
            ),
            "audio Vault.get": lambda: vault.get(*product.stored()),
            "audio service": lambda: comms_service.audio(
                svc, session, vault, comm, "target", "diligencias"
            ),
        }
        print(f"Peers without HTTP, one call at a time in this process ({runs} runs each):")
        for name, fn in work.items():
            fn()  # warm
            p50, p95 = median_ms(fn, runs)
            print(f"  {name:<22} p50 {p50:7.2f}  p95 {p95:7.2f} ms")
    finally:
        svc.close()


# --- the CLI ------------------------------------------------------------------------------


def cli_startup(built: Built, base: str, runs: int = 5) -> None:
    """``custodio --help`` and a listing from the running service (``base``), wall time
    of the installed command as a user runs it (a saved session, no data directory, no
    passphrase), median of ``runs``."""
    command = str(Path(sys.executable).parent / "custodio")
    home = Path(built.directory).parent / "config"
    plain = {k: v for k, v in os.environ.items() if not k.startswith("CUSTODIO_")}
    env = {**plain, "CUSTODIO_SERVER": base, "XDG_CONFIG_HOME": str(home)}
    subprocess.run([command, "--user", "inv", "login"], env={**env, "CUSTODIO_PASSWORD": PASSWORD},
                   check=True, capture_output=True)  # fmt: skip
    begin, end = Load("", built).window(random.Random(5))
    listing = [
        command,
        "--user",
        "inv",
        "comms",
        "list",
        "--case",
        CASES[0],
        "--from",
        begin,
        "--to",
        end,
    ]
    for name, args, target in (("--help", [command, "--help"], 0.2), ("comms list", listing, 0.3)):
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(args, env=env, check=True, capture_output=True)
            times.append(time.perf_counter() - t)
        med = statistics.median(times)
        verdict = "met" if med <= target else f"missed ({med / target:.1f}x)"
        print(
            f"  custodio {name:<11} median {med:.3f} s of {runs} "
            f"[{', '.join(f'{x:.2f}' for x in times)}]  target ≤ {target} s: {verdict}"
        )
    print(f"  python -c pass          median {python_floor(runs):.3f} s (the interpreter's floor)")


def python_floor(runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# --- main ---------------------------------------------------------------------------------


def revision(tree: str | None = None) -> str:
    """The commit serve runs, ``-dirty`` when the working tree has changes (it runs them)."""
    where = Path(tree) if tree else Path(__file__).parent
    args = ["git", "-C", str(where), "describe", "--always", "--dirty"]
    found = subprocess.run(args, check=False, capture_output=True, text=True).stdout.strip()
    return found or "unknown"


def loadavg() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


class Sampled:
    """``py-spy record`` of serve for the phase (``--py-spy PATH``): where its threads
    spend their samples, by function, its own samples and with what it calls."""

    def __init__(self, py_spy: str | None, pid: int, seconds: float, out: Path) -> None:
        self.proc = None
        self.out = out
        if py_spy:
            args = [py_spy, "record", "-p", str(pid), "-d", str(int(seconds)), "-f", "raw",
                    "-o", str(out), "-r", "200", "--nonblocking"]  # fmt: skip
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def report(self, top: int = 12) -> None:
        if self.proc is None:
            return
        self.proc.wait(timeout=120)
        own: dict[str, int] = {}
        inclusive: dict[str, int] = {}
        threads: dict[str, int] = {}
        total = 0
        for line in self.out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = [FRAME.sub(r"\1 (\2)", f) for f in stack.split(";")]
            n = int(count)
            total += n
            own[frames[-1]] = own.get(frames[-1], 0) + n
            for f in set(frames):
                inclusive[f] = inclusive.get(f, 0) + n
            kind = next((k for marker, k in THREADS if marker in stack), "event loop")
            threads[kind] = threads.get(kind, 0) + n
        print(f"py-spy of serve, {total} samples of its threads (200/s):")
        shares = sorted(threads.items(), key=lambda x: -x[1])
        print("  by thread: " + ", ".join(f"{k} {100 * n / total:.0f} %" for k, n in shares))
        mine = {f: n for f, n in inclusive.items() if "(custodio/" in f}
        for title, table in (("own samples", own), ("with what they call, custodio's", mine)):
            print(f"  {title}:")
            for f, n in sorted(table.items(), key=lambda x: -x[1])[:top]:
                print(f"    {100 * n / total:5.1f} %  {f}")


FRAME = re.compile(r"^(.*) \((.*):\d+\)$")
THREADS = (("_write_loop", "catalog writer"), ("WorkerThread.run", "request threads"))


class Cpu:
    """A phase's heading, and after it the CPU seconds serve's main process and this one
    (the clients) spent, per answer: on 2 cores both compete with the other sessions."""

    def __init__(self, pid: int, heading: str) -> None:
        self.pid, self.heading = pid, heading
        self.answers: dict[str, list[float]] = {}

    def _serve(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self) -> Cpu:
        self.serve, self.client = self._serve(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        serve, client = self._serve() - self.serve, time.process_time() - self.client
        n = max(1, sum(len(v) for v in self.answers.values()))
        print(
            f"{self.heading} ({loadavg()}; CPU per answer: serve {serve / n * 1000:.1f} ms, "
            f"clients {client / n * 1000:.1f} ms):"
        )


def run(built: Built, backend: str, args: argparse.Namespace) -> None:
    print(
        f"\n== {backend}: {built.rows.get('communications', built.comms):,} communications, "
        f"{built.transcripts:,} transcripts ({built.rows.get('search_docs', 0):,} indexed "
        f"passages), {len(built.audio_ids)} with audio; {args.users} users, "
        f"{args.seconds:.0f} s; {loadavg()}"
    )
    served = Served(built)
    try:
        print(f"  serve started in {served.start_s:.1f} s at {served.base}")
        tokens = [login(served.base) for _ in range(args.users)]
        load = Load(served.base, built)
        hammer(load, tokens[:2], 3, MIX)  # warm the caches
        third = args.seconds / 3
        with Cpu(served.proc.pid, f"GET /health alone, {args.users} users, {third:.0f} s") as c:
            c.answers = floor = hammer(load, tokens, third, [("health", 1.0)])
        report("health", floor.get("health", []), third, None)
        with Cpu(served.proc.pid, f"Mixed load, 1 user, {third:.0f} s (no queueing)") as c:
            c.answers = alone = hammer(load, tokens[:1], third, MIX)
        for kind, _ in MIX:
            report(kind, alone.get(kind, []), third, None)
        spy = Path(built.directory).parent / "py-spy.txt"
        sampled = Sampled(args.py_spy, served.proc.pid, args.seconds - 1, spy)
        with Cpu(served.proc.pid, f"Mixed load, {args.users} users, {args.seconds:.0f} s") as c:
            c.answers = mixed = hammer(load, tokens, args.seconds, MIX)
        for kind, _ in MIX:
            report(kind, mixed.get(kind, []), args.seconds, TARGETS[kind])
        total = sum(len(v) for v in mixed.values())
        print(f"  all             n={total:>6}  {total / args.seconds:7.1f}/s")
        sampled.report()
        heading = (f"Mixed load, {args.users} users each pausing {args.think:.1f} s on average "
                   f"between requests, {args.seconds:.0f} s")  # fmt: skip
        with Cpu(served.proc.pid, heading) as c:
            c.answers = paced = hammer(load, tokens, args.seconds, MIX, think=args.think)
        for kind, _ in MIX:
            report(kind, paced.get(kind, []), args.seconds, TARGETS[kind])
        total = sum(len(v) for v in paced.values())
        print(f"  all             n={total:>6}  {total / args.seconds:7.1f}/s")
        print(f"CLI start-up ({loadavg()}; the listing asks the running service):")
        cli_startup(built, served.base)
    finally:
        served.stop()
    peers(built, args.runs)
    if args.against:
        paired(built, args)


def paired(built: Built, args: argparse.Namespace) -> None:
    """The mixed load under ``--users``, served alternately by this tree's code and by
    ``--against``'s, ``--rounds`` times each, on the same catalog: p95 per kind, and the
    ratio of the medians of the rounds."""
    print(f"\nPaired: {args.this or 'this code'} ({revision(args.this)}) against {args.against} "
          f"({revision(args.against)}), {args.rounds} rounds of "
          f"{args.seconds:.0f} s each")  # fmt: skip
    p95: dict[str, dict[str, list[float]]] = {"this": {}, "against": {}}
    for n in range(args.rounds):
        for name, tree in (("this", args.this), ("against", args.against)):
            served = Served(built, tree)
            try:
                tokens = [login(served.base) for _ in range(args.users)]
                load = Load(served.base, built)
                hammer(load, tokens[:2], 3, MIX)
                mixed = hammer(load, tokens, args.seconds, MIX)
            finally:
                served.stop()
            total = sum(len(v) for v in mixed.values())
            line = ", ".join(f"{k} {pct(mixed[k], 95) * 1000:,.0f}" for k, _ in MIX if mixed.get(k))
            print(f"  round {n + 1} {name:<7} p95 ms: {line}; {total / args.seconds:.1f} answers/s"
                  f" ({loadavg()})")  # fmt: skip
            for kind, values in mixed.items():
                if values:
                    p95[name].setdefault(kind, []).append(pct(values, 95) * 1000)
    for kind, _ in MIX:
        this, other = p95["this"].get(kind), p95["against"].get(kind)
        if this and other:
            a, b = statistics.median(this), statistics.median(other)
            print(f"  {kind:<14} p95 median {a:,.0f} ms against {b:,.0f} ms: {b / a:.1f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comms", type=int, default=1_000_000)
    parser.add_argument("--transcripts", type=int, default=200_000)
    parser.add_argument("--audio", type=int, default=200, help="communications with audio")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument(
        "--think", type=float, default=1.0,
        help="then the same users pausing this many seconds on average between requests",
    )  # fmt: skip
    parser.add_argument("--runs", type=int, default=50, help="calls of each peer")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="10,000 communications, 2,000 transcripts, 50 with audio, 12 s",
    )
    parser.add_argument(
        "--py-spy", metavar="PATH", help="sample serve with this py-spy during the 20 users"
    )
    parser.add_argument(
        "--against", metavar="TREE",
        help="then serve the same load from this source tree too (a git worktree), alternately",
    )  # fmt: skip
    parser.add_argument("--rounds", type=int, default=2, help="rounds of --against")
    parser.add_argument("--this", metavar="TREE", help="with --against: the tree to compare")
    parser.add_argument(
        "--paired-only", action="store_true", help="with --against: only the paired rounds"
    )
    parser.add_argument("--rebuild", action="store_true", help="build the data again")
    parser.add_argument("--clean", action="store_true", help="remove the cached data and exit")
    args = parser.parse_args()
    if args.clean:
        clean()
        return
    if args.quick:
        args.comms, args.transcripts, args.audio, args.seconds = 10_000, 2_000, 50, 12.0
    os.umask(0o077)
    print(
        f"{os.cpu_count()} CPUs, {loadavg()}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"code {revision()}"
    )
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        built = prepared(backend, args.comms, args.transcripts, args.audio, args.rebuild)
        if args.paired_only and args.against:
            paired(built, args)
        else:
            run(built, backend, args)


if __name__ == "__main__":
    main()
