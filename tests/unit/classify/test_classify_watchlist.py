"""Watch-lists: inflections and ASR misspellings found, near misses not."""

from __future__ import annotations

import pytest

from custodio.classify.text import Word
from custodio.classify.watchlist import Term, WatchList, match

WL = WatchList(
    (
        Term("cocaína"), Term("narcolancha"), Term("hachís"), Term("coca"), Term("pistola"),
        Term("transferencia"), Term("Vázquez", "name"), Term("Paco", "name"),
        Term("Juan Carlos Rodríguez", "name"), Term("Marbella", "place"),
        Term("+34 600 123 456", "number"),
    )
)  # fmt: skip


def hits(text: str, wl: WatchList = WL) -> list[tuple[str, str]]:
    return [(label.value, label.text) for label in match(text, wl)]


@pytest.mark.parametrize(
    ("said", "term"),
    [
        ("COCAINA", "cocaína"),
        ("kokaina", "cocaína"),
        ("narcolanchas", "narcolancha"),
        ("narco lancha", "narcolancha"),
        ("achís", "hachís"),
        ("cocas", "coca"),
        ("pistolas", "pistola"),
        ("tranferencia", "transferencia"),
        ("transferencias", "transferencia"),
        ("Basquez", "Vázquez"),
        ("Vásquez", "Vázquez"),
        ("Marbeya", "Marbella"),
        ("Nehachís", "hachís"),  # glued to the sound before it
        ("pistolazo", "pistola"),
    ],
)
def test_inflections_and_misspellings_are_found(said: str, term: str) -> None:
    assert hits(f"dice que {said} mañana") == [(term, said)]


@pytest.mark.parametrize(
    "said",
    ["cocina", "cocinas", "cocinar", "coco", "loca", "boca", "Paca", "pago", "poco", "pista",
     "pastilla", "marcela", "lancha", "transportes", "Velázquez"],
)  # fmt: skip
def test_near_misses_do_not_match_at_default_threshold(said: str) -> None:
    assert hits(f"dice que {said} mañana") == []


def test_a_word_holding_the_term_matches_only_when_not_much_longer() -> None:
    english = WatchList((Term("transfer"), Term("cocaína")))
    assert hits("by bank transferred before Friday", english) == [("transfer", "transferred")]
    assert hits("cocaínas y cocainómanos", english) == [("cocaína", "cocaínas")]
    assert hits("dameelpaquetedehachís ya") == []  # 21 letters: more than twice hachís


def test_multi_word_name_with_seconds() -> None:
    said = ["ha", "llamado", "Juan", "Carlos", "Rodrigues", "desde", "Marbella"]
    words = [Word(w, start=float(i), end=i + 0.8) for i, w in enumerate(said)]
    labels = match(words, WL)
    assert [(lab.value, lab.start, lab.end, lab.start_s, lab.end_s) for lab in labels] == [
        ("Juan Carlos Rodríguez", 2, 5, 2.0, 4.8), ("Marbella", 6, 7, 6.0, 6.8)
    ]  # fmt: skip
    assert all(lab.source.engine == "watchlist" and lab.source.version for lab in labels)


def test_numbers_after_spoken_conversion() -> None:
    assert hits("llama al seis cero cero uno dos tres cuatro cinco seis") == [
        ("+34 600 123 456", "seis cero cero uno dos tres cuatro cinco seis")
    ]
    assert hits("llama al 600 123 456") == [("+34 600 123 456", "600 123 456")]
    assert hits("llama al seis cero cero uno dos tres cuatro cinco siete") == []


def test_threshold_is_configurable() -> None:
    loose = WatchList((Term("cocaína"),), threshold=80)
    assert hits("en la cocina", loose) == [("cocaína", "cocina")]
    with pytest.raises(ValueError, match="threshold"):
        WatchList((), threshold=120)


def test_a_number_with_a_digit_misheard_inside_it_is_found() -> None:
    said = "apunta mi número seis, pero, pero, uno, dos, tres, cuatro, cinco, seis"
    assert hits(said) == [
        ("+34 600 123 456", "seis, pero, pero, uno, dos, tres, cuatro, cinco, seis")
    ]


def test_a_term_heard_twice_in_a_row_is_one_hit() -> None:
    words = [Word(w, start=float(i), end=i + 0.8) for i, w in enumerate(
        ["el", "envío", "neachís", "hachís", "sale", "y", "hachís"])]  # fmt: skip
    labels = match(words, WL)
    assert [(lab.value, lab.text, lab.start_s, lab.end_s) for lab in labels] == [
        ("hachís", "neachís hachís", 2.0, 3.8), ("hachís", "hachís", 6.0, 6.8)
    ]  # fmt: skip
