"""Searching the catalog: full text over transcripts, SMS text and notes; numbers and
identifiers over parties and entities — only in what the caller may see.

The caller (the service layer, after the policy allowed the search) hands over a
:class:`Visibility`: the cases whose content the actor may read, and per case the warrant
windows that apply and whether sealed communications are shown. It becomes part of the
SQL ``WHERE`` clause, joined to ``communications``, so that ranking and ``LIMIT`` only
ever see rows the caller may see: nothing is filtered after the fact.

Text: the words of the query (letters and digits; everything else, quotes and operators
included, separates words) must all occur in a passage. SQLite: FTS5 with diacritics
folded, ranked by ``bm25``; a word of five letters or more also matches longer words
(``transferencia`` finds ``transferencias``; a final ``s`` is dropped first from a word of
six or more, so the plural finds the singular). PostgreSQL: the ``spanish`` configuration
with ``unaccent`` (stemming), ranked by ``ts_rank_cd``. Snippets mark the words found with
« and ». Text hits are ranked among the newest :data:`RANK_WINDOW` visible matches, so that a
word found almost everywhere costs a bounded time.

Numbers and identifiers: a query that reads as one (a phone number in any usual
writing, an IMSI or IMEI, an IBAN, a plate, an e-mail address) also matches, exactly or as
a prefix of its normalised form, the communications' parties and the entities
classification found; those hits come first. ``docs/search.md`` says it in words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import phonenumbers

from custodio.catalog import identifiers
from custodio.db import Tx
from custodio.db.engine import Row
from custodio.errors import InvalidInput

OPEN, CLOSE, ELLIPSIS = "«", "»", "…"
MAX_QUERY = 200  # characters
MAX_WORDS = 16
MAX_LIMIT = 200
SNIPPET_WORDS = 16
RANK_WINDOW = 5_000  # text hits are ranked among the newest this many visible matches
PREFIX_FROM = 5  # SQLite: words this long (after a final "s" is dropped) match as prefixes
ENTITY_KINDS = ("phone", "iban", "plate", "email")
CONFIG = "custodio_spanish"  # PostgreSQL text search configuration (migration 9)
_WORD = re.compile(r"[^\W_]+")
_NOISE = re.compile(r"[\s\-.()/]")
_HEADLINE = (
    f"StartSel={OPEN}, StopSel={CLOSE}, MaxWords={SNIPPET_WORDS + 8}, "
    f'MinWords={SNIPPET_WORDS // 2}, MaxFragments=2, FragmentDelimiter=" {ELLIPSIS} "'
)


# --- what the caller asks and may see ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Query:
    """A search as typed: at most :data:`MAX_QUERY` characters, at most :data:`MAX_LIMIT`
    hits."""

    text: str
    limit: int = 50

    def __post_init__(self) -> None:
        if len(self.text) > MAX_QUERY:
            raise InvalidInput(f"the search text is {len(self.text)} characters long",
                               hint=f"search for at most {MAX_QUERY} characters")  # fmt: skip
        if not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidInput(f"limit {self.limit}: ask for 1 to {MAX_LIMIT} hits")
        if not self.words and not self.identifiers.any:
            raise InvalidInput(f"{self.text!r} has no words to search for",
                               hint="search for words, a number or an identifier")  # fmt: skip

    @property
    def words(self) -> tuple[str, ...]:
        """The query's words, lower case, in order, without repeats (at most 16)."""
        seen = dict.fromkeys(w.lower() for w in _WORD.findall(self.text))
        return tuple(seen)[:MAX_WORDS]

    @property
    def identifiers(self) -> Identifiers:
        return Identifiers.of(self.text)


@dataclass(frozen=True, slots=True)
class Span:
    """A warrant window as catalog time text (UTC, sortable): both ends included."""

    start: str
    end: str


@dataclass(frozen=True, slots=True)
class CaseView:
    """What of one case the caller may search: its communications that began inside one
    of ``spans`` (None: the whole case), sealed ones only with ``sealed``."""

    case_id: int
    spans: tuple[Span, ...] | None
    sealed: bool = False


@dataclass(frozen=True, slots=True)
class Visibility:
    cases: tuple[CaseView, ...]

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition on ``communications c`` (and its parameters)."""
        clauses: list[str] = []
        params: list[Any] = []
        for view in self.cases:
            parts: list[str] = ["c.case_id = ?"]
            values: list[Any] = [view.case_id]
            if not view.sealed:
                parts.append("c.sealed = 0")
            if view.spans is not None:
                if not view.spans:
                    continue
                windows = " OR ".join("c.begin_at BETWEEN ? AND ?" for _ in view.spans)
                parts.append(f"({windows})")
                values += [v for s in view.spans for v in (s.start, s.end)]
            clauses.append("(" + " AND ".join(parts) + ")")
            params += values
        if not clauses:
            return "1 = 0", []
        return "c.quarantined = 0 AND (" + " OR ".join(clauses) + ")", params


# --- what comes back --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hit:
    """One place where the search matched.

    ``kind``: transcript, translation, sms, note (text); party, entity (an identifier).
    ``at_s``: the second of the call (of ``direction``'s audio) where the passage begins or
    the entity was said; None for an SMS, a note or a party. ``snippet``: the passage with
    the words found between « and ». ``score``: higher is better, comparable only within
    one kind of hit.
    """

    communication_id: int
    case_id: int
    kind: str
    direction: str | None
    at_s: float | None
    snippet: str
    score: float
    begin_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "communication_id": self.communication_id, "case_id": self.case_id,
            "kind": self.kind, "direction": self.direction, "at_s": self.at_s,
            "snippet": self.snippet, "score": round(self.score, 6), "begin_at": self.begin_at,
        }  # fmt: skip


# --- identifiers ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Identifiers:
    """The normalised forms a query may be, as an identifier: ``exact`` values and
    ``prefixes`` (values starting so)."""

    exact: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.exact or self.prefixes)

    @classmethod
    def of(cls, text: str) -> Identifiers:
        compact = _NOISE.sub("", text.strip())
        if re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", compact):
            return cls(exact=(compact.lower(),))
        if re.fullmatch(r"\+?\d{4,16}", compact):
            return _number(compact)
        if re.fullmatch(r"[A-Za-z0-9]{5,34}", compact) and re.search(r"\d", compact):
            up = compact.upper()  # an IBAN, a plate
            return cls(exact=(up,), prefixes=(up,) if len(up) >= 6 else ())
        return cls()


def _number(compact: str) -> Identifiers:
    """A phone number in any usual writing (+34 600…, 0034…, 600…), or digits (IMSI, IMEI):
    exactly, and as a prefix of an E.164 number or of the digits as delivered."""
    digits = compact.lstrip("+")
    international = compact.startswith("+") or digits.startswith("00")
    digits = digits[2:] if digits.startswith("00") else digits
    exact, prefixes = {digits}, set()
    tries = [f"+{digits}"] if international else [digits, f"+{digits}"]
    for attempt in tries:
        try:
            exact.add(identifiers.e164(attempt))
        except InvalidInput:
            continue
    if len(digits) >= 6:
        prefixes |= {f"+{digits}", digits}
        if not international:
            code = phonenumbers.country_code_for_region(identifiers.DEFAULT_REGION)
            prefixes.add(f"+{code}{digits}")
    return Identifiers(tuple(sorted(exact)), tuple(sorted(prefixes)))


# --- searching --------------------------------------------------------------------------


def search(tx: Tx, query: Query, visible: Visibility) -> list[Hit]:
    """Identifier hits first (exact before prefix, newest first), then text hits by rank:
    at most ``query.limit``, all inside ``visible``."""
    where, params = visible.where()
    hits = _identifier_hits(tx, query, where, params)[: query.limit]
    if query.words and len(hits) < query.limit:
        text = _text_sqlite if tx.dialect == "sqlite" else _text_postgresql
        hits += text(tx, query.words, where, params, query.limit - len(hits))
    return hits


def _text_sqlite(
    tx: Tx, words: Sequence[str], where: str, params: list[Any], limit: int
) -> list[Hit]:
    """One query, snippets included (a second query for the best rows' snippets, naming
    their rowids, makes FTS5 go through every match again: three times slower). Only the
    newest :data:`RANK_WINDOW` visible matches are ranked: the subquery walks the matches
    newest first (FTS5's own order) to the last of them, whose rowid bounds the rest."""
    match = " ".join(_fts_term(w) for w in words)
    found = (
        "FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid "
        f"JOIN communications c ON c.id = d.communication_id WHERE search_fts MATCH ? AND {where}"
    )
    rows = tx.all(
        "SELECT d.id, d.communication_id, c.case_id, d.kind, d.direction, d.start_s, "
        "c.begin_at, bm25(search_fts) AS rank, snippet(search_fts, 0, ?, ?, ?, ?) AS snippet "
        f"{found} AND search_fts.rowid >= COALESCE((SELECT MIN(id) FROM (SELECT "
        f"search_fts.rowid AS id {found} ORDER BY search_fts.rowid DESC LIMIT ?)), 0) "
        "ORDER BY rank, d.id LIMIT ?",
        (OPEN, CLOSE, ELLIPSIS, SNIPPET_WORDS, match, *params, match, *params, RANK_WINDOW,
         limit),
    )  # fmt: skip
    return [_text_hit(r, -float(r["rank"])) for r in rows]


def _fts_term(word: str) -> str:
    """One word as an FTS5 string (its characters cannot be syntax): a prefix when long."""
    stem = word[:-1] if word.endswith("s") and len(word) > PREFIX_FROM else word
    return f'"{stem}"*' if len(stem) >= PREFIX_FROM else f'"{word}"'


def _text_postgresql(
    tx: Tx, words: Sequence[str], where: str, params: list[Any], limit: int
) -> list[Hit]:
    """Ranked among the newest :data:`RANK_WINDOW` visible matches (as on SQLite), then
    snippets for the best only. The ranking reads those matches again by their ids (they
    are visible and match already): matching the words and joining ``communications`` a
    second time read every match's row twice (0.35-0.64 against 0.40-0.95 s for a word
    in 24,000 passages, docs/benchmarks.md)."""
    found = (
        "FROM q, search_docs d JOIN communications c ON c.id = d.communication_id "
        f"WHERE d.tsv @@ q.q AND {where}"
    )
    # once prepared (psycopg prepares a statement run five times) PostgreSQL may switch to
    # a generic plan, blind to how rare the words are: a rare word took 0.55-1.6 s that way
    # against 2 ms planned for its own value (docs/benchmarks.md, REST API)
    tx.execute("SET LOCAL plan_cache_mode = force_custom_plan")
    rows = tx.all(
        "WITH q AS (SELECT plainto_tsquery(?::regconfig, ?) AS q), "
        f"newest AS (SELECT d.id, c.case_id, c.begin_at {found} ORDER BY d.id DESC LIMIT ?), "
        "top AS (SELECT d.id, d.communication_id, n.case_id, d.kind, d.direction, d.start_s, "
        "n.begin_at, d.text, ts_rank_cd(d.tsv, q.q) AS rank "
        "FROM q, newest n JOIN search_docs d ON d.id = n.id ORDER BY rank DESC, d.id LIMIT ?) "
        "SELECT top.*, ts_headline(?::regconfig, top.text, q.q, ?) AS snippet FROM top, q "
        "ORDER BY top.rank DESC, top.id",
        (CONFIG, " ".join(words), *params, RANK_WINDOW, limit, CONFIG, _HEADLINE),
    )
    return [_text_hit(r, float(r["rank"])) for r in rows]


def _text_hit(row: Row, score: float) -> Hit:
    return Hit(
        communication_id=int(row["communication_id"]),
        case_id=int(row["case_id"]),
        kind=row["kind"],
        direction=row["direction"],
        at_s=None if row["start_s"] is None else float(row["start_s"]),
        snippet=row["snippet"],
        score=score,
        begin_at=row["begin_at"],
    )


def _identifier_hits(tx: Tx, query: Query, where: str, params: list[Any]) -> list[Hit]:
    ids = query.identifiers
    if not ids.any:
        return []
    hits = _party_hits(tx, ids, where, params, query.limit)
    hits += _entity_hits(tx, ids, where, params, query.limit)
    hits.sort(key=lambda h: h.communication_id)
    hits.sort(key=lambda h: h.begin_at or "", reverse=True)
    hits.sort(key=lambda h: -h.score)  # stable: exact first, then newest, then by id
    return hits


def _matching(tx: Tx, column: str, ids: Identifiers) -> tuple[str, list[str]]:
    """``column`` equal to an exact form or starting with a prefix, so that an index can
    answer: a range on SQLite (binary collation), ``LIKE 'prefix%'`` on PostgreSQL (a
    ``text_pattern_ops`` index, whatever the database's collation). No wildcard can be in
    a prefix: it is digits, ``+`` and letters."""
    parts: list[str] = []
    params: list[str] = []
    if ids.exact:
        parts.append(f"{column} IN ({', '.join('?' for _ in ids.exact)})")
        params += ids.exact
    for prefix in ids.prefixes:
        if tx.dialect == "sqlite":
            parts.append(f"({column} >= ? AND {column} < ?)")
            params += [prefix, prefix + "\U0010ffff"]
        else:
            parts.append(f"{column} LIKE ?")
            params.append(prefix + "%")
    return "(" + " OR ".join(parts) + ")", params


def _score(value: str, ids: Identifiers) -> float:
    return 2.0 if value in ids.exact else 1.0


def _party_hits(tx: Tx, ids: Identifiers, where: str, params: list[Any], limit: int) -> list[Hit]:
    e164, e164_params = _matching(tx, "p.e164", ids)
    delivered, delivered_params = _matching(tx, "p.delivered", ids)
    rows = tx.all(
        "SELECT DISTINCT p.communication_id, c.case_id, c.begin_at, p.role, "
        "COALESCE(p.e164, p.delivered) AS value FROM comm_parties p "
        "JOIN communications c ON c.id = p.communication_id "
        f"WHERE ({e164} OR {delivered}) AND {where} "
        "ORDER BY c.begin_at DESC, p.communication_id LIMIT ?",
        (*e164_params, *delivered_params, *params, limit),
    )
    return [
        Hit(int(r["communication_id"]), int(r["case_id"]), "party", None, None,
            f"{r['role']}: {OPEN}{r['value']}{CLOSE}", _score(r["value"], ids), r["begin_at"])
        for r in rows
    ]  # fmt: skip


def _entity_hits(tx: Tx, ids: Identifiers, where: str, params: list[Any], limit: int) -> list[Hit]:
    value, value_params = _matching(tx, "l.value", ids)
    kinds = ", ".join("?" for _ in ENTITY_KINDS)
    rows = tx.all(
        "SELECT l.communication_id, c.case_id, c.begin_at, l.kind, l.value, l.text, "
        "l.direction, l.start_s FROM labels l JOIN communications c ON c.id = l.communication_id "
        f"WHERE l.kind IN ({kinds}) AND {value} AND l.superseded_at IS NULL "
        f"AND l.review <> 'overruled' AND {where} "
        "ORDER BY c.begin_at DESC, l.communication_id, l.id LIMIT ?",
        (*ENTITY_KINDS, *value_params, *params, limit),
    )
    return [
        Hit(int(r["communication_id"]), int(r["case_id"]), "entity", r["direction"],
            None if r["start_s"] is None else float(r["start_s"]),
            f"{r['kind']} {r['value']}: {OPEN}{r['text'] or r['value']}{CLOSE}",
            _score(r["value"], ids), r["begin_at"])
        for r in rows
    ]  # fmt: skip
