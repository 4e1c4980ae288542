"""Words, and the folding every text engine matches on.

A transcript is a sequence of :class:`Word` (text, and its seconds when the speech-to-text
engine gave them); an SMS is split on white space by :func:`words_from_text`, without
times. :class:`Joined` lays the words out as one string with each word's character span,
so a regular expression over the string can be mapped back to word indexes and seconds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

_WORD = re.compile(r"\S+")
_EDGE_PUNCT = re.compile(r"^[^\w+]+|[^\w]+$")


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a transcript or message; ``start``/``end`` in seconds when known."""

    text: str
    start: float | None = None
    end: float | None = None


def words_from_text(text: str) -> list[Word]:
    """Split a written text (an SMS) on white space; no times."""
    return [Word(m.group()) for m in _WORD.finditer(text)]


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case without accents or diacritics: ``"Cocaína"`` -> ``"cocaina"``, ñ -> n."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def token(text: str) -> str:
    """A word folded and stripped of the punctuation around it: ``"¡Cinco,"`` -> ``"cinco"``."""
    return _EDGE_PUNCT.sub("", fold(text))


@dataclass(frozen=True, slots=True)
class Joined:
    """Words joined by single spaces, with the character span of each word."""

    text: str
    spans: tuple[tuple[int, int], ...]

    @classmethod
    def of(cls, words: Sequence[Word]) -> Joined:
        parts: list[str] = []
        spans: list[tuple[int, int]] = []
        pos = 0
        for w in words:
            t = w.text.strip()
            spans.append((pos, pos + len(t)))
            parts.append(t)
            pos += len(t) + 1
        return cls(" ".join(parts), tuple(spans))

    def word_range(self, start: int, end: int) -> tuple[int, int]:
        """The words ``[first, last + 1)`` that the characters ``[start, end)`` touch."""
        first = next(i for i, (_, e) in enumerate(self.spans) if e > start)
        last = max(i for i, (s, _) in enumerate(self.spans) if s < end)
        return first, last + 1


def seconds(words: Sequence[Word], start: int, end: int) -> tuple[float | None, float | None]:
    """The seconds from the first word's start to the last word's end, where known."""
    return words[start].start, words[end - 1].end
