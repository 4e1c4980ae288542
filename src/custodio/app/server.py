"""``custodio serve``: the long-running service.

It runs the HI2 and HI3 handover listeners (:mod:`custodio.handover.runtime`) over the
journal in ``DATA_DIR/journal`` and, when it was given the vault, the assembler
(:mod:`custodio.assemble.worker`) in a child process consuming that journal
(:mod:`custodio.app.assembly_process`: restarted if it dies, receiving never waits
for it). Over HTTP (:mod:`custodio.app.http`: uvicorn in the same event loop) it serves
the REST API (:mod:`custodio.access.api`, under ``/api/v1``, its document at
``/openapi.json``), ``GET /health`` (status, handover and assembly counters,
JSON) and ``GET /metrics`` (the same numbers and the classification jobs by state, for
Prometheus), and signs an audit checkpoint whenever the log has grown, every
``audit_checkpoint_seconds``. SIGINT and
SIGTERM stop it cleanly: the assembler finishes its step, the listeners close, what was
read becomes durable, the journal is flushed and closed, a last checkpoint is signed, the
stop is audited; the HTTP service stops last.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from custodio import __version__
from custodio.access import auditing
from custodio.access.service import Service
from custodio.app import http
from custodio.app.assembly_process import AssemblyProcess
from custodio.assemble.archive import Archiver
from custodio.catalog import jobs as queue
from custodio.classify import executors
from custodio.classify.jobs import JobContext
from custodio.config import Address
from custodio.errors import CustodioError
from custodio.handover.runtime import Bound, Handover
from custodio.vault.store import Vault

log = logging.getLogger(__name__)
UNSAFE_SECOND_FACTOR = (
    'auth_second_factor = "off": investigators, interpreters and judges reach content '
    "without a second factor; for tests and development only (docs/configuration.md)"
)


@dataclass(frozen=True)
class Endpoints:
    http: Address
    hi2: Address
    hi3: Address


class Server:
    def __init__(
        self,
        svc: Service,
        endpoints: Endpoints,
        announce: Callable[[str], None],
        vault: Vault | None = None,
        secrets: Mapping[str, str] | None = None,
    ) -> None:
        self.svc = svc
        self.endpoints = endpoints
        self.http = endpoints.http
        self.announce = announce
        self.vault = vault
        self.secrets = dict(secrets or {})  # what unlocked the vault, for the assembler process
        self.handover: Handover | None = None
        self.assembly: AssemblyProcess | None = None
        self.archiver: Archiver | None = None
        self._stopping = asyncio.Event()
        self._assembly_stop = asyncio.Event()
        # classification jobs (docs/classification.md, "Jobs"); a bad setting fails here
        self.jobs = executors.for_config(JobContext(svc.config, svc.db, vault)) if vault else None

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._stopping.set)
        app = http.build(self.svc, self.vault, self.health, self.metrics)
        server = http.Http(app, self.http)
        bound = server.bind()
        try:
            handover = await self._start_handover()
            await server.start()
        except BaseException:
            await server.stop()
            raise
        where = {f"{b.name}": str(b) for b in handover}
        await asyncio.to_thread(self._record_start, {"http": f"{bound[0]}:{bound[1]}", **where})
        for b in handover:
            self.announce(f"{b.name} listening on {b}")
        try:
            assembling = await self._start_assembly()
        except BaseException:  # the assembler cannot open: stop as cleanly as we can
            await self._stop_handover()
            await server.stop()
            raise
        self.announce(f"API: http://{bound[0]}:{bound[1]}/api/v1 (its document at /openapi.json)")
        archiving = self._start_archiving()
        if self.jobs is not None:
            self.jobs.start()
            self.announce(f"classification jobs: {self.svc.config.settings.jobs_executor} executor")
        self.announce("press Ctrl-C to stop")
        checkpoints = asyncio.create_task(self._checkpoints())
        await self._stopping.wait()
        self._assembly_stop.set()
        if assembling is not None:
            await assembling
        if self.assembly is not None:
            await self.assembly.stop()
        if archiving is not None:
            await archiving
        await self._stop_handover()
        if self.jobs is not None:
            await asyncio.to_thread(self.jobs.stop)  # after the jobs in progress
        await server.stop()
        checkpoints.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await checkpoints
        await asyncio.to_thread(self._stop)
        self.announce("custodio stopped")
        if self.jobs is not None and self.jobs.busy():
            # a job given back at the stop still runs a model's native code, under which
            # Python's finalisation would crash; everything is committed: leave at once
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)

    def _record_start(self, where: dict[str, str]) -> None:
        """The service.start entry (with the setting that weakens logins, whatever its
        value) and the announcement; ``auth_second_factor = "off"`` warned in the log."""
        second_factor = self.svc.config.settings.auth_second_factor
        details = {**where, "version": __version__, "auth_second_factor": second_factor}
        self.svc.system_event("service.start", "custodio", details)
        self.announce(f"custodio {__version__} serving http://{where['http']}/health")
        if second_factor == "off":  # on stderr, leaving the announced lines as they are
            log.warning(UNSAFE_SECOND_FACTOR)

    async def _start_handover(self) -> list[Bound]:
        self.handover = await asyncio.to_thread(Handover.open, self.svc.config, self.svc.db)
        e = self.endpoints
        return await self.handover.start((e.hi2.host, e.hi2.port), (e.hi3.host, e.hi3.port))

    async def _start_assembly(self) -> asyncio.Task[None] | None:
        """The assembler process, once it is open; then its supervision."""
        if self.vault is None or self.handover is None:
            return None
        journal = self.handover.receiver.journal
        self.assembly = AssemblyProcess(self.svc.config, self.secrets, journal)
        stats = await self.assembly.start()
        self.announce(
            f"assembly: {stats['open']} open communications, journal position "
            f"{stats['position']} (process {self.assembly.pid})"
        )
        supervise = self.assembly.supervise(self._assembly_stop, self._assembly_restarted)
        return asyncio.create_task(supervise, name="assembly")

    async def _assembly_restarted(self, details: dict[str, Any]) -> None:
        await asyncio.to_thread(self.svc.system_event, "assembly.restarted", "assembly", details)

    def _start_archiving(self) -> asyncio.Task[None] | None:
        every = self.svc.config.settings.journal_archive_seconds
        if self.vault is None or self.handover is None or every <= 0:
            return None
        self.archiver = Archiver(self.svc.db, self.vault, self.handover.receiver.journal)
        return asyncio.create_task(self._archive(self.archiver, every), name="archive")

    async def _archive(self, archiver: Archiver, every: float) -> None:
        """Consumed journal segments into the vault, every ``every`` seconds."""
        while not self._assembly_stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._assembly_stop.wait(), every)
            if self._assembly_stop.is_set():
                return
            try:
                reports = await asyncio.to_thread(archiver.run)
            except CustodioError as e:
                log.error("journal archive: %s; retrying in %s s", e, every)
                continue
            for r in reports:
                log.info("journal archive: segment %d: %d objects", r.segment, len(r.objects))

    async def _stop_handover(self) -> None:
        if self.handover is not None:
            await self.handover.stop()

    def stop(self) -> None:
        self._stopping.set()

    def _stop(self) -> None:
        self.svc.system_event("service.stop", "custodio", {})
        auditing.checkpoint(self.svc)

    async def _checkpoints(self) -> None:
        every = self.svc.config.settings.audit_checkpoint_seconds
        while True:
            await asyncio.sleep(every)
            await asyncio.to_thread(auditing.checkpoint, self.svc)

    def health(self) -> dict[str, object]:
        """``GET /health``: status, version and the counters of each stage."""
        assembly = self.assembly.health() if self.assembly else {}
        body = {"status": "ok", "version": __version__, "handover": self._counters()}
        archive = dataclasses.asdict(self.archiver.stats) if self.archiver else {}
        return {**body, "assembly": assembly, "archive": archive}

    async def metrics(self) -> str:
        """``GET /metrics``: the numbers of /health and the jobs by state, for Prometheus."""
        jobs = await asyncio.to_thread(self.svc.db.read, queue.counts)
        return self._metrics(jobs)

    def _counters(self) -> dict[str, object]:
        return {} if self.handover is None else self.handover.health()

    def _metrics(self, jobs: Mapping[str, int]) -> str:
        """The numbers of /health for Prometheus, and the classification jobs by state."""
        text = prometheus(self._counters())
        if self.assembly is not None:
            text += prometheus(self.assembly.health(), "custodio_assembly")
        if self.archiver is not None:
            text += prometheus(dataclasses.asdict(self.archiver.stats), "custodio_archive")
        return text + "".join(f'custodio_jobs{{state="{k}"}} {n}\n' for k, n in jobs.items())


def prometheus(counters: Mapping[str, object], prefix: str = "custodio_handover") -> str:
    """The numeric counters in the Prometheus text format (nested dicts flattened, a
    true/false as 1/0, text left out)."""
    lines = []
    for name, value in counters.items():
        if isinstance(value, dict):
            lines.append(prometheus(value, f"{prefix}_{name}").rstrip("\n"))
        elif isinstance(value, int | float):
            lines.append(f"{prefix}_{name} {int(value) if isinstance(value, bool) else value}")
    return "\n".join(line for line in lines if line) + "\n"
