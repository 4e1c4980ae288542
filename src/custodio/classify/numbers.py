"""Spoken numbers into digits, Spanish first, and English.

``"seis cero cero uno dos tres cuatro cinco seis"`` -> ``"600123456"``. A *run* is a
maximal sequence of number words (or written digits); each number said inside it becomes
its decimal digits and the run's digits are their concatenation, which is how people read
out phone and account numbers: ``"seiscientos uno veintitrés cuarenta y cinco"`` ->
``601`` ``23`` ``45`` -> ``"601234 5"`` without the space. Rules, in order, greedy:

* hundreds: ``cien``, ``ciento``, ``doscientos``..``novecientos``; ``six hundred``;
  followed by a tens/units part (never ``cero``): ``seiscientos uno`` -> 601;
* tens and units: ``treinta y dos``, ``treinta dos`` (ASR drops the ``y``),
  ``veintitrés``, ``twenty-one``, ``twenty one``;
* thousands: ``dos mil quinientos`` -> 2500, ``mil`` -> 1000, ``un mil``/``una mil``;
* ``doble``/``double`` and ``triple`` repeat the next single digit: ``doble cero`` -> 00;
* written digits (``600``) join a run as they are;
* ``oh`` is 0 only next to another number word; ``un``/``una`` count only before ``mil``.

Each run says which word every digit came from, so a hit can point at its seconds.
Limits: no millions, no ordinals, no decimals; ``y``/``and`` join only tens and units
(and ``and`` after ``hundred``); Catalan, Basque and Galician are not handled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from custodio.classify.text import token

VERSION = "1"

_UNITS = {
    "cero": 0, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
    "seis": 6, "siete": 7, "ocho": 8, "nueve": 9,
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5,
    "six": 6, "seven": 7, "eight": 8, "nine": 9,
}  # fmt: skip
_TEENS = {
    "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15,
    "dieciseis": 16, "diecisiete": 17, "dieciocho": 18, "diecinueve": 19,
    "veintiuno": 21, "veintiun": 21, "veintidos": 22, "veintitres": 23, "veinticuatro": 24,
    "veinticinco": 25, "veintiseis": 26, "veintisiete": 27, "veintiocho": 28,
    "veintinueve": 29,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}  # fmt: skip
_TENS = {
    "veinte": 20, "treinta": 30, "cuarenta": 40, "cincuenta": 50, "sesenta": 60,
    "setenta": 70, "ochenta": 80, "noventa": 90,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_HUNDREDS = {
    "cien": 100, "ciento": 100, "doscientos": 200, "trescientos": 300,
    "cuatrocientos": 400, "quinientos": 500, "seiscientos": 600, "setecientos": 700,
    "ochocientos": 800, "novecientos": 900,
}  # fmt: skip
_HUNDREDS |= {k[:-2] + "as": v for k, v in _HUNDREDS.items() if k.endswith("os")}
_HUNDRED = {"hundred"}
_THOUSAND = {"mil", "thousand"}
_REPEAT = {"doble": 2, "double": 2, "triple": 3}
_JOIN = {"y", "and"}
_ONE_BEFORE_THOUSAND = {"un", "una", "a"}
# hyphenated English tens: "twenty-one"
_EN_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_EN_UNITS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TEENS |= {f"{t}-{u}": _TENS[t] + _UNITS[u] for t in _EN_TENS for u in _EN_UNITS}


def _is_number_word(t: str) -> bool:
    return t in _UNITS or t in _TEENS or t in _TENS or t in _HUNDREDS or t in _THOUSAND


@dataclass(frozen=True, slots=True)
class SpokenNumber:
    """A run of number words: its digits, and the word each digit came from.

    ``start``/``end`` are word indexes, ``end`` one past the last word of the run.
    ``spoken`` is false when every word of the run was written digits; ``pieces`` are the
    numbers said one after the other that make up the run.
    """

    digits: str
    start: int
    end: int
    digit_words: tuple[int, ...]
    spoken: bool
    pieces: tuple[Piece, ...] = ()


@dataclass(frozen=True, slots=True)
class Piece:
    """One number said (or written) inside a run: ``"2500"`` from ``dos mil quinientos``."""

    digits: str
    start: int
    end: int
    spoken: bool


class _Parser:
    def __init__(self, toks: Sequence[str]) -> None:
        self.t = toks

    def at(self, i: int) -> str:
        return self.t[i] if i < len(self.t) else ""

    def below_100(self, i: int, *, zero: bool) -> tuple[int, int] | None:
        w = self.at(i)
        if w in _TENS:
            j = i + 1
            if self.at(j) in _JOIN and _UNITS.get(self.at(j + 1), 0) > 0:
                return _TENS[w] + _UNITS[self.at(j + 1)], j + 2
            if _UNITS.get(self.at(j), 0) > 0:
                return _TENS[w] + _UNITS[self.at(j)], j + 1
            return _TENS[w], j
        if w in _TEENS:
            return _TEENS[w], i + 1
        if w in _UNITS and (zero or _UNITS[w] > 0):
            return _UNITS[w], i + 1
        return None

    def below_1000(self, i: int, *, zero: bool) -> tuple[int, int] | None:
        w = self.at(i)
        if w in _HUNDREDS:
            hundreds, j = _HUNDREDS[w], i + 1
        elif _UNITS.get(w, 0) > 0 and self.at(i + 1) in _HUNDRED:
            hundreds, j = _UNITS[w] * 100, i + 2
        else:
            return self.below_100(i, zero=zero)
        k = j + 1 if self.at(j) == "and" else j
        rest = self.below_100(k, zero=False)
        return (hundreds + rest[0], rest[1]) if rest else (hundreds, j)

    def group(self, i: int) -> tuple[int, int] | None:
        """One number said as a whole (below a million): (value, next index)."""
        w = self.at(i)
        if w in _ONE_BEFORE_THOUSAND and self.at(i + 1) in _THOUSAND:
            head: tuple[int, int] | None = (1, i + 1)
        elif w in _THOUSAND:
            head = (1, i)
        else:
            head = self.below_1000(i, zero=True)
        if head is None:
            return None
        value, j = head
        if self.at(j) in _THOUSAND and value > 0:
            value, j = value * 1000, j + 1
            rest = self.below_1000(j, zero=False)
            if rest:
                value, j = value + rest[0], rest[1]
        return value, j


def spoken_numbers(words: Sequence[str], *, misheard: bool = False) -> list[SpokenNumber]:
    """Every run of number words in ``words`` (raw word texts), in order.

    With ``misheard``, words that speech-to-text got one letter wrong inside a run of
    digits said one by one are read as those digits (:func:`misheard_digits`).
    """
    toks = [token(w) for w in words]
    if misheard:
        toks = misheard_digits(toks)
    parser = _Parser(toks)
    runs: list[SpokenNumber] = []
    digits: list[str] = []
    owners: list[int] = []
    pieces: list[Piece] = []
    start = 0
    spoken = False

    def close(end: int) -> None:
        nonlocal digits, owners, spoken, pieces
        if digits and not all(toks[i] == "oh" for i in owners):
            run = SpokenNumber("".join(digits), start, end, tuple(owners), spoken, tuple(pieces))
            runs.append(run)
        digits, owners, spoken, pieces = [], [], False, []

    i = 0
    while i < len(toks):
        piece, nxt, is_word = _piece(parser, toks, i, bool(digits))
        if piece is None:
            close(i)
            i += 1
            continue
        if not digits:
            start = i
        spoken = spoken or is_word
        pieces.append(Piece(piece, i, nxt, is_word))
        for k, d in enumerate(piece):
            digits.append(d)
            owners.append(min(i + k * (nxt - i) // max(len(piece), 1), nxt - 1))
        i = nxt
    close(len(toks))
    return runs


_NEAR = {w for w in _UNITS if len(w) >= 4}


def _near_unit(t: str) -> str | None:
    """The digit word of 4 letters or more that ``t`` is one letter away from: ``pero``."""
    if t in _UNITS or len(t) < 4:
        return None
    for w in _NEAR:
        if len(w) == len(t) and sum(a != b for a, b in zip(w, t, strict=True)) == 1:
            return w
    return None


def misheard_digits(toks: Sequence[str]) -> list[str]:
    """``seis pero pero uno`` -> ``seis cero cero uno``: a block of words each one letter
    from a digit word (``pero``, ``veis``) becomes those digits only when digit words (or
    written digits) stand right before and right after it — so ``pero`` (but) is left
    alone everywhere else."""
    out = list(toks)
    near = [_near_unit(t) for t in toks]

    def digit(t: str) -> bool:
        return t in _UNITS or (t.isdigit() and t.isascii())

    i = 0
    while i < len(toks):
        if near[i] is None:
            i += 1
            continue
        j = i
        while j < len(toks) and near[j] is not None:
            j += 1
        if i > 0 and j < len(toks) and digit(toks[i - 1]) and digit(toks[j]):
            out[i:j] = [w for w in near[i:j] if w is not None]
        i = j
    return out


def _piece(
    parser: _Parser, toks: Sequence[str], i: int, in_run: bool
) -> tuple[str | None, int, bool]:
    """The digits that start at word ``i``: (digits or None, next index, said in words)."""
    w = toks[i]
    if w.isdigit() and w.isascii():
        if toks[i + 1 : i + 2] and toks[i + 1] in _THOUSAND and len(w) <= 3:
            return str(int(w) * 1000), i + 2, True
        return w, i + 1, False
    nxt = toks[i + 1] if i + 1 < len(toks) else ""
    if w in _REPEAT and (nxt in _UNITS or nxt == "oh"):
        return str(_UNITS.get(nxt, 0)) * _REPEAT[w], i + 2, True
    if w == "oh" and (in_run or _is_number_word(nxt)):
        return "0", i + 1, True
    g = parser.group(i)
    if g is None:
        return None, i + 1, False
    return str(g[0]), g[1], True


def to_digits(text: str) -> str:
    """All digits said or written in ``text``, runs joined: a convenience for short inputs."""
    return "".join(r.digits for r in spoken_numbers(text.split()))
