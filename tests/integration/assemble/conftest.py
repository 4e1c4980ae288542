"""A running handover (real TCP listeners over a real journal), the simulator, the assembler.

``line`` gives a World (tests/integration/conftest.py) whose warrant also binds the
simulator's first LIID, a vault, and a journal fed by real listeners; ``deliver`` runs the
operator simulator against them; ``assemble`` catches the assembler up with the journal.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from custodio.access import casework, vaults
from custodio.assemble.worker import Assembler, Timing
from custodio.catalog import identifiers
from custodio.handover.listener import HI2, HI3, Receiver
from custodio.handover.quarantine import Quarantine
from custodio.journal import Journal
from custodio.simulator import media
from custodio.simulator.mediator import Options, Report, simulate
from custodio.vault.store import Vault
from tests.integration.conftest import CASE, World, new_warrant, secrets

OPERATOR = "OPERADOR-ES"
LIID = "ES-LIID-0000"
TARGET_NUMBER = "+34600111222"  # the world's warrant's target: the simulator's first


@dataclass
class Line:
    world: World
    vault: Vault
    directory: Path
    timing: Timing = field(default_factory=lambda: Timing(inactivity_seconds=3600))

    def deliver(self, **options: Any) -> Report:
        """Run the simulator against real listeners over this line's journal."""
        return asyncio.run(_deliver(self.directory, options))

    def assembler(self, journal: Journal, **timing: Any) -> Assembler:
        t = Timing(**{**self.timing.__dict__, **timing})
        return Assembler(self.world.svc.db, self.vault, journal, t)

    def assemble(self, *, final: bool = True, idle: bool = False, **timing: Any) -> Assembler:
        """Apply the whole journal, then close what has its IRI-End (``--once``); with
        ``idle`` also what an hour of silence would close (no IRI-End: a timeout)."""
        journal = Journal.open(self.directory / "journal")
        try:
            assembler = self.assembler(journal, **timing)
            while assembler.step().records:
                pass
            if final:
                assembler.step(final=True)
            if idle:
                assembler.step(now_ns=time.time_ns() + 7200 * 10**9)
            return assembler
        finally:
            journal.close_sync()

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        return self.world.svc.db.read(lambda tx: tx.all(sql, params))


async def _deliver(directory: Path, options: dict[str, Any]) -> Report:
    journal = Journal.open(directory / "journal")
    await journal.start()
    quarantine = Quarantine(directory / "handover-quarantine")
    receiver = Receiver(journal, quarantine)
    try:
        hi2 = await receiver.listen(HI2, "127.0.0.1", 0)
        hi3 = await receiver.listen(HI3, "127.0.0.1", 0)
        # acknowledgements: the simulator ends only when everything it sent is durable
        defaults: dict[str, Any] = {
            "realtime": False, "seed": 7, "targets": 1, "duration": 1.0, "ack_every": 100,
        }  # fmt: skip
        report = await simulate(Options(hi2=hi2, hi3=hi3, **{**defaults, **options}))
        assert not report.error, report.error
        assert report.acks_answered == report.acks_requested, report.summary()
        return report
    finally:
        await receiver.close()
        await journal.close()
        await quarantine.close()


@pytest.fixture
def line(world: World, tmp_path: Path) -> Iterator[Line]:
    """The world's warrant binds the simulator's first LIID at the simulator's operator."""
    wo = world.as_("wo")
    casework.bind_liid(world.svc, wo, CASE, "AUTO 45/2026", LIID, OPERATOR)
    vault = vaults.open_vault(world.svc.config, world.svc.db, secrets)
    directory = tmp_path / "line"
    directory.mkdir()
    yield Line(world, vault, directory)


def add_warrant(line: Line, reference: str, liid: str, **changes: Any) -> None:
    """Another warrant of the case binding ``liid`` (its own target: the 18-month rule)."""
    target = (identifiers.parse(f"e164:+3460011{random.randrange(1000, 9999)}"),)
    new = new_warrant(reference, liids=((liid, OPERATOR),), targets=target, **changes)
    casework.add_warrant(line.world.svc, line.world.as_("wo"), CASE, new)


def phones(index: int) -> tuple[str, str]:
    """The calling and called numbers the simulator gives call ``index`` of the first
    target (whose number, +34600111222, the line's warrant names): the target calls in
    even calls and is called in odd ones."""
    rng = random.Random(index)
    other = "+346" + "".join(str(rng.randrange(10)) for _ in range(8))
    return (TARGET_NUMBER, other) if index % 2 == 0 else (other, TARGET_NUMBER)


def sent_audio(index: int, duration: float, language: str) -> bytes:
    """The A-law octets the simulator sent for call ``index`` in one direction."""
    frames = media.frames(media.speech(language))
    ticks = max(1, int(duration * 1000 / media.FRAME_MS))
    return b"".join(frames[(n + index) % len(frames)] for n in range(ticks))


def journal_sequences(directory: Path) -> dict[tuple[int | None, int], set[int]]:
    """(CIN, channel) -> the PS-PDU sequence numbers the journal holds (TRI left out)."""
    journal = Journal.open(directory / "journal")
    try:
        seen: dict[tuple[int | None, int], set[int]] = {}
        for record in journal.read(0, 10**9):
            if record.routing.payload_kind in (0, 1):
                key = (record.routing.cin, record.routing.channel)
                seen.setdefault(key, set()).add(record.routing.pdu_seq)
        return seen
    finally:
        journal.close_sync()


def missing_ranges(seen: set[int]) -> list[list[int]]:
    """Numbers missing from 0 to the highest seen, as ``[first, last]`` ranges."""
    missing = sorted(set(range(max(seen) + 1)) - seen)
    ranges: list[list[int]] = []
    for n in missing:
        if ranges and ranges[-1][1] == n - 1:
            ranges[-1][1] = n
        else:
            ranges.append([n, n])
    return ranges


from tests.integration.cli_in_process import (  # noqa: E402, F401 (fixtures; they use line)
    custodio,
    environment,
    service_url,
)
