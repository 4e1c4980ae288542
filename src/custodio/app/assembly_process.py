"""``custodio serve``'s assembler in a process of its own.

Why: the assembler decodes every record again and writes the catalog and the vault. In the
receiver's process, under the same GIL, it cost the receiver ≈ 3–10 µs per PDU (see
docs/benchmarks.md, Handover). It reads the journal, not the sockets, so it runs here in a
child process — :mod:`multiprocessing` with the *spawn* start method: a fresh interpreter
that inherits no thread, lock, socket or database connection of the server — which opens
its own catalog connection and vault and reads the journal through a
:class:`~custodio.journal.JournalReader`, no further than the durable end the server
publishes after each fsync (one shared 64-bit integer).

What goes from ``serve`` to the child, through the pipe that multiprocessing uses to start
it (never a command line or an environment a process listing shows): the configuration,
the secrets the server's vault was unlocked with (:class:`RememberedSecrets`), the shared
durable end, and one end of a pipe. Over that pipe the child answers ``("ready", stats)``
once it is open (or ``("failed", …)`` and exits), sends its counters after its steps, and
stops when it reads ``"stop"`` or when the pipe closes (the server is gone). SIGINT is
ignored in the child (Ctrl-C reaches the whole process group: the server decides when its
assembler stops); SIGTERM makes it finish its step and exit, and the server starts a new one.

Exactly once across processes: the child is the only writer of the ``assemble`` consumer
position and of ``assembly_positions`` (each step commits both as before); it holds
``DATA_DIR/assembly.lock`` while it runs, and :func:`~custodio.datadir.lock_journal`
refuses to hand the journal to a new ``serve`` or tool while a former child still holds it.
The server keeps the journal and archives consumed segments as before: which segments are
consumed comes from the position files, written atomically by the child.

A child that dies is restarted by :meth:`AssemblyProcess.supervise` after 1 s (doubling up
to 60 s while children keep ending within a minute or failing to start), logged and audited
(``assembly.restarted``); receiving never waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import dataclasses
import logging
import multiprocessing
import os
import signal
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from types import FrameType
from typing import Any

from custodio import datadir
from custodio.access import vaults
from custodio.assemble.worker import Assembler, Timing
from custodio.config import Config
from custodio.db import Database
from custodio.errors import CustodioError, KeyProviderError
from custodio.handover.runtime import quiet_collector
from custodio.journal import Journal, JournalReader

log = logging.getLogger(__name__)

READY_TIMEOUT = 300.0  # opening: key derivation, catalog, rebuilding the open calls
STOP_TIMEOUT = 60.0  # the step in progress, then the child exits
STATS_EVERY = 0.25  # seconds between counter messages while records flow
RESTART_FIRST, RESTART_MAX = 1.0, 60.0
LOCK_WAIT = 30.0  # a former child finishing its step
# the child yields the CPU to the receiver when both want it: receiving is the durability
# point, assembly may lag (the journal holds the records) and catches up when CPU is free
NICE = 5


class AssemblyProcessError(CustodioError):
    """The assembler process could not start (its own error, carried over the pipe)."""

    exit_code = 14

    def __init__(self, message: str, *, hint: str | None = None, exit_code: int = 14) -> None:
        super().__init__(message, hint=hint)
        self.exit_code = exit_code


class RememberedSecrets:
    """Answers the vault's questions for the server (environment or prompt, as ``ask``
    does) and remembers the answers, to hand them to the assembler process."""

    def __init__(self, ask: Callable[[str, str], str]) -> None:
        self._ask = ask
        self.given: dict[str, str] = {}

    def __call__(self, name: str, prompt: str) -> str:
        if name not in self.given:
            self.given[name] = self._ask(name, prompt)
        return self.given[name]

    def __repr__(self) -> str:
        return f"RememberedSecrets({sorted(self.given)})"  # names only, never values


@dataclass(frozen=True)
class ChildSpec:
    """What the child needs; pickled into the spawn pipe."""

    config: Config
    secrets: Mapping[str, str] = field(repr=False)


def _answers(given: Mapping[str, str]) -> Callable[[str, str], str]:
    def answer(name: str, prompt: str) -> str:
        if name not in given:
            raise KeyProviderError(
                f"the assembler process needs {prompt!r}, which the server was not given"
            )
        return given[name]

    return answer


# --- the child -------------------------------------------------------------------------


def child_main(spec: ChildSpec, durable: Any, conn: Connection) -> None:
    """The assembler process: open, report ready, step until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    terminated: list[int] = []

    def on_term(signum: int, frame: FrameType | None) -> None:
        terminated.append(signum)

    signal.signal(signal.SIGTERM, on_term)
    os.nice(NICE)
    try:
        lock = datadir.lock_assembly(spec.config.data_dir, wait_s=LOCK_WAIT)
        assembler = _open(spec, durable)
    except CustodioError as e:
        with contextlib.suppress(OSError):
            conn.send(("failed", e.message, e.hint, e.exit_code))
        raise SystemExit(e.exit_code) from None
    try:
        quiet_collector()
        conn.send(("ready", dataclasses.asdict(assembler.stats), os.getpid()))
        _loop(assembler, conn, terminated)
    except (OSError, EOFError):
        pass  # the server is gone: stop
    finally:
        assembler.db.close()
        os.close(lock)


def _open(spec: ChildSpec, durable: Any) -> Assembler:
    cfg = spec.config
    s = cfg.settings
    db = Database(cfg.catalog_url, batch_max=s.catalog_batch_max)
    try:
        vault = vaults.open_vault(cfg, db, _answers(spec.secrets))
        journal = JournalReader(cfg.data_dir / datadir.JOURNAL, durable=lambda: int(durable.value))
        timing = Timing(s.assembly_inactivity_seconds, s.assembly_end_grace_seconds)
        return Assembler(db, vault, journal, timing)
    except BaseException:
        db.close()
        raise


def _loop(assembler: Assembler, conn: Connection, terminated: list[int]) -> None:
    sent = 0.0
    last: dict[str, Any] = {}
    while not terminated and not _stop_asked(conn):
        try:
            report = assembler.step()
        except CustodioError as e:
            log.error("assembly: %s; retrying in 1 s", e)
            report = None
        now = time.monotonic()
        stats = dataclasses.asdict(assembler.stats)
        if stats != last and now - sent >= STATS_EVERY:  # else sent after a later step
            conn.send(("stats", stats))
            sent, last = now, stats
        if report is None or not report.records:
            conn.poll(0.2 if report is not None else 1.0)  # wakes early on "stop"
    conn.send(("stats", dataclasses.asdict(assembler.stats)))


def _stop_asked(conn: Connection) -> bool:
    """Whether the server said stop (or closed the pipe: it is gone)."""
    while conn.poll():
        if conn.recv() == "stop":
            return True
    return False


# --- the server's side -----------------------------------------------------------------


class AssemblyProcess:
    """Starts, watches, restarts and stops the assembler process of one ``serve``."""

    def __init__(self, config: Config, secrets: Mapping[str, str], journal: Journal) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._spec = ChildSpec(config, dict(secrets))
        self._durable = self._context.RawValue(ctypes.c_int64, 0)
        journal.on_durable = self._publish
        self._durable.value = journal.durable_seq
        self._proc: Any = None  # multiprocessing's SpawnProcess
        self._conn: Connection | None = None
        self._ended = asyncio.Event()
        self._started_at = 0.0
        self.pid = 0
        self.restarts = 0
        self.stats: dict[str, Any] = {}

    def _publish(self, seq: int) -> None:
        self._durable.value = seq

    def health(self) -> dict[str, Any]:
        running = self._proc is not None and not self._ended.is_set()
        return {**self.stats, "pid": self.pid, "restarts": self.restarts, "running": running}

    async def start(self) -> dict[str, Any]:
        """Start the child; its counters once it is open. Raises its error if it cannot."""
        self._ended = asyncio.Event()
        conn, child = self._context.Pipe()
        proc = self._context.Process(
            target=child_main, args=(self._spec, self._durable, child),
            name="custodio-assembly", daemon=True,
        )  # fmt: skip
        await asyncio.to_thread(proc.start)
        child.close()
        self._proc = proc
        try:
            message = await asyncio.to_thread(_first_message, conn, proc)
        except BaseException:
            conn.close()
            await asyncio.to_thread(_reap, proc, STOP_TIMEOUT)
            raise
        self._conn, self.pid, self.stats = conn, int(message[2]), dict(message[1])
        self._started_at = time.monotonic()
        asyncio.get_running_loop().add_reader(conn.fileno(), self._readable)
        return self.stats

    def _readable(self) -> None:
        conn = self._conn
        assert conn is not None
        try:
            while conn.poll():
                message = conn.recv()
                if message[0] == "stats":
                    self.stats = dict(message[1])
        except (EOFError, OSError):
            asyncio.get_running_loop().remove_reader(conn.fileno())
            self._ended.set()

    async def supervise(
        self, stopping: asyncio.Event, restarted: Callable[[dict[str, Any]], Awaitable[None]]
    ) -> None:
        """Restart the child whenever it ends, until ``stopping`` is set.

        The wait before a restart doubles (1 s … 60 s) while children keep ending within a
        minute or failing to start — a record that crashes every child is not retried, and
        audited, once a second — and is back to 1 s after a child that ran a minute.
        """
        delay = RESTART_FIRST / 2
        while not stopping.is_set():
            await _first_of(self._ended, stopping)
            if stopping.is_set():
                return
            before, code = self.pid, await asyncio.to_thread(_reap, self._proc, STOP_TIMEOUT)
            lived = time.monotonic() - self._started_at
            delay = RESTART_FIRST if lived >= RESTART_MAX else min(delay * 2, RESTART_MAX)
            log.error(
                "assembly process %d ended (exit code %s) after %.0f s; restarting in %.0f s",
                before, code, lived, delay,
            )  # fmt: skip
            while not stopping.is_set():
                await _first_of(stopping, timeout=delay)
                if stopping.is_set():
                    return
                try:
                    await self.start()
                    break
                except (CustodioError, OSError) as e:
                    delay = min(delay * 2, RESTART_MAX)
                    log.error("assembly process: %s; retrying in %.0f s", e, delay)
            self.restarts += 1
            log.warning("assembly process restarted: %d (was %d)", self.pid, before)
            await restarted(
                {"pid": self.pid, "previous_pid": before, "exit_code": code,
                 "lived_seconds": round(lived, 1), "restarts": self.restarts}
            )  # fmt: skip

    async def stop(self) -> None:
        """Ask the child to finish its step and exit; terminate it if it does not."""
        conn, proc = self._conn, self._proc
        if proc is None:
            return
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.send("stop")
        await asyncio.to_thread(_reap, proc, STOP_TIMEOUT)
        if conn is not None and not self._ended.is_set():
            with contextlib.suppress(OSError, EOFError):
                self._readable()  # its last counters
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(conn.fileno())
            conn.close()
        self._ended.set()


def _first_message(conn: Connection, proc: Any) -> tuple[Any, ...]:
    """The child's ``ready`` message; its error when it failed or ended first."""
    if not conn.poll(READY_TIMEOUT):
        raise AssemblyProcessError(
            f"the assembler process did not become ready in {READY_TIMEOUT:.0f} s"
        )
    try:
        message = conn.recv()
    except EOFError:
        proc.join(STOP_TIMEOUT)
        raise AssemblyProcessError(
            f"the assembler process ended while opening (exit code {proc.exitcode})",
            hint="its error is above, on standard error",
        ) from None
    if message[0] == "failed":
        _, text, hint, code = message
        raise AssemblyProcessError(text, hint=hint, exit_code=code)
    return tuple(message)


def _reap(proc: Any, timeout: float) -> int | None:
    """Wait for the child to exit; SIGTERM, then SIGKILL, when it will not."""
    proc.join(timeout)
    if proc.exitcode is None:
        log.error("assembly process %d did not stop in %.0f s; terminating it", proc.pid, timeout)
        proc.terminate()
        proc.join(10)
    if proc.exitcode is None:
        proc.kill()
        proc.join()
    return proc.exitcode  # type: ignore[no-any-return]


async def _first_of(event: asyncio.Event, other: asyncio.Event | None = None, *,
                    timeout: float | None = None) -> None:  # fmt: skip
    """Until ``event`` (or ``other``) is set, or ``timeout`` seconds."""
    waits = [asyncio.ensure_future(e.wait()) for e in (event, other) if e is not None]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
