"""Written language (SMS-like texts) with lingua, restricted to the configured languages."""

from __future__ import annotations

import pytest

from custodio.classify.speech.language import text_language
from custodio.errors import InvalidInput

pytestmark = pytest.mark.slow  # lingua loads its language models (seconds) on first use

LANGUAGES = ("es", "en", "ca", "eu", "gl", "fr", "pt", "ro", "ar")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Te espero mañana en el puerto a las nueve, trae el dinero", "es"),
        ("vale tio nos vemos luego en el bar de siempre", "es"),
        ("See you tomorrow at the harbour, bring the cash", "en"),
        ("Demà ens veiem al port, porta els diners", "ca"),
        ("Bihar ikusiko dugu portuan, ekarri dirua", "eu"),
        ("On se voit demain au port, apporte l'argent", "fr"),
        ("Vemo-nos amanhã no porto, traz o dinheiro", "pt"),
        ("Ne vedem mâine în port, adu banii", "ro"),
        ("نلتقي غدا في الميناء، أحضر المال", "ar"),
    ],
)
def test_sms_language_among_the_configured_ones(text: str, expected: str) -> None:
    language, confidence = text_language(text, LANGUAGES)
    assert language == expected and 0.5 < confidence <= 1.0


def test_only_allowed_languages_are_answered() -> None:
    # Italian is not configured: never "it" — an allowed language, or None when unsure
    language, _ = text_language("Ci vediamo domani al porto, porta i soldi", ("es", "en"))
    assert language in ("es", "en", None)
    language, _ = text_language("Vemo-nos amanhã no porto, traz o dinheiro", ("es", "en"))
    assert language == "es"


def test_too_short_to_tell_is_none() -> None:
    assert text_language("ok 👍", LANGUAGES) == (None, 0.0)
    assert text_language("12:30", LANGUAGES) == (None, 0.0)


def test_one_allowed_language_is_the_answer_for_any_long_text() -> None:
    assert text_language("Te espero mañana en el puerto", ["es"]) == ("es", 1.0)


@pytest.mark.parametrize("allowed", [(), ("spanish",), ("e1",)])
def test_bad_language_lists_are_refused(allowed: tuple[str, ...]) -> None:
    with pytest.raises(InvalidInput):
        text_language("Te espero mañana en el puerto", allowed)
