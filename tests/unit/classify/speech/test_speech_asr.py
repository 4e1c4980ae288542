"""Speech-to-text and spoken language on espeak-ng calls through 8 kHz A-law.

Whisper base is loaded once per session (conftest). Each direction is transcribed once
(module fixtures) and the tests read the result: planted watch-list words come back with
their second in the audio, the spoken phone number comes back as digits, the language is
told, an empty segment is flagged, and the time limit stops the temperature fallback.

Two tests set module settings with ``monkeypatch`` (the log-probability threshold, the
temperatures, the per-segment time limit) to drive the real model down its fallback and
sampling paths on demand; nothing is replaced, the real Whisper model decodes throughout.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests import speechgen

from custodio.classify.numbers import spoken_numbers
from custodio.classify.speech import asr
from custodio.classify.speech.asr import FLAG_EMPTY, FLAG_TIMED_OUT, Speech, Transcript
from custodio.classify.speech.audio import pcm_from_wav
from custodio.classify.speech.language import text_language
from custodio.classify.speech.vad import Segment, activity
from custodio.classify.text import fold
from custodio.classify.watchlist import Term, WatchList, match
from custodio.errors import InvalidInput

pytestmark = pytest.mark.slow

LANGUAGES = ("es", "en", "ca", "eu", "gl", "fr", "pt", "ro", "ar")
WATCH = WatchList(
    (
        Term("transferencia"), Term("pistola"), Term("Sevilla", "place"),
        Term("600123456", "number"), Term("cocaine"), Term("Liverpool", "place"),
    )
)  # fmt: skip


def _said(call: speechgen.Call, side: str, word: str) -> float:
    return next(w.start for w in call.words[side] if fold(w.text).startswith(fold(word)))


@pytest.fixture(scope="module")
def spanish(speech: Speech, spanish_call: speechgen.Call) -> dict[str, Transcript]:
    # as the pipeline transcribes: with the case's terms as hotwords (without them Whisper
    # base hears espeak-ng's 'Sevilla' as 'fería' or 'familia', run to run)
    hot = [t.text for t in WATCH.terms if t.kind != "number"]
    out = {}
    for side in ("a", "b"):
        pcm = pcm_from_wav(spanish_call.wav[side])
        out[side] = speech.transcribe(pcm, activity(pcm).segments, "es", hotwords=hot)
    return out


@pytest.fixture(scope="module")
def english(speech: Speech, english_call: speechgen.Call) -> Transcript:
    pcm = pcm_from_wav(english_call.wav["a"])
    return speech.transcribe(pcm, activity(pcm).segments, "en")


@pytest.mark.parametrize(
    ("side", "term"), [("b", "transferencia"), ("b", "Sevilla"), ("a", "pistola")]
)
def test_planted_spanish_words_are_found_at_their_second(
    spanish: dict[str, Transcript], spanish_call: speechgen.Call, side: str, term: str
) -> None:
    hits = [h for h in match(list(spanish[side].words), WATCH) if h.value == term]
    assert hits, spanish[side].text
    assert hits[0].start_s is not None
    assert abs(hits[0].start_s - _said(spanish_call, side, term)) < 1.0


def test_spoken_phone_number_comes_back_as_digits(
    spanish: dict[str, Transcript], spanish_call: speechgen.Call
) -> None:
    words = list(spanish["b"].words)
    assert "600123456" in [r.digits for r in spoken_numbers([w.text for w in words])]
    # Whisper writes the digits ("6, 0, 0, 1, ..."): the watch-list's number term finds them
    number = [h for h in match(words, WATCH) if h.value == "600123456"]
    assert number and number[0].start_s is not None
    assert abs(number[0].start_s - _said(spanish_call, "b", "seis")) < 1.0


def test_english_words_are_found_at_their_second(
    english: Transcript, english_call: speechgen.Call
) -> None:
    found = {h.value: h.start_s for h in match(list(english.words), WATCH)}
    assert set(found) == {"cocaine", "Liverpool"}, english.text
    for term in ("cocaine", "Liverpool"):
        assert abs((found[term] or 0.0) - _said(english_call, "a", term)) < 1.0


def test_transcript_words_are_timed_in_order_inside_their_segments(
    spanish: dict[str, Transcript],
) -> None:
    for transcript in spanish.values():
        assert transcript.task == "transcribe" and not transcript.machine_draft_translation
        assert transcript.version.startswith("faster-whisper ")
        assert "sha256:d01c3014" in transcript.version
        starts = [w.start for w in transcript.words]
        assert starts == sorted(starts)
        for w in transcript.words:
            assert w.start is not None and w.end is not None and w.start <= w.end
            assert any(s.start <= w.start and w.end <= s.end for s in transcript.segments)
        assert all(s.flag == "" and s.text for s in transcript.segments)


def test_spoken_language_is_told_among_the_allowed(
    speech: Speech, spanish_call: speechgen.Call, english_call: speechgen.Call
) -> None:
    for call, expected in ((spanish_call, "es"), (english_call, "en")):
        pcm = pcm_from_wav(call.wav["a"])
        language, probability = speech.detect_language(pcm, activity(pcm).segments, LANGUAGES)
        assert language == expected and probability > 0.8
    # restricted: the answer is one of the allowed, renormalised over them
    pcm = pcm_from_wav(english_call.wav["a"])
    language, probability = speech.detect_language(pcm, activity(pcm).segments, ("fr", "de"))
    assert language in ("fr", "de") and 0.5 <= probability <= 1.0


def test_a_segment_without_speech_is_flagged_empty_not_dropped(
    speech: Speech, english_call: speechgen.Call
) -> None:
    pcm = pcm_from_wav(english_call.wav["a"])
    spoken = list(activity(pcm).segments)
    quiet = Segment(english_call.duration - 0.6, english_call.duration)  # the silent tail
    transcript = speech.transcribe(pcm, [*spoken, quiet], "en")
    assert len(transcript.segments) == len(spoken) + 1
    assert transcript.segments[-1].flag == FLAG_EMPTY and transcript.segments[-1].text == ""
    assert all(s.flag == "" for s in transcript.segments[:-1])


def test_time_limit_stops_the_temperature_fallback(
    speech: Speech, english_call: speechgen.Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A log-probability threshold of 0 fails every attempt (log-probabilities are < 0), so
    # the fallback would go through all six temperatures; a zero time limit stops it
    # after the first, keeps its words and flags the segment.
    monkeypatch.setattr(asr, "LOG_PROB_THRESHOLD", 0.0)
    pcm = pcm_from_wav(english_call.wav["a"])
    segments = activity(pcm).segments[:1]
    monkeypatch.setattr(speech, "segment_timeout_s", 0.0)
    transcript = speech.transcribe(pcm, segments, "en")
    assert [s.flag for s in transcript.segments] == [FLAG_TIMED_OUT]
    assert transcript.words  # the best attempt so far is kept, not thrown away


def test_translation_is_labelled_a_machine_draft(
    speech: Speech, spanish_call: speechgen.Call
) -> None:
    pcm = pcm_from_wav(spanish_call.wav["b"])
    said = _said(spanish_call, "b", "transferencia")
    segments = [s for s in activity(pcm).segments if s.start <= said < s.end]
    draft = speech.transcribe(pcm, segments, "es", task="translate")
    assert draft.machine_draft_translation and draft.task == "translate"
    # Whisper's rendering is English (its quality on espeak-ng's voice is poor: a draft)
    assert text_language(draft.text, ("es", "en"))[0] == "en", draft.text
    assert all(w.start is not None for w in draft.words)


def test_bad_task_or_language_is_refused(speech: Speech) -> None:
    pcm = np.zeros(8000, dtype=np.float32)
    with pytest.raises(InvalidInput, match="task"):
        speech.transcribe(pcm, [], "es", task="summarise")
    with pytest.raises(InvalidInput, match="language"):
        speech.transcribe(pcm, [], "xx")
    with pytest.raises(InvalidInput, match="no speech"):
        speech.detect_language(pcm, [], LANGUAGES)
    with pytest.raises(InvalidInput, match="xx"):
        speech.detect_language(pcm, [Segment(0, 1)], ("es", "xx"))


HOT = ("Algeciras", "hachís", "cocaína", "Ramírez")


def _clip(text: str) -> tuple[np.ndarray, tuple[Segment, ...]]:
    pcm = pcm_from_wav(speechgen.alaw_wav(speechgen.say(text, "es").pcm))
    return pcm, activity(pcm).segments


def test_the_case_terms_as_hotwords_bring_back_a_place_name(speech: Speech) -> None:
    """Without them Whisper base hears espeak-ng's 'Algeciras' as 'al jetí'."""
    pcm, segments = _clip("El barco llega a Algeciras el martes por la noche.")
    transcript = speech.transcribe(pcm, segments, "es", hotwords=HOT)
    watch = WatchList((Term("Algeciras", "place"),))
    assert [h.value for h in match(list(transcript.words), watch)] == ["Algeciras"]


def test_a_sampled_attempt_gives_the_same_words_whatever_was_sampled_before(
    speech: Speech, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sampling only, at temperature 1 (no beam search first): the words are drawn at
    # random. CTranslate2 seeds its generator once per model thread, so on one loaded
    # model the third call would go on from the draws of the first two.
    monkeypatch.setattr(asr, "TEMPERATURES", (1.0,))
    pcm, segments = _clip("El barco llega a Algeciras el martes por la noche.")
    first = [w.text for w in speech.transcribe(pcm, segments, "es").words]
    other, between = _clip("Mañana compramos pan y leche en la tienda.")
    speech.transcribe(other, between, "es")
    assert [w.text for w in speech.transcribe(pcm, segments, "es").words] == first


def test_hotwords_are_never_written_where_they_were_not_said(speech: Speech) -> None:
    pcm, segments = _clip("Mañana compramos pan y leche en la tienda.")
    transcript = speech.transcribe(pcm, segments, "es", hotwords=HOT)
    said = fold(" ".join(w.text for w in transcript.words))
    assert transcript.words and not any(fold(term) in said for term in HOT), said
