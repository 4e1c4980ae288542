"""The audit log, for auditors: its entries and its verification."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from custodio.access import auditing
from custodio.access.api import models
from custodio.access.api.deps import MAX_NAME, Caller, Using

router = APIRouter(tags=["audit"])


@router.get("/audit/entries", response_model=list[models.AuditEntry],
            summary="The newest entries of your agency, or of one case")  # fmt: skip
def entries(
    session: Caller,
    a: Using,
    case: Annotated[str | None, Query(min_length=1, max_length=MAX_NAME)] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> list[models.AuditEntry]:
    found = auditing.entries(a.svc, session, case_ref=case, limit=limit)
    return [
        models.AuditEntry(seq=e.seq, time=e.time, actor=e.event.actor, action=e.event.action,
                          outcome=e.event.outcome, target=e.event.target,
                          case_id=e.event.case_id, purpose=e.event.purpose,
                          details=e.event.details)
        for e in found
    ]  # fmt: skip


@router.post("/audit/verify", response_model=models.Verified,
             summary="Verify the log: chain, Merkle tree, signed checkpoints")  # fmt: skip
def verify(session: Caller, a: Using, full: bool = False) -> models.Verified:
    report = auditing.verify_log(a.svc, session, full=full)
    return models.Verified(entries=report.entries, checkpoints=report.checkpoints,
                           root=report.root, previous_size=report.previous_size,
                           first_checked=report.first_checked)  # fmt: skip
