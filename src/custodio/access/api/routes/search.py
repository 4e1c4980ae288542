"""``GET /search``: words, numbers and identifiers in what you may read (a purpose)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from custodio.access import search as service
from custodio.access.api import models
from custodio.access.api.deps import MAX_NAME, Caller, Purpose, Using
from custodio.catalog.search import MAX_LIMIT, MAX_QUERY

router = APIRouter(tags=["search"])


@router.get("/search", response_model=list[models.Hit],
            summary="Search transcripts, SMS text, notes, numbers (needs a purpose)")  # fmt: skip
def search(
    session: Caller,
    a: Using,
    purpose: Purpose,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY, description="what to find")],
    case: Annotated[str | None, Query(min_length=1, max_length=MAX_NAME)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> list[dict[str, Any]]:
    return service.search(a.svc, session, q, case_ref=case, purpose=purpose, limit=limit)
