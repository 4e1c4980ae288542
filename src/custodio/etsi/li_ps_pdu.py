"""The PS-PDU described once: ETSI TS 102 232-1 ``LI-PS-PDU``, as data.

The structures Custodio reads and writes, field by field: the context tag number, the
ASN.1 type, whether the encoding is constructed, optional, after the extension marker,
the SIZE or value range, and whether the field changes from one PDU of a stream to the
next (``varies``: what :func:`custodio.etsi.pdu.decode` marks as a :class:`~.pdu.Leaf`,
and what the receiver's recognised layouts and assembly's templates leave free). With them
the enumerations whose values the decoder knows, and from TS 102 232-5 (``IPMMCC``,
``IPMMIRI`` with SIP) and TS 102 232-6 (``PstnIsdnCC``) the parts a voice intercept carries.

From this description:

- the decoder (:mod:`custodio.etsi.pdu`) takes its tag numbers, size and range limits,
  mandatory fields, the last tag it knows per SEQUENCE and its enumerations' values;
- the encoder (:mod:`custodio.etsi.encode`) takes its tag numbers and the domain
  identifier it writes;
- :mod:`custodio.handover.layout` takes the identifier octets it looks for in a header and
  the range of ``PayloadDirection``; :mod:`custodio.assemble.fastcc` the range of
  ``microSeconds``.

Every module binds what it needs to its own names at import: nothing here is looked up
per PDU. ``tests/unit/etsi/test_pdu_description.py`` checks every field against the ASN.1
modules of the standards themselves (compiled by asn1tools from ``../shared/reference``).
The version written is ``li-psDomainId`` version 33; later versions (to 40) add
alternatives that are listed here too, so that the decoder names them.
"""

from __future__ import annotations

from dataclasses import dataclass

# The ASN.1 built-in types as the modules write them.
OBJECT_IDENTIFIER = "OBJECT IDENTIFIER"
RELATIVE_OID = "RELATIVE-OID"
OCTET_STRING = "OCTET STRING"
PRINTABLE_STRING = "PrintableString"
IA5_STRING = "IA5String"
INTEGER = "INTEGER"
GENERALIZED_TIME = "GeneralizedTime"
NULL = "NULL"
SEQUENCE_OF = "SEQUENCE OF"

UINT32_MAX = 4294967295
UINT64_MAX = 18446744073709551615

# li-psDomainId: {itu-t(0) identified-organization(4) etsi(0) securityDomain(2)
# lawfulIntercept(2) li-ps(5) genHeader(1) version(n)}
LI_PS_DOMAIN_PREFIX = (0, 4, 0, 2, 2, 5, 1)
LI_PS_VERSION = 33  # the version the encoder writes (the reference captures' version)
UNIVERSAL_SEQUENCE = 0x30  # the identifier octet of a PS-PDU (a SEQUENCE, constructed)


@dataclass(frozen=True, slots=True)
class Field:
    """One component of a SEQUENCE, or one alternative of a CHOICE, as ``[tag] type``."""

    name: str  # the ASN.1 identifier, as the module spells it
    tag: int  # the context tag number
    type: str  # a built-in type, or the type named in the module (described here or not)
    constructed: bool = False  # the encoding: a SEQUENCE, SEQUENCE OF, or a CHOICE (explicit)
    optional: bool = False
    extension: bool = False  # after the extension marker "..."
    size: tuple[int, int] | None = None  # SIZE (low..high) of a string
    values: tuple[int, int] | None = None  # (low..high) of an INTEGER (or of a SEQUENCE OF's)
    varies: bool = False  # changes from one PDU of a stream to the next

    @property
    def octet(self) -> int:
        """The identifier octet of this field (tag numbers below 31: all of those here)."""
        assert self.tag < 0x1F
        return 0x80 | (0x20 if self.constructed else 0) | self.tag

    @property
    def low(self) -> int:
        """The least SIZE allowed (0 when unconstrained)."""
        return 0 if self.size is None else self.size[0]

    @property
    def high(self) -> int:
        """The greatest SIZE allowed."""
        assert self.size is not None, f"{self.name} has no SIZE constraint"
        return self.size[1]

    @property
    def maximum(self) -> int:
        """The greatest value of an INTEGER."""
        assert self.values is not None, f"{self.name} has no value range"
        return self.values[1]


@dataclass(frozen=True, slots=True)
class Structure:
    """A SEQUENCE (its components) or a CHOICE (its alternatives) of one ASN.1 module."""

    name: str
    kind: str  # "SEQUENCE" or "CHOICE"
    module: str  # the ASN.1 module that defines it
    fields: tuple[Field, ...]

    def __getitem__(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name}")

    def tag(self, name: str) -> int:
        """The tag number of the field ``name``."""
        return self[name].tag

    @property
    def required(self) -> tuple[Field, ...]:
        """The components that must be present (none for a CHOICE)."""
        return () if self.kind == "CHOICE" else tuple(f for f in self.fields if not f.optional)

    @property
    def last_tag(self) -> int:
        """The greatest tag number described: later ones are extensions not known here."""
        return max(f.tag for f in self.fields)

    @property
    def tags(self) -> frozenset[int]:
        return frozenset(f.tag for f in self.fields)


@dataclass(frozen=True, slots=True)
class Enumeration:
    """An ENUMERATED: its named values; those from ``extension_at`` on follow "..."."""

    name: str
    module: str
    values: tuple[tuple[str, int], ...]
    extension_at: int | None  # index of the first value after "...", None when not extensible

    def __getitem__(self, name: str) -> int:
        for n, v in self.values:
            if n == name:
                return v
        raise KeyError(f"{self.name} has no value {name}")

    @property
    def highest(self) -> int:
        """The greatest value known: a later one is an extension this code does not know."""
        return max(v for _, v in self.values)


def _f(name: str, tag: int, type_: str, **options: object) -> Field:
    return Field(name, tag, type_, **options)  # type: ignore[arg-type]


def _c(name: str, tag: int, type_: str, **options: object) -> Field:
    """A constructed one: a SEQUENCE, a SEQUENCE OF, or a CHOICE (tagged explicitly)."""
    return Field(name, tag, type_, constructed=True, **options)  # type: ignore[arg-type]


PS = "LI-PS-PDU"
IPMM = "IPMultimediaPDU"  # TS 102 232-5
PSTN = "PstnIsdnPDU"  # TS 102 232-6
OPT = {"optional": True}
EXT = {"optional": True, "extension": True}

# --- TS 102 232-1 ----------------------------------------------------------------------

PS_PDU = Structure("PS-PDU", "SEQUENCE", PS, (
    _c("pSHeader", 1, "PSHeader"),
    _c("payload", 2, "Payload"),
))  # fmt: skip

PS_HEADER = Structure("PSHeader", "SEQUENCE", PS, (
    _f("li-psDomainId", 0, OBJECT_IDENTIFIER),
    _f("lawfulInterceptionIdentifier", 1, "LawfulInterceptionIdentifier", size=(1, 25)),
    _f("authorizationCountryCode", 2, PRINTABLE_STRING, size=(2, 2), **OPT),
    _c("communicationIdentifier", 3, "CommunicationIdentifier"),
    _f("sequenceNumber", 4, INTEGER, values=(0, UINT32_MAX), varies=True),
    _f("timeStamp", 5, GENERALIZED_TIME, varies=True, **OPT),
    _f("interceptionPointID", 6, PRINTABLE_STRING, size=(1, 8), **EXT),
    _c("microSecondTimeStamp", 7, "MicroSecondTimeStamp", varies=True, **EXT),
    _f("timeStampQualifier", 8, "TimeStampQualifier", **EXT),
    _f("extendedInterceptionPointID", 9, OCTET_STRING, size=(1, 65535), **EXT),
    _f("networkFunctionIdentifier", 10, OCTET_STRING, size=(1, 65535), **EXT),
))  # fmt: skip

COMMUNICATION_IDENTIFIER = Structure("CommunicationIdentifier", "SEQUENCE", PS, (
    _c("networkIdentifier", 0, "NetworkIdentifier"),
    _f("communicationIdentityNumber", 1, INTEGER, values=(0, UINT32_MAX), **OPT),
    _f("deliveryCountryCode", 2, PRINTABLE_STRING, size=(2, 2), **OPT),
    _c("cINExtension", 3, "CorrelationValues", **EXT),
))  # fmt: skip

NETWORK_IDENTIFIER = Structure("NetworkIdentifier", "SEQUENCE", PS, (
    _f("operatorIdentifier", 0, OCTET_STRING, size=(1, 16)),
    _f("networkElementIdentifier", 1, OCTET_STRING, size=(1, 16), **OPT),
    _c("eTSI671NEID", 2, "Network-Element-Identifier", **EXT),
))  # fmt: skip

MICRO_SECOND_TIME_STAMP = Structure("MicroSecondTimeStamp", "SEQUENCE", PS, (
    _f("seconds", 0, INTEGER, values=(0, UINT64_MAX), varies=True),
    _f("microSeconds", 1, INTEGER, values=(0, 999999), varies=True),
))  # fmt: skip

PAYLOAD = Structure("Payload", "CHOICE", PS, (
    _c("iRIPayloadSequence", 0, SEQUENCE_OF),
    _c("cCPayloadSequence", 1, SEQUENCE_OF),
    _c("tRIPayload", 2, "TRIPayload"),
    _c("hI1-Operation", 3, "HI1-Operation", extension=True),
    _c("encryptionContainer", 4, "EncryptionContainer", extension=True),
    _c("threeGPP-HI1-Operation", 5, "ThreeGPP-HI1-Operation", extension=True),
    _c("iLHIPayload", 6, SEQUENCE_OF, extension=True),
    _c("hI4Payload", 7, SEQUENCE_OF, extension=True),
))  # fmt: skip

CC_PAYLOAD = Structure("CCPayload", "SEQUENCE", PS, (
    _f("payloadDirection", 0, "PayloadDirection", varies=True, **OPT),
    _f("timeStamp", 1, GENERALIZED_TIME, varies=True, **OPT),
    _c("cCContents", 2, "CCContents"),
    _c("microSecondTimeStamp", 3, "MicroSecondTimeStamp", varies=True, **EXT),
    _f("timeStampQualifier", 4, "TimeStampQualifier", **EXT),
))  # fmt: skip

IRI_PAYLOAD = Structure("IRIPayload", "SEQUENCE", PS, (
    _f("iRIType", 0, "IRIType", **OPT),
    _f("timeStamp", 1, GENERALIZED_TIME, varies=True, **OPT),
    _c("iRIContents", 2, "IRIContents"),
    _c("microSecondTimeStamp", 3, "MicroSecondTimeStamp", varies=True, **EXT),
    _f("timeStampQualifier", 4, "TimeStampQualifier", **EXT),
    _f("sessionDirection", 5, "PayloadDirection", **EXT),
    _f("payloadDirection", 6, "PayloadDirection", varies=True, **EXT),
))  # fmt: skip

_X = {"extension": True}
CC_CONTENTS = Structure("CCContents", "CHOICE", PS, (
    _c("emailCC", 1, "EmailCC"),
    _c("iPCC", 2, "IPCC"),
    _f("uMTSCC", 4, OCTET_STRING),
    _c("l2CC", 6, "L2CC", **_X),
    _c("tTRAFFIC-1", 7, "TTRAFFIC-1", **_X),
    _c("cTTRAFFIC-1", 8, "CTTRAFFIC-1", **_X),
    _c("tTRAFFIC-2", 9, "TTRAFFIC-2", **_X),
    _c("cTTRAFFIC-2", 10, "CTTRAFFIC-2", **_X),
    _c("pstnIsdnCC", 11, "PstnIsdnCC", **_X),
    _c("iPMMCC", 12, "IPMMCC", **_X),
    _c("messagingCC", 14, "MessagingCC", **_X),
    _f("ePSCC", 15, OCTET_STRING, **_X),
    _c("uMTSCC-CC-PDU", 16, "UmtsCC-PDU", **_X),
    _c("ePSCC-CC-PDU", 17, "EpsCC-PDU", **_X),
    _c("messagingMMCC", 18, "MessagingMMCC", **_X),
    _c("confCC-CC-PDU", 19, "Conf-CC-PDU", **_X),
    _c("voipCC-CC-PDU", 20, "Voip-CC-PDU", **_X),
    _c("gcseCC-CC-PDU", 21, "Gcse-CC-PDU", **_X),
    _c("cSvoice-CC-PDU", 22, "CSvoice-CC-PDU", **_X),
    _f("threeGPP33128DefinedCC", 23, OCTET_STRING, **_X),
))  # fmt: skip

IRI_CONTENTS = Structure("IRIContents", "CHOICE", PS, (
    _c("emailIRI", 1, "EmailIRI"),
    _c("iPIRI", 2, "IPIRI"),
    _c("iPIRIOnly", 3, "IPIRIOnly"),
    _c("uMTSIRI", 4, "UMTSIRI"),
    _c("eTSI671IRI", 5, "ETSI671IRI"),
    _c("l2IRI", 6, "L2IRI", **_X),
    _c("l2IRIOnly", 7, "L2IRIOnly", **_X),
    _c("tARGETACTIVITYMONITOR-1", 8, "TARGETACTIVITYMONITOR-1", **_X),
    _c("tARGETACTIVITYMONITOR-2", 9, "TARGETACTIVITYMONITOR", **_X),
    _c("pstnIsdnIRI", 10, "PstnIsdnIRI", **_X),
    _c("iPMMIRI", 11, "IPMMIRI", **_X),
    _c("messagingIRI", 14, "MessagingIRI", **_X),
    _c("ePSIRI", 15, "EPSIRI", **_X),
    _c("confIRI", 16, "ConfIRI", **_X),
    _c("proseIRI", 17, "ProSeIRI", **_X),
    _c("gcseIRI", 18, "GcseIRI", **_X),
    _f("threeGPP33128DefinedIRI", 19, OCTET_STRING, **_X),
    _c("iPIRIPacketReport", 20, "IPIRIPacketReport", **_X),
))  # fmt: skip

ETSI671_IRI = Structure("ETSI671IRI", "CHOICE", PS, (
    _c("iRI-Parameters", 0, "HI2Operations.IRI-Parameters"),
    _c("iRIsContent", 1, "IRIsContent"),
))  # fmt: skip

TRI_PAYLOAD = Structure("TRIPayload", "CHOICE", PS, (
    _c("integrityCheck", 0, "IntegrityCheck"),
    _f("testPDU", 1, NULL),
    _f("paddingPDU", 2, OCTET_STRING),
    _f("keep-alive", 3, NULL),
    _f("keep-aliveResponse", 4, NULL),
    _f("firstSegmentFlag", 5, NULL),
    _f("lastSegmentFlag", 6, NULL),
    _f("cINReset", 7, NULL, **_X),
    _c("operatorLeaMessage", 8, "OperatorLeaMessage", **_X),
    _c("optionRequest", 9, "OptionRequest", **_X),
    _c("optionResponse", 10, "OptionResponse", **_X),
    _f("optionComplete", 11, NULL, **_X),
    _f("pDUAcknowledgementRequest", 12, NULL, **_X),
    _f("pDUAcknowledgementResponse", 13, NULL, **_X),
))  # fmt: skip

INTEGRITY_CHECK = Structure("IntegrityCheck", "SEQUENCE", PS, (
    _c("includedSequenceNumbers", 0, SEQUENCE_OF, values=(0, UINT32_MAX)),  # each INTEGER's
    _f("checkType", 1, "CheckType"),
    _f("dataType", 2, "DataType", **OPT),
    _f("checkValue", 3, OCTET_STRING),
    _f("hashAlgorithm", 4, "HashAlgorithm", **EXT),
))  # fmt: skip

IP_ADDRESS = Structure("IPAddress", "SEQUENCE", PS, (
    _f("iP-type", 1, "ENUMERATED"),
    _c("iP-value", 2, "IP-value"),
    _f("iP-assignment", 3, "ENUMERATED", **OPT),
    _f("iPv6PrefixLength", 4, INTEGER, values=(1, 128), **EXT),
    _f("iPv4SubnetMask", 5, OCTET_STRING, size=(4, 4), **EXT),
))  # fmt: skip

IP_VALUE = Structure("IP-value", "CHOICE", PS, (
    _f("iPBinaryAddress", 1, OCTET_STRING, size=(4, 16)),
    _f("iPTextAddress", 2, IA5_STRING, size=(7, 45)),
))  # fmt: skip

PAYLOAD_DIRECTION = Enumeration("PayloadDirection", PS, (
    ("fromTarget", 0), ("toTarget", 1), ("indeterminate", 2), ("combined", 3),
    ("notapplicable", 4),
), 2)  # fmt: skip

TIME_STAMP_QUALIFIER = Enumeration("TimeStampQualifier", PS, (
    ("unknown", 0), ("timeOfInterception", 1), ("timeOfMediation", 2), ("timeOfAggregation", 3),
), 3)  # fmt: skip

IRI_TYPE = Enumeration("IRIType", PS, (
    ("iRI-Begin", 1), ("iRI-End", 2), ("iRI-Continue", 3), ("iRI-Report", 4),
), None)  # fmt: skip

CHECK_TYPE = Enumeration("CheckType", PS, (("hash", 1), ("signature", 2)), 2)
DATA_TYPE = Enumeration("DataType", PS, (("iRI", 1), ("cC", 2), ("iLHI", 3)), 2)
HASH_ALGORITHM = Enumeration("HashAlgorithm", PS, (
    ("sHA-1", 1), ("sHA-256", 2), ("sHA-384", 3), ("sHA-512", 4),
), 4)  # fmt: skip

# --- TS 102 232-5 (IP multimedia) and TS 102 232-6 (PSTN/ISDN) --------------------------

IPMMCC = Structure("IPMMCC", "SEQUENCE", IPMM, (
    _f("iPMMCCObjId", 0, RELATIVE_OID),
    _f("mMCCContents", 1, OCTET_STRING, varies=True),
    _f("frameType", 2, "FrameType", **EXT),
    _f("streamIdentifier", 3, OCTET_STRING, **EXT),
    _f("mMCCprotocol", 4, "MMCCprotocol", **EXT),
))  # fmt: skip

FRAME_TYPE = Enumeration("FrameType", IPMM, (
    ("ipFrame", 0), ("udpFrame", 1), ("rtpFrame", 2), ("audioFrame", 3), ("tcpFrame", 4),
    ("artificialRtpFrame", 5), ("udptlFrame", 6), ("msrpFrame", 7),
), 4)  # fmt: skip

MMCC_PROTOCOL = Enumeration("MMCCprotocol", IPMM, (("rTP", 0), ("mSRP", 1), ("uDPTL", 2)), 2)

IPMMIRI = Structure("IPMMIRI", "SEQUENCE", IPMM, (
    _f("iPMMIRIObjId", 0, RELATIVE_OID),
    _c("iPMMIRIContents", 1, "IPIRIContents"),
    _c("targetLocation", 2, "Location", **EXT),
    _c("additionalSignalling", 3, SEQUENCE_OF, **EXT),
))  # fmt: skip

IP_IRI_CONTENTS = Structure("IPIRIContents", "CHOICE", IPMM, (
    _f("originalIPMMMessage", 0, OCTET_STRING),
    _c("sIPMessage", 1, "SIPMessage"),
    _c("h323Message", 2, "H323Message"),
    _c("nationalIPMMIRIParameters", 3, "NationalIPMMIRIParameters", **_X),
    _f("xCAPMessage", 4, OCTET_STRING, **_X),
    _f("iRIOnlyOriginalIPMMMessage", 5, OCTET_STRING, **_X),
    _c("iRIOnlySIPMessage", 6, "SIPMessage", **_X),
))  # fmt: skip

SIP_MESSAGE = Structure("SIPMessage", "SEQUENCE", IPMM, (
    _c("iPSourceAddress", 0, "IPAddress"),
    _c("iPDestinationAddress", 1, "IPAddress"),
    _f("sIPContent", 2, OCTET_STRING),
))  # fmt: skip

PSTN_ISDN_CC = Structure("PstnIsdnCC", "SEQUENCE", PSTN, (
    _f("pstnIsdnCCObjId", 0, RELATIVE_OID),
    _f("pstnIsdnCCContents", 1, OCTET_STRING, varies=True),
    _f("cCLinkID", 2, INTEGER, values=(0, 65535), **OPT),
    _c("supplementaryInfo", 3, "SupplementaryInfo", **EXT),
))  # fmt: skip

STRUCTURES = (
    PS_PDU, PS_HEADER, COMMUNICATION_IDENTIFIER, NETWORK_IDENTIFIER, MICRO_SECOND_TIME_STAMP,
    PAYLOAD, CC_PAYLOAD, IRI_PAYLOAD, CC_CONTENTS, IRI_CONTENTS, ETSI671_IRI, TRI_PAYLOAD,
    INTEGRITY_CHECK, IP_ADDRESS, IP_VALUE, IPMMCC, IPMMIRI, IP_IRI_CONTENTS, SIP_MESSAGE,
    PSTN_ISDN_CC,
)  # fmt: skip
ENUMERATIONS = (
    PAYLOAD_DIRECTION, TIME_STAMP_QUALIFIER, IRI_TYPE, CHECK_TYPE, DATA_TYPE, HASH_ALGORITHM,
    FRAME_TYPE, MMCC_PROTOCOL,
)  # fmt: skip
