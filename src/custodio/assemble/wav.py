"""G.711 (ITU-T G.711 A-law and µ-law) decoding and the WAV files assembly writes.

Per direction the audio is kept exactly as received: an A-law (format 6) or µ-law
(format 7) WAV whose samples are the received octets. A stereo 16-bit PCM listening copy
is derived on request (``stereo``), never stored (docs/benchmarks.md: storage per hour).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

PCMA, PCMU = 8, 0
SAMPLE_RATE = 8000
SILENCE = {PCMA: 0xD5, PCMU: 0xFF}
_FORMAT = {PCMA: 6, PCMU: 7}
CODEC_NAMES = {PCMA: "PCMA", PCMU: "PCMU"}


def _alaw(octet: int) -> int:
    value = octet ^ 0x55
    exponent = (value >> 4) & 0x07
    mantissa = value & 0x0F
    sample = (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
    return sample if value & 0x80 else -sample


def _ulaw(octet: int) -> int:
    value = ~octet & 0xFF
    sample = (((value & 0x0F) << 3) + 0x84) << ((value >> 4) & 0x07)
    return 0x84 - sample if value & 0x80 else sample - 0x84


ALAW_TABLE = tuple(_alaw(i) for i in range(256))
ULAW_TABLE = tuple(_ulaw(i) for i in range(256))
_TABLES = {PCMA: ALAW_TABLE, PCMU: ULAW_TABLE}


def decode(samples: bytes, codec: int) -> list[int]:
    """16-bit linear samples of G.711 octets."""
    table = _TABLES[codec]
    return [table[b] for b in samples]


def g711_wav(samples: bytes, codec: int) -> bytes:
    """A mono 8 kHz WAV of G.711 octets, kept as they are (format 6 or 7, with fact)."""
    fmt = struct.pack("<HHIIHHH", _FORMAT[codec], 1, SAMPLE_RATE, SAMPLE_RATE, 1, 8, 0)
    fact = struct.pack("<I", len(samples))
    pad = b"\0" if len(samples) % 2 else b""
    body = _chunk(b"fmt ", fmt) + _chunk(b"fact", fact) + b"data" + struct.pack("<I", len(samples))
    total = 4 + len(body) + len(samples) + len(pad)
    return b"RIFF" + struct.pack("<I", total) + b"WAVE" + body + samples + pad


UNKNOWN_LENGTH = 0xFFFFFFFF  # a growing WAV's sizes, until the writer can fix them


def g711_wav_header(codec: int, samples: int | None = None) -> bytes:
    """The header of :func:`g711_wav` for ``samples`` octets; ``None``: not known yet
    (a stream that grows: players read to the end; a file is fixed up when it ends)."""
    size = UNKNOWN_LENGTH if samples is None else samples
    fmt = struct.pack("<HHIIHHH", _FORMAT[codec], 1, SAMPLE_RATE, SAMPLE_RATE, 1, 8, 0)
    body = _chunk(b"fmt ", fmt) + _chunk(b"fact", struct.pack("<I", size))
    total = UNKNOWN_LENGTH if samples is None else 4 + len(body) + 8 + samples + samples % 2
    return b"RIFF" + struct.pack("<I", total) + b"WAVE" + body + b"data" + struct.pack("<I", size)


def pcm_stereo_header(frames: int | None = None) -> bytes:
    """The header of a 16-bit PCM stereo WAV of ``frames`` frames (``None``: growing)."""
    size = UNKNOWN_LENGTH if frames is None else 4 * frames
    fmt = struct.pack("<HHIIHH", 1, 2, SAMPLE_RATE, SAMPLE_RATE * 4, 4, 16)
    total = UNKNOWN_LENGTH if frames is None else 4 + 8 + len(fmt) + 8 + size
    head = b"RIFF" + struct.pack("<I", total) + b"WAVE" + _chunk(b"fmt ", fmt)
    return head + b"data" + struct.pack("<I", size)


def pcm_frames(left: Sequence[int], right: Sequence[int]) -> bytes:
    """Interleaved 16-bit stereo frames of two equally long sample sequences."""
    frames = [0] * (2 * len(left))
    frames[0::2], frames[1::2] = left, right
    return struct.pack(f"<{len(frames)}h", *frames)


def _chunk(name: bytes, data: bytes) -> bytes:
    return name + struct.pack("<I", len(data)) + data


def read_g711_wav(data: bytes) -> tuple[int, bytes]:
    """``(codec, samples)`` of a WAV written by :func:`g711_wav`."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    pos, codec, samples = 12, None, None
    while pos + 8 <= len(data):
        name, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = data[pos + 8 : pos + 8 + size]
        if name == b"fmt ":
            tag = struct.unpack_from("<H", body)[0]
            codec = {6: PCMA, 7: PCMU}.get(tag)
        elif name == b"data":
            samples = body
        pos += 8 + size + size % 2
    if codec is None or samples is None:
        raise ValueError("not a G.711 WAV file")
    return codec, samples


def stereo(left: Sequence[int], right: Sequence[int], offsets: tuple[int, int]) -> bytes:
    """A 16-bit PCM stereo WAV: ``left`` and ``right`` each delayed by its offset (samples)."""
    length = max(offsets[0] + len(left), offsets[1] + len(right))
    frames = [0] * (2 * length)
    for channel, (samples, offset) in enumerate(((left, offsets[0]), (right, offsets[1]))):
        frames[2 * offset + channel : 2 * (offset + len(samples)) + channel : 2] = samples
    data = struct.pack(f"<{len(frames)}h", *frames)
    fmt = struct.pack("<HHIIHH", 1, 2, SAMPLE_RATE, SAMPLE_RATE * 4, 4, 16)
    body = _chunk(b"fmt ", fmt) + _chunk(b"data", data)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body
