"""Entities from messages and transcripts."""

from __future__ import annotations

import pytest

from custodio.classify.entities import ENGINE, VERSION, extract
from custodio.classify.text import Word


def values(text: str, kind: str, **kw: object) -> list[str]:
    return [label.value for label in extract(text, **kw) if label.kind == kind]  # type: ignore[arg-type]


def test_written_and_spoken_phones() -> None:
    assert values("Llámame al 600 12 34 56 o al +34 912 345 678", "phone") == [
        "+34600123456", "+34912345678"
    ]  # fmt: skip
    assert values("mi número es seis cero cero uno dos tres cuatro cinco seis", "phone") == [
        "+34600123456"
    ]
    assert values(
        "double oh four four seven nine one one one two three four five six", "phone"
    ) == ["+447911123456"]


def test_a_number_read_out_digit_by_digit_as_speech_to_text_writes_it() -> None:
    """Whisper writes ``seis, cero, cero…`` said one digit at a time as ``6, 0, 0, …``."""
    assert values("Apunta mi número: 6, 0, 0, 1, 2, 3, 4, 5, 6.", "phone") == ["+34600123456"]
    assert values("son 3 4 cajas", "phone") == []


@pytest.mark.parametrize("text", ["llama al 123 45", "el 000000000", "cinco cero cero uno dos"])
def test_invalid_phones_are_not_reported(text: str) -> None:
    assert values(text, "phone") == []


def test_spoken_phone_points_at_seconds() -> None:
    said = "mi número es seis cero cero uno dos tres cuatro cinco seis".split()
    words = [Word(w, start=i * 0.5, end=i * 0.5 + 0.4) for i, w in enumerate(said)]
    (label,) = [lab for lab in extract(words) if lab.kind == "phone"]
    assert (label.start, label.end, label.start_s, label.end_s) == (3, 12, 1.5, 5.9)
    assert (label.source.engine, label.source.version, label.source.rule) == (
        ENGINE, VERSION, "phone.spoken"
    )  # fmt: skip


def test_iban_checksum() -> None:
    assert values("Transfiere a ES91 2100 0418 4502 0005 1332 ya", "iban") == [
        "ES9121000418450200051332"
    ]
    assert values("iban GB82WEST12345698765432.", "iban") == ["GB82WEST12345698765432"]
    assert values("ES91 2100 0418 4502 0005 1333", "iban") == []
    assert values("ES92 2100 0418 4502 0005 1332", "iban") == []


@pytest.mark.parametrize(
    ("text", "plate"),
    [
        ("el coche 1234 BCD", "1234BCD"),
        ("matrícula 0000-BBB", "0000BBB"),
        ("un 9876zyx gris", "9876ZYX"),
        ("el viejo M-1234-AB", "M1234AB"),
        ("placa GC 5678 Z", "GC5678Z"),
        ("un seiscientos M-123456", "M123456"),
    ],
)
def test_plates(text: str, plate: str) -> None:
    assert values(text, "plate") == [plate]


@pytest.mark.parametrize("text", ["1234 BAC", "1234 BQD", "1234 BÑD", "1234 ABC", "en 1998 por"])
def test_not_plates(text: str) -> None:
    assert values(text, "plate") == []


def test_emails() -> None:
    assert values("escribe a Juan.Perez@Example.com ya", "email") == ["juan.perez@example.com"]
    assert values("no es un correo: juan@", "email") == []


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("son 2.500 €", "2500.00 EUR"),
        ("3 mil euros", "3000.00 EUR"),
        ("1,5 millones de euros", "1500000.00 EUR"),
        ("€20", "20.00 EUR"),
        ("$100", "100.00 USD"),
        ("2,500.50 dollars", "2500.50 USD"),
        ("40 EUR", "40.00 EUR"),
        ("trae mil euros", "1000.00 EUR"),
        ("dos mil quinientos euros", "2500.00 EUR"),
        ("cincuenta dólares", "50.00 USD"),
    ],
)
def test_amounts(text: str, amount: str) -> None:
    assert values(text, "amount") == [amount]


def test_dates_and_times() -> None:
    labels = extract("el martes a las nueve de la noche; el 25/12 a las 21:30")
    found = [(lab.kind, lab.value) for lab in labels]
    assert found == [
        ("date", "weekday:tuesday"), ("time", "21:00"), ("date", "--12-25"), ("time", "21:30")
    ]  # fmt: skip
    assert values("25 de diciembre de 2026", "date") == ["2026-12-25"]
    assert values("on December 25, 2026 at 9pm", "date") == ["2026-12-25"]
    assert values("see you tomorrow at nine thirty", "time") == ["09:00"]
    assert values("a las ocho menos cuarto", "time") == ["07:45"]
    assert values("mañana por la mañana", "date") == ["relative:tomorrow"]
    assert values("el 45/13", "date") == []


def test_places_from_gazetteer_ignore_case_and_accents() -> None:
    gazetteer = ["Madrid", "San Sebastián de los Reyes", "San Sebastián", "Ávila"]
    labels = extract(
        "vamos a san sebastian de los reyes, luego a MADRID y avila", gazetteer=gazetteer
    )
    assert [(lab.value, lab.start, lab.end) for lab in labels if lab.kind == "place"] == [
        ("San Sebastián de los Reyes", 2, 7), ("Madrid", 9, 10), ("Ávila", 11, 12)
    ]  # fmt: skip
