"""Your own account (password, second factor) and an administrator's users and units
(what `custodio passwd`, `custodio totp`, `custodio user`, `custodio unit` and `custodio
session revoke` offer)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, Field

from custodio.access import admin, second_factor, sessions
from custodio.access.api import models
from custodio.access.api.deps import MAX_NAME, Caller, Using

router = APIRouter(tags=["account"])

Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME, pattern=models.NO_NUL)]
Password = Annotated[str, Field(min_length=1, max_length=1024)]
UserName = Annotated[str, Path(min_length=1, max_length=MAX_NAME)]


class NewPassword(models.Closed):
    old: Password
    new: Password


class Enrolment(BaseModel):
    secret: str = Field(description="shown once: type it into the authenticator app")
    uri: str = Field(description="the otpauth:// URI an app reads from a QR code")


class Code(models.Closed):
    code: Annotated[str, Field(min_length=1, max_length=16)]


class NewUser(models.Closed):
    name: Name
    role: Literal["administrator", "warrant_officer", "investigator", "interpreter", "judge",
                  "auditor"]  # fmt: skip
    unit: Name | None = None
    agency: Name | None = Field(default=None, description="only your own may be named")
    password: Password | None = Field(default=None, description="none: a first one is made")


class Created(BaseModel):
    first_password: str | None = Field(
        description="the first password made here, shown once; it must be changed"
    )


class User(models.Open):
    name: str
    role: str
    disabled: bool


class Disable(models.Closed):
    disabled: bool = True


class NewUnit(models.Closed):
    name: Name


class Revoked(BaseModel):
    sessions: int


class TotpReset(BaseModel):
    had_second_factor: bool = Field(description="the user had a confirmed second factor")
    sessions_ended: int = Field(description="his sessions that the reset ended")


@router.post("/me/password", response_model=models.Done, summary="Change your password")
def change_password(body: NewPassword, session: Caller, a: Using) -> models.Done:
    admin.change_password(a.svc, session, body.old, body.new)
    return models.Done()


@router.post("/me/totp", response_model=Enrolment, status_code=status.HTTP_201_CREATED,
             summary="A new second-factor secret, pending until confirmed")  # fmt: skip
def enrol(session: Caller, a: Using) -> Enrolment:
    made = second_factor.enrol(a.svc, session)
    return Enrolment(secret=made.secret, uri=made.uri)


@router.post("/me/totp/confirm", response_model=models.Done,
             summary="Confirm the new secret with a code it made")  # fmt: skip
def confirm(body: Code, session: Caller, a: Using) -> models.Done:
    second_factor.confirm(a.svc, session, body.code)
    return models.Done()


@router.get("/users", response_model=list[User], summary="The users of your agency")
def list_users(session: Caller, a: Using) -> list[dict[str, object]]:
    return admin.list_users(a.svc, session)


@router.post("/users", response_model=Created, status_code=status.HTTP_201_CREATED,
             summary="Create a user of your agency")  # fmt: skip
def add_user(body: NewUser, session: Caller, a: Using) -> Created:
    new = admin.NewUser(body.name, body.role, body.password, body.agency, body.unit)
    return Created(first_password=admin.add_user(a.svc, session, new))


@router.post("/users/{name}/unlock", response_model=models.Done, summary="Unlock a user")
def unlock(name: UserName, session: Caller, a: Using) -> models.Done:
    admin.unlock_user(a.svc, session, name)
    return models.Done()


@router.post("/users/{name}/disable", response_model=models.Done,
             summary="Disable (or enable again) a user")  # fmt: skip
def disable(name: UserName, body: Disable, session: Caller, a: Using) -> models.Done:
    admin.disable_user(a.svc, session, name, body.disabled)
    return models.Done()


@router.delete("/users/{name}/sessions", response_model=Revoked,
               summary="End every session of a user")  # fmt: skip
def revoke(name: UserName, session: Caller, a: Using) -> Revoked:
    return Revoked(sessions=sessions.revoke(a.svc, session, name))


@router.post("/users/{name}/totp/reset", response_model=TotpReset,
             summary="Forget a user's lost second factor and end his sessions")  # fmt: skip
def reset_totp(name: UserName, session: Caller, a: Using) -> TotpReset:
    done = second_factor.reset(a.svc, session, name)
    return TotpReset(had_second_factor=done.had_second_factor, sessions_ended=done.sessions_ended)


@router.post("/units", response_model=models.Done, status_code=status.HTTP_201_CREATED,
             summary="Create a unit of your agency")  # fmt: skip
def add_unit(body: NewUnit, session: Caller, a: Using) -> models.Done:
    admin.add_unit(a.svc, session, body.name)
    return models.Done()
