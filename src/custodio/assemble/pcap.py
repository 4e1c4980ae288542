"""Data sessions: the IP packets of CC as a classic pcap file (libpcap format).

TS 102 232-3 IPCC delivers a data session's packets whole (``iPPackets``); IPMMCC may
deliver IP frames that are not RTP voice. Each packet is written as one pcap record, in
the order received, stamped with its PDU's time, link type ``LINKTYPE_RAW`` (101: the
record starts with the IPv4 or IPv6 header), so Wireshark or tcpdump read it as captured.
The records grow in a spool sink while the session is open; at close
:func:`file_bytes` puts the global header in front.
"""

from __future__ import annotations

import struct
from datetime import datetime

from custodio.etsi.ber import BerError, ctx, read_header

MAGIC = 0xA1B2C3D4  # microsecond time stamps, written little-endian
LINKTYPE_RAW = 101
SNAPLEN = 262144
_GLOBAL = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")
_IPCC_CONTENTS = ctx(1, True)  # [1] iPCCContents (a CHOICE: explicit, constructed)
_IP_PACKETS = ctx(0)  # [0] iPPackets OCTET STRING (implicit)


def global_header() -> bytes:
    return _GLOBAL.pack(MAGIC, 2, 4, 0, 0, SNAPLEN, LINKTYPE_RAW)


def record(at: datetime, packet: bytes) -> bytes:
    """One pcap record of ``packet`` at ``at``."""
    seconds = int(at.timestamp())
    return _RECORD.pack(seconds, at.microsecond, len(packet), len(packet)) + packet


def file_bytes(records: bytes) -> bytes:
    return global_header() + records


def ipcc_packet(content: bytes | memoryview) -> bytes | None:
    """The ``iPPackets`` of a TS 102 232-3 ``IPCC`` (its content octets), else None."""
    try:
        pos, end = 0, len(content)
        while pos < end:
            identifier, start, length = read_header(content, pos, end)
            if identifier == _IPCC_CONTENTS:
                inner, istart, ilength = read_header(content, start, start + length)
                if inner == _IP_PACKETS:
                    return bytes(content[istart : istart + ilength])
                return None
            pos = start + length
    except BerError:
        return None
    return None


def is_ip(packet: bytes | memoryview) -> bool:
    """An IPv4 or IPv6 header at the start (what LINKTYPE_RAW expects)."""
    return len(packet) >= 20 and packet[0] >> 4 in (4, 6)


def read(data: bytes) -> list[tuple[float, bytes]]:
    """``(time, packet)`` of each record of a file written here (for tests and checks)."""
    magic, major, minor, _, _, _, link = _GLOBAL.unpack_from(data)
    if (magic, major, minor, link) != (MAGIC, 2, 4, LINKTYPE_RAW):
        raise ValueError("not a pcap file of raw IP packets")
    out, pos = [], _GLOBAL.size
    while pos < len(data):
        seconds, micro, caught, _ = _RECORD.unpack_from(data, pos)
        pos += _RECORD.size
        out.append((seconds + micro / 1e6, data[pos : pos + caught]))
        pos += caught
    return out
