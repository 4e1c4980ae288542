"""The data directory: what lies where in it, and which process holds what.

::

    custodio.toml              the settings (config.py; owner-only)
    catalog.sqlite3            the embedded catalog (unless catalog_url names PostgreSQL)
    audit-signing.key          the audit log's checkpoint key
    second-factor.key          seals the users' TOTP secrets in the catalog
    vault.key                  the vault's key file (unless vault_key_file names another)
    objects/                   the directory backend's objects (unless vault_directory, S3)
    journal/                   the ingest journal: the receiver writes it, assembly reads it
    quarantine/                what the receiver could not parse or refused, verbatim
    assembly-spool/            open calls' growing audio and held PDUs (emptied at start)
    handover-sequences.json    the receiver's sequence accounting, kept across restarts
    models/                    the speech-to-text model, assembled from its packages
    journal.lock               held by the journal's one writer: serve, or a tool
    assembly.lock              held by serve's assembler process while it runs

The paths of the settings' own files (catalog, keys, vault) are :class:`~custodio.config.
Config`'s; everything else that a part of Custodio keeps here is named below, once, with
the two locks that keep two processes from writing the journal or assembling at once.
"""

from __future__ import annotations

import fcntl
import os
import stat
import time
from pathlib import Path

from custodio.errors import ConfigError, Conflict

JOURNAL = "journal"
QUARANTINE = "quarantine"
ASSEMBLY_SPOOL = "assembly-spool"
SEQUENCES = "handover-sequences.json"
MODELS = "models"
JOURNAL_LOCK = "journal.lock"
ASSEMBLY_LOCK = "assembly.lock"
PRIVATE_UMASK = 0o077  # what the service's processes create: owner-only (0700 / 0600)


def write_new_private(path: Path, data: bytes) -> None:
    """Create ``path`` holding ``data``, owner-only (0600), durably; FileExistsError if
    something is there already (a key file is never overwritten)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def check_private(data_dir: Path) -> None:
    """Refuse a data directory that its group or others may reach: the directory itself
    and everything directly in it must be owner-only (what lies deeper is made so by the
    service's :data:`PRIVATE_UMASK` and the owner-only directories above it)."""
    exposed = [p for p in (data_dir, *sorted(data_dir.iterdir())) if _shared(p)]
    if exposed:
        names = ", ".join(
            f"{p.name or p} ({stat.filemode(p.lstat().st_mode)})" for p in exposed[:5]
        )
        raise ConfigError(
            f"the data directory {data_dir} is readable by others than its owner: {names}"
            + (f" and {len(exposed) - 5} more" if len(exposed) > 5 else ""),
            hint=f"it holds the catalog, keys and evidence: `chmod -R go= {data_dir}`",
        )


def _shared(path: Path) -> bool:
    return bool(path.lstat().st_mode & 0o077)


def _take(path: Path, *, wait_s: float = 0.0) -> int | None:
    """An exclusive lock on ``path`` (created owner-only), waiting up to ``wait_s``: its
    descriptor, or None when another process holds it still."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except OSError:
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(0.1)


def release(fd: int) -> None:
    """Let a lock go (closing its descriptor releases it)."""
    os.close(fd)


def lock_journal(data_dir: Path, *, wait_s: float = 0.0) -> int:
    """Hold the journal of ``data_dir`` for this process (one writer: serve or a tool).

    Returns the descriptor to :func:`release`; raises Conflict while another process
    holds it (``custodio serve`` is running). An assembler left by a ``serve`` killed with
    -9 ends on its own within seconds: it is waited for up to ``wait_s``.
    """
    fd = _take(data_dir / JOURNAL_LOCK)
    if fd is None:
        raise Conflict(
            f"the journal in {data_dir} is in use by another process",
            hint="`custodio serve` holds it (and archives it every journal_archive_seconds);"
            " stop it first",
        )
    # only a serve holding the journal lock starts assemblers: none can appear now, and
    # one left by a serve killed with -9 is waited for
    probe = _take(data_dir / ASSEMBLY_LOCK, wait_s=wait_s)
    if probe is None:
        release(fd)
        raise Conflict(
            f"an assembler process still works on {data_dir}",
            hint="the assembler of a `custodio serve` that was killed finishes its step and"
            " exits within seconds; try again",
        )
    release(probe)
    return fd


def lock_assembly(data_dir: Path, *, wait_s: float) -> int:
    """Hold ``assembly.lock``: one assembler per data directory, waiting up to ``wait_s``
    for a former one to finish its step."""
    fd = _take(data_dir / ASSEMBLY_LOCK, wait_s=wait_s)
    if fd is None:
        raise Conflict(
            f"another assembler holds {data_dir / ASSEMBLY_LOCK}",
            hint="a former `custodio serve`'s assembler process is still running",
        )
    return fd
