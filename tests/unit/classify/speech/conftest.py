"""Speech test fixtures: the Whisper model loaded once per session, and generated audio.

The audio is made here with espeak-ng (tests/speechgen.py) through 8 kHz G.711 A-law.
Sentences were chosen so that Whisper base recognises their planted words from espeak-ng's
voice over a telephone channel; other synthetic sentences come back much worse (the
robotic voice, not the channel, is the hard part).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests import speechgen

from custodio.classify.speech.asr import Speech
from custodio.classify.speech.model import ModelFiles, whisper_model
from custodio.config import defaults

TRANSFER = "Hicimos la transferencia al banco de Sevilla por la tarde."
NUMBER = "Apunta mi número: seis, cero, cero, uno, dos, tres, cuatro, cinco, seis."
SPANISH = (
    speechgen.Turn("a", "Hola, ¿quién es?", "es", pitch=60),
    speechgen.Turn("b", TRANSFER, "es", 0.8, speed=140),
    speechgen.Turn(
        "a", "Esconde la pistola en el garaje antes de que llegue la policía.", "es", 2.5
    ),
    speechgen.Turn("b", NUMBER, "es", 1.0),
)
ENGLISH = (
    speechgen.Turn("a", "The shipment of cocaine arrives in Liverpool on Tuesday night.", "en"),
    speechgen.Turn("b", "Fine. Call me back on my mobile.", "en", 1.2, pitch=35),
)


@pytest.fixture(scope="session")
def model_files(tmp_path_factory: pytest.TempPathFactory) -> ModelFiles:
    """Whisper base assembled from its packages into a session data directory."""
    return whisper_model(defaults(tmp_path_factory.mktemp("speech-data")))


@pytest.fixture(scope="session")
def speech(model_files: ModelFiles) -> Iterator[Speech]:
    # No time limit in practice: the same audio must give the same words on a loaded CI
    # machine too (a limit reached there stops the fallback at another attempt).
    yield Speech(model_files, threads=2, segment_timeout_s=600)


@pytest.fixture(scope="session")
def spanish_call() -> speechgen.Call:
    return speechgen.call(SPANISH, noise_db=-55)


@pytest.fixture(scope="session")
def english_call() -> speechgen.Call:
    return speechgen.call(ENGLISH)


@pytest.fixture(scope="session")
def model_dir(model_files: ModelFiles) -> Path:
    return model_files.path
