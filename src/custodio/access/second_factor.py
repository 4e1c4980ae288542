"""A user's second factor: a TOTP secret (RFC 6238) enrolled by the user himself.

``enrol`` makes a new secret and hands it out once (with the ``otpauth://`` URI that an
authenticator app reads); it takes effect only when ``confirm`` is given a code made from
it, so that a secret nobody could read into an app never locks its user out. Until then
the user's current secret, if he has one, stays. Both steps are the policy action
``totp.enrol``, audited (never the secret nor a code); a user who already has a second
factor must be logged in with it to replace it (docs/access-policy.md).

``reset`` is an administrator's, for a user who lost his device (``totp.reset``, his own
agency's users, never himself): the user's secret is forgotten and his sessions end, and
he enrols a new one at his next login.

The catalog keeps the secret sealed under the second-factor key (``catalog/sessions.py``;
docs/threat-model.md says who can read what).
"""

from __future__ import annotations

from dataclasses import dataclass

from custodio.access.policy import Action, Actor, Resource
from custodio.access.service import (
    OTP_DIGITS,
    Request,
    Service,
    Session,
    check_credentials_shape,
    own_agency,
)
from custodio.catalog import people
from custodio.catalog import sessions as stored
from custodio.crypto import totp
from custodio.db import Tx
from custodio.errors import Conflict, Forbidden, InvalidInput


@dataclass(frozen=True)
class Enrolment:
    """A new secret, shown once: type ``secret`` or scan ``uri`` into the app."""

    secret: str
    uri: str


def enrol(svc: Service, session: Session) -> Enrolment:
    """Make a new TOTP secret for the session's user, pending until :func:`confirm`."""
    secret = totp.new_secret()

    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        stored.set_pending_totp(tx, svc.totp_key, actor.user_id, secret)

    request = Request(f"user:{session.name}", details={"step": "new secret"})
    svc.act(session, Action.TOTP_ENROL, request, own_agency, perform)
    return Enrolment(secret, totp.uri(secret, session.name))


def confirm(svc: Service, session: Session, code: str) -> None:
    """The first code of the pending secret: from now on the user logs in with it."""
    check_credentials_shape(session.name, "", code)

    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        pending = stored.totp_of(tx, svc.totp_key, actor.user_id).pending_secret
        if pending is None:
            raise Conflict(
                "no second factor waiting to be confirmed", hint="start with `custodio totp enrol`"
            )
        at = svc.clock()
        step = totp.matching_step(pending, code, at)
        if step is None:
            raise InvalidInput(
                f"that {OTP_DIGITS}-digit code does not match the new secret; nothing changed",
                hint="check the device's clock and give the code shown now",
            )
        stored.confirm_totp(tx, actor.user_id, step, at)  # this code cannot log in again

    request = Request(f"user:{session.name}", details={"step": "confirmed"})
    try:
        svc.act(session, Action.TOTP_ENROL, request, own_agency, perform)
    except (InvalidInput, Conflict) as e:
        svc.record_failure(session, Action.TOTP_ENROL, request, e)
        raise


@dataclass(frozen=True)
class Reset:
    """What a reset did: whether the user had a confirmed second factor, and how many of
    his sessions it ended."""

    had_second_factor: bool
    sessions_ended: int


def reset(svc: Service, admin: Session, user_name: str) -> Reset:
    """An administrator forgets the second factor of a user of his agency (not his own) and
    ends all his sessions; audited as ``totp.reset`` with what it did."""

    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        user = people.get_user(tx, user_name, actor.agency_id)
        if user.id == actor.user_id:
            raise Forbidden(
                "an administrator cannot reset his own second factor",
                hint="another administrator of the agency can; or replace it while logged in "
                "with it: `custodio totp enrol`",
            )
        return Resource(agency_id=user.agency_id, label=request.target)

    def perform(tx: Tx, actor: Actor, request: Request) -> Reset:
        user = people.get_user(tx, user_name, actor.agency_id)
        done = Reset(stored.reset_totp(tx, user.id), stored.revoke_all(tx, user.id, svc.clock()))
        request.details.update(had_second_factor=done.had_second_factor,
                               sessions_ended=done.sessions_ended)  # fmt: skip
        return done

    return svc.act(admin, Action.TOTP_RESET, Request(f"user:{user_name}"), resolve, perform)
