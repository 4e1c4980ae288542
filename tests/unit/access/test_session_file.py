"""The CLI's session file: the user's own, never followed through a link, never used when
others can read it (access/cli/session_file.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from custodio.client import session_file
from custodio.client.session_file import Saved
from custodio.errors import ConfigError

SAVED = Saved("inv1", "t" * 43, "2026-11-29T12:00:00.000000Z", "/data")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "custodio"


def test_saved_0600_in_a_0700_directory_and_read_back(home: Path, tmp_path: Path) -> None:
    path = session_file.save(tmp_path / "data", SAVED)
    assert path.parent == home
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert session_file.load(tmp_path / "data") == SAVED
    assert session_file.save(tmp_path / "data", SAVED) == path  # replaced, not doubled
    assert [p.name for p in home.iterdir()] == [path.name]


def test_one_file_per_data_directory_by_its_resolved_path(home: Path, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    same = tmp_path / "data" / ".." / "data"
    assert session_file.path_for(same) == session_file.path_for(tmp_path / "data")
    assert session_file.path_for(tmp_path / "other") != session_file.path_for(tmp_path / "data")
    assert session_file.load(tmp_path / "other") is None


def test_a_directory_others_could_enter_is_closed(home: Path, tmp_path: Path) -> None:
    home.mkdir(parents=True, mode=0o755)
    home.chmod(0o755)
    session_file.save(tmp_path / "data", SAVED)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_a_file_others_can_read_is_refused(home: Path, tmp_path: Path) -> None:
    path = session_file.save(tmp_path / "data", SAVED)
    path.chmod(0o640)
    with pytest.raises(ConfigError, match=r"readable by others \(-rw-r-----\): not used"):
        session_file.load(tmp_path / "data")


def test_a_link_is_never_followed(home: Path, tmp_path: Path) -> None:
    path = session_file.save(tmp_path / "data", SAVED)
    elsewhere = tmp_path / "elsewhere.json"
    os.replace(path, elsewhere)
    path.symlink_to(elsewhere)
    with pytest.raises(ConfigError, match="not used"):
        session_file.load(tmp_path / "data")


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"[]",
        b'{"user": "x"}',
        b'{"user": 1, "token": "t", "expires_at": "", "data_dir": ""}',
        b"{" + b" " * 5000 + b"}",
    ],
)
def test_anything_but_a_session_file_is_refused(home: Path, tmp_path: Path, content: bytes) -> None:
    path = session_file.save(tmp_path / "data", SAVED)
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="not a session file"):
        session_file.load(tmp_path / "data")


def test_remove(home: Path, tmp_path: Path) -> None:
    session_file.save(tmp_path / "data", SAVED)
    assert session_file.remove(tmp_path / "data") is True
    assert session_file.remove(tmp_path / "data") is False
