"""Test helper: rewrite definite, minimal BER into the other forms real mediators send."""

from __future__ import annotations


def _elements(buf: bytes) -> list[tuple[bytes, bool, bytes]]:
    """(identifier octets, constructed, content) of each element; definite lengths only."""
    out = []
    pos = 0
    while pos < len(buf):
        start = pos
        first = buf[pos]
        pos += 1
        if first & 0x1F == 0x1F:
            while buf[pos] & 0x80:
                pos += 1
            pos += 1
        ident = buf[start:pos]
        length = buf[pos]
        pos += 1
        if length & 0x80:
            n = length & 0x7F
            length = int.from_bytes(buf[pos : pos + n], "big")
            pos += n
        out.append((ident, bool(first & 0x20), buf[pos : pos + length]))
        pos += length
    return out


def reform(buf: bytes, *, long_lengths: bool = False, indefinite: bool = False) -> bytes:
    """The same values with 4-octet long-form lengths and/or indefinite lengths."""
    parts = []
    for ident, constructed, inner in _elements(buf):
        content = (
            reform(inner, long_lengths=long_lengths, indefinite=indefinite)
            if constructed
            else inner
        )
        if constructed and indefinite:
            parts.append(ident + b"\x80" + content + b"\x00\x00")
        elif long_lengths:
            parts.append(ident + b"\x84" + len(content).to_bytes(4, "big") + content)
        else:
            parts.append(ident + _length(len(content)) + content)
    return b"".join(parts)


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(raw),)) + raw
