"""Machine-local maintenance of a stopped service: what ``serve`` does on its own, by hand.

Both take the journal lock (:func:`custodio.datadir.lock_journal`), so neither runs beside
a ``custodio serve``; both are an administrator's, authorised and audited like every
action (``journal.archive``, ``journal.assemble``).

::

    reports = archive_journal(svc, session, vault)
    stats = assemble_journal(svc, session, vault, once=True)
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

from custodio import datadir
from custodio.access.policy import Action, Actor
from custodio.access.service import Request, Service, Session, own_agency
from custodio.assemble.archive import Archiver, SegmentReport
from custodio.assemble.worker import Assembler, Stats, Timing
from custodio.config import Config
from custodio.db import Tx
from custodio.journal import Journal
from custodio.vault.store import Vault

IDLE_POLL_SECONDS = 0.5  # between steps that found nothing new (without --once)


def archive_journal(svc: Service, session: Session, vault: Vault) -> list[SegmentReport]:
    """Consumed journal segments into the vault, one object per segment and case."""
    request = Request("journal")
    svc.authorize(session, Action.JOURNAL_ARCHIVE, request, own_agency)
    with _journal(svc.config) as journal:
        reports = Archiver(svc.db, vault, journal).run()
    counts = {"segments": len(reports), "objects": sum(len(r.objects) for r in reports)}
    svc.act(session, Action.JOURNAL_ARCHIVE, request, own_agency, _noting(counts))
    return reports


def assemble_journal(
    svc: Service,
    session: Session,
    vault: Vault,
    *,
    once: bool,
    stopping: Callable[[], bool] = lambda: False,
) -> Stats:
    """The journal's records into communications: until caught up (``once``: then the
    calls whose end arrived are closed), or until ``stopping()`` says so."""
    request = Request("journal")
    svc.authorize(session, Action.JOURNAL_ASSEMBLE, request, own_agency)
    with _journal(svc.config) as journal:
        assembler = Assembler(svc.db, vault, journal, timing(svc.config))
        try:
            while not stopping():
                if assembler.step().records:
                    continue
                if once:
                    assembler.step(final=True)
                    break
                time.sleep(IDLE_POLL_SECONDS)
        except KeyboardInterrupt:  # Ctrl-C ends a run without --once: what it did is audited
            pass
    s = assembler.stats
    counts = {"records": s.records, "opened": s.communications_opened,
              "closed": s.communications_closed, "position": s.position}  # fmt: skip
    svc.act(session, Action.JOURNAL_ASSEMBLE, request, own_agency, _noting(counts))
    return s


def timing(config: Config) -> Timing:
    s = config.settings
    return Timing(
        inactivity_seconds=s.assembly_inactivity_seconds,
        end_grace_seconds=s.assembly_end_grace_seconds,
    )


@contextlib.contextmanager
def _journal(config: Config) -> Iterator[Journal]:
    """The data directory's journal, held for this process and closed on leaving."""
    # never beside a serve: it writes the journal, and a second writer cuts its tail
    lock = datadir.lock_journal(config.data_dir)
    try:
        journal = Journal.open(config.data_dir / datadir.JOURNAL)
        try:
            yield journal
        finally:
            journal.close_sync()
    finally:
        datadir.release(lock)


def _noting(details: dict[str, int]) -> Callable[[Tx, Actor, Request], None]:
    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        request.details.update(details)

    return perform
