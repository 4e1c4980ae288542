"""Speech audio made here, for the classification tests and benchmark.

espeak-ng (its library, ``libespeak-ng.so.1``, through ctypes, so that each word's start
comes from the synthesiser's own word events) speaks a text; sox resamples it to 8 kHz;
it is encoded to G.711 A-law and wrapped as assembly stores a direction
(:func:`custodio.assemble.wav.g711_wav`, WAV format 6). Nothing is downloaded.

The API, small on purpose (other tests import it):

- :func:`say` ``(text, voice="es", *, speed=150, pitch=50) -> Clip``: 8 kHz int16 samples
  and each word's seconds (:class:`SpokenWord`).
- :func:`alaw_wav` ``(pcm) -> bytes``: an A-law WAV of int16 samples (8 kHz).
- :func:`silence` / :func:`noise` ``(seconds, ...) -> numpy int16``: a silent or a
  noise-only (no speech) track; ``alaw_wav`` makes them files.
- :func:`call` ``(turns, ...) -> Call``: a two-direction call from a script of
  :class:`Turn`; per direction (``"a"``, ``"b"``) an A-law WAV, its words with their
  seconds in that direction's file, and its speech segments.

Synthesis is memoised per process (the same text, voice, speed and pitch give the same
audio, so a test session makes each clip once). Word times: a word starts at espeak-ng's
word event; it ends at the next word's start, or earlier where the audio is quiet before
it (trailing pauses are not counted), so they are accurate to a few tens of ms.

Whisper base hears espeak-ng's voice much worse than a person's: choose test sentences it
gets right. A number read digit by digit comes back best with commas, at the default
pitch and speed (``"Apunta mi número: seis, cero, cero, uno, dos, tres, cuatro, cinco,
seis."``); ``"al seis cero cero..."`` or a low pitch come back as ``veis pero pero``.
"""

from __future__ import annotations

import ctypes
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from custodio.assemble.wav import ALAW_TABLE, PCMA, g711_wav

RATE = 8000

_lock = threading.Lock()


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", ctypes.c_char * 8),
    ]


_Callback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)
_EVENT_END_OF_LIST, _EVENT_WORD = 0, 1
_SYNCHRONOUS, _POS_CHARACTER, _CHARS_UTF8 = 2, 1, 1
_RATE_PARAM, _PITCH_PARAM = 1, 3


@dataclass(frozen=True, slots=True)
class SpokenWord:
    """A word of the script and its seconds in the audio."""

    text: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class Clip:
    """Speech at 8 kHz (int16 samples) and its words."""

    pcm: np.ndarray
    words: tuple[SpokenWord, ...]

    @property
    def duration(self) -> float:
        return len(self.pcm) / RATE


@lru_cache(maxsize=1)
def _espeak() -> tuple[ctypes.CDLL, int]:
    """The espeak-ng library, initialised once for synchronous synthesis, and its rate."""
    lib = ctypes.CDLL("libespeak-ng.so.1")
    lib.espeak_Synth.argtypes = [
        ctypes.c_char_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_void_p,
        ctypes.c_void_p,
    ]
    rate = lib.espeak_Initialize(_SYNCHRONOUS, 0, None, 0)
    if rate <= 0:
        raise RuntimeError("espeak-ng did not initialise")
    return lib, int(rate)


def _synthesise(
    text: str, voice: str, speed: int, pitch: int
) -> tuple[bytes, int, list[tuple[int, int, int]]]:
    """espeak-ng's 16-bit samples, its rate and its word events (char pos, length, ms)."""
    chunks: list[bytes] = []
    events: list[tuple[int, int, int]] = []

    def callback(
        wav: ctypes._Pointer[ctypes.c_short], count: int, ev: ctypes._Pointer[_Event]
    ) -> int:
        if wav and count > 0:
            chunks.append(ctypes.string_at(wav, count * 2))
        i = 0
        while ev[i].type != _EVENT_END_OF_LIST:
            if ev[i].type == _EVENT_WORD:
                events.append((ev[i].text_position, ev[i].length, ev[i].audio_position))
            i += 1
        return 0

    with _lock:
        lib, rate = _espeak()
        keep = _Callback(callback)
        lib.espeak_SetSynthCallback(keep)
        if lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"espeak-ng has no voice {voice!r}")
        lib.espeak_SetParameter(_RATE_PARAM, speed, 0)
        lib.espeak_SetParameter(_PITCH_PARAM, pitch, 0)
        data = text.encode()
        if (
            lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            != 0
        ):
            raise RuntimeError(f"espeak-ng failed on {text!r}")
        lib.espeak_Synchronize()
    return b"".join(chunks), rate, events


def _resample(pcm: bytes, rate: int) -> np.ndarray:
    """sox: 16-bit mono from ``rate`` to 8 kHz, the same samples on every run.

    sox dithers its output with random noise; ``-R`` makes that noise the same on each run
    (without it, the words Whisper hears could change from one test run to the next).
    """
    raw = ["-t", "raw", "-e", "signed-integer", "-b", "16", "-c", "1"]
    out = subprocess.run(
        ["sox", "-R", *raw, "-r", str(rate), "-", *raw, "-r", str(RATE), "-"],
        input=pcm,
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(out, dtype="<i2").copy()


def _quiet_after(pcm: np.ndarray, start: int, stop: int) -> int:
    """The sample after the last loud 10 ms frame in ``[start, stop)`` (or ``start``)."""
    frame = RATE // 100
    last = start
    for pos in range(start, stop, frame):
        chunk = pcm[pos : min(pos + frame, stop)].astype(np.float64)
        if chunk.size and np.sqrt(np.mean(chunk**2)) > 300:
            last = min(pos + frame, stop)
    return last


@lru_cache(maxsize=512)
def say(text: str, voice: str = "es", *, speed: int = 150, pitch: int = 50) -> Clip:
    """``text`` spoken by espeak-ng's ``voice`` (``"es"``, ``"en"``...), 8 kHz, words timed.

    ``speed`` is in words per minute (espeak-ng's default 175), ``pitch`` 0..99.
    """
    pcm16, rate, events = _synthesise(text, voice, speed, pitch)
    pcm = _resample(pcm16, rate)
    starts = [min(int(ms * RATE / 1000), len(pcm)) for _, _, ms in events]
    words = []
    for i, (pos, length, _) in enumerate(events):
        stop = starts[i + 1] if i + 1 < len(events) else len(pcm)
        end = _quiet_after(pcm, starts[i], stop)
        said = text[pos - 1 : pos - 1 + length]
        if any(c.isalnum() for c in said):  # espeak-ng also reports lone punctuation
            words.append(SpokenWord(said, starts[i] / RATE, max(end, starts[i] + 1) / RATE))
    return Clip(pcm, tuple(words))


@lru_cache(maxsize=1)
def _alaw_encoder() -> tuple[np.ndarray, np.ndarray]:
    values = np.array(ALAW_TABLE, dtype=np.int32)
    order = np.argsort(values, kind="stable")
    return values[order], order.astype(np.uint8)


def alaw(pcm: np.ndarray) -> bytes:
    """G.711 A-law octets of int16 samples (each to the nearest A-law level)."""
    levels, octets = _alaw_encoder()
    x = np.asarray(pcm, dtype=np.int32)
    idx = np.clip(np.searchsorted(levels, x), 1, len(levels) - 1)
    nearer_low = (x - levels[idx - 1]) <= (levels[idx] - x)
    return octets[np.where(nearer_low, idx - 1, idx)].tobytes()


def alaw_wav(pcm: np.ndarray) -> bytes:
    """An 8 kHz A-law WAV (format 6) of int16 samples, as assembly stores a direction."""
    return g711_wav(alaw(pcm), PCMA)


def silence(seconds: float) -> np.ndarray:
    """Digital silence."""
    return np.zeros(round(seconds * RATE), dtype=np.int16)


def noise(
    seconds: float, *, level_db: float = -30.0, seed: int = 0, hum: bool = True
) -> np.ndarray:
    """No speech: white noise at ``level_db`` dBFS (RMS), plus a 50 Hz hum when ``hum``."""
    rng = np.random.default_rng(seed)
    n = round(seconds * RATE)
    rms = 32767 * 10 ** (level_db / 20)
    x = rng.normal(0.0, rms, n)
    if hum:
        x += 0.5 * rms * np.sin(2 * np.pi * 50 * np.arange(n) / RATE)
    return np.clip(x, -32768, 32767).astype(np.int16)


@dataclass(frozen=True, slots=True)
class Turn:
    """One turn of a call's script: who speaks (``"a"`` or ``"b"``), what, after what pause."""

    speaker: str
    text: str
    voice: str = "es"
    pause: float = 0.6
    speed: int = 150
    pitch: int = 50


@dataclass(frozen=True, slots=True)
class Call:
    """A two-direction call: per direction (``"a"``, ``"b"``) its WAV, words and segments.

    ``words`` and ``segments`` are in seconds of that direction's file; a segment is one
    turn, from its first word's start to its last word's end. Both files have the same
    length (``duration``): each direction is silent (or ``noise``) while the other talks.
    """

    wav: dict[str, bytes]
    pcm: dict[str, np.ndarray]
    words: dict[str, tuple[SpokenWord, ...]]
    segments: dict[str, tuple[tuple[float, float], ...]]
    turns: tuple[Turn, ...]
    duration: float


def call(
    turns: Sequence[Turn],
    *,
    lead: float = 0.5,
    tail: float = 0.8,
    noise_db: float | None = None,
    seed: int = 0,
) -> Call:
    """Lay the turns out one after another (each after its ``pause``) on two directions."""
    clips = [say(t.text, t.voice, speed=t.speed, pitch=t.pitch) for t in turns]
    placed: list[tuple[Turn, Clip, int]] = []
    pos = int(lead * RATE)
    for turn, clip in zip(turns, clips, strict=True):
        if turn.speaker not in ("a", "b"):
            raise ValueError(f"speaker must be 'a' or 'b', not {turn.speaker!r}")
        pos += int(turn.pause * RATE) if placed else 0
        placed.append((turn, clip, pos))
        pos += len(clip.pcm)
    total = pos + int(tail * RATE)
    tracks: dict[str, np.ndarray] = {}
    words: dict[str, list[SpokenWord]] = {"a": [], "b": []}
    segments: dict[str, list[tuple[float, float]]] = {"a": [], "b": []}
    for side, offset in (("a", 0), ("b", 1)):
        if noise_db is None:
            track = np.zeros(total, dtype=np.int32)
        else:
            track = noise(total / RATE, level_db=noise_db, seed=seed + offset, hum=False).astype(
                np.int32
            )
        tracks[side] = track
    for turn, clip, start in placed:
        track = tracks[turn.speaker]
        track[start : start + len(clip.pcm)] += clip.pcm
        shift = start / RATE
        timed = [SpokenWord(w.text, w.start + shift, w.end + shift) for w in clip.words]
        words[turn.speaker].extend(timed)
        if timed:
            segments[turn.speaker].append((timed[0].start, timed[-1].end))
    pcm = {s: np.clip(t, -32768, 32767).astype(np.int16) for s, t in tracks.items()}
    return Call(
        wav={s: alaw_wav(p) for s, p in pcm.items()},
        pcm=pcm,
        words={s: tuple(w) for s, w in words.items()},
        segments={s: tuple(g) for s, g in segments.items()},
        turns=tuple(turns),
        duration=total / RATE,
    )
