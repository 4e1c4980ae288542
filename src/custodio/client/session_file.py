"""The session token that ``custodio login`` leaves for the commands after it.

One file per service, in the user's own configuration directory
(``$XDG_CONFIG_HOME/custodio`` or ``~/.config/custodio``, made 0700), named by the SHA-256
of the service's URL: ``session-<hex>.json`` holding the user's name, the token, when the
session ends at the latest and the URL. The file is the user's only (0600),
created exclusively without following a link (``O_CREAT | O_EXCL | O_NOFOLLOW``), written
whole beside its final name and renamed into place. A file that is not a regular file of
the user's, or that group or others may read, is refused, never used.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from custodio import config
from custodio.errors import ConfigError

DIR_MODE = 0o700
FILE_MODE = 0o600
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC
MAX_BYTES = 4096


@dataclass(frozen=True)
class Saved:
    user: str
    token: str
    expires_at: str
    server: str


def path_for(server: str) -> Path:
    digest = hashlib.sha256(server.encode("utf-8")).hexdigest()
    return config.user_config_dir() / f"session-{digest}.json"


def save(server: str, saved: Saved) -> Path:
    """Write ``saved`` for ``server``, replacing what was there; the file's path."""
    target = path_for(server)
    _own_directory(target.parent)
    partial = target.with_name(f".{target.name}.{secrets.token_hex(8)}")
    text = json.dumps(saved.__dict__).encode("utf-8")
    try:
        fd = os.open(partial, _CREATE, FILE_MODE)
    except OSError as e:
        raise ConfigError(f"cannot write the session file {partial}: {e.strerror}") from e
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def load(server: str) -> Saved | None:
    """What ``custodio login`` saved for ``server``, or None if nothing was."""
    path = path_for(server)
    try:
        fd = os.open(path, _READ)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise _refused(path, e.strerror or "cannot be opened") from e
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid():
            raise _refused(path, "not a regular file of yours")
        if info.st_mode & 0o077:
            raise _refused(path, f"readable by others ({stat.filemode(info.st_mode)})")
        raw = file.read(MAX_BYTES + 1)
    try:
        fields = json.loads(raw) if len(raw) <= MAX_BYTES else None
    except ValueError as e:
        raise _refused(path, "not a session file") from e
    if not isinstance(fields, dict) or set(fields) != set(Saved.__dataclass_fields__):
        raise _refused(path, "not a session file")
    if not all(isinstance(value, str) for value in fields.values()):
        raise _refused(path, "not a session file")
    return Saved(**fields)


def remove(server: str) -> bool:
    """Forget the session of ``server``; False if there was none."""
    try:
        path_for(server).unlink()
    except FileNotFoundError:
        return False
    return True


def _own_directory(directory: Path) -> None:
    directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    info = directory.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise ConfigError(f"{directory} is not a directory of yours: no session file written")
    if info.st_mode & 0o077:
        directory.chmod(DIR_MODE)


def _refused(path: Path, why: str) -> ConfigError:
    return ConfigError(
        f"the session file {path} is {why}: not used",
        hint="remove it and log in again: `custodio login`",
    )
