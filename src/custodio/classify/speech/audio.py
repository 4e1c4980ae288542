"""A direction's WAV as samples: float32 mono in [-1, 1] at 8 kHz.

Assembly stores each direction as received: G.711 A-law (WAV format 6) or µ-law
(format 7), 8 kHz mono. Speech engines also accept 16-bit PCM (format 1) at 8 kHz mono,
for audio brought in by other means. Anything else is refused with
:class:`~custodio.errors.InvalidInput`: resampling or down-mixing silently would change
the timings the labels point to.
"""

from __future__ import annotations

import struct

import numpy as np

from custodio.assemble.wav import ALAW_TABLE, ULAW_TABLE
from custodio.errors import InvalidInput

RATE = 8000
_ALAW, _ULAW, _PCM = 6, 7, 1
_LUT = {
    _ALAW: np.array(ALAW_TABLE, dtype=np.float32) / 32768.0,
    _ULAW: np.array(ULAW_TABLE, dtype=np.float32) / 32768.0,
}


def pcm_from_wav(data: bytes) -> np.ndarray:
    """The samples of an 8 kHz mono A-law, µ-law or 16-bit PCM WAV, as float32 in [-1, 1]."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise InvalidInput("not a WAV file (no RIFF/WAVE header)")
    fmt: tuple[int, int, int, int] | None = None
    samples: bytes | None = None
    pos = 12
    while pos + 8 <= len(data):
        name = data[pos : pos + 4]
        size = struct.unpack_from("<I", data, pos + 4)[0]
        body = data[pos + 8 : pos + 8 + size]
        if name == b"fmt ":
            if len(body) < 16:
                raise InvalidInput("WAV fmt chunk too short")
            tag, channels, rate = struct.unpack_from("<HHI", body)
            bits = struct.unpack_from("<H", body, 14)[0]
            fmt = (tag, channels, rate, bits)
        elif name == b"data":
            samples = body
            break
        pos += 8 + size + size % 2
    if fmt is None or samples is None:
        raise InvalidInput("WAV file without fmt or data chunk")
    tag, channels, rate, bits = fmt
    if channels != 1 or rate != RATE:
        raise InvalidInput(f"WAV must be mono at {RATE} Hz, not {channels} channel(s) at {rate} Hz")
    if tag in _LUT and bits == 8:
        decoded: np.ndarray = _LUT[tag][np.frombuffer(samples, dtype=np.uint8)]
        return decoded
    if tag == _PCM and bits == 16:
        usable = len(samples) - len(samples) % 2
        return np.frombuffer(samples[:usable], dtype="<i2").astype(np.float32) / 32768.0
    raise InvalidInput(
        f"WAV format {tag} with {bits}-bit samples is not A-law, µ-law or 16-bit PCM"
    )


WHISPER_RATE = 16000
_TAPS = 64  # half-length of the interpolation filter, in 16 kHz samples


def _half_band() -> np.ndarray:
    k = np.arange(-_TAPS, _TAPS + 1)
    h: np.ndarray = 0.5 * np.sinc(0.5 * k) * np.kaiser(len(k), 8.0)
    normalised: np.ndarray = (2.0 * h / h.sum()).astype(np.float32)
    return normalised


_FILTER = _half_band()


def to_16k(pcm8k: np.ndarray) -> np.ndarray:
    """8 kHz samples at 16 kHz (what Whisper and Silero VAD take): zero-stuffing and a
    windowed-sinc low-pass at 4 kHz, so no image of the telephone band is made."""
    up = np.zeros(2 * len(pcm8k), dtype=np.float32)
    up[::2] = pcm8k
    return np.convolve(up, _FILTER, mode="same").astype(np.float32)
