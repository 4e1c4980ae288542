"""The CLI's session file: one per service (by its URL), the user's own, never followed
through a link, never used when others can read it (client/session_file.py)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from custodio.client import session_file
from custodio.client.session_file import Saved
from custodio.errors import ConfigError

SERVER = "http://127.0.0.1:8480"
SAVED = Saved("inv1", "t" * 43, "2026-11-29T12:00:00.000000Z", SERVER)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config" / "custodio"


def test_saved_0600_in_a_0700_directory_and_read_back(home: Path) -> None:
    path = session_file.save(SERVER, SAVED)
    assert path.parent == home
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert session_file.load(SERVER) == SAVED
    assert session_file.save(SERVER, SAVED) == path  # replaced, not doubled
    assert [p.name for p in home.iterdir()] == [path.name]


def test_one_file_per_service_by_its_url(home: Path) -> None:
    other = "http://127.0.0.1:8481"
    assert session_file.path_for(other) != session_file.path_for(SERVER)
    assert session_file.path_for(other).parent == session_file.path_for(SERVER).parent == home
    session_file.save(SERVER, SAVED)
    assert session_file.load(other) is None
    elsewhere = Saved("wo", "u" * 43, SAVED.expires_at, other)
    session_file.save(other, elsewhere)
    assert (session_file.load(SERVER), session_file.load(other)) == (SAVED, elsewhere)
    assert session_file.remove(other) and session_file.load(SERVER) == SAVED


def test_a_directory_others_could_enter_is_closed(home: Path) -> None:
    home.mkdir(parents=True, mode=0o755)
    home.chmod(0o755)
    session_file.save(SERVER, SAVED)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700


def test_a_file_others_can_read_is_refused(home: Path) -> None:
    path = session_file.save(SERVER, SAVED)
    path.chmod(0o640)
    with pytest.raises(ConfigError, match=r"readable by others \(-rw-r-----\): not used"):
        session_file.load(SERVER)


def test_a_link_is_never_followed(home: Path, tmp_path: Path) -> None:
    path = session_file.save(SERVER, SAVED)
    elsewhere = tmp_path / "elsewhere.json"
    os.replace(path, elsewhere)
    path.symlink_to(elsewhere)
    with pytest.raises(ConfigError, match="not used"):
        session_file.load(SERVER)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"[]",
        b'{"user": "x"}',
        b'{"user": 1, "token": "t", "expires_at": "", "server": ""}',
        b'{"user": "x", "token": "t", "expires_at": "", "data_dir": ""}',
        b"{" + b" " * 5000 + b"}",
    ],
)
def test_anything_but_a_session_file_is_refused(home: Path, content: bytes) -> None:
    path = session_file.save(SERVER, SAVED)
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="not a session file"):
        session_file.load(SERVER)


def test_remove(home: Path) -> None:
    session_file.save(SERVER, SAVED)
    assert session_file.remove(SERVER) is True
    assert session_file.remove(SERVER) is False


@pytest.mark.skipif(os.getuid() != 0, reason="giving a file to another user needs root")
def test_a_file_of_another_user_is_refused(home: Path) -> None:
    path = session_file.save(SERVER, SAVED)
    os.chown(path, 65534, 65534)
    with pytest.raises(ConfigError, match="not a regular file of yours: not used"):
        session_file.load(SERVER)
