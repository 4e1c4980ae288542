"""Cases, their warrants and their communications (the timeline)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from custodio.access import casework, classification
from custodio.access import comms as service
from custodio.access.api import models
from custodio.access.api.deps import MAX_NAME, Caller, Using
from custodio.catalog.comms import Filters
from custodio.catalog.identifiers import e164
from custodio.catalog.notes import tag_text
from custodio.db.times import parse_user_time, to_text
from custodio.errors import InvalidInput

router = APIRouter(tags=["cases"])

Text = Annotated[str | None, Query(max_length=MAX_NAME)]


@router.get("/cases", response_model=list[models.CaseSummary], summary="The cases you may see")
def list_cases(session: Caller, a: Using) -> list[dict[str, object]]:
    return casework.list_cases(a.svc, session)


# A reference may hold "/" ("DP 123/2026"): the routes below it come first.


@router.get("/cases/{reference:path}/warrants", response_model=list[models.Warrant],
            summary="The case's warrants")  # fmt: skip
def list_warrants(reference: str, session: Caller, a: Using) -> list[dict[str, object]]:
    return casework.list_warrants(a.svc, session, case_ref(reference))


@router.get("/cases/{reference:path}/communications", response_model=list[models.CommSummary],
            summary="The case's communications you may see, oldest first")  # fmt: skip
def list_comms(
    reference: str,
    session: Caller,
    a: Using,
    begin_from: Annotated[str | None, Query(alias="from", max_length=40,
                                            description="begun at or after (ISO 8601)")] = None,
    begin_to: Annotated[str | None, Query(alias="to", max_length=40,
                                          description="begun at or before (ISO 8601)")] = None,
    party: Annotated[str | None, Query(max_length=40, description="a party's number")] = None,
    kind: Annotated[str | None, Query(max_length=20, description="voice, sms, data, other")] = None,
    status: Annotated[str | None, Query(max_length=20,
                                        description="open, complete, partial, orphan")] = None,
    tag: Annotated[str | None, Query(max_length=64, description="carrying this tag")] = None,
) -> list[dict[str, Any]]:  # fmt: skip
    filters = Filters(
        begin_from=_time("from", begin_from, end_of_day=False),
        begin_to=_time("to", begin_to, end_of_day=True),
        party=e164(party) if party else None,
        kind=kind,
        status=status,
        tag=tag_text(tag) if tag is not None else None,
    )
    return service.list_comms(a.svc, session, case_ref(reference), filters)


@router.get("/cases/{reference:path}/privilege", response_model=list[models.Flag],
            summary="Communications flagged as possibly privileged (no content)")  # fmt: skip
def list_privilege(reference: str, session: Caller, a: Using) -> list[dict[str, Any]]:
    return classification.privilege_list(a.svc, session, case_ref(reference))


@router.get("/cases/{reference:path}", response_model=models.CaseDetail,
            summary="One case: its assignments and warrants")  # fmt: skip
def show_case(reference: str, session: Caller, a: Using) -> dict[str, object]:
    return casework.show_case(a.svc, session, case_ref(reference))


def case_ref(reference: str) -> str:
    """A case reference from a path, bounded."""
    if not reference or len(reference) > MAX_NAME:
        raise InvalidInput(f"a case reference has 1 to {MAX_NAME} characters")
    return reference


def _time(name: str, text: str | None, *, end_of_day: bool) -> str | None:
    if text is None:
        return None
    try:
        return to_text(parse_user_time(text, end_of_day=end_of_day))
    except (ValueError, OverflowError) as e:  # parse_user_time's own error is InvalidInput
        raise InvalidInput(f"{name} {text!r} is not a date or time one can search") from e
