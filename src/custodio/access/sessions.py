"""Login sessions: log in once, act with a bearer token until it expires or is revoked.

``start`` checks the password (and the one-time code of a user who enrolled a second
factor) through :meth:`Service.login` and stores a session in the transaction that audits
the login. The token is 32 random bytes (URL-safe base64, 43 characters) handed to the
caller once; the catalog keeps only its SHA-256, so that reading the catalog does not let
anyone act as a logged-in user.

A session ends when it has been idle ``session_idle_minutes``, when it reaches
``session_max_hours`` after the login however active, at logout (``end``), or when an
administrator revokes every session of the user (``revoke``). ``resume`` turns a token back
into a :class:`Session` (or raises :class:`SessionExpired`), and every action checks again
(:meth:`Service.actor`), so that a revoked session stops at once.

Audited: every login and its failure (``user.login``), every refused token
(``session.resume``, ``denied``, the reason; never the token), every logout
(``user.logout``), every revocation (``session.revoke``, a policy action).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from custodio import audit
from custodio.access.policy import Action, Actor, Resource
from custodio.access.service import Request, Service, Session
from custodio.audit.entry import Event
from custodio.catalog import people
from custodio.catalog import sessions as stored
from custodio.db import Tx
from custodio.errors import InvalidInput, SessionExpired

TOKEN_BYTES = 32
TOKEN_LENGTH = 43  # URL-safe base64 of 32 bytes, without padding
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
MAX_CLIENT = 64
# A session's last use is written at most this often (each request would be a write).
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Issued:
    """A new session: its bearer token (shown once, never stored), and the latest moment it
    can last (``session_max_hours`` after the login; idle, it ends sooner)."""

    token: str
    session: Session
    expires_at: datetime


def start(
    svc: Service, name: str, password: str, otp: str | None = None, *, client: str = "cli"
) -> Issued:
    """Log in and open a session (audited as ``user.login``, the session's id in it)."""
    client = _check_client(client)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    opened: list[datetime] = []

    def opening(tx: Tx, user: people.User, second_factor: bool) -> Session:
        at = svc.clock()
        until = at + timedelta(hours=svc.config.settings.session_max_hours)
        new = stored.NewSession(user.id, digest(token), at, until, second_factor, client)
        opened.append(until)
        return Session(user.id, user.name, stored.create(tx, new))

    session = svc.login(name, password, otp, opening=opening)
    return Issued(token, session, opened[-1])


def resume(svc: Service, token: str) -> Session:
    """The session of ``token``; SessionExpired (audited) if unknown, expired or revoked.

    A valid session used within the last ``TOUCH_EVERY`` costs one read and no write."""
    check_token_shape(token)
    at = svc.clock()
    found, reason = svc.db.read(lambda tx: _check(svc, tx, digest(token), at))
    if reason is None and found is not None and at - found.last_seen_at < TOUCH_EVERY:
        return Session(found.user_id, found.user_name, found.id)

    def record(tx: Tx) -> Session | SessionExpired:
        found, reason = _check(svc, tx, digest(token), at)  # again, in the write
        if reason is not None or found is None:
            user = None if found is None else people.find_user(tx, found.user_name)
            audit.append(tx, _refusal(found, user, reason or "unknown token"))
            return SessionExpired(f"the session has ended ({reason})")
        stored.touch(tx, found.id, at)
        return Session(found.user_id, found.user_name, found.id)

    outcome = svc.db.write(record)
    if isinstance(outcome, SessionExpired):
        raise outcome
    return outcome


def _check(
    svc: Service, tx: Tx, token_sha256: str, at: datetime
) -> tuple[stored.StoredSession | None, str | None]:
    """The stored session of a token digest, and why it is no longer valid (or None)."""
    found = stored.by_token(tx, token_sha256)
    if found is None:
        return None, "unknown token"
    reason = svc.session_ended(found, at)
    if reason is None:
        user = people.find_user(tx, found.user_name)
        if user is None or user.disabled:
            reason = "the account is disabled"
    return found, reason


def end(svc: Service, session: Session) -> None:
    """Log out: revoke this session (audited as ``user.logout``)."""
    session_id = session.session_id
    if session_id is None:
        raise InvalidInput("this session was not opened with `custodio login`: nothing to end")

    def write(tx: Tx) -> None:
        found = stored.by_id(tx, session_id)
        if found is None or found.user_id != session.user_id:
            raise SessionExpired("unknown session")
        ended = stored.revoke(tx, found.id, svc.clock())
        user = people.find_user(tx, found.user_name)
        event = Event(
            action="user.logout",
            outcome=audit.ALLOWED,
            target=f"session:{found.id}",
            actor=found.user_name,
            actor_id=found.user_id,
            agency_id=user.agency_id if user else None,
            details={} if ended else {"already_ended": True},
        )
        audit.append(tx, event)

    svc.db.write(write)


def revoke(svc: Service, admin: Session, user_name: str) -> int:
    """An administrator ends every session of a user of his agency; how many were open."""

    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        user = people.get_user(tx, user_name, actor.agency_id)
        return Resource(agency_id=user.agency_id, label=request.target)

    def perform(tx: Tx, actor: Actor, request: Request) -> int:
        user = people.get_user(tx, user_name, actor.agency_id)
        count = stored.revoke_all(tx, user.id, svc.clock())
        request.details["sessions"] = count
        return count

    request = Request(f"user:{user_name}")
    return svc.act(admin, Action.SESSION_REVOKE, request, resolve, perform)


def digest(token: str) -> str:
    """What the catalog keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def check_token_shape(token: str) -> None:
    """Refuse anything that cannot be a token before any lookup."""
    if len(token) != TOKEN_LENGTH or not set(token) <= _TOKEN_CHARS:
        raise InvalidInput("that is not a session token", hint="log in again: `custodio login`")


def _check_client(client: str) -> str:
    if not client or len(client) > MAX_CLIENT or not client.isprintable():
        raise InvalidInput(f"a client label has 1 to {MAX_CLIENT} printable characters")
    return client


def _refusal(found: stored.StoredSession | None, user: people.User | None, reason: str) -> Event:
    return Event(
        action="session.resume",
        outcome=audit.DENIED,
        target=f"session:{found.id}" if found else "session:unknown",
        actor=found.user_name if found else "unknown",
        actor_id=found.user_id if found else None,
        agency_id=user.agency_id if user else None,
        details={"reason": reason},
    )
