"""Voice activity: speech segments where the script spoke, silence and noise flagged silent."""

from __future__ import annotations

import numpy as np
from tests import speechgen

from custodio.classify.speech.audio import pcm_from_wav
from custodio.classify.speech.vad import Activity, activity

TOLERANCE_S = 0.35


def _covered(found: Activity, start: float, end: float) -> float:
    """Seconds of ``[start, end)`` inside found segments."""
    return sum(max(0.0, min(end, s.end) - max(start, s.start)) for s in found.segments)


def test_segments_match_the_generated_turns_per_direction(spanish_call: speechgen.Call) -> None:
    for side in ("a", "b"):
        found = activity(pcm_from_wav(spanish_call.wav[side]))
        turns = spanish_call.segments[side]
        assert not found.silent
        # every turn is found: its start and end within the tolerance of a segment edge
        for start, end in turns:
            assert _covered(found, start, end) >= 0.85 * (end - start), (side, start, end, found)
            assert min(abs(s.start - start) for s in found.segments) < TOLERANCE_S
            assert min(abs(s.end - end) for s in found.segments) < TOLERANCE_S
        # and nothing is found while the other party talks (this side is only line noise)
        for s in found.segments:
            assert any(s.start < e + TOLERANCE_S and s.end > b - TOLERANCE_S for b, e in turns)
        spoken = sum(e - b for b, e in turns)
        assert spoken * 0.9 < found.talk_s < spoken + 2 * 0.15 * len(found.segments) + 0.5
        assert abs(found.duration_s - spanish_call.duration) < 0.01


def test_a_silent_direction_is_flagged_silent() -> None:
    found = activity(pcm_from_wav(speechgen.alaw_wav(speechgen.silence(4.0))))
    assert found.silent and found.talk_s == 0 and found.duration_s == 4.0


def test_noise_only_is_silent_because_silero_vetoes_webrtcvad() -> None:
    hiss = pcm_from_wav(speechgen.alaw_wav(speechgen.noise(4.0, level_db=-25)))
    assert activity(hiss).silent
    # webrtcvad alone calls much of it speech: the refinement is what flags it
    assert activity(hiss, refine=False).talk_s > 1.0


def test_speech_in_noise_is_still_found() -> None:
    clip = speechgen.say("Hicimos la transferencia al banco de Sevilla por la tarde.", "es")
    track = speechgen.noise(clip.duration + 2.0, level_db=-40, seed=3).astype(np.int32)
    track[8000 : 8000 + len(clip.pcm)] += clip.pcm
    found = activity(
        pcm_from_wav(speechgen.alaw_wav(np.clip(track, -32768, 32767).astype(np.int16)))
    )
    assert _covered(found, 1.0, 1.0 + clip.words[-1].end) > 0.8 * clip.words[-1].end
    assert found.segments[0].start > 0.6 and found.segments[-1].end < clip.duration + 1.6
