"""The handover stage as ``custodio serve`` runs it: journal, quarantine, both listeners.

::

    handover = Handover.open(config, db)      # recovers the journal
    await handover.start(hi2, hi3)            # -> bound addresses
    ...
    await handover.stop()                     # listeners closed, journal flushed and closed
"""

from __future__ import annotations

import fcntl
import gc
import json
import logging
import os
import ssl
import time
from dataclasses import dataclass
from pathlib import Path

from custodio.config import Config
from custodio.db import Database
from custodio.errors import ConfigError, Conflict
from custodio.handover.ber import Limits
from custodio.handover.integrity import IntegrityChecker
from custodio.handover.limits import ConnectionLimits
from custodio.handover.listener import HI2, HI3, Receiver
from custodio.handover.operators import OperatorMap, server_context
from custodio.handover.quarantine import Quarantine
from custodio.journal import Journal

log = logging.getLogger(__name__)

JOURNAL_DIR = "journal"
QUARANTINE_DIR = "quarantine"
SEQUENCES_FILE = "handover-sequences.json"
LOCK_FILE = "journal.lock"
ASSEMBLY_LOCK_FILE = "assembly.lock"  # held by serve's assembler process while it runs


@dataclass(frozen=True)
class Bound:
    """Where a listener listens."""

    name: str
    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


YOUNG_COLLECTION = 100_000  # net new container objects between two young collections


def quiet_collector() -> None:
    """Tune Python's cyclic garbage collector for the receiving process and the assembler
    (call once, after start-up). A read's records live a few milliseconds, until their
    batch is durable; with the default young-generation threshold (700 net allocations)
    they were found alive and promoted, and the full collections this brought paused the
    event loop for 40-60 ms every few seconds at 30,000 PDUs/s (the socket→durable p99).
    The assembler's batch of records lives for its step, with the same effect: a quarter
    of its CPU went to collections. What start-up made is frozen (never scanned again),
    and the young generation is collected every :data:`YOUNG_COLLECTION` net allocations:
    almost nothing either makes forms a cycle, and what garbage cycles there are stay
    bounded by that count."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION, middle, old)


def tls_context(config: Config) -> ssl.SSLContext | None:
    """The listeners' TLS context from the settings, or None for plain TCP."""
    s = config.settings
    if not (s.handover_tls_cert or s.handover_tls_key or s.handover_tls_ca):
        return None
    if not (s.handover_tls_cert and s.handover_tls_key and s.handover_tls_ca):
        raise ConfigError(
            "handover TLS needs handover_tls_cert, handover_tls_key and handover_tls_ca",
            hint="set all three (PEM files) or none of them for plain TCP",
        )
    return server_context(
        _path(config, s.handover_tls_cert),
        _path(config, s.handover_tls_key),
        _path(config, s.handover_tls_ca),
    )


def lock_journal(data_dir: Path, *, wait_s: float = 0.0) -> int:
    """Hold the journal of ``data_dir`` for this process (one writer: serve or a tool).

    Returns the descriptor to :func:`unlock_journal`; raises Conflict while another process
    holds it (``custodio serve`` is running). An assembler left by a ``serve`` killed with
    -9 ends on its own within seconds: it is waited for up to ``wait_s``.
    """
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise Conflict(
            f"the journal in {data_dir} is in use by another process",
            hint="`custodio serve` holds it (and archives it every journal_archive_seconds);"
            " stop it first",
        ) from None
    deadline = time.monotonic() + wait_s
    while _assembler_running(data_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _assembler_running(data_dir):
        os.close(fd)
        raise Conflict(
            f"an assembler process still works on {data_dir}",
            hint="the assembler of a `custodio serve` that was killed finishes its step and"
            " exits within seconds; try again",
        )
    return fd


def _assembler_running(data_dir: Path) -> bool:
    """Whether a process holds ``assembly.lock`` (a probe: take it and let it go).

    Only a ``serve`` holding the journal lock starts assemblers, so once the journal lock
    is ours none can appear; one left by a ``serve`` killed with -9 may still be ending.
    """
    fd = os.open(data_dir / ASSEMBLY_LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing releases the lock
    return False


def unlock_journal(fd: int) -> None:
    os.close(fd)


def _path(config: Config, value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else config.data_dir / path


class Handover:
    """Owns the journal, the quarantine and the receiver of one ``custodio serve``."""

    def __init__(
        self, config: Config, receiver: Receiver, tls: ssl.SSLContext | None, lock: int
    ) -> None:
        self.config = config
        self.receiver = receiver
        self.tls = tls
        self._lock: int | None = lock

    @classmethod
    def open(cls, config: Config, db: Database | None) -> Handover:
        s = config.settings
        tls = tls_context(config)
        operators = OperatorMap.parse(s.handover_operators)
        integrity = IntegrityChecker.from_setting(s.handover_integrity_keys, config.data_dir)
        lock = lock_journal(config.data_dir, wait_s=30.0)
        try:
            receiver = cls._receiver(config, db, operators, integrity)
        except BaseException:
            unlock_journal(lock)
            raise
        return cls(config, receiver, tls, lock)

    @staticmethod
    def _receiver(
        config: Config, db: Database | None, operators: OperatorMap, integrity: IntegrityChecker
    ) -> Receiver:
        s = config.settings
        connection_limits = ConnectionLimits.from_settings(s)  # checked before the journal opens
        journal = Journal.open(
            config.data_dir / JOURNAL_DIR,
            segment_size=s.journal_segment_mib << 20,
            max_pending=s.journal_max_pending,
        )
        quarantine = Quarantine(config.data_dir / QUARANTINE_DIR)
        limits = Limits(max_pdu_size=s.handover_max_pdu_octets)
        return Receiver(
            journal,
            quarantine,
            db=db,
            operators=operators,
            limits=limits,
            integrity=integrity,
            connection_limits=connection_limits,
        )

    async def start(self, hi2: tuple[str, int], hi3: tuple[str, int]) -> list[Bound]:
        await self.receiver.journal.start()
        scheme = "tls" if self.tls else "tcp"
        bound = []
        for name, channel, (host, port) in (("hi2", HI2, hi2), ("hi3", HI3, hi3)):
            try:
                got = await self.receiver.listen(channel, host, port, self.tls)
            except OSError as e:
                await self.stop()
                raise ConfigError(
                    f"cannot listen on {host}:{port} for {name}: {e.strerror}",
                    hint=f"choose another --{name} HOST:PORT",
                ) from e
            bound.append(Bound(name, scheme, *got))
        return bound

    async def stop(self) -> None:
        """Close the listeners, let what was read become durable, close the files."""
        await self.receiver.close()
        await self.receiver.journal.close()
        await self.receiver.quarantine.close()
        self._save_sequences()
        if self._lock is not None:
            unlock_journal(self._lock)
            self._lock = None

    def _save_sequences(self) -> None:
        path = self.config.data_dir / SEQUENCES_FILE
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self.receiver.tracker.snapshot(), f)
        tmp.replace(path)

    def health(self) -> dict[str, object]:
        return self.receiver.health()
