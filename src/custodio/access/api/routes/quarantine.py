"""What assembly held back: listed and shown to warrant officers and judges; released by
four eyes (a warrant officer asks, a judge approves); destroyed on a judge's order."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from custodio.access import comms as service
from custodio.access.api import models
from custodio.access.api.deps import Caller, Using, VaultDep

router = APIRouter(tags=["quarantine"])

Id = Annotated[int, Path(ge=1, le=2**53)]


@router.get("/quarantine", response_model=list[models.HeldSummary], summary="Held items")
def list_items(session: Caller, a: Using) -> list[dict[str, Any]]:
    return service.quarantine_list(a.svc, session)


@router.get("/quarantine/{item_id}", response_model=models.Held, summary="One held item")
def show(item_id: Id, session: Caller, a: Using) -> dict[str, Any]:
    return service.quarantine_show(a.svc, session, item_id)


@router.post("/quarantine/{item_id}/release", response_model=models.Done,
             summary="A warrant officer asks for the release, citing the order")  # fmt: skip
def release(item_id: Id, body: models.Order, session: Caller, a: Using) -> models.Done:
    service.quarantine_release(a.svc, session, item_id, body.order)
    return models.Done()


@router.post("/quarantine/{item_id}/approve", response_model=models.Released,
             summary="A judge approves another person's release request")  # fmt: skip
def approve(item_id: Id, session: Caller, a: Using) -> dict[str, Any]:
    return service.quarantine_approve(a.svc, session, item_id, a.vault)


@router.post("/quarantine/{item_id}/destroy", response_model=models.Destroyed,
             summary="A judge's order: the held item is destroyed")  # fmt: skip
def destroy(
    item_id: Id, body: models.Order, session: Caller, a: Using, vault: VaultDep
) -> dict[str, Any]:
    return service.quarantine_destroy(a.svc, session, vault, item_id, body.order)
