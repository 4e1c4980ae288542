"""The language of a written text (an SMS, a chat message), with lingua.

The detector considers only the agency's configured languages (``classify_languages``),
so a Spanish SMS is never answered as, say, Italian. Languages lingua does not know are
left out of the choice — of the defaults that is Galician (``gl``): a Galician text is
answered with the nearest known language (usually Portuguese or Spanish) or ``None``.
Detectors are built once per set of languages and kept (building loads their models).

The answer is ``(code, confidence)``: the ISO 639-1 code and lingua's confidence value
for it (0..1, the values of all considered languages sum to 1), or ``(None, confidence)``
when the text has fewer than ``MIN_LETTERS`` letters or the best two languages are too
close to call (lingua's minimum relative distance ``MIN_DISTANCE``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from custodio.errors import InvalidInput

ENGINE = "language"
VERSION = "1"
MIN_LETTERS = 10
MIN_DISTANCE = 0.1


def _language(code: str) -> Language | None:
    try:
        return Language.from_iso_code_639_1(IsoCode639_1.from_str(code))
    except ValueError:
        return None


@lru_cache(maxsize=32)
def _detector(codes: frozenset[str]) -> LanguageDetector | None:
    languages = [lang for lang in (_language(c) for c in sorted(codes)) if lang is not None]
    if len(languages) < 2:
        return None
    return (
        LanguageDetectorBuilder.from_languages(*languages)
        .with_minimum_relative_distance(MIN_DISTANCE)
        .build()
    )


def text_language(text: str, allowed: Sequence[str]) -> tuple[str | None, float]:
    """The language of ``text`` among the ``allowed`` ISO 639-1 codes, and its confidence."""
    codes = frozenset(c.strip().lower() for c in allowed if c.strip())
    if not codes:
        raise InvalidInput("no languages to choose from")
    bad = sorted(c for c in codes if len(c) != 2 or not c.isalpha())
    if bad:
        raise InvalidInput(f"not ISO 639-1 language codes: {', '.join(bad)}")
    if sum(c.isalpha() for c in text) < MIN_LETTERS:
        return None, 0.0
    known = [c for c in codes if _language(c) is not None]
    if len(known) == 1:
        return known[0], 1.0
    detector = _detector(frozenset(known))
    if detector is None:
        return None, 0.0
    confidences = detector.compute_language_confidence_values(text)
    best = detector.detect_language_of(text)
    top = confidences[0]
    if best is None or top.language != best:
        return None, top.value
    return best.iso_code_639_1.name.lower(), top.value
