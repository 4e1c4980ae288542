"""Interpreters' work: a communication given to one (or taken back), his queue, his
translation (what `custodio translation` offers; docs/access-policy.md, "Interpreters")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status

from custodio.access import translations
from custodio.access.api import models
from custodio.access.api.deps import MAX_NAME, Caller, Using
from custodio.access.api.routes.comms import CommId

router = APIRouter(tags=["translations"])


@router.post("/communications/{comm_id}/translation-assignments",
             response_model=models.TranslationAssigned, status_code=status.HTTP_201_CREATED,
             summary="Give the communication to an interpreter to translate")  # fmt: skip
def assign(
    comm_id: CommId, body: models.TranslationAssignment, session: Caller, a: Using
) -> dict[str, Any]:
    return translations.assign(a.svc, session, comm_id, body.interpreter, body.language)


@router.delete("/communications/{comm_id}/translation-assignments/{interpreter}",
               status_code=status.HTTP_204_NO_CONTENT,
               summary="End an interpreter's assignment: his access ends")  # fmt: skip
def unassign(
    comm_id: CommId,
    interpreter: Annotated[str, Path(max_length=MAX_NAME)],
    session: Caller,
    a: Using,
) -> Response:
    translations.unassign(a.svc, session, comm_id, interpreter)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me/translations", response_model=list[models.MyTranslation],
            summary="Your open translation assignments (no content)")  # fmt: skip
def my_queue(session: Caller, a: Using) -> list[dict[str, Any]]:
    return translations.my_queue(a.svc, session)


@router.post("/communications/{comm_id}/translations",
             response_model=models.TranslationSubmitted, status_code=status.HTTP_201_CREATED,
             summary="Submit your translation (a label); the assignment is done")  # fmt: skip
def submit(
    comm_id: CommId, body: models.NewTranslation, session: Caller, a: Using
) -> dict[str, Any]:
    return translations.submit(a.svc, session, comm_id, body.text, body.language)
