"""Reviewing labels, marking intimate passages, and a judge's privilege decisions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, status

from custodio.access import classification
from custodio.access.api import models
from custodio.access.api.deps import Caller, Purpose, Using

router = APIRouter(tags=["review"])

Id = Annotated[int, Path(ge=1, le=2**53)]


@router.post("/labels/{label_id}/review", response_model=models.Label,
             summary="Confirm or overrule a label (kept either way)")  # fmt: skip
def review(label_id: Id, body: models.Review, session: Caller, a: Using) -> dict[str, Any]:
    return classification.review_label(a.svc, session, label_id, body.decision, body.note)


@router.post("/communications/{comm_id}/intimate", response_model=models.LabelId,
             status_code=status.HTTP_201_CREATED,
             summary="Mark a stretch of the call intimate (left out of exports)")  # fmt: skip
def intimate(comm_id: Id, body: models.Intimate, session: Caller, a: Using) -> models.LabelId:
    label = classification.mark_intimate(a.svc, session, comm_id, body.start_s, body.end_s,
                                         body.direction, body.note)  # fmt: skip
    return models.LabelId(label=label)


@router.post("/privilege/{label_id}", response_model=models.Decided,
             summary="A judge seals the communication or clears the flag")  # fmt: skip
def decide(
    label_id: Id, body: models.Decision, session: Caller, a: Using, purpose: Purpose
) -> dict[str, Any]:
    seal = body.decision == "seal"
    return classification.privilege_decide(a.svc, session, label_id, seal, purpose)
