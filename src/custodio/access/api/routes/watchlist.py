"""A case's watch-list and its classification tuning (what `custodio watchlist` and
`custodio case tuning` offer)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status

from custodio.access import classification
from custodio.access.api import models
from custodio.access.api.deps import Caller, Using
from custodio.access.api.routes.cases import case_ref

router = APIRouter(tags=["watch-list"])


@router.get("/cases/{reference:path}/watchlist", response_model=list[models.Term],
            summary="The case's watch-list")  # fmt: skip
def list_terms(
    reference: str, session: Caller, a: Using, removed: Annotated[bool, Query()] = False
) -> list[dict[str, Any]]:
    return classification.watchlist_list(a.svc, session, case_ref(reference), removed=removed)


@router.post("/cases/{reference:path}/watchlist", response_model=models.TermId,
             status_code=status.HTTP_201_CREATED,
             summary="Add a term, name, place or number to look for")  # fmt: skip
def add_term(reference: str, body: models.NewTerm, session: Caller, a: Using) -> models.TermId:
    term = classification.watchlist_add(a.svc, session, case_ref(reference), body.text, body.kind)
    return models.TermId(term=term)


@router.delete("/cases/{reference:path}/watchlist/{term_id}",
               status_code=status.HTTP_204_NO_CONTENT,
               summary="Remove a term (kept, marked removed)")  # fmt: skip
def remove_term(
    reference: str, term_id: Annotated[int, Path(ge=1, le=2**53)], session: Caller, a: Using
) -> Response:
    classification.watchlist_remove(a.svc, session, case_ref(reference), term_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/cases/{reference:path}/tuning", response_model=models.Tuning,
            summary="The case's review-priority weights and thresholds")  # fmt: skip
def show_tuning(reference: str, session: Caller, a: Using) -> dict[str, Any]:
    return classification.show_tuning(a.svc, session, case_ref(reference))


@router.patch("/cases/{reference:path}/tuning", response_model=models.Tuning,
              summary="Change some of the tuning; the rest stays")  # fmt: skip
def set_tuning(
    reference: str, body: models.TuningChange, session: Caller, a: Using
) -> dict[str, Any]:
    return classification.set_tuning(
        a.svc, session, case_ref(reference), weights=body.weights,
        alert_threshold=body.alert_threshold, match_threshold=body.match_threshold,
    )  # fmt: skip
