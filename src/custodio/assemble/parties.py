"""The parties of a communication: their identities as delivered, read as their standards
define them, and which of them a warrant names.

A party comes as a SIP or tel URI (the From, To, P-Asserted-Identity and Request-URI of a
TS 102 232-5 SIP INVITE; TS 101 671 ``sip-uri`` and ``tel-url``), as a number (TS 101 671
ISUP, MAP and DSS1 formats, MSISDN: ``+`` and digits when international, else the
national digits), or as an IMSI or IMEI (digits). It is kept whole, as delivered (the URI
without display name and header parameters), and compared with a warrant's targets:

- a SIP target with a SIP URI as addresses of record: without URI parameters (RFC 3261
  §10.3), compared by §19.1.4 (scheme, user and password case-sensitive after unescaping,
  host case-insensitive, port); a ``user=phone`` SIP target also by its number;
- an E.164 target with the number a party names: a ``tel:`` URI (RFC 3966), a
  ``user=phone`` SIP URI (RFC 3261 §19.1.6), a SIP user part written as a global number,
  or a delivered number normalised to E.164 (national numbers read for the agency's
  region);
- an IMSI digit by digit; an IMEI by its first 14 digits (TAC and serial number, TS 23.003
  §6.2: the check or spare digit and an IMEISV's software version do not name the device).
"""

from __future__ import annotations

from custodio.catalog import identifiers
from custodio.catalog.identifiers import Identifier
from custodio.errors import InvalidInput
from custodio.etsi import sip

URI_SOURCES = frozenset({"sip-from", "sip-to", "sip-pai", "sip-request-uri", "sip-uri", "tel-url"})
NUMBER_SOURCES = frozenset({
    "calling-isup", "called-isup", "calling-map", "called-map", "calling-dss1", "called-dss1",
    "msisdn", "e164-format", "sms-originator", "sms-recipient",
})  # fmt: skip


def e164(delivered: str, source: str) -> str | None:
    """The E.164 number a party's identity names, or None (not a number, or not valid)."""
    if source in URI_SOURCES:
        uri = sip.parse_uri(delivered)
        return None if uri is None else uri.e164()
    if source not in NUMBER_SOURCES:
        return None
    digits = delivered.lstrip("+")
    if not digits.isdigit():
        return None
    tries = [delivered] if delivered.startswith("+") else [digits, f"+{digits}"]
    for text in tries:  # a national number for the agency's region, else with its country code
        try:
            return identifiers.e164(text)
        except InvalidInput:
            continue
    return None


def named_target(targets: frozenset[Identifier], delivered: str, source: str) -> Identifier | None:
    """The warrant target that this party's identity is, if any."""
    for target in sorted(targets, key=str):
        if _names(target, delivered, source):
            return target
    return None


def _names(target: Identifier, delivered: str, source: str) -> bool:
    if target.kind == "e164":
        return e164(delivered, source) == target.value
    if target.kind == "sip" and source in URI_SOURCES:
        party, wanted = sip.parse_uri(delivered), sip.parse_uri(target.value)
        return party is not None and wanted is not None and party.names_same_party(wanted)
    if target.kind == "imsi":
        return source == "imsi" and delivered == target.value
    if target.kind == "imei":
        return source == "imei" and len(delivered) >= 14 and delivered[:14] == target.value[:14]
    return False
