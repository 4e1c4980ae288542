"""Entities in a transcript or a message: phones, IBANs, plates, e-mails, amounts, dates, places.

:func:`extract` runs every rule over the words and returns one :class:`Label` per finding,
with the rule's name and this engine's version in its source. Written forms are found by
regular expressions over the words joined by spaces (:class:`~custodio.classify.text.Joined`),
spoken numbers through :mod:`custodio.classify.numbers`.

* phone — ``phonenumbers`` (Google's libphonenumber metadata): written numbers through its
  matcher at VALID leniency, spoken digit runs of 9 to 15 digits parsed and validated;
  value in E.164; default region ES.
* iban — ``python-stdnum``'s ``stdnum.iban`` (mod-97 and the country's length and BBAN
  format; Spain's own control digits too); an IBAN-shaped string with a wrong checksum is
  not reported.
* plate — current Spanish plates ``0000 BBB`` (consonants only, no Ñ or Q), provincial
  plates ``M-1234-AB`` and the oldest ``M-123456``; value without separators.
* email — ``local@domain.tld``, value lower-cased.
* amount — a number (``2.500``, ``2,500.00``, ``3 mil``, ``dos mil quinientos``) with a
  currency (€, euros, EUR, $, dólares, USD, £, libras, GBP); value ``2500.00 EUR``.
* date / time — ``25/12[/2026]``, ``25 de diciembre``, ``December 25``, week days, hoy/
  mañana/today/tomorrow; ``21:30``, ``9pm``, ``a las nueve [y media] [de la noche]``,
  ``at nine``; values in ISO 8601 where they can be (``2026-12-25``, ``--12-25``,
  ``21:30``), else ``weekday:tuesday`` / ``relative:tomorrow``.
* place — names from the agency's gazetteer (a parameter), matched word by word ignoring
  case and accents, longest name first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

import phonenumbers
from stdnum import iban as stdnum_iban

from custodio.classify.labels import Label, Source
from custodio.classify.numbers import SpokenNumber, spoken_numbers
from custodio.classify.text import Joined, Word, fold, token, words_from_text

ENGINE = "entities"
VERSION = "1"


class _Doc:
    def __init__(self, words: Sequence[Word]) -> None:
        self.words = words
        self.joined = Joined.of(words)
        self.text = self.joined.text
        self.tokens = [token(w.text) for w in words]

    def label(
        self, rule: str, kind: str, value: str, span: tuple[int, int], confidence: float,
        *, chars: bool = True, detail: Mapping[str, str] | None = None,
    ) -> Label:  # fmt: skip
        start, end = self.joined.word_range(*span) if chars else span
        text = (
            self.text[span[0] : span[1]]
            if chars
            else " ".join(w.text for w in self.words[start:end])
        )
        return Label(
            kind=kind, value=value, confidence=confidence,
            source=Source(ENGINE, VERSION, rule), text=text, start=start, end=end,
            start_s=self.words[start].start, end_s=self.words[end - 1].end,
            detail=MappingProxyType(dict(detail or {})),
        )  # fmt: skip


def extract(
    words: Sequence[Word] | str, *, gazetteer: Sequence[str] = (), region: str = "ES"
) -> list[Label]:
    """Every entity in ``words`` (or a written text), ordered by position."""
    doc = _Doc(words_from_text(words) if isinstance(words, str) else words)
    found: list[Label] = []
    for rule in (_phones, _ibans, _plates, _emails, _amounts, _dates, _times):
        found.extend(rule(doc, region))
    found.extend(_places(doc, gazetteer))
    return sorted(found, key=lambda label: (label.start or 0, label.kind, label.value))


# --- phone numbers -------------------------------------------------------------------


def _dictated(run: SpokenNumber) -> bool:
    """Digits written one word each: how speech-to-text writes a number read out digit by
    digit (``6, 0, 0, 1, …``), which the written-number matcher does not take."""
    return len(run.pieces) >= 6 and all(len(p.digits) <= 2 for p in run.pieces)


def _phones(doc: _Doc, region: str) -> Iterator[Label]:
    seen: set[str] = set()
    leniency = phonenumbers.Leniency.VALID
    for m in phonenumbers.PhoneNumberMatcher(doc.text, region, leniency=leniency):
        e164 = phonenumbers.format_number(m.number, phonenumbers.PhoneNumberFormat.E164)
        seen.add(e164)
        yield doc.label("phone.written", "phone", e164, (m.start, m.end), 0.95)
    for run in spoken_numbers([w.text for w in doc.words]):
        read_out = run.spoken or _dictated(run)
        spoken_e164 = _phone_from_digits(run.digits, region) if read_out else None
        if spoken_e164 and spoken_e164 not in seen:
            yield doc.label(
                "phone.spoken", "phone", spoken_e164, (run.start, run.end), 0.8, chars=False
            )


def _phone_from_digits(digits: str, region: str) -> str | None:
    if not 9 <= len(digits) <= 15:
        return None
    tries = ["+" + digits[2:]] if digits.startswith("00") else [digits, "+" + digits]
    for candidate in tries:
        try:
            number = phonenumbers.parse(candidate, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


# --- IBAN ----------------------------------------------------------------------------

_IBAN = re.compile(r"\b[A-Za-z]{2}\d{2}(?:[ -]?[A-Za-z0-9]){11,30}")


def _ibans(doc: _Doc, region: str) -> Iterator[Label]:
    for m in _IBAN.finditer(doc.text):
        positions = [m.start() + k for k, c in enumerate(m.group()) if c.isalnum()]
        compact = "".join(doc.text[p] for p in positions).upper()
        for length in range(len(compact), 14, -1):
            if stdnum_iban.is_valid(compact[:length]):
                end = positions[length - 1] + 1
                yield doc.label("iban.mod97", "iban", compact[:length], (m.start(), end), 0.99)
                break


# --- vehicle plates ------------------------------------------------------------------

_PROVINCES = [
    "A",
    "AB",
    "AL",
    "AV",
    "B",
    "BA",
    "BI",
    "BU",
    "C",
    "CA",
    "CC",
    "CE",
    "CO",
    "CR",
    "CS",
    "CU",
    "GC",
    "GE",
    "GI",
    "GR",
    "GU",
    "H",
    "HU",
    "IB",
    "J",
    "L",
    "LE",
    "LO",
    "LU",
    "M",
    "MA",
    "ML",
    "MU",
    "NA",
    "O",
    "OR",
    "OU",
    "P",
    "PM",
    "PO",
    "S",
    "SA",
    "SE",
    "SG",
    "SO",
    "SS",
    "T",
    "TE",
    "TF",
    "TO",
    "V",
    "VA",
    "VI",
    "Z",
    "ZA",
]
_PROV = "|".join(sorted(_PROVINCES, key=len, reverse=True))
_PLATE_CURRENT = re.compile(r"\b(\d{4})[ -]?([BCDFGHJKLMNPRSTVWXYZ]{3})\b", re.IGNORECASE)
_PLATE_PROVINCIAL = re.compile(rf"\b({_PROV})[ -]?(\d{{4}})[ -]?([A-Z]{{1,2}})\b")
_PLATE_OLDEST = re.compile(rf"\b({_PROV})-(\d{{1,6}})\b(?![ -]?[A-Z])")


def _plates(doc: _Doc, region: str) -> Iterator[Label]:
    for m in _PLATE_CURRENT.finditer(doc.text):
        value = m.group(1) + m.group(2).upper()
        yield doc.label("plate.current", "plate", value, m.span(), 0.9)
    for m in _PLATE_PROVINCIAL.finditer(doc.text):
        value = "".join(m.groups())
        yield doc.label("plate.provincial", "plate", value, m.span(), 0.8)
    for m in _PLATE_OLDEST.finditer(doc.text):
        yield doc.label("plate.oldest", "plate", "".join(m.groups()), m.span(), 0.6)


# --- e-mail --------------------------------------------------------------------------

_EMAIL = re.compile(r"\b[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b")


def _emails(doc: _Doc, region: str) -> Iterator[Label]:
    for m in _EMAIL.finditer(doc.text):
        yield doc.label("email", "email", m.group().lower(), m.span(), 0.95)


# --- amounts -------------------------------------------------------------------------

_CURRENCIES = {
    "€": "EUR", "euro": "EUR", "euros": "EUR", "eur": "EUR", "pavos": "EUR",
    "$": "USD", "dolar": "USD", "dolares": "USD", "dollar": "USD", "dollars": "USD",
    "usd": "USD", "£": "GBP", "libra": "GBP", "libras": "GBP", "pounds": "GBP", "gbp": "GBP",
}  # fmt: skip
_SCALE = {"mil": 1000, "thousand": 1000, "k": 1000, "millon": 10**6, "millones": 10**6,
          "million": 10**6, "millions": 10**6}  # fmt: skip
_CUR = r"(€|\$|£|(?i:euros?|eur|d[oó]lar(?:es)?|dollars?|usd|libras?|pounds|gbp|pavos))"
_NUM = r"(\d{1,3}(?:[.,\s]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)"
_SCL = r"(?:\s?(?i:(mil|thousand|k|mill[oó]n(?:es)?|millions?)))?"
_AMOUNT_AFTER = re.compile(rf"(?<![\w.,]){_NUM}{_SCL}\s?(?:(?i:de)\s)?{_CUR}(?!\w)")
_AMOUNT_BEFORE = re.compile(rf"(?<!\w){_CUR}\s?{_NUM}{_SCL}(?![\w.,]\d)")


def _parse_amount(number: str, scale: str | None) -> Decimal | None:
    s = re.sub(r"\s", "", number)
    if "." in s and "," in s:
        decimal_sep = "." if s.rfind(".") > s.rfind(",") else ","
    elif re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", s):
        decimal_sep = ""
    else:
        decimal_sep = "." if "." in s else ","
    thousands = {",", "."} - {decimal_sep}
    cleaned = "".join(c for c in s if c not in thousands).replace(decimal_sep or "_", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value * _SCALE.get(fold(scale), 1) if scale else value


def _amounts(doc: _Doc, region: str) -> Iterator[Label]:
    for pattern, order in ((_AMOUNT_AFTER, "after"), (_AMOUNT_BEFORE, "before")):
        for m in pattern.finditer(doc.text):
            number, scale, cur = (
                m.groups() if order == "after" else (m.group(2), m.group(3), m.group(1))
            )
            value = _parse_amount(number, scale)
            if value is not None:
                code = _CURRENCIES[fold(cur)]
                yield doc.label("amount.written", "amount", f"{value:.2f} {code}", m.span(), 0.9)
    yield from _spoken_amounts(doc)


def _spoken_amounts(doc: _Doc) -> Iterator[Label]:
    for run in spoken_numbers([w.text for w in doc.words]):
        last = run.pieces[-1]
        i = run.end + (1 if doc.tokens[run.end : run.end + 1] == ["de"] else 0)
        cur = doc.tokens[i] if i < len(doc.tokens) else ""
        if cur in _CURRENCIES and last.spoken and not doc.tokens[last.start].isdigit():
            value = f"{Decimal(last.digits):.2f} {_CURRENCIES[cur]}"
            span = (last.start, i + 1)
            yield doc.label("amount.spoken", "amount", value, span, 0.75, chars=False)


# --- dates ---------------------------------------------------------------------------

_MONTHS = {
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
    "agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11,
    "diciembre": 12, "january": 1, "february": 2, "march": 3, "april": 4, "may": 5,
    "june": 6, "july": 7, "august": 8, "september": 9, "october": 10, "november": 11,
    "december": 12,
}  # fmt: skip
_WEEKDAYS = {
    "lunes": "monday",
    "martes": "tuesday",
    "miercoles": "wednesday",
    "jueves": "thursday",
    "viernes": "friday",
    "sabado": "saturday",
    "domingo": "sunday",
} | {d: d for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
_RELATIVE = {"hoy": "today", "manana": "tomorrow", "ayer": "yesterday", "today": "today",
             "tomorrow": "tomorrow", "yesterday": "yesterday", "tonight": "tonight",
             "anoche": "last-night"}  # fmt: skip
_MONTH = "|".join(_MONTHS)
_DATE_NUMERIC = re.compile(
    r"(?<![\d/.:-])(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{4}|\d{2}))?(?![\d/.:-]|,\d)"
)
_DATE_ES = re.compile(rf"\b(\d{{1,2}})\s+de\s+({_MONTH})(?:\s+(?:de\s+)?(\d{{4}}))?\b", re.I)
_DATE_EN1 = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})(?:,?\s+(\d{{4}}))?\b", re.I
)
_DATE_EN2 = re.compile(rf"\b({_MONTH})\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", re.I)


def _iso_date(day: int, month: int, year: str | None) -> str | None:
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    if year is None:
        return f"--{month:02d}-{day:02d}"
    y = int(year) + (2000 if len(year) == 2 else 0)
    return f"{y:04d}-{month:02d}-{day:02d}"


def _dates(doc: _Doc, region: str) -> Iterator[Label]:
    for m in _DATE_NUMERIC.finditer(doc.text):
        iso = _iso_date(int(m.group(1)), int(m.group(3)), m.group(4))
        if iso:
            yield doc.label("date.numeric", "date", iso, m.span(), 0.7 if m.group(4) else 0.6)
    for pattern, rule in ((_DATE_ES, "date.es"), (_DATE_EN1, "date.en")):
        for m in pattern.finditer(doc.text):
            iso = _iso_date(int(m.group(1)), _MONTHS[fold(m.group(2))], m.group(3))
            if iso:
                yield doc.label(rule, "date", iso, m.span(), 0.85)
    for m in _DATE_EN2.finditer(doc.text):
        iso = _iso_date(int(m.group(2)), _MONTHS[fold(m.group(1))], m.group(3))
        if iso and fold(m.group(1)) != "may":
            yield doc.label("date.en", "date", iso, m.span(), 0.85)
    yield from _day_words(doc)


def _day_words(doc: _Doc) -> Iterator[Label]:
    for i, t in enumerate(doc.tokens):
        if t in _WEEKDAYS:
            yield doc.label(
                "date.weekday", "date", f"weekday:{_WEEKDAYS[t]}", (i, i + 1), 0.7, chars=False
            )
        elif t in _RELATIVE and not (t == "manana" and i and doc.tokens[i - 1] in {"la", "las"}):
            yield doc.label(
                "date.relative", "date", f"relative:{_RELATIVE[t]}", (i, i + 1), 0.6, chars=False
            )


# --- times ---------------------------------------------------------------------------

_TIME_CLOCK = re.compile(
    r"(?<![\d:.,])([01]?\d|2[0-3])(?::|h)([0-5]\d)\b(?:\s?([ap])\.?m\.?)?", re.I
)
_TIME_AMPM = re.compile(r"(?<![\d:.,])(1[0-2]|0?[1-9])\s?([ap])\.?m\.?(?!\w)", re.I)
_HOUR_WORDS = {
    "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7,
    "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "one": 1, "two": 2,
    "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
_MINUTES = {("y", "media"): 30, ("y", "cuarto"): 15, ("menos", "cuarto"): -15}
_AFTERNOON = {"tarde", "noche"}


def _times(doc: _Doc, region: str) -> Iterator[Label]:
    for m in _TIME_CLOCK.finditer(doc.text):
        hour = _twelve(int(m.group(1)), m.group(3))
        yield doc.label("time.clock", "time", f"{hour:02d}:{m.group(2)}", m.span(), 0.85)
    for m in _TIME_AMPM.finditer(doc.text):
        hour = _twelve(int(m.group(1)), m.group(2))
        yield doc.label("time.ampm", "time", f"{hour:02d}:00", m.span(), 0.85)
    yield from _spoken_times(doc)


def _twelve(hour: int, ampm: str | None) -> int:
    if ampm and ampm.lower() == "p" and hour < 12:
        return hour + 12
    if ampm and ampm.lower() == "a" and hour == 12:
        return 0
    return hour


def _spoken_times(doc: _Doc) -> Iterator[Label]:
    t = doc.tokens
    for i in range(len(t) - 1):
        es = t[i] == "a" and i + 2 < len(t) and t[i + 1] in {"la", "las"}
        en = t[i] == "at"
        j = i + 2 if es else i + 1
        if not (es or en) or j >= len(t) or t[j] not in _HOUR_WORDS:
            continue
        hour, minute, k = _HOUR_WORDS[t[j]], 0, j + 1
        if tuple(t[k : k + 2]) in _MINUTES:
            minute = _MINUTES[tuple(t[k : k + 2])]  # type: ignore[index]
            k += 2
        if t[k : k + 2] in (["de", "la"], ["por", "la"]) and k + 2 < len(t):
            hour += 12 if t[k + 2] in _AFTERNOON and hour < 12 else 0
            k += 3
        elif en and k < len(t) and t[k] in {"pm", "am"}:
            hour = _twelve(hour, t[k][0])
            k += 1
        elif en and t[k : k + 1] == ["oclock"]:
            k += 1
        if minute < 0:
            hour, minute = (hour - 1) % 24, 60 + minute
        yield doc.label("time.spoken", "time", f"{hour:02d}:{minute:02d}", (i, k), 0.7, chars=False)


# --- places --------------------------------------------------------------------------


def _places(doc: _Doc, gazetteer: Sequence[str]) -> Iterator[Label]:
    names = sorted(
        ((tuple(token(p) for p in name.split()), name) for name in gazetteer if name.strip()),
        key=lambda item: -len(item[0]),
    )
    taken: set[int] = set()
    for parts, name in names:
        n = len(parts)
        for i in range(len(doc.tokens) - n + 1):
            span = range(i, i + n)
            if tuple(doc.tokens[i : i + n]) == parts and taken.isdisjoint(span):
                taken.update(span)
                confidence = 0.9 if n > 1 or len(parts[0]) > 3 else 0.6
                yield doc.label(
                    "place.gazetteer", "place", name, (i, i + n), confidence, chars=False
                )
