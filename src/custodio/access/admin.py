"""Agencies, units and users: what administrators do (each within his own agency)."""

from __future__ import annotations

from dataclasses import dataclass

from custodio.access.policy import Action, Actor, Resource
from custodio.access.service import Request, Service, Session, own_agency
from custodio.catalog import people
from custodio.catalog import sessions as stored_sessions
from custodio.crypto import passwords
from custodio.db import Tx
from custodio.errors import InvalidInput

MIN_PASSWORD = 12


@dataclass(frozen=True)
class NewUser:
    name: str
    role: str
    password: str | None  # None: a random first password is made and returned
    agency: str | None = None  # None: the administrator's own agency
    unit: str | None = None


def check_password_strength(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD} characters")
    return password


def add_agency(svc: Service, session: Session, name: str, admin_name: str) -> str:
    """Create a tenant agency with its first administrator; return his first password.

    The creating administrator gets no rights in the new agency.
    """
    first_password = passwords.random_password()
    hashed = passwords.hash_password(first_password)
    people.check_user_name(admin_name)

    def perform(tx: Tx, actor: Actor, request: Request) -> str:
        agency = people.create_agency(tx, name)
        people.create_user(
            tx,
            agency=agency,
            name=admin_name,
            role="administrator",
            password_hash=hashed,
            must_change_password=True,
        )
        return first_password

    request = Request(f"agency:{name}", details={"administrator": admin_name})
    return svc.act(session, Action.AGENCY_CREATE, request, own_agency, perform)


def add_unit(svc: Service, session: Session, name: str) -> None:
    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        people.create_unit(tx, actor.agency_id, name)

    svc.act(session, Action.UNIT_CREATE, Request(f"unit:{name}"), own_agency, perform)


def add_user(svc: Service, session: Session, new: NewUser) -> str | None:
    """Create a user in the administrator's agency; return the first password if made here."""
    people.check_user_name(new.name)
    people.check_role(new.role)
    given = check_password_strength(new.password) if new.password is not None else None
    first = passwords.random_password() if given is None else None
    hashed = passwords.hash_password(given or first or "")

    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        agency = people.agency_id(tx, new.agency) if new.agency else actor.agency_id
        return Resource(agency_id=agency, label=request.target)

    def perform(tx: Tx, actor: Actor, request: Request) -> str | None:
        unit = people.unit_id(tx, actor.agency_id, new.unit) if new.unit else None
        people.create_user(
            tx,
            agency=actor.agency_id,
            name=new.name,
            role=new.role,
            password_hash=hashed,
            unit=unit,
            must_change_password=first is not None,
        )
        return first

    request = Request(f"user:{new.name}", details={"role": new.role, "unit": new.unit})
    return svc.act(session, Action.USER_CREATE, request, resolve, perform)


def list_users(svc: Service, session: Session) -> list[dict[str, object]]:
    def perform(tx: Tx, actor: Actor, request: Request) -> list[dict[str, object]]:
        return [u.public() for u in people.list_users(tx, actor.agency_id)]

    return svc.look(session, Action.USER_LIST, Request("users"), own_agency, perform)


def unlock_user(svc: Service, session: Session, name: str) -> None:
    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        user = people.get_user(tx, name, actor.agency_id)
        return Resource(agency_id=user.agency_id, label=request.target)

    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        people.unlock(tx, people.get_user(tx, name, actor.agency_id))

    svc.act(session, Action.USER_UNLOCK, Request(f"user:{name}"), resolve, perform)


def disable_user(svc: Service, session: Session, name: str, disabled: bool = True) -> None:
    """Disable (or enable again) a user of the administrator's agency; disabling ends all
    his sessions (how many: ``sessions_ended`` in the audit entry)."""

    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        user = people.get_user(tx, name, actor.agency_id)
        if user.id == actor.user_id:
            raise InvalidInput("an administrator cannot disable his own account")
        return Resource(agency_id=user.agency_id, label=request.target)

    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        user = people.get_user(tx, name, actor.agency_id)
        people.set_disabled(tx, user, disabled)
        if disabled:
            ended = stored_sessions.revoke_all(tx, user.id, svc.clock())
            request.details["sessions_ended"] = ended

    request = Request(f"user:{name}", details={"disabled": disabled})
    svc.act(session, Action.USER_DISABLE, request, resolve, perform)


def change_password(svc: Service, session: Session, old: str, new: str) -> None:
    """A user changes his own password, proving the old one by logging in with it; his
    other sessions end (the one he changes it in goes on; how many: ``sessions_ended`` in
    the audit entry)."""
    check_password_strength(new)
    if old == new:
        raise InvalidInput("the new password must differ from the old one")
    svc.login(session.name, old, reauthenticate=True)
    hashed = passwords.hash_password(new)

    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        people.set_password(tx, people.get_user(tx, actor.name, actor.agency_id), hashed)
        keep = session.session_id
        ended = stored_sessions.revoke_all(tx, actor.user_id, svc.clock(), keep=keep)
        request.details["sessions_ended"] = ended

    request = Request(f"user:{session.name}")
    svc.act(session, Action.PASSWORD_CHANGE, request, own_agency, perform)
