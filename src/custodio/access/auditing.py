"""Reading and verifying the audit log, and signing checkpoints."""

from __future__ import annotations

import functools
from pathlib import Path

from custodio import audit
from custodio.access.casework import case_resource
from custodio.access.policy import Action, Actor, Resource
from custodio.access.service import Request, Service, Session, meta, own_agency
from custodio.audit import log, verify
from custodio.audit.entry import Entry
from custodio.catalog import cases
from custodio.db import Tx


def entries(
    svc: Service, session: Session, *, case_ref: str | None = None, limit: int = 1000
) -> list[Entry]:
    """The newest entries of the auditor's agency (or of one of its cases)."""

    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        if case_ref is None:
            return own_agency(tx, actor, request)
        return case_resource(cases.get(tx, actor.agency_id, case_ref), request.target)

    def perform(tx: Tx, actor: Actor, request: Request) -> list[Entry]:
        return log.query(svc.db, agency_id=actor.agency_id, case_id=request.case_id, limit=limit)

    target = f"case:{case_ref}" if case_ref else "audit"
    return svc.act(session, Action.AUDIT_READ, Request(target), resolve, perform)


def verify_log(
    svc: Service,
    session: Session | None,
    *,
    state_dir: Path | None = None,
    public_key: bytes | None = None,
    full: bool = True,
) -> verify.Report:
    """Verify the log (see :mod:`custodio.audit.verify`); record that it was done.

    ``full`` False checks only what was added since the last verification with the same
    memory (``state_dir``). ``session`` None is the stand-alone verifier's mode, for an
    expert who holds the public key but no account: it reads the catalog and writes
    nothing but its own memory.
    """
    key = public_key or bytes.fromhex(svc.db.read(lambda tx: meta(tx, "audit_public_key")))
    where = state_dir or svc.config.verify_state_dir
    run = functools.partial(
        verify.verify, svc.db, log_id=svc.log_id, public_key=key, state_dir=where, full=full
    )
    if session is None:
        return run()

    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        return None

    svc.act(session, Action.AUDIT_VERIFY, Request("audit"), own_agency, perform)
    report = run()
    svc.system_event("audit.verified", "audit", {"entries": report.entries, "root": report.root})
    return report


def checkpoint(svc: Service) -> audit.Checkpoint | None:
    """Sign a checkpoint over the whole log if it grew since the last one."""
    return log.checkpoint(svc.db, svc.signer(), svc.log_id)
