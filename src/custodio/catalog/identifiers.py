"""Target identifiers as typed by a warrant officer: ``TYPE:VALUE``, validated and normalised."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

import phonenumbers

from custodio.errors import InvalidInput

KINDS = ("e164", "imsi", "imei", "sip", "email", "ip")
_ALIASES = {"msisdn": "e164", "tel": "e164", "phone": "e164", "number": "e164", "sips": "sip"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SIP = re.compile(r"^sips?:[^@\s]+@[^@\s]+$", re.IGNORECASE)
DEFAULT_REGION = "ES"


@dataclass(frozen=True)
class Identifier:
    kind: str
    value: str

    def __str__(self) -> str:
        """``e164:+34600111222``; a SIP URI as itself (``sip:ana@ims.example``)."""
        return self.value if self.kind == "sip" else f"{self.kind}:{self.value}"


def parse(text: str) -> Identifier:
    """``TYPE:VALUE`` (``e164:+34600111222``, ``imsi:214...``), or a SIP URI as itself
    (``sip:ana@ims.example``, ``sips:...``): the form :meth:`Identifier.__str__` gives."""
    kind, sep, value = text.strip().partition(":")
    if kind.lower() in ("sip", "sips") and not value.lower().startswith(("sip:", "sips:")):
        value = text.strip()  # the URI itself; ``sip:sip:...`` (the old form) still reads
    kind = _ALIASES.get(kind.lower(), kind.lower())
    if not sep or kind not in KINDS:
        raise InvalidInput(
            f"target {text!r} is not TYPE:VALUE with a known type",
            hint=f"use one of {', '.join(KINDS)}, e.g. e164:+34600111222",
        )
    return Identifier(kind, normalise(kind, value))


def normalise(kind: str, value: str) -> str:
    normaliser = {
        "e164": e164,
        "imsi": _imsi,
        "imei": _imei,
        "sip": _sip,
        "email": _email,
        "ip": _ip,
    }[kind]
    return normaliser(value.strip())


def e164(value: str, region: str = DEFAULT_REGION) -> str:
    """A phone number in E.164 (``+34600111222``); national numbers are read for ``region``."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as e:
        raise InvalidInput(f"{value!r} is not a phone number: {e}") from e
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            f"{value!r} is not a valid phone number",
            hint="write it in international form, e.g. +34600111222",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _digits(value: str, what: str, lengths: tuple[int, ...]) -> str:
    digits = value.replace(" ", "").replace("-", "")
    if not digits.isdigit() or len(digits) not in lengths:
        raise InvalidInput(f"{value!r} is not an {what} ({' or '.join(map(str, lengths))} digits)")
    return digits


def _imsi(value: str) -> str:
    return _digits(value, "IMSI", (14, 15))


def _imei(value: str) -> str:
    digits = _digits(value, "IMEI", (14, 15, 16))
    if len(digits) == 15 and not _luhn_ok(digits):
        raise InvalidInput(f"{value!r} is not an IMEI: its check digit is wrong")
    return digits


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _sip(value: str) -> str:
    uri = value if value.lower().startswith(("sip:", "sips:")) else f"sip:{value}"
    if not _SIP.match(uri):
        raise InvalidInput(f"{value!r} is not a SIP URI", hint="e.g. sip:+34600111222@ims.example")
    scheme, _, rest = uri.partition(":")
    user, _, host = rest.rpartition("@")
    return f"{scheme.lower()}:{user}@{host.lower()}"


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise InvalidInput(f"{value!r} is not an e-mail address")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def _ip(value: str) -> str:
    try:
        return (
            str(ipaddress.ip_network(value, strict=False))
            if "/" in value
            else str(ipaddress.ip_address(value))
        )
    except ValueError as e:
        raise InvalidInput(f"{value!r} is not an IP address or network") from e
