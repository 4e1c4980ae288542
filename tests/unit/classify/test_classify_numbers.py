"""Spoken numbers into digits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custodio.classify.numbers import spoken_numbers, to_digits

ES_DIGITS = ["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"]
EN_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEENS = [
    "diez",
    "once",
    "doce",
    "trece",
    "catorce",
    "quince",
    "dieciséis",
    "diecisiete",
    "dieciocho",
    "diecinueve",
    "veinte",
    "veintiuno",
    "veintidós",
    "veintitrés",
    "veinticuatro",
    "veinticinco",
    "veintiséis",
    "veintisiete",
    "veintiocho",
    "veintinueve",
]
TENS = ["", "", "", "treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa"]
HUNDREDS = [
    "",
    "ciento",
    "doscientos",
    "trescientos",
    "cuatrocientos",
    "quinientos",
    "seiscientos",
    "setecientos",
    "ochocientos",
    "novecientos",
]


def below_1000(n: int) -> list[str]:
    if n == 100:
        return ["cien"]
    words = [HUNDREDS[n // 100]] if n >= 100 else []
    rest = n % 100
    if 10 <= rest < 30:
        words.append(TEENS[rest - 10])
    elif rest >= 30:
        words += [TENS[rest // 10]] + (["y", ES_DIGITS[rest % 10]] if rest % 10 else [])
    elif rest:
        words.append(ES_DIGITS[rest])
    return words


def spanish(n: int) -> list[str]:
    """A Spanish cardinal below a million, as words."""
    if n == 0:
        return ["cero"]
    thousands, rest = divmod(n, 1000)
    head = [] if not thousands else (["mil"] if thousands == 1 else [*below_1000(thousands), "mil"])
    return head + (below_1000(rest) if rest else [])


@pytest.mark.parametrize(
    ("said", "digits"),
    [
        ("seis cero cero uno dos tres cuatro cinco seis", "600123456"),
        ("seiscientos uno veintitrés cuarenta y cinco sesenta y siete", "601234567"),
        ("seiscientos doce, treinta y cuatro, cincuenta y seis, setenta y ocho", "612345678"),
        ("seis doble cero triple seis", "600666"),
        ("dos mil quinientos", "2500"),
        ("mil", "1000"),
        ("treinta dos", "32"),
        ("six hundred and twelve", "612"),
        ("oh seven seven double one", "07711"),
        ("twenty-one", "21"),
        ("Seis, Cero, Cero.", "600"),
        ("600 12 34 56", "600123456"),
    ],
)
def test_spoken_to_digits(said: str, digits: str) -> None:
    assert to_digits(said) == digits


def test_runs_point_at_their_words() -> None:
    words = "mi número es seis cero cero uno dos tres cuatro cinco seis y ya".split()
    (run,) = spoken_numbers(words)
    assert (run.digits, run.start, run.end) == ("600123456", 3, 12)
    assert run.digit_words == tuple(range(3, 12))


def test_words_that_are_not_numbers_break_runs() -> None:
    runs = spoken_numbers(["tengo", "un", "coche", "y", "dos", "motos", "oh"])
    assert [(r.digits, r.start) for r in runs] == [("2", 4)]


@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_digit_by_digit_round_trip(digits: str) -> None:
    assert to_digits(" ".join(ES_DIGITS[int(d)] for d in digits)) == digits
    assert to_digits(" ".join(EN_DIGITS[int(d)] for d in digits)) == digits


@given(st.integers(min_value=0, max_value=999_999))
def test_spanish_cardinal_round_trip(n: int) -> None:
    (run,) = spoken_numbers(spanish(n))
    assert run.digits == str(n)
    assert len(run.pieces) == 1


def test_a_digit_misheard_by_one_letter_inside_a_run_is_read_as_the_digit() -> None:
    said = "seis, pero, pero, uno, dos, tres, cuatro, cinco, seis".split()
    assert [r.digits for r in spoken_numbers(said, misheard=True)] == ["600123456"]
    assert [r.digits for r in spoken_numbers(said)] == ["6", "123456"]  # only when asked


@pytest.mark.parametrize(
    "said",
    [
        "son seis pero no siete",  # 'pero' (but) with a digit on one side only
        "tengo seis pero",
        "pero uno",
        "seis perro uno",  # two letters from 'cero'
    ],
)
def test_a_near_digit_word_outside_a_run_is_left_alone(said: str) -> None:
    words = said.split()
    assert spoken_numbers(words, misheard=True) == spoken_numbers(words)
