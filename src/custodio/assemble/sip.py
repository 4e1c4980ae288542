"""SIP messages as TS 102 232-5 IPMMIRI carries them: the dialog, the identities, the SDP.

Only what assembly needs: the request method or response status, the CSeq method,
Call-ID, From/To/P-Asserted-Identity user parts, and the audio address of an SDP body.
Anything unreadable yields ``None`` fields rather than an error: the PDU itself is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SIP = 65536
_URI_USER = re.compile(r"<?(?:sips?|tel):([^@;>]+)", re.IGNORECASE)
_COMPACT = {"f": "from", "t": "to", "i": "call-id", "c": "content-type"}


@dataclass(frozen=True, slots=True)
class MediaAddress:
    host: str
    port: int


@dataclass(frozen=True, slots=True)
class SIPInfo:
    method: str | None  # the request method, None for a response
    status: int | None  # the response status, None for a request
    cseq_method: str | None
    call_id: str | None
    from_user: str | None
    to_user: str | None
    asserted_user: str | None
    media: MediaAddress | None  # the audio address its SDP offers or answers


def parse(content: bytes | memoryview) -> SIPInfo:
    """The fields of one SIP message (at most :data:`MAX_SIP` octets are read)."""
    text = bytes(content[:MAX_SIP]).decode("utf-8", "replace")
    head, _, body = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    method, status = _start_line(lines[0] if lines else "")
    headers = _headers(lines[1:])
    cseq = headers.get("cseq", "").split()
    return SIPInfo(
        method=method,
        status=status,
        cseq_method=cseq[1].upper() if len(cseq) == 2 else None,
        call_id=headers.get("call-id") or None,
        from_user=user_part(headers.get("from", "")),
        to_user=user_part(headers.get("to", "")),
        asserted_user=user_part(headers.get("p-asserted-identity", "")),
        media=sdp_audio(body) if "sdp" in headers.get("content-type", "") else None,
    )


def _start_line(line: str) -> tuple[str | None, int | None]:
    parts = line.split(" ", 2)
    if parts[0].upper().startswith("SIP/") and len(parts) > 1 and parts[1].isdigit():
        return None, int(parts[1])
    return (parts[0].upper() or None), None


def _headers(lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            key = name.strip().lower()
            found.setdefault(_COMPACT.get(key, key), value.strip())
    return found


def user_part(value: str) -> str | None:
    """``+34600111222`` from ``"Ana" <sip:+34600111222@ims.example;user=phone>;tag=1``."""
    match = _URI_USER.search(value)
    return match.group(1) if match else None


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
