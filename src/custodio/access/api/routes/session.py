"""``POST /session`` (log in), ``DELETE /session`` (log out), ``GET /me``."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from custodio.access import sessions
from custodio.access.api import models
from custodio.access.api.deps import Caller, Using

router = APIRouter(tags=["session"])


@router.post("/session", status_code=status.HTTP_201_CREATED, response_model=models.Token,
             summary="Log in: a bearer token for the other routes")  # fmt: skip
def login(body: models.Login, a: Using) -> models.Token:
    issued = sessions.start(a.svc, body.name, body.password, body.otp, client="api")
    me = models.Me(user_id=issued.session.user_id, name=issued.session.name)
    return models.Token(token=issued.token, expires_at=issued.expires_at, user=me)


@router.delete("/session", status_code=status.HTTP_204_NO_CONTENT, summary="Log out")
def logout(session: Caller, a: Using) -> Response:
    sessions.end(a.svc, session)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=models.Me, summary="Who the token belongs to")
def me(session: Caller) -> models.Me:
    return models.Me(user_id=session.user_id, name=session.name)
