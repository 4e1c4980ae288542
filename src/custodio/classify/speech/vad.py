"""Voice activity: where a direction's audio has speech.

Two detectors, and only what both call speech is kept:

1. **webrtcvad** (the WebRTC GMM detector) on the 8 kHz samples as received, 30 ms frames,
   aggressiveness 2. A run of speech frames is a segment; segments closer than
   ``MIN_SILENCE_S`` are merged. It is quick and sharp at the edges of speech, but takes
   much steady noise (line hiss, hum, music) for speech.
2. **Silero VAD**, the ONNX model faster-whisper ships (``faster_whisper.vad``; no
   download), on the audio upsampled to 16 kHz, threshold 0.5, segments split at a pause
   when longer than ``MAX_SEGMENT_S``. A neural model: it rejects noise, but its edges are
   coarse (32 ms windows) and padded.

The speech segments are the **intersection** of the two: every interval where both say
speech. Intersections closer than ``MIN_SILENCE_S`` are merged, those shorter than
``MIN_SPEECH_S`` dropped, and each is padded by ``PAD_S`` on both sides (within the
audio), so speech-to-text hears the start and end of the first and last word. A segment
is therefore never longer than ``MAX_SEGMENT_S`` plus the padding. With ``refine=False``
only webrtcvad is used (the same merging, dropping and padding).

``talk_s`` is the sum of the segments' lengths (padding included); ``silent`` means no
segment at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import webrtcvad
from faster_whisper.vad import VadOptions, get_speech_timestamps

from custodio.classify.speech.audio import RATE, WHISPER_RATE, to_16k

ENGINE = "vad"
VERSION = "1"

FRAME_S = 0.03
AGGRESSIVENESS = 2
SILERO_THRESHOLD = 0.5
MIN_SPEECH_S = 0.2
MIN_SILENCE_S = 0.3
PAD_S = 0.15
MAX_SEGMENT_S = 25.0


@dataclass(frozen=True, slots=True)
class Segment:
    """Speech from ``start`` to ``end`` (seconds from the start of the audio)."""

    start: float
    end: float

    @property
    def length(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Activity:
    """The speech segments of one direction, its length and its talk time (seconds)."""

    segments: tuple[Segment, ...]
    duration_s: float
    talk_s: float

    @property
    def silent(self) -> bool:
        """No speech at all."""
        return not self.segments


def activity(pcm8k: np.ndarray, *, refine: bool = True) -> Activity:
    """The speech segments of 8 kHz float samples (see the module's docstring)."""
    duration = len(pcm8k) / RATE
    spans = _webrtc(pcm8k)
    if refine and spans:
        spans = _intersect(spans, _silero(pcm8k))
    segments = _tidy(spans, duration)
    return Activity(segments, duration, round(sum(s.length for s in segments), 3))


def _webrtc(pcm8k: np.ndarray) -> list[tuple[float, float]]:
    vad = webrtcvad.Vad(AGGRESSIVENESS)
    step = int(FRAME_S * RATE)
    pcm16 = (np.clip(pcm8k, -1.0, 1.0) * 32767).astype("<i2")
    spans: list[tuple[float, float]] = []
    start: float | None = None
    n_frames = len(pcm16) // step
    for i in range(n_frames):
        speech = vad.is_speech(pcm16[i * step : (i + 1) * step].tobytes(), RATE)
        if speech and start is None:
            start = i * FRAME_S
        elif not speech and start is not None:
            spans.append((start, i * FRAME_S))
            start = None
    if start is not None:
        spans.append((start, n_frames * FRAME_S))
    return _merge(spans, MIN_SILENCE_S)


def _silero(pcm8k: np.ndarray) -> list[tuple[float, float]]:
    options = VadOptions(
        threshold=SILERO_THRESHOLD,
        min_speech_duration_ms=int(MIN_SPEECH_S * 1000),
        min_silence_duration_ms=int(MIN_SILENCE_S * 1000),
        max_speech_duration_s=MAX_SEGMENT_S,
        speech_pad_ms=30,
    )
    found = get_speech_timestamps(to_16k(pcm8k), options, sampling_rate=WHISPER_RATE)
    return [(c["start"] / WHISPER_RATE, c["end"] / WHISPER_RATE) for c in found]


def _merge(spans: Iterable[tuple[float, float]], gap: float) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start - merged[-1][1] < gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _intersect(
    a: list[tuple[float, float]], b: list[tuple[float, float]]
) -> list[tuple[float, float]]:
    """Intervals where both ``a`` and ``b`` (each sorted, not overlapping) have speech.

    Silero's segments are already split at ``MAX_SEGMENT_S``; where it split a run of
    speech, the two sides stay separate segments here too (they are not re-merged).
    """
    out: list[tuple[float, float, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end, j))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    merged: list[tuple[float, float, int]] = []
    for start, end, owner in out:
        if merged and merged[-1][2] == owner and start - merged[-1][1] < MIN_SILENCE_S:
            merged[-1] = (merged[-1][0], end, owner)
        else:
            merged.append((start, end, owner))
    return [(s, e) for s, e, _ in merged]


def _tidy(spans: list[tuple[float, float]], duration: float) -> tuple[Segment, ...]:
    kept = [(s, e) for s, e in spans if e - s >= MIN_SPEECH_S]
    segments: list[Segment] = []
    for start, end in kept:
        s, e = max(0.0, start - PAD_S), min(duration, end + PAD_S)
        if segments and s < segments[-1].end:  # padding made them touch: split the gap
            mid = (segments[-1].end - PAD_S + start) / 2
            segments[-1] = Segment(segments[-1].start, round(mid, 3))
            s = mid
        segments.append(Segment(round(s, 3), round(e, 3)))
    return tuple(segments)
