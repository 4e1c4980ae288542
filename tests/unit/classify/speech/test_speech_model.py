"""The Whisper model: assembled from its pinned packages, checked before every load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from custodio.classify.speech.asr import Speech
from custodio.classify.speech.model import (
    BASE_NAME,
    BASE_SHA256,
    ModelError,
    ModelFiles,
    sha256_file,
    verify,
    whisper_dir,
    whisper_model,
)
from custodio.config import defaults
from custodio.errors import ConfigError


def test_base_model_is_assembled_into_the_data_dir_with_the_pinned_digest(model_dir: Path) -> None:
    assert model_dir.name == BASE_NAME and model_dir.parent.name == "models"
    names = sorted(p.name for p in model_dir.iterdir())
    assert names == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]  # no temp
    assert sha256_file(model_dir / "model.bin") == BASE_SHA256


def test_a_second_lookup_reuses_the_assembled_model(model_dir: Path) -> None:
    config = defaults(model_dir.parent.parent)
    before = (model_dir / "model.bin").stat().st_mtime_ns
    assert whisper_dir(config) == model_dir
    assert (model_dir / "model.bin").stat().st_mtime_ns == before


def _corrupt_copy(model_dir: Path, target: Path) -> Path:
    shutil.copytree(model_dir, target)
    with (target / "model.bin").open("r+b") as f:
        f.seek(1_000_000)
        byte = f.read(1)
        f.seek(1_000_000)
        f.write(bytes([byte[0] ^ 0x01]))
    return target


def test_a_corrupted_model_is_refused_never_loaded(model_dir: Path, tmp_path: Path) -> None:
    bad = _corrupt_copy(model_dir, tmp_path / "models" / BASE_NAME)
    with pytest.raises(ModelError, match="corrupt or was replaced") as caught:
        whisper_model(defaults(tmp_path))
    assert isinstance(caught.value, ConfigError) and "delete" in (caught.value.hint or "")
    with pytest.raises(ModelError):
        Speech(ModelFiles(bad, BASE_NAME, BASE_SHA256))


def test_a_model_swapped_after_lookup_is_refused_at_load(model_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "models" / BASE_NAME
    shutil.copytree(model_dir, copy)
    files = whisper_model(defaults(tmp_path))
    verify(files)
    (copy / "model.bin").write_bytes(b"not a model")
    with pytest.raises(ModelError, match="SHA-256"):
        Speech(files)


def test_a_configured_model_dir_is_used_as_given(model_dir: Path, tmp_path: Path) -> None:
    own = tmp_path / "agency-model"
    shutil.copytree(model_dir, own)
    config = defaults(tmp_path, {"CUSTODIO_CLASSIFY_MODEL_DIR": str(own)})
    files = whisper_model(config)
    assert files.path == own and files.name == "agency-model"
    assert files.expected == BASE_SHA256  # its digest, recorded, not compared with a pin
    assert not (tmp_path / "models").exists()  # the packaged one is not assembled


def test_a_configured_dir_that_is_not_a_model_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    config = defaults(tmp_path, {"CUSTODIO_CLASSIFY_MODEL_DIR": str(tmp_path / "empty")})
    with pytest.raises(ModelError, match="not a CTranslate2 Whisper model"):
        whisper_model(config)
