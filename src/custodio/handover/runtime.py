"""The handover stage as ``custodio serve`` runs it: journal, quarantine, both listeners.

::

    handover = Handover.open(config, db)      # recovers the journal
    await handover.start(hi2, hi3)            # -> bound addresses
    ...
    await handover.stop()                     # listeners closed, journal flushed and closed
"""

from __future__ import annotations

import gc
import json
import logging
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from custodio import datadir
from custodio.config import Config
from custodio.db import Database
from custodio.errors import ConfigError
from custodio.etsi.ber import Limits
from custodio.handover.integrity import IntegrityChecker
from custodio.handover.limits import ConnectionLimits
from custodio.handover.listener import HI2, HI3, Receiver
from custodio.handover.operators import OperatorMap, server_context
from custodio.handover.quarantine import Quarantine
from custodio.journal import Journal

log = logging.getLogger(__name__)


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
        operators = OperatorMap.from_pairs(s.handover_operators)
        integrity = IntegrityChecker.from_setting(s.handover_integrity_keys, config.data_dir)
        lock = datadir.lock_journal(config.data_dir, wait_s=30.0)
        try:
            receiver = cls._receiver(config, db, operators, integrity)
        except BaseException:
            datadir.release(lock)
            raise
        return cls(config, receiver, tls, lock)

    @staticmethod
    def _receiver(
        config: Config, db: Database | None, operators: OperatorMap, integrity: IntegrityChecker
    ) -> Receiver:
        s = config.settings
        connection_limits = ConnectionLimits.from_settings(s)  # checked before the journal opens
        journal = Journal.open(
            config.data_dir / datadir.JOURNAL,
            segment_size=s.journal_segment_mib << 20,
            max_pending=s.journal_max_pending,
        )
        quarantine = Quarantine(config.data_dir / datadir.QUARANTINE)
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
            datadir.release(self._lock)
            self._lock = None

    def _save_sequences(self) -> None:
        path = self.config.data_dir / datadir.SEQUENCES
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self.receiver.tracker.snapshot(), f)
        tmp.replace(path)

    def health(self) -> dict[str, object]:
        return self.receiver.health()
