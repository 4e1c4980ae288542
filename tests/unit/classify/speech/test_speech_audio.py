"""A direction's WAV as samples: A-law, µ-law and 16-bit PCM read; anything else refused."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from tests import speechgen

from custodio.assemble.wav import PCMU, g711_wav, stereo
from custodio.classify.speech.audio import RATE, pcm_from_wav, to_16k
from custodio.errors import InvalidInput


def _pcm16_wav(samples: np.ndarray, *, rate: int = RATE, channels: int = 1, tag: int = 1) -> bytes:
    data = samples.astype("<i2").tobytes()
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * 2 * channels, 2 * channels, 16)
    body = b"fmt " + struct.pack("<I", 16) + fmt + b"data" + struct.pack("<I", len(data)) + data
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WAVE" + body


def test_alaw_wav_as_assembly_stores_it_decodes_to_the_spoken_samples() -> None:
    clip = speechgen.say("Hola, ¿quién es?", "es")
    pcm = pcm_from_wav(speechgen.alaw_wav(clip.pcm))
    assert pcm.dtype == np.float32 and len(pcm) == len(clip.pcm)
    original = clip.pcm.astype(np.float32) / 32768
    # A-law keeps about 12 bits near zero and ~3 % relative error in the loud parts
    assert np.max(np.abs(pcm - original)) < 0.03
    assert np.corrcoef(pcm, original)[0, 1] > 0.999


def test_ulaw_and_16_bit_pcm_are_read_too() -> None:
    clip = speechgen.say("Hola", "es")
    ulaw_octets = speechgen.alaw(clip.pcm)  # any octets: compare against the µ-law table
    ulaw = pcm_from_wav(g711_wav(ulaw_octets, PCMU))
    assert len(ulaw) == len(clip.pcm) and np.max(np.abs(ulaw)) <= 1.0
    linear = pcm_from_wav(_pcm16_wav(clip.pcm))
    assert np.array_equal(linear, clip.pcm.astype(np.float32) / 32768)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"not a wav at all", "not a WAV file"),
        (_pcm16_wav(np.zeros(800, dtype=np.int16), rate=16000), "mono at 8000 Hz"),
        (stereo([0] * 80, [0] * 80, (0, 0)), "mono at 8000 Hz"),
        (_pcm16_wav(np.zeros(800, dtype=np.int16), tag=0x55), "not A-law, µ-law or 16-bit PCM"),
        (b"RIFF\x04\x00\x00\x00WAVE", "without fmt or data"),
    ],
)
def test_other_audio_is_refused_with_a_clear_error(data: bytes, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        pcm_from_wav(data)


def test_upsampling_keeps_a_tone_and_makes_no_image() -> None:
    t = np.arange(RATE) / RATE
    tone = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    up = to_16k(tone)
    spectrum = np.abs(np.fft.rfft(up[1000:-1000]))
    freqs = np.fft.rfftfreq(len(up) - 2000, 1 / 16000)
    assert abs(freqs[np.argmax(spectrum)] - 1000) < 5
    image = spectrum[np.abs(freqs - 7000) < 50].max()  # 8 kHz - 1 kHz
    assert image < spectrum.max() / 1000
