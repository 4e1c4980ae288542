"""Alerts, the interpreter queue and classification jobs: ids, kinds, scores, never content."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from custodio.access import classification, jobs
from custodio.access.api import models
from custodio.access.api.deps import MAX_NAME, Caller, Using

router = APIRouter(tags=["work"])


@router.get("/alerts", response_model=list[models.Alert],
            summary="Alerts of a case, or of every case you may see")  # fmt: skip
def alerts(
    session: Caller,
    a: Using,
    case: Annotated[str | None, Query(min_length=1, max_length=MAX_NAME)] = None,
    after: Annotated[int, Query(ge=0, le=2**53, description="only alerts after this id")] = 0,
) -> list[dict[str, Any]]:
    return classification.alerts_list(a.svc, session, case, after_id=after)


@router.get("/interpreter-queue", response_model=list[models.Queued],
            summary="Communications whose language needs an interpreter")  # fmt: skip
def interpreter_queue(
    session: Caller,
    a: Using,
    language: Annotated[str | None, Query(min_length=2, max_length=16)] = None,
) -> list[dict[str, Any]]:
    return classification.interpreter_queue(a.svc, session, language)


@router.get("/jobs", response_model=list[models.Job], summary="Classification jobs")
def list_jobs(
    session: Caller,
    a: Using,
    state: Annotated[str | None, Query(max_length=20,
                                       description="queued, running, done, failed")] = None,
) -> list[dict[str, Any]]:  # fmt: skip
    return jobs.list_jobs(a.svc, session, state)


@router.post("/jobs/retry", response_model=models.Retried, summary="Queue failed jobs again")
def retry(body: models.Retry, session: Caller, a: Using) -> models.Retried:
    return models.Retried(jobs=jobs.retry_jobs(a.svc, session, body.ids))
