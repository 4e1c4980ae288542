"""Speech-to-text and spoken language, with faster-whisper (CTranslate2, int8, on CPU).

**Per segment, packed.** Voice activity gives the speech segments of one direction.
Whisper always encodes a 30-second window (shorter audio is padded with silence), and on
this machine one encoder pass of the base model costs about 2 s of CPU: sending each
short segment alone would cost a full window per segment. So consecutive segments are
*packed* into windows of at most ``WINDOW_S`` seconds, the pauses between them shortened
to at most ``GAP_S`` (silence), and each window is transcribed in one pass without
timestamp tokens (one decoding, no seeking — the long-form seeking that can silently skip
audio is never used). Words come back with their times (faster-whisper's cross-attention
alignment) and are given back to the segment they fall in, at their seconds in the
original audio. A segment that got no words is transcribed again **alone**; if it is
still empty it is kept with the flag ``empty`` — never silently dropped.

**Temperature fallback, bounded.** faster-whisper's own fallback (inside
``generate_with_fallback``) cannot be interrupted, so the temperatures are driven here:
the window is encoded once, each attempt is one decoding of that encoder output at one
temperature (0 with beam search 5, then 0.2, 0.4 ... sampling best of 5), and an attempt
is accepted with faster-whisper's thresholds: compression ratio ≤ 2.4 and mean
log-probability ≥ −1 (a no-speech probability > 0.6 with a lower log-probability is
silence: no words). Before each further attempt the elapsed time is checked against
``segment_timeout_s``; when it is spent the best attempt so far is kept and the window's
segments are flagged ``timed-out``. (One attempt is never cut short; ``max_new_tokens``
bounds it.) The same audio gives the same words: beam search is deterministic, and each
sampled attempt runs on a **fresh load** of the model (its digest checked again).
CTranslate2's random generator belongs to the model's worker thread and is seeded once,
at that thread's first sampling; a fresh model has a fresh thread, which starts from
``SEED`` whatever this process sampled before. (The time limit, which depends on the
machine's load, can still stop the fallback at a different attempt.)

**Translation.** ``task="translate"`` is Whisper's speech-to-English translation: the
Transcript says ``machine_draft_translation=True``; its word times come from aligning the
English words with foreign speech, so they are approximate.

**Threads.** One :class:`Speech` holds one loaded model (slow to load: keep one per
worker). Calls on one instance are serialised by a lock, so it may be shared between
threads, but gives no parallelism: use one instance per worker for that.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.audio import pad_or_trim
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import TranscriptionOptions
from faster_whisper.version import __version__ as FASTER_WHISPER_VERSION

from custodio.classify.speech.audio import RATE, WHISPER_RATE, to_16k
from custodio.classify.speech.model import ModelFiles, verify, whisper_model
from custodio.classify.speech.vad import Segment
from custodio.classify.text import Word
from custodio.config import Config
from custodio.errors import InvalidInput

ENGINE = "asr"
WINDOW_S = 28.0
GAP_S = 1.0
LANGUAGE_S = 30.0
TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
COMPRESSION_RATIO_THRESHOLD = 2.4
LOG_PROB_THRESHOLD = -1.0
NO_SPEECH_THRESHOLD = 0.6
TASKS = ("transcribe", "translate")

PREPEND_PUNCTUATION = "\"'“¿([{-"
APPEND_PUNCTUATION = "\"'.。,，!！?？:：”)]}、"
MAX_NEW_TOKENS = 400
SEED = 1
TOKENS_PER_S = 12  # a bound on one attempt: fast speech is about 4 tokens a second

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


class Speech:
    """A loaded Whisper model: spoken language and transcripts of one direction's speech."""

    def __init__(
        self, files: ModelFiles, *, threads: int = 0, segment_timeout_s: float = 30.0
    ) -> None:
        verify(files)  # the digest, right before the load
        self.files = files
        self.segment_timeout_s = segment_timeout_s
        self._threads = threads or (os.cpu_count() or 1)
        self._model = WhisperModel(
            str(files.path), device="cpu", compute_type="int8", cpu_threads=self._threads
        )
        self._lock = threading.Lock()
        self.version = (
            f"faster-whisper {FASTER_WHISPER_VERSION}; {files.name} sha256:{files.expected[:16]}"
        )
        self.languages = frozenset(self._model.supported_languages)

    @contextlib.contextmanager
    def _decoder(self, *, sampling: bool) -> Iterator[None]:
        """The loaded model for beam search; for sampling, a fresh load of the same files
        (verified again), so that the attempt samples from ``SEED`` (module docstring)."""
        if not sampling:
            yield
            return
        verify(self.files)
        ctranslate2.set_random_seed(SEED)
        fresh = ctranslate2.models.Whisper(
            str(self.files.path), device="cpu", compute_type="int8", intra_threads=self._threads
        )
        loaded, self._model.model = self._model.model, fresh
        try:
            yield
        finally:
            self._model.model = loaded
            del fresh

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
        hotwords: Sequence[str] = (),
    ) -> Transcript:
        """The words of the speech segments of 8 kHz samples (see the module's docstring).

        ``hotwords``: the case's watch-list terms, given to the decoder as its previous
        text (faster-whisper's ``hotwords``), which makes it more likely to spell them as
        written when they are said; they are never inserted into the transcript.
        """
        if task not in TASKS:
            raise InvalidInput(f"task must be one of {', '.join(TASKS)}, not {task!r}")
        if language not in self.languages:
            raise InvalidInput(f"{language!r} is not a language Whisper knows")
        pcm16 = to_16k(pcm8k)
        hot = " ".join(w.strip() for w in hotwords if w.strip()) or None
        found: list[list[Word]] = [[] for _ in segments]
        flags = [""] * len(segments)
        with self._lock:
            for window in _windows(segments):
                words, timed_out = self._window(pcm16, window, language, task, hot)
                for piece in window:
                    found[piece.index] = words[piece.index]
                    flags[piece.index] = FLAG_TIMED_OUT if timed_out else ""
            for i, segment in enumerate(segments):
                if not found[i] and not flags[i]:  # again, alone
                    alone, timed_out = self._window(
                        pcm16, [_Piece(i, segment, 0.0)], language, task, hot
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
        self,
        pcm16: np.ndarray,
        window: Sequence[_Piece],
        language: str,
        task: str,
        hotwords: str | None = None,
    ) -> tuple[dict[int, list[Word]], bool]:
        """Transcribe one packed window: the words of each piece, and whether time ran out.

        One encoder pass; each temperature is one decoding of that encoder output; the
        accepted (or best) decoding is aligned for word times. This is faster-whisper's
        ``generate_segments`` for a single window without seeking, with the fallback loop
        driven here so that the time limit can be checked between attempts.
        """
        model = self._model
        audio = _pack(pcm16, window)
        started = time.monotonic()
        features = model.feature_extractor(audio)
        frames = min(features.shape[-1] - 1, model.feature_extractor.nb_max_frames)
        encoded = model.encode(pad_or_trim(features[:, :frames]))
        tokenizer = Tokenizer(model.hf_tokenizer, True, task=task, language=language)
        prompt = model.get_prompt(tokenizer, [], without_timestamps=True, hotwords=hotwords)
        length = frames * model.feature_extractor.time_per_frame
        tried: list[tuple[Any, float, float]] = []  # (result, avg_logprob, compression ratio)
        chosen = None
        timed_out = False
        for i, temperature in enumerate(TEMPERATURES):
            if i and time.monotonic() - started > self.segment_timeout_s:
                timed_out = True
                break
            with self._decoder(sampling=temperature > 0):
                result, logprob, _, ratio = model.generate_with_fallback(
                    encoded, prompt, tokenizer, _options(temperature, length)
                )
            tried.append((result, logprob, ratio))
            silence = result.no_speech_prob > NO_SPEECH_THRESHOLD and logprob < LOG_PROB_THRESHOLD
            if silence:
                return {p.index: [] for p in window}, False
            if ratio <= COMPRESSION_RATIO_THRESHOLD and logprob >= LOG_PROB_THRESHOLD:
                chosen = result
                break
        if chosen is None:  # all failed (or no time left): the best, as faster-whisper does
            fair = [t for t in tried if t[2] <= COMPRESSION_RATIO_THRESHOLD] or tried
            chosen = max(fair, key=lambda t: t[1])[0]
        tokens = [t for t in chosen.sequences_ids[0] if t < tokenizer.eot]
        if not tokens:
            return {p.index: [] for p in window}, timed_out
        segment = [{"seek": 0, "start": 0.0, "end": length, "tokens": tokens}]
        model.add_word_timestamps(
            [segment], tokenizer, encoded, frames, PREPEND_PUNCTUATION, APPEND_PUNCTUATION, 0.0
        )
        return _assign(segment[0].get("words", []), window), timed_out


def _options(temperature: float, length: float) -> TranscriptionOptions:
    """faster-whisper's defaults for one attempt at one temperature (no seeking, no prompt)."""
    return TranscriptionOptions(
        beam_size=5,
        best_of=5,
        patience=1.0,
        length_penalty=1.0,
        repetition_penalty=1.0,
        no_repeat_ngram_size=0,
        log_prob_threshold=LOG_PROB_THRESHOLD,
        no_speech_threshold=NO_SPEECH_THRESHOLD,
        compression_ratio_threshold=COMPRESSION_RATIO_THRESHOLD,
        condition_on_previous_text=False,
        prompt_reset_on_temperature=0.5,
        temperatures=[temperature],
        initial_prompt=None,
        prefix=None,
        suppress_blank=True,
        suppress_tokens=[-1],
        without_timestamps=True,
        max_initial_timestamp=1.0,
        word_timestamps=True,
        prepend_punctuations=PREPEND_PUNCTUATION,
        append_punctuations=APPEND_PUNCTUATION,
        multilingual=False,
        max_new_tokens=min(MAX_NEW_TOKENS, int(TOKENS_PER_S * length) + 32),
        clip_timestamps="0",
        hallucination_silence_threshold=None,
        hotwords=None,
    )


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
    """Consecutive segments packed into windows of at most ``WINDOW_S`` seconds.

    Between two pieces the real pause is kept when shorter than ``GAP_S`` (a number read
    out digit by digit keeps its rhythm), else shortened to ``GAP_S``.
    """
    windows: list[list[_Piece]] = []
    at = 0.0
    previous: Segment | None = None
    for i, segment in enumerate(segments):
        if previous is not None:
            at += previous.length + min(max(segment.start - previous.end, 0.0), GAP_S)
        if not windows or at + segment.length > WINDOW_S:
            windows.append([])
            at = 0.0
        windows[-1].append(_Piece(i, segment, at))
        previous = segment
    return windows


def _pack(pcm16: np.ndarray, window: Sequence[_Piece]) -> np.ndarray:
    """The window's audio: each piece at its place, silence between, ``GAP_S`` after."""
    last = window[-1]
    out = np.zeros(round((last.at + last.segment.length + GAP_S) * WHISPER_RATE), dtype=np.float32)
    for piece in window:
        audio = pcm16[
            round(piece.segment.start * WHISPER_RATE) : round(piece.segment.end * WHISPER_RATE)
        ]
        at = round(piece.at * WHISPER_RATE)
        out[at : at + len(audio)] = audio[: len(out) - at]
    return out


def _assign(words: Sequence[dict[str, Any]], window: Sequence[_Piece]) -> dict[int, list[Word]]:
    """Each word to the piece its middle falls in (or the nearest), in original seconds."""
    out: dict[int, list[Word]] = {p.index: [] for p in window}
    for w in words:
        text = str(w["word"]).strip()
        if not text:
            continue
        w_start, w_end = float(w["start"]), float(w["end"])
        middle = (w_start + w_end) / 2

        def distance(p: _Piece, middle: float = middle) -> float:
            return max(p.at - middle, middle - (p.at + p.segment.length), 0.0)

        piece = min(window, key=distance)
        seg, shift = piece.segment, piece.segment.start - piece.at
        start = min(max(w_start + shift, seg.start), seg.end)
        end = min(max(w_end + shift, start), seg.end)
        out[piece.index].append(Word(text, round(float(start), 3), round(float(end), 3)))
    return out
