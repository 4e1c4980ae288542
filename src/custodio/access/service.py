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
from custodio.catalog import sessions as stored_sessions
from custodio.config import Config
from custodio.crypto import passwords, sealing, signing, totp
from custodio.crypto.sealing import SealingKey
from custodio.crypto.signing import Signer
from custodio.db import Database, Tx, migrate
from custodio.db.times import now
from custodio.errors import (
    AccountLocked,
    AuthenticationFailed,
    ConfigError,
    CustodioError,
    Forbidden,
    IntegrityError,
    InvalidInput,
    SessionExpired,
)

T = TypeVar("T")
SYSTEM = "system"


@dataclass(frozen=True)
class Session:
    """A logged-in user. Only the ids are trusted: everything else is reloaded per action.

    ``session_id`` names a stored login session (``access/sessions.py``): every action
    checks that it has not expired nor been revoked, and whether it was opened with the
    second factor. Without one (a password given with each command) there is no second
    factor."""

    user_id: int
    name: str
    session_id: int | None = None


@dataclass
class Request:
    """What one action touches, filled in while it runs (for the audit entry)."""

    target: str
    case_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


Resolve = Callable[[Tx, Actor, Request], Resource]
Perform = Callable[[Tx, Actor, Request], T]
# Stores a session for a user whose login succeeded (with a second factor or not), in the
# transaction that records the login; see access/sessions.py.
Opening = Callable[[Tx, people.User, bool], Session]


class Service:
    def __init__(
        self,
        config: Config,
        db: Database,
        *,
        totp_key: SealingKey,
        clock: Callable[[], datetime] = now,
    ) -> None:
        self.config = config
        self.db = db
        self.totp_key = totp_key  # seals the users' TOTP secrets (catalog/sessions.py)
        self.clock = clock
        self.log_id: str = db.read(lambda tx: meta(tx, "audit_log_id"))

    @classmethod
    def open(cls, config: Config, *, clock: Callable[[], datetime] = now) -> Service:
        """The service over the data directory's catalog, brought up to date: the schema
        migrated, the second-factor key loaded (made where missing), clear TOTP secrets
        sealed."""
        db = Database(config.catalog_url, batch_max=config.settings.catalog_batch_max)
        try:
            migrate.upgrade(db)
            audit.build_tree(db)  # only a log from before schema 7 needs it, once
            key = _second_factor_key(config, db)
            if db.read(stored_sessions.any_clear_totp):  # only a catalog from before sealing
                db.write(lambda tx: _seal_clear_secrets(tx, key))
            return cls(config, db, totp_key=key, clock=clock)
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
            actor, _ = self._decide(tx, session, action, request, resolve, purpose)
            result = perform(tx, actor, request)
            audit.append(tx, self._event(actor, action, request, purpose, audit.ALLOWED))
            return result

        try:
            return self.db.write(run)
        except Forbidden as refusal:
            self._record_refusal(session, action, request, purpose, refusal)
            raise

    def look(
        self,
        session: Session,
        action: Action,
        request: Request,
        resolve: Resolve,
        perform: Perform[T],
        *,
        purpose: str | None = None,
    ) -> T:
        """:meth:`act` for an action that changes nothing but the audit log (a listing, a
        search, reading content): decided and performed on a read snapshot in the
        caller's thread, so that readers do not queue behind one another in the catalog's
        single writer. The writer then asks the policy again about the actor as he is at
        that moment (his session, account and assignments) and appends the entry; the
        result is returned only once that entry is committed. ``perform`` runs in a
        read-only transaction: a change there fails.
        """

        def decide(tx: Tx) -> tuple[T, Resource]:
            actor, resource = self._decide(tx, session, action, request, resolve, purpose)
            return perform(tx, actor, request), resource

        def confirm(tx: Tx) -> None:
            actor = self.actor(tx, session)
            policy.check(actor, action, resource, now=self.clock(), purpose=purpose)
            audit.append(tx, self._event(actor, action, request, purpose, audit.ALLOWED))

        try:
            result, resource = self.db.read(decide)
            self.db.write(confirm)
        except Forbidden as refusal:
            self._record_refusal(session, action, request, purpose, refusal)
            raise
        return result

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
            self._decide(tx, session, action, request, resolve, purpose)

        try:
            self.db.read(ask)
        except Forbidden as refusal:
            self._record_refusal(session, action, request, purpose, refusal)
            raise

    def _decide(
        self,
        tx: Tx,
        session: Session,
        action: Action,
        request: Request,
        resolve: Resolve,
        purpose: str | None,
    ) -> tuple[Actor, Resource]:
        """The actor and the resource, once the policy allowed ``action`` (Forbidden if not)."""
        actor = self.actor(tx, session)
        resource = resolve(tx, actor, request)
        request.case_id = resource.case_id
        policy.check(actor, action, resource, now=self.clock(), purpose=purpose)
        return actor, resource

    def actor(self, tx: Tx, session: Session) -> Actor:
        user = people.find_user(tx, session.name)
        if user is None or user.id != session.user_id or user.disabled:
            raise AuthenticationFailed(
                f"the account {session.name!r} no longer exists or is disabled"
            )
        at = self.clock()
        second_factor = False
        if session.session_id is not None:
            second_factor = self.live_session(tx, session.session_id, user.id, at).second_factor
        return Actor(
            user_id=user.id,
            name=user.name,
            role=Role(user.role),
            agency_id=user.agency_id,
            assignments=cases.assignments_of(tx, user.id, at),
            must_change_password=user.must_change_password,
            second_factor=second_factor,
            second_factor_required=self.config.settings.auth_second_factor != "off",
            totp_enrolled=stored_sessions.totp_enrolled(tx, user.id),
        )

    def live_session(
        self, tx: Tx, session_id: int, user_id: int | None, at: datetime
    ) -> stored_sessions.StoredSession:
        """The stored session, if it is still valid at ``at``; SessionExpired otherwise."""
        stored = stored_sessions.by_id(tx, session_id)
        if stored is None or (user_id is not None and stored.user_id != user_id):
            raise SessionExpired("unknown session")
        reason = self.session_ended(stored, at)
        if reason is not None:
            raise SessionExpired(f"the session has ended ({reason})")
        return stored

    def session_ended(self, stored: stored_sessions.StoredSession, at: datetime) -> str | None:
        """Why the session is no longer valid at ``at`` (revoked, idle, too old), or None."""
        settings = self.config.settings
        if stored.revoked_at is not None:
            return "revoked"
        if at >= stored.expires_at:
            return f"older than session_max_hours ({settings.session_max_hours})"
        if at >= stored.last_seen_at + timedelta(minutes=settings.session_idle_minutes):
            return f"idle longer than session_idle_minutes ({settings.session_idle_minutes})"
        return None

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

    def login(
        self,
        name: str,
        password: str,
        otp: str | None = None,
        *,
        opening: Opening | None = None,
        reauthenticate: bool = False,
    ) -> Session:
        """Check a user's password (and one-time code, where he enrolled one); audited.

        Inputs longer than the limits are refused before any work. An unknown user costs
        one argon2id verification like a wrong password and gets the same error. A wrong or
        replayed one-time code counts toward the lock-out like a wrong password.
        ``opening`` (``access/sessions.py``) stores a session in the transaction that
        records the login; without it the Session has no ``session_id``. ``reauthenticate``:
        a logged-in user proves his password again (to change it): no code is asked."""
        check_credentials_shape(name, password, otp)
        user = self.db.read(lambda tx: people.find_user(tx, name))
        if user is None:
            good = passwords.verify_nothing(password)
        else:
            good = people.check_password(user, password)

        def record(tx: Tx) -> Session | Exception:
            at = self.clock()
            current = people.find_user(tx, name)
            problem = _login_problem(current, good, at)
            second_factor = False
            if current is not None and problem is None and not reauthenticate:
                problem, second_factor = self._second_factor(tx, current, otp, at)
            if current is not None and problem is None:
                people.record_good_login(tx, current)
                session = (opening or _plain)(tx, current, second_factor)
                audit.append(tx, _login_event(name, current, None, session))
                return session
            if isinstance(problem, _Wrong):  # counts toward the lock-out, and says no more
                locked = self._count_failure(tx, current) if current is not None else None
                problem = locked or AuthenticationFailed(problem.message, hint=problem.hint)
            assert problem is not None
            audit.append(tx, _login_event(name, current, problem, None))
            return problem

        outcome = self.db.write(record)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _second_factor(
        self, tx: Tx, user: people.User, otp: str | None, at: datetime
    ) -> tuple[Exception | None, bool]:
        """(the problem, whether a second factor was proven): (None, False) for a user
        without one (a code he gives is ignored), (None, True) for a fresh code of his.
        A secret that does not open is the problem (audited as the login's, then raised)."""
        try:
            secret = stored_sessions.totp_of(tx, self.totp_key, user.id).secret
        except IntegrityError as e:
            return e, False
        if secret is None:
            return None, False
        if otp is None:
            return OneTimeCodeNeeded(), False
        step = totp.matching_step(secret, otp, at)
        if step is None:
            return _Wrong("wrong one-time code"), False
        if not stored_sessions.use_totp_step(tx, user.id, step):
            used = _Wrong("this one-time code was used already", hint="wait for the next code")
            return used, False
        return None, True

    def _count_failure(self, tx: Tx, user: people.User) -> AccountLocked | None:
        """Count a wrong password or code; the lock-out it causes, if it causes one."""
        limit = self.config.settings.login_max_failures
        minutes = self.config.settings.login_lockout_minutes
        lockout = timedelta(minutes=minutes)
        if not people.record_failed_login(tx, user, max_failures=limit, lockout=lockout):
            return None
        return AccountLocked(
            f"wrong password or code; account {user.name!r} is now locked for {minutes} "
            f"minutes after {limit} failed logins",
            hint="wait, or ask an administrator: `custodio user unlock NAME`",
        )


def _second_factor_key(config: Config, db: Database) -> SealingKey:
    """The key of ``second-factor.key``; a new one where there is none and nothing in the
    catalog was sealed under a former one (a data directory made before keys were)."""
    path = config.second_factor_key_file
    if path.exists():
        return sealing.load_key_file(path)
    if db.read(stored_sessions.any_sealed_totp):
        raise ConfigError(
            f"{path} is missing and the catalog holds second factors sealed under it",
            hint="restore it from the backup of the data directory (docs/threat-model.md)",
        )
    try:
        return sealing.create_key_file(path)
    except FileExistsError:  # another process made it meanwhile
        return sealing.load_key_file(path)


def _seal_clear_secrets(tx: Tx, key: SealingKey) -> None:
    """Seal the TOTP secrets a catalog from before sealing holds in the clear (audited)."""
    users = stored_sessions.seal_clear_totp(tx, key)
    if users:
        event = Event(
            action="totp.sealed",
            outcome=audit.ALLOWED,
            target="users",
            actor=SYSTEM,
            details={"users": users},
        )
        audit.append(tx, event)


def own_agency(tx: Tx, actor: Actor, request: Request) -> Resource:
    """The resource of an action on the actor's agency as a whole."""
    return Resource(agency_id=actor.agency_id, label=request.target)


def meta(tx: Tx, key: str) -> str:
    return catalog_meta.get(tx, key)


# The one text for an unknown user and a wrong password (no enumeration).
UNKNOWN_OR_WRONG = "unknown user or wrong password"
MAX_NAME = 64
MAX_PASSWORD = 1024  # argon2id hashes the whole password: bound the work a caller asks
OTP_DIGITS = totp.DIGITS


class _Wrong(AuthenticationFailed):
    """A wrong password or one-time code: counted toward the lock-out, then raised as a
    plain AuthenticationFailed."""


class OneTimeCodeNeeded(AuthenticationFailed):
    """The password was right; the user has a second factor and gave no code."""

    def __init__(self) -> None:
        super().__init__(
            "this account needs a one-time code",
            hint="give it from your authenticator app (CUSTODIO_OTP or the prompt of "
            "`custodio login`)",
        )


def check_credentials_shape(name: str, password: str, otp: str | None) -> None:
    """Refuse over-long or malformed credentials before any lookup or hashing."""
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(f"a user name has 1 to {MAX_NAME} characters")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(f"a password has at most {MAX_PASSWORD} characters")
    if otp is not None and not (len(otp) == OTP_DIGITS and otp.isascii() and otp.isdigit()):
        raise InvalidInput(f"a one-time code is exactly {OTP_DIGITS} digits")


def _plain(tx: Tx, user: people.User, second_factor: bool) -> Session:
    return Session(user.id, user.name)


def _login_problem(user: people.User | None, good: bool, at: datetime) -> Exception | None:
    if user is None:
        return _Wrong(UNKNOWN_OR_WRONG)
    if user.locked_until is not None and user.locked_until > at:
        return AccountLocked(
            f"account {user.name!r} is locked until {user.locked_until:%Y-%m-%d %H:%M} UTC "
            "after repeated failed logins",
            hint="wait, or ask an administrator: `custodio user unlock NAME`",
        )
    if not good:
        return _Wrong(UNKNOWN_OR_WRONG)
    if user.disabled:  # said only to whoever knows the password
        return AuthenticationFailed(f"account {user.name!r} is disabled")
    return None


def _login_event(
    name: str, user: people.User | None, problem: Exception | None, session: Session | None
) -> Event:
    details: dict[str, Any] = {}
    if problem is not None:
        details["reason"] = str(problem)
    elif session is not None and session.session_id is not None:
        details["session"] = session.session_id
    return Event(
        action="user.login",
        outcome=audit.ALLOWED if problem is None else audit.DENIED,
        target=f"user:{name}",
        actor=name,
        actor_id=user.id if user else None,
        agency_id=user.agency_id if user else None,
        details=details,
    )
