"""A case's watch-list matched against the words of a transcript or a message.

Every term is compared with every window of words, word by word, on folded text (no case,
no accents). A word matches a term's word when, best first:

* the folded forms are equal (score 100);
* their Spanish Snowball stems are equal (96) — terms only, not names or places, which do
  not inflect (``Paco``/``Paca`` share a stem); and only for stems of 4 letters or more
  (``coca``/``coco`` share ``coc``); a short term still matches its plural (``-s``/``-es``);
* their Spanish phonetic keys are equal (94): b/v, c/k/qu, z/s/ce/ci, g/j before e/i,
  ll/y, silent h, doubled letters — the way speech-to-text misspells names;
* the word holds the whole term, for terms of ``min_fuzzy_len`` letters or more and
  words at most twice as long (90): speech-to-text glues a term to the sound before it
  (``nehachís``) or hears it inflected in another language (``transferred``);
* fuzzily, for words of ``min_fuzzy_len`` letters or more: normalised Levenshtein
  similarity of the folded forms or of the phonetic keys, ×100.

A window matches when every word reaches the threshold (default 88: one edit in nine
letters; ``cocina`` does not match ``cocaína``); its score is the mean. Windows one word
shorter or longer than the term are also compared as concatenations, for words that the
speech-to-text engine split or merged (``narco lancha``); such a score is capped at 97.
Number terms (``kind="number"``) are matched exactly on digits after
:mod:`custodio.classify.numbers` has turned spoken numbers into digits (reading a word one
letter from a digit word, ``pero``, as that digit inside a run of digits); a number with a
country code also matches without it. Overlapping hits keep the best; the same term heard
twice in a row (``neachís hachís``, speech-to-text repeating itself) is one hit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import snowballstemmer  # type: ignore[import-untyped]
from rapidfuzz.distance import Levenshtein

from custodio.classify.labels import Label, Source
from custodio.classify.numbers import spoken_numbers
from custodio.classify.text import Word, token, words_from_text

ENGINE = "watchlist"
VERSION = "2"  # 2: a word holding the whole term matches
DEFAULT_THRESHOLD = 88.0
TermKind = Literal["term", "name", "place", "number"]

_STEMMER = snowballstemmer.stemmer("spanish")


@dataclass(frozen=True, slots=True)
class Term:
    """One entry of a watch-list: its text and what it is."""

    text: str
    kind: TermKind = "term"


@dataclass(frozen=True, slots=True)
class WatchList:
    """A case's watch-list and how strictly it is matched."""

    terms: tuple[Term, ...]
    threshold: float = DEFAULT_THRESHOLD
    min_fuzzy_len: int = 5

    def __post_init__(self) -> None:
        if not 50.0 <= self.threshold <= 100.0:
            raise ValueError(f"threshold {self.threshold} is outside 50..100")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Spanish Snowball stem of a folded word."""
    return str(_STEMMER.stemWord(word))


_PHONETIC = (
    ("ch", "1"), ("qu(?=[ei])", "k"), ("g(?=[ei])", "j"), ("gu(?=[ei])", "g"),
    ("c(?=[ei])", "s"), ("c", "k"), ("z", "s"), ("v", "b"), ("w", "b"), ("ll", "y"),
    ("h", ""), ("x", "ks"), ("y$", "i"), (r"(.)\1+", r"\1"),
)  # fmt: skip
_PHONETIC_RE = tuple((re.compile(a), b) for a, b in _PHONETIC)


@lru_cache(maxsize=65536)
def phonetic(word: str) -> str:
    """A rough Spanish phonetic key of a folded word: ``vazquez`` -> ``baskes``."""
    for pattern, repl in _PHONETIC_RE:
        word = pattern.sub(repl, word)
    return word


def word_score(
    term_word: str, word: str, *, inflect: bool, min_fuzzy_len: int, whole: bool = True
) -> float:
    """How well ``word`` matches ``term_word`` (both folded), 0..100; ``whole=False`` for
    words joined from several (where holding the term means nothing: ``bank transferred``).
    """
    if not word:
        return 0.0
    if word == term_word:
        return 100.0
    if inflect and _same_stem(term_word, word):
        return 96.0
    if phonetic(word) == phonetic(term_word):
        return 94.0
    if min(len(word), len(term_word)) < min_fuzzy_len:
        return 0.0
    holds = (
        whole
        and len(word) <= 2 * len(term_word)
        and (term_word in word or phonetic(term_word) in phonetic(word))
    )
    plain = Levenshtein.normalized_similarity(term_word, word)
    sound = Levenshtein.normalized_similarity(phonetic(term_word), phonetic(word))
    return max(90.0 if holds else 0.0, 100.0 * max(plain, sound))


def _same_stem(term_word: str, word: str) -> bool:
    s = stem(term_word)
    if len(s) >= 4:
        return stem(word) == s
    return word in {term_word + "s", term_word + "es"}


def match(words: Sequence[Word] | str, watchlist: WatchList) -> list[Label]:
    """Every hit of ``watchlist`` in ``words`` (or a written text), by position."""
    ws = words_from_text(words) if isinstance(words, str) else list(words)
    toks = [token(w.text) for w in ws]
    hits: list[tuple[float, int, int, Term]] = []
    for term in watchlist.terms:
        if term.kind == "number":
            hits.extend(_number_hits(ws, term))
        else:
            hits.extend(_text_hits(toks, term, watchlist))
    hits.sort(key=lambda h: (-h[0], h[1]))
    taken: set[int] = set()
    kept: list[tuple[float, int, int, Term]] = []
    for score, start, end, term in hits:
        if taken.isdisjoint(range(start, end)):
            taken.update(range(start, end))
            kept.append((score, start, end, term))
    kept.sort(key=lambda h: h[1])
    return [_label(ws, term, score, start, end) for score, start, end, term in _once(kept)]


def _once(hits: list[tuple[float, int, int, Term]]) -> list[tuple[float, int, int, Term]]:
    """Hits in order, a term heard twice in a row (``neachís hachís``) made one."""
    out: list[tuple[float, int, int, Term]] = []
    for hit in hits:
        if out and out[-1][3] == hit[3] and out[-1][2] == hit[1]:
            out[-1] = (max(out[-1][0], hit[0]), out[-1][1], hit[2], hit[3])
        else:
            out.append(hit)
    return out


def _label(ws: Sequence[Word], term: Term, score: float, start: int, end: int) -> Label:
    rule = "number" if term.kind == "number" else ("exact" if score == 100 else "fuzzy")
    return Label(
        kind="watchlist", value=term.text, confidence=round(score / 100, 4),
        source=Source(ENGINE, VERSION, rule), text=" ".join(w.text for w in ws[start:end]),
        start=start, end=end, start_s=ws[start].start, end_s=ws[end - 1].end,
        detail={"term_kind": term.kind},
    )  # fmt: skip


def _text_hits(
    toks: Sequence[str], term: Term, wl: WatchList
) -> list[tuple[float, int, int, Term]]:
    parts = [token(p) for p in term.text.split() if token(p)]
    if not parts:
        return []
    n, inflect = len(parts), term.kind == "term"
    out: list[tuple[float, int, int, Term]] = []
    for i in range(len(toks)):
        best: tuple[float, int] = (0.0, 0)
        if i + n <= len(toks):
            scores = [
                word_score(p, toks[i + k], inflect=inflect, min_fuzzy_len=wl.min_fuzzy_len)
                for k, p in enumerate(parts)
            ]
            if min(scores) >= wl.threshold:
                best = (sum(scores) / n, n)
        for k in {n - 1, n, n + 1} - {0}:
            if i + k <= len(toks) and (n > 1 or k > 1):
                joined = "".join(toks[i : i + k])
                as_one = word_score(
                    "".join(parts), joined, inflect=inflect,
                    min_fuzzy_len=wl.min_fuzzy_len, whole=False,
                )  # fmt: skip
                score = min(97.0, as_one)
                if score >= wl.threshold and score > best[0] and toks[i] and toks[i + k - 1]:
                    best = (score, k)
        if best[0] >= wl.threshold:
            out.append((best[0], i, i + best[1], term))
    return out


def _number_hits(ws: Sequence[Word], term: Term) -> list[tuple[float, int, int, Term]]:
    wanted = _number_forms(term.text)
    out: list[tuple[float, int, int, Term]] = []
    for run in spoken_numbers([w.text for w in ws], misheard=True):
        for form in wanted:
            at = run.digits.find(form)
            if at >= 0:
                first, last = run.digit_words[at], run.digit_words[at + len(form) - 1]
                out.append((100.0, first, last + 1, term))
                break
    return out


def _number_forms(text: str) -> list[str]:
    digits = re.sub(r"\D", "", text)
    if text.strip().startswith("00"):
        digits = digits[2:]
    forms = [digits] if digits else []
    if text.strip().startswith(("+", "00")):
        for cc_len in (1, 2, 3):
            national = digits[cc_len:]
            if len(national) >= 6:
                forms.append(national)
    return forms
