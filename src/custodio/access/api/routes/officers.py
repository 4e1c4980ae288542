"""The warrant officer's work: cases, assignments, warrants and their LIIDs, the protected
list (what `custodio case`, `custodio warrant` and `custodio protected` offer).

A warrant's reference may hold "/" as a case's does: the warrant named in a body, not in
the path, where a route acts on one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import Field

from custodio.access import casework
from custodio.access.api import models
from custodio.access.api.deps import MAX_NAME, Caller, Using
from custodio.access.api.routes.cases import case_ref
from custodio.catalog import identifiers, warrants
from custodio.db.times import parse_user_time
from custodio.errors import InvalidInput

router = APIRouter(tags=["warrant officers"])

Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME, pattern=models.NO_NUL)]
Moment = Annotated[str, Field(min_length=1, max_length=40, description="ISO 8601")]


class NewCase(models.Closed):
    reference: Name
    court: Name
    title: Name
    unit: Name


class Assignment(models.Closed):
    user: Name
    until: Moment | None = None


class NewWarrant(models.Closed):
    reference: Name
    court: Name
    judge: Name
    issued: Moment | None = Field(default=None, description="default: valid_from")
    valid_from: Moment
    valid_until: Moment = Field(description="a bare date includes that day")
    scope: list[Annotated[str, Field(max_length=20)]] = Field(min_length=1, max_length=3)
    targets: list[Name] = Field(default=[], max_length=50, description="TYPE:VALUE each")
    liid: Name | None = None
    operator: Name | None = None


class Extend(models.Closed):
    warrant: Name
    order_reference: Name
    judge: Name
    valid_from: Moment | None = Field(default=None, description="default: the current end")
    valid_until: Moment


class Revoke(models.Closed):
    warrant: Name
    reason: Annotated[str, Field(min_length=1, max_length=2000, pattern=models.NO_NUL)]


class Bind(models.Closed):
    warrant: Name
    liid: Name
    operator: Name


class Protected(models.Closed):
    number: Annotated[str, Field(min_length=1, max_length=40)]
    reason: Annotated[str, Field(min_length=1, max_length=2000, pattern=models.NO_NUL)]


class Number(models.Open):
    number: str


CREATED = status.HTTP_201_CREATED
GONE = status.HTTP_204_NO_CONTENT


@router.post("/cases", status_code=CREATED, response_model=models.Done, summary="Open a case")
def add_case(body: NewCase, session: Caller, a: Using) -> models.Done:
    new = casework.NewCase(body.reference, body.court, body.title, body.unit)
    casework.add_case(a.svc, session, new)
    return models.Done()


@router.post("/cases/{reference:path}/assignments", status_code=CREATED,
             response_model=models.Done, summary="Assign a user to the case")  # fmt: skip
def assign(reference: str, body: Assignment, session: Caller, a: Using) -> models.Done:
    until = _moment(body.until, end_of_day=True) if body.until else None
    casework.assign(a.svc, session, case_ref(reference), body.user, until)
    return models.Done()


@router.delete("/cases/{reference:path}/assignments/{user}", status_code=GONE,
               summary="End a user's assignment")  # fmt: skip
def unassign(
    reference: str, user: Annotated[str, Path(max_length=MAX_NAME)], session: Caller, a: Using
) -> Response:
    casework.unassign(a.svc, session, case_ref(reference), user)
    return Response(status_code=GONE)


@router.post("/cases/{reference:path}/close", response_model=models.Done,
             summary="Close the case")  # fmt: skip
def close(reference: str, session: Caller, a: Using) -> models.Done:
    casework.close_case(a.svc, session, case_ref(reference))
    return models.Done()


@router.post("/cases/{reference:path}/warrants", status_code=CREATED,
             response_model=models.Done, summary="Register a warrant")  # fmt: skip
def add_warrant(reference: str, body: NewWarrant, session: Caller, a: Using) -> models.Done:
    if (body.liid is None) != (body.operator is None):
        raise InvalidInput("liid and operator go together")
    start = _moment(body.valid_from)
    new = warrants.NewWarrant(
        reference=body.reference, court=body.court, judge=body.judge,
        issued_at=_moment(body.issued) if body.issued else start, valid_from=start,
        valid_until=_moment(body.valid_until, end_of_day=True),
        scope=warrants.parse_scope(",".join(body.scope)),
        targets=tuple(identifiers.parse(t) for t in body.targets),
        liids=((body.liid, body.operator),) if body.liid and body.operator else (),
    )  # fmt: skip
    casework.add_warrant(a.svc, session, case_ref(reference), new)
    return models.Done()


@router.post("/cases/{reference:path}/warrants/extend", response_model=models.Done,
             summary="Extend a warrant by a judge's order")  # fmt: skip
def extend(reference: str, body: Extend, session: Caller, a: Using) -> models.Done:
    ext = casework.Extension(
        body.order_reference, body.judge,
        _moment(body.valid_from) if body.valid_from else None,
        _moment(body.valid_until, end_of_day=True),
    )  # fmt: skip
    casework.extend_warrant(a.svc, session, case_ref(reference), body.warrant, ext)
    return models.Done()


@router.post("/cases/{reference:path}/warrants/revoke", response_model=models.Done,
             summary="Revoke a warrant now")  # fmt: skip
def revoke(reference: str, body: Revoke, session: Caller, a: Using) -> models.Done:
    casework.revoke_warrant(a.svc, session, case_ref(reference), body.warrant, body.reason)
    return models.Done()


@router.post("/cases/{reference:path}/warrants/bind", response_model=models.Done,
             summary="Bind another LIID to a warrant")  # fmt: skip
def bind(reference: str, body: Bind, session: Caller, a: Using) -> models.Done:
    casework.bind_liid(a.svc, session, case_ref(reference), body.warrant, body.liid,
                       body.operator)  # fmt: skip
    return models.Done()


@router.get("/protected", response_model=list[models.Open],
            summary="The protected numbers (defence lawyers)")  # fmt: skip
def list_protected(session: Caller, a: Using) -> list[dict[str, str]]:
    return casework.list_protected(a.svc, session)


@router.post("/protected", status_code=CREATED, response_model=Number,
             summary="Protect a number: its communications are sealed")  # fmt: skip
def add_protected(body: Protected, session: Caller, a: Using) -> Number:
    return Number(number=casework.add_protected(a.svc, session, body.number, body.reason))


@router.post("/protected/remove", response_model=Number,
             summary="A judge takes a number off the list")  # fmt: skip
def remove_protected(body: Protected, session: Caller, a: Using) -> Number:
    return Number(number=casework.remove_protected(a.svc, session, body.number, body.reason))


def _moment(text: str, *, end_of_day: bool = False) -> datetime:
    try:
        return parse_user_time(text, end_of_day=end_of_day)
    except (ValueError, OverflowError) as e:  # parse_user_time's own error is InvalidInput
        raise InvalidInput(f"{text!r} is not a date or time one can use") from e
