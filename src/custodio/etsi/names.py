"""The one text form of the handover's octet-string names: the LIID, the operator and
network element identifiers (TS 102 232-1 ``PSHeader``; TS 101 671
``LawfulInterceptionIdentifier``: OCTET STRING (SIZE (1..25)), "it is recommended to use
ASCII characters").

Every part of Custodio names a communication, an audit target and a catalog row by the
same text, which reads back to the same octets:

- the octets are read as UTF-8, character by character;
- a backslash is written ``\\\\``; an octet that is not part of valid UTF-8, and any
  control character (C0, DEL, C1), is written ``\\xHH`` (lower-case hex).

So ``ES-LIID-0001`` is itself, ``ES-LÍID`` (valid UTF-8) is itself, and the octets
``45 53 ff`` are ``ES\\xff`` (never U+FFFD, which two different LIIDs would share).
"""

from __future__ import annotations

import functools
import re

from custodio.etsi.errors import FieldError

_ESCAPE = re.compile(r"\\(\\|x[0-9a-f]{2})")
_CONTROL = frozenset(range(0x20)) | {0x7F} | frozenset(range(0x80, 0xA0))


@functools.lru_cache(maxsize=8192)  # a name per record, a few distinct ones
def text(octets: bytes) -> str:
    """The text form of a name's octets."""
    out: list[str] = []
    pos = 0
    while pos < len(octets):
        try:
            char, size = _char(octets, pos)
        except UnicodeDecodeError:
            out.append(f"\\x{octets[pos]:02x}")
            pos += 1
            continue
        if char == "\\":
            out.append("\\\\")
        elif ord(char) in _CONTROL:
            out.extend(f"\\x{b:02x}" for b in octets[pos : pos + size])
        else:
            out.append(char)
        pos += size
    return "".join(out)


def _char(octets: bytes, pos: int) -> tuple[str, int]:
    """The UTF-8 character at ``pos`` and its length (UnicodeDecodeError if none)."""
    lead = octets[pos]
    size = 1 if lead < 0x80 else 2 if lead >> 5 == 0b110 else 3 if lead >> 4 == 0b1110 else 4
    return octets[pos : pos + size].decode("utf-8"), size


def octets(name: str, field: str = "name") -> bytes:
    """The octets a text form stands for (the inverse of :func:`text`); a text that is
    not the text form of any octets (a lone backslash, ``\\x41`` for ``A``, a raw
    control character) is refused."""
    parts: list[bytes] = []
    pos = 0
    for match in [*_ESCAPE.finditer(name), None]:
        literal = name[pos : match.start() if match else len(name)]
        if "\\" in literal:
            raise FieldError(field, f"{name!r}: a backslash starts \\\\ or \\xHH only")
        parts.append(literal.encode("utf-8", "surrogatepass"))
        if match is not None:
            escape = match.group(1)
            parts.append(b"\\" if escape == "\\" else bytes((int(escape[1:], 16),)))
            pos = match.end()
    raw = b"".join(parts)
    if text(raw) != name:
        raise FieldError(field, f"{name!r} is not the text form of its octets ({text(raw)!r})")
    return raw
