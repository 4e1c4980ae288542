"""The service layer: the only way in or out for the CLI, the API and the web UI.

Every operation runs :meth:`Service.act`: in one write transaction it loads the actor
afresh (role, agency, assignments), resolves the resource, asks the policy, makes the
change and appends the audit entry, so that the change and its record commit together.
A refusal is written to the audit log in a transaction of its own and then raised.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from custodio import audit
from custodio.access import policy
from custodio.access.policy import Action, Actor, Resource, Role
from custodio.audit.entry import Event
from custodio.catalog import cases, people
from custodio.catalog import meta as catalog_meta
from custodio.config import Config
from custodio.crypto import signing
from custodio.crypto.signing import Signer
from custodio.db import Database, Tx, migrate
from custodio.db.times import now
from custodio.errors import (
    AccountLocked,
    AuthenticationFailed,
    CustodioError,
    Forbidden,
)

T = TypeVar("T")
SYSTEM = "system"


@dataclass(frozen=True)
class Session:
    """A logged-in user. Only the id is trusted: everything else is reloaded per action."""

    user_id: int
    name: str


@dataclass
class Request:
    """What one action touches, filled in while it runs (for the audit entry)."""

    target: str
    case_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


Resolve = Callable[[Tx, Actor, Request], Resource]
Perform = Callable[[Tx, Actor, Request], T]


class Service:
    def __init__(
        self, config: Config, db: Database, *, clock: Callable[[], datetime] = now
    ) -> None:
        self.config = config
        self.db = db
        self.clock = clock
        self.log_id: str = db.read(lambda tx: meta(tx, "audit_log_id"))

    @classmethod
    def open(cls, config: Config, *, clock: Callable[[], datetime] = now) -> Service:
        db = Database(config.catalog_url, batch_max=config.settings.catalog_batch_max)
        try:
            migrate.upgrade(db)
            audit.build_tree(db)  # only a log from before schema 7 needs it, once
            return cls(config, db, clock=clock)
        except BaseException:
            db.close()
            raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def signer(self) -> Signer:
        return signing.load(self.config.signing_key_file)

    # -- the one path every action takes ------------------------------------------------

    def act(
        self,
        session: Session,
        action: Action,
        request: Request,
        resolve: Resolve,
        perform: Perform[T],
        *,
        purpose: str | None = None,
    ) -> T:
        def run(tx: Tx) -> T:
            actor = self.actor(tx, session)
            resource = resolve(tx, actor, request)
            request.case_id = resource.case_id
            policy.check(actor, action, resource, now=self.clock(), purpose=purpose)
            result = perform(tx, actor, request)
            audit.append(tx, self._event(actor, action, request, purpose, audit.ALLOWED))
            return result

        try:
            return self.db.write(run)
        except Forbidden as refusal:
            self._record_refusal(session, action, request, purpose, refusal)
            raise

    def authorize(
        self,
        session: Session,
        action: Action,
        request: Request,
        resolve: Resolve,
        *,
        purpose: str | None = None,
    ) -> None:
        """Ask the policy before slow work outside a transaction (a backend upload).

        A refusal is audited and raised as in :meth:`act`. Nothing is written when allowed:
        the work that follows ends in :meth:`act`, which asks again inside its transaction
        and writes the entry together with the change.
        """

        def ask(tx: Tx) -> None:
            actor = self.actor(tx, session)
            resource = resolve(tx, actor, request)
            request.case_id = resource.case_id
            policy.check(actor, action, resource, now=self.clock(), purpose=purpose)

        try:
            self.db.read(ask)
        except Forbidden as refusal:
            self._record_refusal(session, action, request, purpose, refusal)
            raise

    def actor(self, tx: Tx, session: Session) -> Actor:
        user = people.find_user(tx, session.name)
        if user is None or user.id != session.user_id or user.disabled:
            raise AuthenticationFailed(
                f"the account {session.name!r} no longer exists or is disabled"
            )
        return Actor(
            user_id=user.id,
            name=user.name,
            role=Role(user.role),
            agency_id=user.agency_id,
            assignments=cases.assignments_of(tx, user.id, self.clock()),
        )

    def record_failure(
        self,
        session: Session,
        action: Action,
        request: Request,
        failure: Exception,
        *,
        purpose: str | None = None,
    ) -> None:
        """Audit an action that failed after the policy allowed it (work done outside the
        transaction of :meth:`act`, an import's upload): ``denied``, the reason saying
        what failed. Best effort: when the catalog itself failed, the original error is
        the one the caller raises."""
        reason = f"failed: {failure}".encode("utf-8", "backslashreplace").decode("utf-8")
        with contextlib.suppress(CustodioError):
            self._record_denied(session, action, request, purpose, reason, failed=True)

    def _record_refusal(
        self,
        session: Session,
        action: Action,
        request: Request,
        purpose: str | None,
        refusal: Forbidden,
    ) -> None:
        self._record_denied(session, action, request, purpose, refusal.message)

    def _record_denied(
        self,
        session: Session,
        action: Action,
        request: Request,
        purpose: str | None,
        reason: str,
        **extra: Any,
    ) -> None:
        def write(tx: Tx) -> None:
            user = people.find_user(tx, session.name)
            event = Event(
                action=action.value,
                outcome=audit.DENIED,
                target=request.target,
                actor=session.name,
                actor_id=session.user_id,
                agency_id=user.agency_id if user else None,
                case_id=request.case_id,
                purpose=purpose,
                details={**request.details, **extra, "reason": reason},
            )
            audit.append(tx, event)

        self.db.write(write)

    def _event(
        self, actor: Actor, action: Action, request: Request, purpose: str | None, outcome: str
    ) -> Event:
        return Event(
            action=action.value,
            outcome=outcome,
            target=request.target,
            actor=actor.name,
            actor_id=actor.user_id,
            agency_id=actor.agency_id,
            case_id=request.case_id,
            purpose=purpose,
            details=request.details,
        )

    def system_event(
        self, action: str, target: str, details: dict[str, Any], *, case: Any = None
    ) -> None:
        """Record something the service itself did (start, stop, shredding...)."""
        event = Event(
            action=action,
            outcome=audit.ALLOWED,
            target=target,
            actor=SYSTEM,
            agency_id=case.agency_id if case is not None else None,
            case_id=case.id if case is not None else None,
            details=details,
        )
        audit.record(self.db, event)

    # -- logging in ---------------------------------------------------------------------

    def login(self, name: str, password: str) -> Session:
        user = self.db.read(lambda tx: people.find_user(tx, name))
        good = user is not None and people.check_password(user, password)

        def record(tx: Tx) -> Exception | None:
            current = people.find_user(tx, name)
            problem = _login_problem(current, good, self.clock())
            if current is not None and problem is None:
                people.record_good_login(tx, current)
            elif current is not None and type(problem) is AuthenticationFailed and not good:
                problem = self._count_failure(tx, current) or problem
            audit.append(tx, _login_event(name, current, problem))
            return problem

        problem = self.db.write(record)
        if problem is not None:
            raise problem
        assert user is not None
        return Session(user.id, user.name)

    def _count_failure(self, tx: Tx, user: people.User) -> AccountLocked | None:
        """Count a wrong password; the lock-out it causes, if it causes one."""
        limit = self.config.settings.login_max_failures
        minutes = self.config.settings.login_lockout_minutes
        lockout = timedelta(minutes=minutes)
        if not people.record_failed_login(tx, user, max_failures=limit, lockout=lockout):
            return None
        return AccountLocked(
            f"wrong password; account {user.name!r} is now locked for {minutes} minutes "
            f"after {limit} failed logins",
            hint="wait, or ask an administrator: `custodio user unlock NAME`",
        )


def own_agency(tx: Tx, actor: Actor, request: Request) -> Resource:
    """The resource of an action on the actor's agency as a whole."""
    return Resource(agency_id=actor.agency_id, label=request.target)


def meta(tx: Tx, key: str) -> str:
    return catalog_meta.get(tx, key)


def _login_problem(user: people.User | None, good: bool, at: datetime) -> Exception | None:
    if user is None:
        return AuthenticationFailed("unknown user or wrong password")
    if user.disabled:
        return AuthenticationFailed(f"account {user.name!r} is disabled")
    if user.locked_until is not None and user.locked_until > at:
        return AccountLocked(
            f"account {user.name!r} is locked until {user.locked_until:%Y-%m-%d %H:%M} UTC "
            "after repeated failed logins",
            hint="wait, or ask an administrator: `custodio user unlock NAME`",
        )
    if not good:
        return AuthenticationFailed("unknown user or wrong password")
    return None


def _login_event(name: str, user: people.User | None, problem: Exception | None) -> Event:
    return Event(
        action="user.login",
        outcome=audit.ALLOWED if problem is None else audit.DENIED,
        target=f"user:{name}",
        actor=name,
        actor_id=user.id if user else None,
        agency_id=user.agency_id if user else None,
        details={} if problem is None else {"reason": str(problem)},
    )
