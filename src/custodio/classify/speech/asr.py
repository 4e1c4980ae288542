"""Speech-to-text and spoken language, with faster-whisper (CTranslate2, int8, on CPU).

**Per segment, packed.** Voice activity gives the speech segments of one direction.
Whisper always encodes a 30-second window (shorter audio is padded with silence), and on
this machine one encoder pass of the base model costs about 2 s of CPU: sending each
short segment alone would cost a full window per segment. So consecutive segments are
*packed* into windows of at most ``WINDOW_S`` seconds, each segment's audio followed by
``GAP_S`` of silence, and each window is transcribed in one pass without timestamps
tokens (one decoding, no seeking — the long-form seeking that can silently skip audio is
never used). Words come back with their times (faster-whisper's cross-attention
alignment) and are given back to the segment they fall in, at their seconds in the
original audio. A segment that got no words is transcribed again **alone**; if it is
still empty it is kept with the flag ``empty`` — never silently dropped.

**Temperature fallback, bounded.** faster-whisper's own fallback (inside
``generate_with_fallback``) cannot be interrupted, so the temperatures are driven here:
each attempt is one call at a single temperature (0 with beam search 5, then 0.2, 0.4 ...
sampling best of 5), and the result is accepted with faster-whisper's thresholds
(compression ratio ≤ 2.4 and mean log-probability ≥ −1, or no-speech probability > 0.6).
Before each further attempt the elapsed time is checked against ``segment_timeout_s``;
when it is spent the best attempt so far is kept and its segments are flagged
``timed-out``. (One attempt is never cut short; ``max_new_tokens`` bounds it.)

**Translation.** ``task="translate"`` is Whisper's speech-to-English translation: the
Transcript says ``machine_draft_translation=True``; its word times come from aligning the
English words with foreign speech, so they are approximate.

**Threads.** One :class:`Speech` holds one loaded model (slow to load: keep one per
worker). Calls on one instance are serialised by a lock, so it may be shared between
threads, but gives no parallelism: use one instance per worker for that.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.version import __version__ as FASTER_WHISPER_VERSION

from custodio.classify.speech.audio import RATE, WHISPER_RATE, to_16k
from custodio.classify.speech.model import ModelFiles, verify, whisper_model
from custodio.classify.speech.vad import Segment
from custodio.classify.text import Word
from custodio.config import Config
from custodio.errors import InvalidInput

ENGINE = "asr"
WINDOW_S = 28.0
GAP_S = 0.4
LANGUAGE_S = 30.0
TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
COMPRESSION_RATIO_THRESHOLD = 2.4
LOG_PROB_THRESHOLD = -1.0
NO_SPEECH_THRESHOLD = 0.6
TASKS = ("transcribe", "translate")

FLAG_EMPTY = "empty"
FLAG_TIMED_OUT = "timed-out"


@dataclass(frozen=True, slots=True)
class SegmentText:
    """What one speech segment said; ``flag`` is ``""``, ``"empty"`` or ``"timed-out"``."""

    start: float
    end: float
    text: str
    flag: str = ""


@dataclass(frozen=True, slots=True)
class Transcript:
    """One direction's words (with seconds in its audio) and its segments' texts.

    ``machine_draft_translation`` is true for ``task="translate"``: the words are
    Whisper's English rendering, a draft by a machine, not a translator's work.
    """

    language: str
    task: str
    words: tuple[Word, ...]
    segments: tuple[SegmentText, ...]
    version: str

    @property
    def machine_draft_translation(self) -> bool:
        return self.task == "translate"

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments if s.text)


@dataclass(frozen=True, slots=True)
class _Piece:
    """A segment (the ``index``-th) placed in a window, starting ``at`` seconds into it."""

    index: int
    segment: Segment
    at: float  # where it starts in the window


@dataclass(slots=True)
class _Attempt:
    words: list[Any]
    ok: bool
    avg_logprob: float


class Speech:
    """A loaded Whisper model: spoken language and transcripts of one direction's speech."""

    def __init__(
        self, files: ModelFiles, *, threads: int = 0, segment_timeout_s: float = 30.0
    ) -> None:
        verify(files)  # the digest, right before the load
        self.files = files
        self.segment_timeout_s = segment_timeout_s
        self._model = WhisperModel(
            str(files.path),
            device="cpu",
            compute_type="int8",
            cpu_threads=threads or (os.cpu_count() or 1),
        )
        self._lock = threading.Lock()
        self.version = (
            f"faster-whisper {FASTER_WHISPER_VERSION}; {files.name} sha256:{files.expected[:16]}"
        )
        self.languages = frozenset(self._model.supported_languages)

    @classmethod
    def from_config(cls, config: Config) -> Speech:
        s = config.settings
        return cls(
            whisper_model(config),
            threads=s.classify_threads,
            segment_timeout_s=float(s.classify_segment_timeout_seconds),
        )

    # -- language ---------------------------------------------------------------------

    def detect_language(
        self, pcm8k: np.ndarray, segments: Sequence[Segment], allowed: Sequence[str]
    ) -> tuple[str, float]:
        """The spoken language among ``allowed`` and its probability.

        Whisper's language probabilities on up to ``LANGUAGE_S`` seconds of the speech
        segments put end to end, restricted to ``allowed`` and renormalised over them.
        """
        unknown = [code for code in allowed if code not in self.languages]
        if unknown or not allowed:
            raise InvalidInput(f"not languages Whisper knows: {', '.join(unknown) or '(none)'}")
        gathered = _gather(pcm8k, segments, LANGUAGE_S)
        if gathered.size == 0:
            raise InvalidInput("no speech segments to tell the language of")
        with self._lock:
            _, _, probs = self._model.detect_language(audio=to_16k(gathered))
        kept = {code: p for code, p in probs if code in allowed}
        total = sum(kept.values())
        best = max(kept, key=lambda code: kept[code])
        return best, (kept[best] / total if total > 0 else 0.0)

    # -- transcription ----------------------------------------------------------------

    def transcribe(
        self,
        pcm8k: np.ndarray,
        segments: Sequence[Segment],
        language: str,
        *,
        task: str = "transcribe",
    ) -> Transcript:
        """The words of the speech segments of 8 kHz samples (see the module's docstring)."""
        if task not in TASKS:
            raise InvalidInput(f"task must be one of {', '.join(TASKS)}, not {task!r}")
        if language not in self.languages:
            raise InvalidInput(f"{language!r} is not a language Whisper knows")
        pcm16 = to_16k(pcm8k)
        found: list[list[Word]] = [[] for _ in segments]
        flags = [""] * len(segments)
        with self._lock:
            for window in _windows(segments):
                words, timed_out = self._window(pcm16, window, language, task)
                for piece in window:
                    found[piece.index] = words[piece.index]
                    flags[piece.index] = FLAG_TIMED_OUT if timed_out else ""
            for i, segment in enumerate(segments):
                if not found[i] and not flags[i]:  # again, alone
                    alone, timed_out = self._window(
                        pcm16, [_Piece(i, segment, 0.0)], language, task
                    )
                    found[i] = alone[i]
                    flags[i] = FLAG_TIMED_OUT if timed_out else ("" if alone[i] else FLAG_EMPTY)
        texts = tuple(
            SegmentText(seg.start, seg.end, " ".join(w.text for w in words), flag)
            for seg, words, flag in zip(segments, found, flags, strict=True)
        )
        all_words = tuple(w for words in found for w in words)
        return Transcript(language, task, all_words, texts, self.version)

    def _window(
        self, pcm16: np.ndarray, window: Sequence[_Piece], language: str, task: str
    ) -> tuple[dict[int, list[Word]], bool]:
        """Transcribe one packed window: the words of each piece, and whether time ran out."""
        audio = _pack(pcm16, window)
        length = len(audio) / WHISPER_RATE
        started = time.monotonic()
        best: _Attempt | None = None
        timed_out = False
        for i, temperature in enumerate(TEMPERATURES):
            if i and time.monotonic() - started > self.segment_timeout_s:
                timed_out = True
                break
            attempt = self._attempt(audio, length, language, task, temperature)
            if best is None or attempt.avg_logprob > best.avg_logprob:
                best = attempt
            if attempt.ok:
                best = attempt
                break
        words = best.words if best is not None else []
        return _assign(words, window), timed_out

    def _attempt(
        self, audio: np.ndarray, length: float, language: str, task: str, temperature: float
    ) -> _Attempt:
        found, _ = self._model.transcribe(
            audio,
            language=language,
            task=task,
            beam_size=5,
            best_of=5,
            temperature=temperature,
            compression_ratio_threshold=COMPRESSION_RATIO_THRESHOLD,
            log_prob_threshold=LOG_PROB_THRESHOLD,
            no_speech_threshold=NO_SPEECH_THRESHOLD,
            condition_on_previous_text=False,
            without_timestamps=True,
            word_timestamps=True,
            vad_filter=False,
            max_new_tokens=min(400, int(12 * length) + 32),
        )
        segs = list(found)
        if not segs:  # Whisper judged it no speech (no-speech probability over threshold)
            return _Attempt([], True, 0.0)
        ok = all(
            (
                s.compression_ratio <= COMPRESSION_RATIO_THRESHOLD
                and s.avg_logprob >= LOG_PROB_THRESHOLD
            )
            or s.no_speech_prob > NO_SPEECH_THRESHOLD
            for s in segs
        )
        words = [w for s in segs for w in (s.words or [])]
        return _Attempt(words, ok, min(s.avg_logprob for s in segs))


def _gather(pcm8k: np.ndarray, segments: Sequence[Segment], limit_s: float) -> np.ndarray:
    parts: list[np.ndarray] = []
    left = int(limit_s * RATE)
    for segment in segments:
        part = pcm8k[int(segment.start * RATE) : int(segment.end * RATE)][:left]
        parts.append(part)
        left -= len(part)
        if left <= 0:
            break
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def _windows(segments: Sequence[Segment]) -> list[list[_Piece]]:
    """Consecutive segments packed into windows of at most ``WINDOW_S`` seconds."""
    windows: list[list[_Piece]] = []
    at = 0.0
    for i, segment in enumerate(segments):
        if not windows or at + segment.length > WINDOW_S:
            windows.append([])
            at = 0.0
        windows[-1].append(_Piece(i, segment, at))
        at += segment.length + GAP_S
    return windows


def _pack(pcm16: np.ndarray, window: Sequence[_Piece]) -> np.ndarray:
    gap = np.zeros(int(GAP_S * WHISPER_RATE), dtype=np.float32)
    parts: list[np.ndarray] = []
    for piece in window:
        start = round(piece.at * WHISPER_RATE)
        have = sum(len(p) for p in parts)
        if start > have:
            parts.append(np.zeros(start - have, dtype=np.float32))
        parts.append(
            pcm16[int(piece.segment.start * WHISPER_RATE) : int(piece.segment.end * WHISPER_RATE)]
        )
        parts.append(gap)
    return np.concatenate(parts).astype(np.float32) if parts else gap


def _assign(words: Sequence[Any], window: Sequence[_Piece]) -> dict[int, list[Word]]:
    """Each word to the piece its middle falls in (or the nearest), in original seconds."""
    out: dict[int, list[Word]] = {p.index: [] for p in window}
    for w in words:
        text = w.word.strip()
        if not text:
            continue
        middle = (w.start + w.end) / 2

        def distance(p: _Piece, middle: float = middle) -> float:
            return max(p.at - middle, middle - (p.at + p.segment.length), 0.0)

        piece = min(window, key=distance)
        seg, shift = piece.segment, piece.segment.start - piece.at
        start = min(max(w.start + shift, seg.start), seg.end)
        end = min(max(w.end + shift, start), seg.end)
        out[piece.index].append(Word(text, round(float(start), 3), round(float(end), 3)))
    return out
