"""The one description of the PS-PDU (``custodio.etsi.li_ps_pdu``) against the standards.

The independent source is the ASN.1 of the standards themselves, read by asn1tools from the
shared reference folder beside the repository (never copied into it: CI and developers have
``../shared/reference``; elsewhere the tests that need it are skipped, saying why, as in
``tests/unit/handover/test_handover_captures.py``):

- TS 102 232-1 annex A, module ``LI-PS-PDU`` version 33 (``li-ps-pdu-trimmed``: pristine,
  unused alternatives removed as its clause A.3 allows), and version 40
  (``patched-full-set``) for the alternatives version 33 does not list;
- TS 102 232-5 annex A, ``IPMultimediaPDU`` version 14, and TS 102 232-6 annex A,
  ``PstnIsdnPDU`` version 5 (``etsi-forge``, verbatim).

Then the encoder, the decoder, the receiver's recognised layouts and assembly's templates
are checked against the description: every header field round-trips, and a PDU with that
field changed is taken by the fast paths exactly when the description says the field
varies from PDU to PDU, and then as the full walk reads it.
"""

from __future__ import annotations

import contextlib
import string
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asn1tools  # type: ignore[import-untyped]
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from custodio.assemble.fastcc import Templates
from custodio.errors import DecodeError
from custodio.etsi import encode as E
from custodio.etsi import li_ps_pdu as S
from custodio.etsi.pdu import (
    CCContentsKind,
    DecodedPDU,
    Direction,
    FrameType,
    IRIContentsKind,
    IRIType,
    Mark,
    MicroTime,
    PayloadKind,
    TRIKind,
    decode,
)
from custodio.handover.layout import Recognizer
from custodio.handover.routing import to_routing
from custodio.journal import Record
from custodio.journal.format import encode_connection, encode_routing

REFERENCE = Path(__file__).parents[4] / "shared" / "reference" / "asn1"
V33 = REFERENCE / "li-ps-pdu-trimmed"
V40 = REFERENCE / "patched-full-set"
FORGE = REFERENCE / "etsi-forge"
Parsed = dict[str, Any]


def _reference() -> None:
    if not REFERENCE.is_dir():  # CI and developers have it; the modules may not be copied in
        pytest.skip(f"the reference ASN.1 modules are not beside this checkout ({REFERENCE})")


@pytest.fixture(scope="module")
def standard() -> dict[str, Parsed]:
    """The modules as asn1tools parses them: version 33, version 40, TS 102 232-5 and -6."""
    _reference()
    v33 = asn1tools.parse_files(sorted(str(p) for p in V33.glob("*.asn")))
    v40 = asn1tools.parse_files([str(V40 / "LI-PS-PDU.asn")])
    forge = asn1tools.parse_files(sorted(str(p) for p in FORGE.glob("*.asn")))
    return {
        "v33": v33["LI-PS-PDU"],
        "common": v33["Common-Parameters"],
        "v40": v40["LI-PS-PDU"],
        S.IPMM: forge[S.IPMM],
        S.PSTN: forge[S.PSTN],
    }


@pytest.fixture(scope="module")
def compiled() -> Any:
    """The BER codec asn1tools compiles from the whole module set (it resolves imports)."""
    _reference()
    return asn1tools.compile_files(sorted(str(p) for p in V40.iterdir()), "ber")


def _definition(standard: dict[str, Parsed], module: str, name: str) -> list[Any]:
    """The member list of ``name`` in its pristine module: version 33 first, else 40."""
    if module == S.PS:
        types = standard["v33"]["types"]
        if name not in types:
            types = standard["v40"]["types"]
    else:
        types = standard[module]["types"]
    found: list[Any] = types[name].get("members") or types[name].get("values")
    return found


def _member(standard: dict[str, Parsed], structure: S.Structure, f: S.Field) -> tuple[Any, bool]:
    """The standard's definition of field ``f`` and whether it follows the extension marker;
    an alternative that version 33 trimmed away (clause A.3) is looked up in version 40."""
    for source in ("v33", "v40") if structure.module == S.PS else (structure.module,):
        members = standard[source]["types"].get(structure.name, {}).get("members", [])
        for i, m in enumerate(members):
            if m is not None and m["name"] == f.name:
                return m, None in members[:i]
    raise AssertionError(f"{structure.name}.{f.name} is not in the standard")


def _size(standard: dict[str, Parsed], member: dict[str, Any]) -> tuple[int, int] | None:
    """SIZE (low..high) of a member, through the type it names (LIID is a type of its own)."""
    size = member.get("size")
    if size is None and member["type"] == "LawfulInterceptionIdentifier":
        target = standard["v33"]["types"]["LawfulInterceptionIdentifier"]["type"]
        size = standard["common"]["types"][target].get("size")
    if size is None:
        return None
    (bound,) = size  # SIZE (n), or SIZE (low..high)
    low, high = bound if isinstance(bound, (tuple, list)) else (bound, bound)
    return low, high


def _range(member: dict[str, Any]) -> tuple[int, int] | None:
    values = member.get("restricted-to") or member.get("element", {}).get("restricted-to")
    if values is None:
        return None
    ((low, high),) = values
    return low, high


FIELDS = [(s, f) for s in S.STRUCTURES for f in s.fields]
BUILT_IN = {
    S.OBJECT_IDENTIFIER, S.RELATIVE_OID, S.OCTET_STRING, S.PRINTABLE_STRING, S.IA5_STRING,
    S.INTEGER, S.GENERALIZED_TIME, S.NULL, S.SEQUENCE_OF, "ENUMERATED",
}  # fmt: skip


@pytest.mark.parametrize(("structure", "f"), FIELDS, ids=[f"{s.name}.{f.name}" for s, f in FIELDS])
def test_every_field_has_the_tag_type_optionality_and_constraint_of_the_standard(
    standard: dict[str, Parsed], structure: S.Structure, f: S.Field
) -> None:
    """TS 102 232-1 annex A (``LI-PS-PDU``; PSHeader as clause 5.2 describes its fields:
    5.2.3 authorizationCountryCode, 5.2.4 communicationIdentifier, 5.2.6 timeStamp,
    5.2.11 interceptionPointID, 5.2.13 and 5.2.14 the extended identifiers; 5.2.10 iRIType;
    clause 6.2.3 the payload sequences; clause 7.2.3 IntegrityCheck), TS 102 232-5 and
    TS 102 232-6 annex A: the context tag number, the type, OPTIONAL, the place after the
    extension marker, and the SIZE or value range of every field described."""
    member, extension = _member(standard, structure, f)
    assert member["tag"]["number"] == f.tag
    assert bool(member.get("optional")) == f.optional
    assert extension == f.extension
    if f.type in BUILT_IN or member["type"] in BUILT_IN:
        assert member["type"] == f.type
    else:  # a type reference: the same name (asn1tools reads "Module.Type" as "Module")
        assert f.type == member["type"] or f.type.startswith(member["type"] + "."), member
    assert _size(standard, member) == f.size
    assert _range(member) == f.values


@pytest.mark.parametrize("structure", S.STRUCTURES, ids=[s.name for s in S.STRUCTURES])
def test_every_structure_lists_what_the_standard_lists(
    standard: dict[str, Parsed], structure: S.Structure
) -> None:
    """TS 102 232-1 annex A (and TS 102 232-5, -6): each SEQUENCE has the components of the
    version written (33, or the module's own version for -5 and -6); each CHOICE of the
    PS-PDU the alternatives of version 40 (a decoder names every alternative it may meet)."""
    sources = ["v40"] if structure.kind == "CHOICE" and structure.module == S.PS else []
    sources += ["v33"] if structure.module == S.PS else [structure.module]
    members = next(
        standard[s]["types"][structure.name]["members"]
        for s in sources
        if structure.name in standard[s]["types"]
    )
    assert [f.name for f in structure.fields] == [m["name"] for m in members if m is not None]


@pytest.mark.parametrize(("structure", "f"), FIELDS, ids=[f"{s.name}.{f.name}" for s, f in FIELDS])
def test_every_field_is_encoded_primitive_or_constructed_as_the_standard_says(
    compiled: Any, structure: S.Structure, f: S.Field
) -> None:
    """TS 102 232-1 annex A is written with IMPLICIT TAGS: a tagged SEQUENCE or SEQUENCE OF
    keeps its constructed encoding and a tagged CHOICE takes an explicit tag (X.690 8.14):
    the identifier octet asn1tools' BER codec writes for each field is the description's."""
    t = compiled.modules[structure.module][structure.name].type
    members = t.members if structure.kind == "CHOICE" else [*t.root_members, *(t.additions or ())]
    (member,) = [m for m in members if m.name == f.name]
    assert bytes(member.tag) == bytes((f.octet,))


@pytest.mark.parametrize("e", S.ENUMERATIONS, ids=[e.name for e in S.ENUMERATIONS])
def test_every_enumeration_has_the_values_of_the_standard(
    standard: dict[str, Parsed], e: S.Enumeration
) -> None:
    """TS 102 232-1 annex A (PayloadDirection, TimeStampQualifier, IRIType, CheckType,
    DataType, HashAlgorithm), TS 102 232-5 annex A (FrameType, MMCCprotocol): the names,
    their values, and where the extension marker stands."""
    values = _definition(standard, e.module, e.name)
    assert e.values == tuple(tuple(v) for v in values if v is not None)
    marker = values.index(None) if None in values else None
    assert e.extension_at == marker


def test_the_domain_identifier_is_that_of_the_module_written(standard: dict[str, Parsed]) -> None:
    """TS 102 232-1 annex A: ``li-psDomainId`` is {lawfulInterceptDomainId li-ps(5)
    genHeader(1) version33(33)} in the version the encoder writes."""
    values = standard["v33"]["values"]
    arcs: list[int] = []
    for arc in values["li-psDomainId"]["value"]:
        if isinstance(arc, str):  # a reference to another value
            arcs += [number for _, number in values[arc]["value"]]
        else:
            arcs.append(arc[1])
    assert tuple(arcs) == (*S.LI_PS_DOMAIN_PREFIX, S.LI_PS_VERSION) == E.LI_PS_DOMAIN_ID


@pytest.mark.parametrize(
    ("enum", "structure"),
    [
        (PayloadKind, S.PAYLOAD),
        (TRIKind, S.TRI_PAYLOAD),
        (CCContentsKind, S.CC_CONTENTS),
        (IRIContentsKind, S.IRI_CONTENTS),
    ],
)
def test_the_decoders_alternatives_are_the_descriptions(enum: Any, structure: S.Structure) -> None:
    """TS 102 232-1 annex A: every alternative of the CHOICEs the decoder reports by kind."""
    assert {m.value for m in enum if m.value >= 0} == structure.tags


@pytest.mark.parametrize(
    ("enum", "values"),
    [(Direction, S.PAYLOAD_DIRECTION), (IRIType, S.IRI_TYPE), (FrameType, S.FRAME_TYPE)],
)
def test_the_decoders_enumerations_are_the_descriptions(enum: Any, values: S.Enumeration) -> None:
    """TS 102 232-1 annex A (PayloadDirection, IRIType), TS 102 232-5 (FrameType)."""
    assert sorted(m.value for m in enum if m.value >= 0) == sorted(v for _, v in values.values)


# --- every header field through the encoder, the decoder and the fast paths -------------

T0 = datetime(2026, 11, 29, 10, 31, 5, 123456, tzinfo=UTC)
BASE = E.Header(
    liid=b"ES-LIID-0001",
    operator_id=b"OPERADOR-ES",
    network_element_id=b"MSC-MAD-01",
    cin=305419896,
    sequence_number=300,
    timestamp=T0,
    micro_timestamp=MicroTime(int(T0.timestamp()), T0.microsecond),
    timestamp_qualifier=1,
    authorization_country="ES",
    delivery_country="ES",
    interception_point_id="IP-7",
)
PRINTABLE = string.ascii_letters + string.digits + " '()+,-./:=?"


def _octets(f: S.Field) -> st.SearchStrategy[bytes]:
    return st.binary(min_size=f.low, max_size=min(f.high, 40))


def _printable(f: S.Field) -> st.SearchStrategy[str]:
    return st.text(PRINTABLE, min_size=f.low, max_size=f.high)


def _integer(f: S.Field) -> st.SearchStrategy[int]:
    return st.integers(f.values[0], f.maximum) if f.values else st.integers(0, 1)


def _micro(part: str) -> Callable[[E.Header, int], E.Header]:
    def put(h: E.Header, value: int) -> E.Header:
        assert h.micro_timestamp is not None
        micro = replace(h.micro_timestamp, **{part: value})
        return replace(h, micro_timestamp=micro)

    return put


def _set(attribute: str) -> Callable[[E.Header, Any], E.Header]:
    return lambda h, value: replace(h, **{attribute: value})


PSH, CID, NID = S.PS_HEADER, S.COMMUNICATION_IDENTIFIER, S.NETWORK_IDENTIFIER
MST = S.MICRO_SECOND_TIME_STAMP
_TIMES = st.datetimes(datetime(1970, 1, 1), datetime(2099, 12, 31), timezones=st.just(UTC))
# field -> (what it is on the encoder's Header and the decoded PDU, values it may take)
HEADER_FIELDS: dict[tuple[str, str], tuple[Callable[[E.Header, Any], E.Header], str, Any]] = {
    ("PSHeader", "li-psDomainId"): (
        _set("domain_id"), "domain_id",
        st.integers(0, 1000).map(lambda v: (*S.LI_PS_DOMAIN_PREFIX, v)),
    ),
    ("PSHeader", "lawfulInterceptionIdentifier"): (
        _set("liid"), "liid", _octets(PSH["lawfulInterceptionIdentifier"]),
    ),
    ("PSHeader", "authorizationCountryCode"): (
        _set("authorization_country"), "authorization_country",
        _printable(PSH["authorizationCountryCode"]),
    ),
    ("PSHeader", "sequenceNumber"): (
        _set("sequence_number"), "sequence_number", _integer(PSH["sequenceNumber"]),
    ),
    ("PSHeader", "timeStamp"): (_set("timestamp"), "timestamp", _TIMES),
    ("PSHeader", "interceptionPointID"): (
        _set("interception_point_id"), "interception_point_id",
        _printable(PSH["interceptionPointID"]),
    ),
    ("PSHeader", "timeStampQualifier"): (
        _set("timestamp_qualifier"), "timestamp_qualifier",
        st.sampled_from([v for _, v in S.TIME_STAMP_QUALIFIER.values]),
    ),
    ("CommunicationIdentifier", "communicationIdentityNumber"): (
        _set("cin"), "cin", _integer(CID["communicationIdentityNumber"]),
    ),
    ("CommunicationIdentifier", "deliveryCountryCode"): (
        _set("delivery_country"), "delivery_country", _printable(CID["deliveryCountryCode"]),
    ),
    ("NetworkIdentifier", "operatorIdentifier"): (
        _set("operator_id"), "operator_id", _octets(NID["operatorIdentifier"]),
    ),
    ("NetworkIdentifier", "networkElementIdentifier"): (
        _set("network_element_id"), "network_element_id",
        _octets(NID["networkElementIdentifier"]),
    ),
    ("MicroSecondTimeStamp", "seconds"): (
        _micro("seconds"), "micro_timestamp.seconds", _integer(MST["seconds"]),
    ),
    ("MicroSecondTimeStamp", "microSeconds"): (
        _micro("microseconds"), "micro_timestamp.microseconds", _integer(MST["microSeconds"]),
    ),
}  # fmt: skip
# What the encoder does not write and the decoder checks without keeping: structures of
# their own (communicationIdentifier, microSecondTimeStamp: their fields are above) and
# the extensions this code skips.
NOT_VALUES = {
    ("PSHeader", "communicationIdentifier"), ("PSHeader", "microSecondTimeStamp"),
    ("PSHeader", "extendedInterceptionPointID"), ("PSHeader", "networkFunctionIdentifier"),
    ("CommunicationIdentifier", "networkIdentifier"), ("CommunicationIdentifier", "cINExtension"),
    ("NetworkIdentifier", "eTSI671NEID"),
}  # fmt: skip
HEADER_STRUCTURES = (PSH, CID, NID, MST)


def test_every_header_field_of_the_description_is_exercised() -> None:
    """TS 102 232-1 annex A, PSHeader and the structures inside it: a field added to the
    description must be added to the round trip below (or said not to be a value)."""
    described = {(s.name, f.name) for s in HEADER_STRUCTURES for f in s.fields}
    assert described == HEADER_FIELDS.keys() | NOT_VALUES


def _field(s: str, name: str) -> S.Field:
    structure = next(x for x in HEADER_STRUCTURES if x.name == s)
    return structure[name]


def _value(d: DecodedPDU, where: str) -> object:
    value: object = d
    for part in where.split("."):
        value = getattr(value, part)
    return value


def _cc(h: E.Header) -> bytes:
    """An HI3 PDU of one RTP packet of the simple form, with every header field present."""
    media = b"\x80\x08" + bytes(range(10)) + bytes(160)
    return E.cc_ipmm(h, media, direction=Direction.TO_TARGET, frame_type=FrameType.RTP,
                     timestamp=T0)  # fmt: skip


TEMPLATE = _cc(BASE)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.sampled_from(sorted(HEADER_FIELDS)), st.data())
def test_every_header_field_round_trips_through_the_encoder_the_decoder_and_asn1tools(
    compiled: Any, key: tuple[str, str], data: st.DataObject
) -> None:
    """TS 102 232-1 annex A, PSHeader (clause 5.2): any value the description allows,
    written by the encoder, is read back by the decoder and by asn1tools alike."""
    put, where, values = HEADER_FIELDS[key]
    value = data.draw(values)
    pdu = _cc(put(BASE, value))
    decoded = decode(pdu)
    assert _value(decoded, where) == value
    reference = compiled.decode("PS-PDU", pdu)["pSHeader"]
    for part in [*_structure_path(key[0]), key[1]]:
        reference = reference[part]
    if key == ("PSHeader", "li-psDomainId"):
        reference = tuple(int(arc) for arc in reference.split("."))
    elif key == ("PSHeader", "timeStampQualifier"):
        reference = S.TIME_STAMP_QUALIFIER[reference]
    assert reference == value


def _structure_path(name: str) -> list[str]:
    return {
        "PSHeader": [],
        "CommunicationIdentifier": ["communicationIdentifier"],
        "NetworkIdentifier": ["communicationIdentifier", "networkIdentifier"],
        "MicroSecondTimeStamp": ["microSecondTimeStamp"],
    }[name]


def _walk(raw: bytes) -> DecodedPDU | None:
    with contextlib.suppress(DecodeError):
        return decode(raw)
    return None


def _learnt() -> tuple[Recognizer, Templates]:
    recognizer, templates = Recognizer(3), Templates()
    marks: list[Mark] = []
    decoded = decode(TEMPLATE, marks=marks)
    recognizer.learn(TEMPLATE, 0, len(TEMPLATE), decoded, marks)
    templates.decode(Record(1, 0, to_routing(decoded, 3, ""), TEMPLATE))
    assert len(recognizer) == 1 and templates.walks == 1
    return recognizer, templates


def _same_clock_layout(old: bytes, new: bytes) -> bool:
    """Whether two GeneralizedTimes differ only in their clock (the layout's free part)."""
    return len(old) == len(new) and old[:8] == new[:8] and old[14:15] == new[14:15]


@PROPERTY
@given(st.sampled_from(sorted(HEADER_FIELDS)), st.data())
def test_a_pdu_with_a_header_field_changed_takes_the_fast_paths_as_the_description_says(
    key: tuple[str, str], data: st.DataObject
) -> None:
    """TS 102 232-1 clause 5.2 (PSHeader) with the description's ``varies``: a PDU whose
    changed field varies from PDU to PDU (sequenceNumber, timeStamp, microSecondTimeStamp),
    at the same length, is taken by the receiver's recognised layout and by assembly's
    template, and read as the full walk reads it; a PDU with any other field changed is
    taken by neither: both fall back to the full walk."""
    put, where, values = HEADER_FIELDS[key]
    value = data.draw(values)
    raw = _cc(put(BASE, value))
    assume(raw != TEMPLATE)
    walked = _walk(raw)
    assert walked is not None and _value(walked, where) == value
    recognizer, templates = _learnt()
    f = _field(*key)
    same_length = len(raw) == len(TEMPLATE)
    expected_layout = f.varies and same_length
    if key == ("PSHeader", "timeStamp"):
        old, new = E.generalized_time(T0), E.generalized_time(value)
        expected_layout = expected_layout and _same_clock_layout(old, new)
    known = recognizer.match(raw, 0, len(raw))
    assert (known is not None) == expected_layout, (key, value)
    if known is not None:
        layout, seq, head = known
        fast = head + seq.to_bytes(4, "big") + layout.tail + encode_connection("")
        assert fast == encode_routing(to_routing(walked, 3, ""))
    record = Record(2, 0, to_routing(walked, 3, ""), raw)
    rtp = templates.read_rtp(record)  # the fast lane: one RTP packet read into its fields
    assert (rtp is not None) == (f.varies and same_length), (key, value)
    if rtp is not None:
        assert (rtp.sequence_number, rtp.timestamp, rtp.micro_timestamp) == (
            walked.sequence_number, walked.timestamp, walked.micro_timestamp,
        )  # fmt: skip
    hits = templates.hits
    read = templates.decode(record)  # a template's slices, or the full walk
    assert (templates.hits > hits) == (f.varies and same_length), (key, value)
    assert _fields(read) == _fields(walked)


def _fields(p: DecodedPDU) -> tuple[object, ...]:
    item = p.cc[0]
    return (bytes(p.raw), p.domain_id, p.liid, p.authorization_country, p.operator_id,
            p.network_element_id, p.cin, p.delivery_country, p.sequence_number, p.timestamp,
            p.micro_timestamp, p.timestamp_qualifier, p.interception_point_id, p.quirks,
            item.direction, item.timestamp, item.contents_kind, item.frame_type,
            bytes(item.content))  # fmt: skip


SIBLINGS = {  # a value of the same encoded length as the template's, for every header field
    ("PSHeader", "li-psDomainId"): (*S.LI_PS_DOMAIN_PREFIX, 34),
    ("PSHeader", "lawfulInterceptionIdentifier"): b"ES-LIID-0002",
    ("PSHeader", "authorizationCountryCode"): "FR",
    ("PSHeader", "sequenceNumber"): 301,
    ("PSHeader", "timeStamp"): T0.replace(hour=23, minute=59, second=58),
    ("PSHeader", "interceptionPointID"): "IP-8",
    ("PSHeader", "timeStampQualifier"): 2,
    ("CommunicationIdentifier", "communicationIdentityNumber"): 305419897,
    ("CommunicationIdentifier", "deliveryCountryCode"): "PT",
    ("NetworkIdentifier", "operatorIdentifier"): b"OPERADOR-FR",
    ("NetworkIdentifier", "networkElementIdentifier"): b"MSC-MAD-02",
    ("MicroSecondTimeStamp", "seconds"): int(T0.timestamp()) + 1,
    ("MicroSecondTimeStamp", "microSeconds"): 654321,
}


@pytest.mark.parametrize("key", sorted(HEADER_FIELDS), ids=lambda k: f"{k[0]}.{k[1]}")
def test_a_sibling_is_recognised_exactly_when_the_changed_field_varies(
    key: tuple[str, str],
) -> None:
    """TS 102 232-1 clause 5.2 (PSHeader) with the description's ``varies``, one sibling per
    field at the same length: what the property above covers by chance, covered for sure."""
    put, where, _ = HEADER_FIELDS[key]
    raw = _cc(put(BASE, SIBLINGS[key]))
    assert len(raw) == len(TEMPLATE) and raw != TEMPLATE
    walked = decode(raw)
    assert _value(walked, where) == SIBLINGS[key]
    recognizer, templates = _learnt()
    varies = _field(*key).varies
    assert (recognizer.match(raw, 0, len(raw)) is not None) == varies
    record = Record(2, 0, to_routing(walked, 3, ""), raw)
    assert (templates.read_rtp(record) is not None) == varies
    assert _fields(templates.decode(record)) == _fields(walked)
    assert templates.hits == int(varies) * 2  # read_rtp, then decode
