"""Media for the operator simulator: G.711 A-law speech, RTP, IPv4/UDP, SIP with SDP.

Speech comes from ``espeak-ng`` (Spanish and English voices) resampled by ``sox`` to
8 kHz A-law; without them a generated two-tone signal stands in (see :func:`speech`).
"""

from __future__ import annotations

import functools
import math
import shutil
import struct
import subprocess

SAMPLE_RATE = 8000
FRAME_MS = 20
FRAME_OCTETS = SAMPLE_RATE * FRAME_MS // 1000  # 160 A-law octets = one 20 ms RTP packet
PCMA = 8  # RTP payload type of G.711 A-law

PHRASES = {
    "es": "Hola, soy yo. Quedamos mañana a las diez en el puerto, trae los papeles.",
    "en": "Hello, it is me. We meet tomorrow at ten at the harbour, bring the papers.",
}

_SEG_END = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)


def linear_to_alaw(sample: int) -> int:
    """One 16-bit linear sample to G.711 A-law (ITU-T G.711, as in its reference code)."""
    pcm = sample >> 3
    if pcm >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        pcm = -pcm - 1
    for seg, end in enumerate(_SEG_END):
        if pcm <= end:
            low = (pcm >> 1) if seg < 2 else (pcm >> seg)
            return ((seg << 4) | (low & 0x0F)) ^ mask
    return 0x7F ^ mask


def tone(seconds: float, frequencies: tuple[float, ...] = (440.0, 660.0)) -> bytes:
    """A-law octets of a sum of sine tones (the stand-in when espeak-ng is missing)."""
    count = int(seconds * SAMPLE_RATE)
    amplitude = 8000 / len(frequencies)
    out = bytearray(count)
    for n in range(count):
        value = sum(math.sin(2 * math.pi * f * n / SAMPLE_RATE) for f in frequencies)
        out[n] = linear_to_alaw(int(amplitude * value))
    return bytes(out)


def speech_available() -> bool:
    return shutil.which("espeak-ng") is not None and shutil.which("sox") is not None


@functools.cache
def speech(language: str) -> bytes:
    """A-law octets (8 kHz) of a short phrase spoken in ``language`` (``es`` or ``en``)."""
    if not speech_available():
        return tone(3.0, (440.0, 660.0) if language == "es" else (350.0, 520.0))
    wav = subprocess.run(  # noqa: S603 (fixed argv, no shell)
        ["espeak-ng", "-v", language, "--stdout", PHRASES[language]],  # noqa: S607
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    alaw = subprocess.run(
        ["sox", "-R", "-t", "wav", "-", "-r", "8000", "-c", "1", "-e", "a-law", "-t", "raw", "-"],  # noqa: S607
        input=wav,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    return alaw or tone(3.0)


def frames(audio: bytes, offset: int = 0) -> list[bytes]:
    """``audio`` cut into 20 ms frames (the last padded with A-law silence), rotated."""
    padded = audio + b"\xd5" * (-len(audio) % FRAME_OCTETS)
    out = [padded[i : i + FRAME_OCTETS] for i in range(0, len(padded), FRAME_OCTETS)]
    k = offset % len(out)
    return out[k:] + out[:k]


def rtp(sequence: int, timestamp: int, ssrc: int, payload: bytes, marker: bool = False) -> bytes:
    """An RTP packet (RFC 3550) of G.711 A-law."""
    header = struct.pack(
        ">BBHII",
        0x80,
        (0x80 if marker else 0) | PCMA,
        sequence & 0xFFFF,
        timestamp & 0xFFFFFFFF,
        ssrc,
    )
    return header + payload


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(int(v) for v in struct.unpack(f">{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4_udp(source: bytes, destination: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    """A whole IPv4 packet holding one UDP datagram (UDP checksum computed)."""
    udp_len = 8 + len(payload)
    pseudo = source + destination + struct.pack(">BBH", 0, 17, udp_len)
    udp = struct.pack(">HHHH", sport, dport, udp_len, 0) + payload
    udp_sum = _checksum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack(">H", udp_sum) + udp[8:]
    head = struct.pack(">BBHHHBBH4s4s", 0x45, 0xB8, 20 + udp_len, 0, 0x4000, 64, 17, 0,
                       source, destination)  # fmt: skip
    head = head[:10] + struct.pack(">H", _checksum(head)) + head[12:]
    return head + udp


def sdp(address: str, port: int, session: int) -> str:
    return (
        f"v=0\r\no=- {session} 1 IN IP4 {address}\r\ns=-\r\nc=IN IP4 {address}\r\n"
        f"t=0 0\r\nm=audio {port} RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\na=ptime:20\r\n"
    )
