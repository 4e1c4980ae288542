"""SIP messages as TS 102 232-5 IPMMIRI carries them: the dialog, the identities, the SDP.

Only what assembly needs: the request method and Request-URI or the response status, the
CSeq method, Call-ID, the From, To and P-Asserted-Identity addresses (whole URIs, RFC 3261
§20.10 name-addr or addr-spec), and the audio address of an SDP body. Anything unreadable
yields ``None`` fields rather than an error: the PDU itself is kept.

:class:`URI` compares SIP URIs as RFC 3261 §19.1.4 defines and reads telephone numbers out
of ``tel:`` URIs (RFC 3966) and ``sip:...;user=phone`` URIs (RFC 3261 §19.1.6).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import unquote

MAX_SIP = 65536
_COMPACT = {"f": "from", "t": "to", "i": "call-id", "c": "content-type"}
_VISUAL = re.compile(r"[-.()]")  # RFC 3966 visual separators
_GLOBAL = re.compile(r"^\+\d{1,15}$")
# RFC 3261 §19.1.4: these parameters must match even when only one URI has them
_ALWAYS_COMPARED = ("user", "ttl", "method", "maddr", "transport")


@dataclass(frozen=True, slots=True)
class MediaAddress:
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class URI:
    """A ``sip:``, ``sips:`` or ``tel:`` URI, split (RFC 3261 §19.1.1, RFC 3966 §3)."""

    text: str  # as delivered, without display name, angle brackets or header parameters
    scheme: str  # sip, sips, tel (lower case)
    user: str | None  # unescaped, case kept; a tel URI's number
    password: str | None
    host: str | None  # lower case; None for tel
    port: int | None
    params: tuple[tuple[str, str], ...]  # names and values in lower case, sorted
    headers: tuple[tuple[str, str], ...]

    def param(self, name: str) -> str | None:
        for key, value in self.params:
            if key == name:
                return value
        return None

    def same_as(self, other: URI) -> bool:
        """Equality of two SIP URIs as RFC 3261 §19.1.4 defines it (tel URIs: RFC 3966
        §4, by their numbers)."""
        if self.scheme != other.scheme:
            return False  # a SIP and a SIPS URI are never equivalent
        if self.scheme == "tel":
            return self.e164() is not None and self.e164() == other.e164()
        if (self.user, self.password, self.host, self.port) != (
            other.user, other.password, other.host, other.port,
        ):  # fmt: skip
            return False
        mine, theirs = dict(self.params), dict(other.params)
        for name in set(mine) | set(theirs):
            both = name in mine and name in theirs
            if (both or name in _ALWAYS_COMPARED) and mine.get(name) != theirs.get(name):
                return False
        return self.headers == other.headers

    def names_same_party(self, other: URI) -> bool:
        """Whether both name the same party: equal addresses of record (RFC 3261 §10.3,
        §19.1.4), or the same E.164 number (``tel:``, ``user=phone``; RFC 3261 §19.1.6)."""
        number = self.e164()
        if number is not None and number == other.e164():
            return True
        if self.scheme == "tel" or other.scheme == "tel":
            return False
        return self.address_of_record().same_as(other.address_of_record())

    def address_of_record(self) -> URI:
        """The URI without parameters and headers (RFC 3261 §10.3's canonical form of an
        address of record): who it names, not how to reach them."""
        return replace(self, params=(), headers=())

    def e164(self) -> str | None:
        """The E.164 number this URI names: a ``tel:`` global number (or a local one with
        a ``+CC`` phone-context), or the user part of a ``user=phone`` SIP URI read the
        same way. A SIP user part written as a global number (``sip:+34600111222@h``)
        without ``user=phone`` is read as one too: IMS networks omit the parameter, and a
        user name cannot start with ``+`` otherwise."""
        if self.user is None:
            return None
        number, *params = self.user.split(";")
        if self.scheme == "tel":
            params = [f"{k}={v}" for k, v in self.params]
        elif self.param("user") != "phone" and not number.startswith("+"):
            return None
        digits = _VISUAL.sub("", number)
        if _GLOBAL.match(digits):
            return digits
        context = next((p[14:] for p in params if p.lower().startswith("phone-context=")), "")
        context = _VISUAL.sub("", context)
        if digits.isdigit() and _GLOBAL.match(context + digits):
            return context + digits  # RFC 3966 §5.1.5: a local number in a global context
        return None

    def address(self) -> str:
        """The canonical form kept for a party: scheme, user and host (``sip:ana@h``),
        or a tel URI's number."""
        if self.scheme == "tel" or self.host is None:
            return self.text
        user = "" if self.user is None else f"{self.user}@"
        port = "" if self.port is None else f":{self.port}"
        return f"{self.scheme}:{user}{self.host}{port}"


def parse_uri(text: str) -> URI | None:
    """A ``sip:``, ``sips:`` or ``tel:`` URI, or None when ``text`` is none of them."""
    text = text.strip()
    scheme, sep, rest = text.partition(":")
    scheme = scheme.lower()
    if not sep or scheme not in ("sip", "sips", "tel") or not rest:
        return None
    if scheme == "tel":
        number, _, params = rest.partition(";")
        return URI(text, scheme, number, None, None, None, _params(params), ())
    rest, _, headers = rest.partition("?")
    userinfo, at, hostpart = rest.rpartition("@")
    hostport, _, params = hostpart.partition(";")
    host, port = _host_port(hostport)
    if host is None:
        return None
    user, password = None, None
    if at:
        user, colon, secret = userinfo.partition(":")
        user, password = unquote(user), (unquote(secret) if colon else None)
    header_pairs = tuple(sorted(_pair(h) for h in headers.split("&") if h))
    return URI(text, scheme, user, password, host, port, _params(params), header_pairs)


def _params(text: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(_pair(p) for p in text.split(";") if p))


def _pair(text: str) -> tuple[str, str]:
    name, _, value = text.partition("=")
    return unquote(name).strip().lower(), unquote(value).strip().lower()


def _host_port(text: str) -> tuple[str | None, int | None]:
    if text.startswith("["):  # an IPv6 reference
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
        host = f"[{host.lower()}]"
    else:
        host, _, port_text = text.partition(":")
        host = host.lower()
    if not host or (port_text and not port_text.isdigit()):
        return None, None
    return host, int(port_text) if port_text else None


def addresses(value: str) -> list[URI]:
    """The URIs of a From, To or P-Asserted-Identity header value: each ``name-addr``
    (``"Ana" <sip:ana@h;user=phone>;tag=1``) or ``addr-spec`` (``sip:ana@h;tag=1``:
    parameters after an addr-spec are the header's, RFC 3261 §20), comma-separated."""
    found = []
    for part in _split_commas(value):
        if "<" in part:
            inside = part.partition("<")[2].partition(">")[0]
        else:
            inside = part.strip().partition(";")[0]
        uri = parse_uri(inside)
        if uri is not None:
            found.append(uri)
    return found


def _split_commas(value: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = bracketed = False
    for ch in value:
        if ch == '"' and not bracketed:
            quoted = not quoted
        elif ch in "<>" and not quoted:
            bracketed = ch == "<"
        elif ch == "," and not quoted and not bracketed:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


@dataclass(frozen=True, slots=True)
class SIPInfo:
    method: str | None  # the request method, None for a response
    status: int | None  # the response status, None for a request
    cseq_method: str | None
    call_id: str | None
    request_uri: URI | None
    from_uri: URI | None
    to_uri: URI | None
    asserted: tuple[URI, ...]  # P-Asserted-Identity (RFC 3325): a SIP and/or a tel URI
    to_tagged: bool  # the To header has a tag: inside a dialog (not an initial request)
    media: MediaAddress | None  # the audio address its SDP offers or answers


def parse(content: bytes | memoryview) -> SIPInfo:
    """The fields of one SIP message (at most :data:`MAX_SIP` octets are read)."""
    text = bytes(content[:MAX_SIP]).decode("utf-8", "replace")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    method, status, target = _start_line(lines[0] if lines else "")
    headers = _headers(lines[1:])
    cseq = _first(headers, "cseq").split()
    from_uris, to_uris = addresses(_first(headers, "from")), addresses(_first(headers, "to"))
    return SIPInfo(
        method=method,
        status=status,
        cseq_method=cseq[1].upper() if len(cseq) == 2 else None,
        call_id=_first(headers, "call-id") or None,
        request_uri=parse_uri(target) if target else None,
        from_uri=from_uris[0] if from_uris else None,
        to_uri=to_uris[0] if to_uris else None,
        asserted=tuple(u for v in headers.get("p-asserted-identity", []) for u in addresses(v)),
        to_tagged=_has_tag(_first(headers, "to")),
        media=sdp_audio(body) if "sdp" in _first(headers, "content-type") else None,
    )


def _start_line(line: str) -> tuple[str | None, int | None, str | None]:
    parts = line.split(" ", 2)
    if parts[0].upper().startswith("SIP/") and len(parts) > 1 and parts[1].isdigit():
        return None, int(parts[1]), None
    return (parts[0].upper() or None), None, (parts[1] if len(parts) > 1 else None)


def _headers(lines: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip().lower()
            found.setdefault(_COMPACT.get(key, key), []).append(value.strip())
    return found


def _first(headers: dict[str, list[str]], name: str) -> str:
    values = headers.get(name)
    return values[0] if values else ""


def _has_tag(value: str) -> bool:
    """Whether a From/To value carries a ``tag`` header parameter."""
    params = value.rpartition(">")[2] if "<" in value else value.partition(";")[2]
    return any(p.strip().lower().startswith("tag=") for p in params.split(";"))


def sdp_audio(body: str) -> MediaAddress | None:
    """The connection address and port of the first audio stream of an SDP body."""
    host: str | None = None
    port: int | None = None
    for line in body.splitlines():
        if line.startswith("c=") and (host is None or port is None):
            fields = line[2:].split()
            if len(fields) == 3:
                host = fields[2].split("/")[0]
        elif line.startswith("m=audio ") and port is None:
            fields = line.split()
            port = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None
    if host is None or port is None:
        return None
    return MediaAddress(host, port)
