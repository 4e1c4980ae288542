"""The access policy: the one place that decides who may do what.

``check(actor, action, resource, purpose=...)`` returns only when every condition holds and
raises :class:`~custodio.errors.Forbidden` otherwise. There is no default-allow path: an
action without a rule, a role without a grant, another agency's resource, a case the actor
is not assigned to, a communication not given to the interpreter to translate, evidence
outside every warrant window, a sealed item for anyone but a judge, content without a
stated purpose, a user whose first password is not yet changed, a role that can reach
content without the second factor — each is refused.
``docs/access-policy.md`` is this table in words; ``tests/unit/access/test_policy_matrix.py``
walks both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from custodio.errors import Forbidden


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    WARRANT_OFFICER = "warrant_officer"
    INVESTIGATOR = "investigator"
    INTERPRETER = "interpreter"
    JUDGE = "judge"
    AUDITOR = "auditor"


class Action(StrEnum):
    AGENCY_CREATE = "agency.create"
    UNIT_CREATE = "unit.create"
    USER_CREATE = "user.create"
    USER_LIST = "user.list"
    USER_UNLOCK = "user.unlock"
    USER_DISABLE = "user.disable"
    PASSWORD_CHANGE = "password.change"  # noqa: S105 (an action's name, not a password)
    CASE_CREATE = "case.create"
    CASE_LIST = "case.list"
    CASE_VIEW = "case.view"
    CASE_ASSIGN = "case.assign"
    CASE_CLOSE = "case.close"
    WARRANT_CREATE = "warrant.create"
    WARRANT_EXTEND = "warrant.extend"
    WARRANT_REVOKE = "warrant.revoke"
    WARRANT_VIEW = "warrant.view"
    PROTECTED_ADD = "protected.add"
    PROTECTED_REMOVE = "protected.remove"
    PROTECTED_LIST = "protected.list"
    TRAFFIC_READ = "traffic.read"
    LOCATION_READ = "location.read"
    CONTENT_READ = "content.read"
    EVIDENCE_ANNOTATE = "evidence.annotate"
    SEALED_UNSEAL = "sealed.unseal"
    EVIDENCE_IMPORT = "evidence.import"
    VAULT_VERIFY = "vault.verify"
    VAULT_CLEANUP = "vault.cleanup"
    VAULT_ROTATE = "vault.rotate"
    JOURNAL_ARCHIVE = "journal.archive"
    JOURNAL_ASSEMBLE = "journal.assemble"
    QUARANTINE_LIST = "quarantine.list"
    QUARANTINE_SHOW = "quarantine.show"
    QUARANTINE_RELEASE = "quarantine.release"
    QUARANTINE_APPROVE = "quarantine.approve"
    QUARANTINE_DESTROY = "quarantine.destroy"
    HANDOVER_REPORT = "handover.report"
    CLASSIFY_RUN = "classify.run"
    CLASSIFY_CONFIGURE = "classify.configure"
    WATCHLIST_VIEW = "watchlist.view"
    JOBS_LIST = "jobs.list"
    JOBS_RETRY = "jobs.retry"
    LABEL_REVIEW = "label.review"
    PRIVILEGE_DECIDE = "privilege.decide"
    ALERT_LIST = "alert.list"
    INTERPRETER_QUEUE = "interpreter.queue"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    SEARCH = "search"
    SESSION_REVOKE = "session.revoke"
    TOTP_ENROL = "totp.enrol"
    TOTP_RESET = "totp.reset"
    TRANSLATION_ASSIGN = "translation.assign"
    TRANSLATION_QUEUE = "translation.queue"
    TRANSLATION_SUBMIT = "translation.submit"
    TAG_WRITE = "tag.write"
    TAG_READ = "tag.read"
    NOTE_WRITE = "note.write"
    NOTE_READ = "note.read"


class Scope(StrEnum):
    """How far a role's grant reaches."""

    AGENCY = "agency"  # anything of the actor's own agency
    CASE = "case"  # cases the actor is assigned to (assignment not ended or expired)
    CASE_WARRANT = "case+warrant"  # ... and evidence inside a warrant window of its kind
    # communications given to the actor to translate (the assignment open), and only inside
    # a warrant window of their kind: no case assignment needed, none enough
    ASSIGNED_WARRANT = "assigned+warrant"


class DataKind(StrEnum):
    """The kinds of intercepted data a warrant may authorise (LECrim 588 ter d)."""

    CONTENT = "content"
    TRAFFIC = "traffic"
    LOCATION = "location"


@dataclass(frozen=True)
class Rule:
    grants: Mapping[Role, Scope]
    purpose: bool = False  # the actor must say why (content access)
    data: DataKind | None = None  # evidence of this kind: warrant windows apply


R = Role
_AGENCY, _CASE, _CASE_WARRANT = Scope.AGENCY, Scope.CASE, Scope.CASE_WARRANT
_ASSIGNED = Scope.ASSIGNED_WARRANT

RULES: Mapping[Action, Rule] = {
    Action.AGENCY_CREATE: Rule({R.ADMINISTRATOR: _AGENCY}),
    Action.UNIT_CREATE: Rule({R.ADMINISTRATOR: _AGENCY}),
    Action.USER_CREATE: Rule({R.ADMINISTRATOR: _AGENCY}),
    Action.USER_LIST: Rule({R.ADMINISTRATOR: _AGENCY, R.AUDITOR: _AGENCY}),
    Action.USER_UNLOCK: Rule({R.ADMINISTRATOR: _AGENCY}),
    Action.USER_DISABLE: Rule({R.ADMINISTRATOR: _AGENCY}),
    Action.PASSWORD_CHANGE: Rule({role: _AGENCY for role in Role}),
    Action.CASE_CREATE: Rule({R.WARRANT_OFFICER: _AGENCY}),
    # A listing shows each one only the cases he may view (case.view).
    # Interpreters see no case: only the communications given to them (translation.*).
    Action.CASE_LIST: Rule({R.WARRANT_OFFICER: _AGENCY, R.INVESTIGATOR: _AGENCY, R.JUDGE: _AGENCY}),
    Action.CASE_VIEW: Rule({R.WARRANT_OFFICER: _AGENCY, R.INVESTIGATOR: _CASE, R.JUDGE: _CASE}),
    Action.CASE_ASSIGN: Rule({R.WARRANT_OFFICER: _AGENCY}),
    Action.CASE_CLOSE: Rule({R.WARRANT_OFFICER: _AGENCY}),
    Action.WARRANT_CREATE: Rule({R.WARRANT_OFFICER: _AGENCY}),
    Action.WARRANT_EXTEND: Rule({R.WARRANT_OFFICER: _AGENCY}),
    Action.WARRANT_REVOKE: Rule({R.WARRANT_OFFICER: _AGENCY}),
    Action.WARRANT_VIEW: Rule({R.WARRANT_OFFICER: _AGENCY, R.INVESTIGATOR: _CASE, R.JUDGE: _CASE}),
    Action.PROTECTED_ADD: Rule({R.WARRANT_OFFICER: _AGENCY, R.JUDGE: _AGENCY}),
    Action.PROTECTED_REMOVE: Rule({R.JUDGE: _AGENCY}),
    Action.PROTECTED_LIST: Rule({R.WARRANT_OFFICER: _AGENCY, R.JUDGE: _AGENCY}),
    Action.TRAFFIC_READ: Rule(
        {R.INVESTIGATOR: _CASE_WARRANT, R.INTERPRETER: _ASSIGNED, R.JUDGE: _CASE},
        data=DataKind.TRAFFIC,
    ),
    Action.LOCATION_READ: Rule(
        {R.INVESTIGATOR: _CASE_WARRANT, R.JUDGE: _CASE}, purpose=True, data=DataKind.LOCATION
    ),
    Action.CONTENT_READ: Rule(
        {R.INVESTIGATOR: _CASE_WARRANT, R.INTERPRETER: _ASSIGNED, R.JUDGE: _CASE},
        purpose=True,
        data=DataKind.CONTENT,
    ),
    Action.EVIDENCE_ANNOTATE: Rule({R.INVESTIGATOR: _CASE_WARRANT}, data=DataKind.TRAFFIC),
    Action.SEALED_UNSEAL: Rule({R.JUDGE: _CASE}, purpose=True),
    Action.EVIDENCE_IMPORT: Rule(
        {R.WARRANT_OFFICER: _AGENCY, R.INVESTIGATOR: _CASE, R.JUDGE: _CASE}
    ),
    Action.VAULT_VERIFY: Rule({R.ADMINISTRATOR: _AGENCY, R.AUDITOR: _AGENCY}),
    Action.VAULT_CLEANUP: Rule({R.ADMINISTRATOR: _AGENCY}),
    Action.VAULT_ROTATE: Rule({R.ADMINISTRATOR: _AGENCY}),
    Action.JOURNAL_ARCHIVE: Rule({R.ADMINISTRATOR: _AGENCY}),
    Action.JOURNAL_ASSEMBLE: Rule({R.ADMINISTRATOR: _AGENCY}),
    Action.QUARANTINE_LIST: Rule({R.WARRANT_OFFICER: _AGENCY, R.JUDGE: _AGENCY}),
    Action.QUARANTINE_SHOW: Rule({R.WARRANT_OFFICER: _AGENCY, R.JUDGE: _AGENCY}),
    # four eyes: a warrant officer asks with the court's order, a judge approves
    Action.QUARANTINE_RELEASE: Rule({R.WARRANT_OFFICER: _AGENCY}),
    Action.QUARANTINE_APPROVE: Rule({R.JUDGE: _AGENCY}),
    Action.QUARANTINE_DESTROY: Rule({R.JUDGE: _AGENCY}),
    Action.HANDOVER_REPORT: Rule({R.WARRANT_OFFICER: _AGENCY}),
    # classification: queue it, tune it (watch-lists, priority weights), see its machinery
    Action.CLASSIFY_RUN: Rule(
        {R.ADMINISTRATOR: _AGENCY, R.WARRANT_OFFICER: _AGENCY, R.INVESTIGATOR: _CASE}
    ),
    Action.CLASSIFY_CONFIGURE: Rule({R.WARRANT_OFFICER: _AGENCY, R.INVESTIGATOR: _CASE}),
    Action.WATCHLIST_VIEW: Rule(
        {R.WARRANT_OFFICER: _AGENCY, R.INVESTIGATOR: _CASE, R.JUDGE: _CASE}
    ),
    Action.JOBS_LIST: Rule({R.ADMINISTRATOR: _AGENCY, R.WARRANT_OFFICER: _AGENCY}),
    Action.JOBS_RETRY: Rule({R.ADMINISTRATOR: _AGENCY}),
    # confirm or overrule a label, mark a passage intimate: it is content, so its window
    Action.LABEL_REVIEW: Rule(
        {R.INVESTIGATOR: _CASE_WARRANT, R.INTERPRETER: _ASSIGNED}, data=DataKind.CONTENT
    ),
    # a possible lawyer-client conversation: only a judge seals it or clears it
    Action.PRIVILEGE_DECIDE: Rule({R.JUDGE: _CASE}, purpose=True),
    Action.ALERT_LIST: Rule({R.WARRANT_OFFICER: _AGENCY, R.INVESTIGATOR: _CASE}),
    # calls waiting for an interpreter: for those who give them out (translation.assign)
    Action.INTERPRETER_QUEUE: Rule({R.WARRANT_OFFICER: _AGENCY, R.INVESTIGATOR: _CASE}),
    Action.AUDIT_READ: Rule({R.AUDITOR: _AGENCY}),
    Action.AUDIT_VERIFY: Rule({R.AUDITOR: _AGENCY, R.ADMINISTRATOR: _AGENCY}),
    # full text over content: the case's content windows and seals apply in the query itself
    Action.SEARCH: Rule(
        {R.INVESTIGATOR: _CASE_WARRANT, R.JUDGE: _CASE}, purpose=True, data=DataKind.CONTENT
    ),
    Action.SESSION_REVOKE: Rule({R.ADMINISTRATOR: _AGENCY}),
    Action.TOTP_ENROL: Rule({role: _AGENCY for role in Role}),
    # a user's lost second factor forgotten (never the administrator's own: second_factor.py)
    Action.TOTP_RESET: Rule({R.ADMINISTRATOR: _AGENCY}),
    # one communication given to an interpreter (or taken back), his own open assignments
    # (no content), and the translation he submits (a label; the assignment closes)
    Action.TRANSLATION_ASSIGN: Rule(
        {R.WARRANT_OFFICER: _AGENCY, R.INVESTIGATOR: _CASE_WARRANT}, data=DataKind.CONTENT
    ),
    Action.TRANSLATION_QUEUE: Rule({R.INTERPRETER: _AGENCY}),
    Action.TRANSLATION_SUBMIT: Rule({R.INTERPRETER: _ASSIGNED}, data=DataKind.CONTENT),
    # an investigator's own marks on a communication he may see (its traffic data): tags
    # (put on, taken off) and append-only notes. A note may retell what was said: reading
    # notes is reading case content, so it needs a purpose (search finds them too)
    Action.TAG_WRITE: Rule({R.INVESTIGATOR: _CASE_WARRANT}, data=DataKind.TRAFFIC),
    Action.TAG_READ: Rule({R.INVESTIGATOR: _CASE_WARRANT, R.JUDGE: _CASE}, data=DataKind.TRAFFIC),
    Action.NOTE_WRITE: Rule({R.INVESTIGATOR: _CASE_WARRANT}, data=DataKind.TRAFFIC),
    Action.NOTE_READ: Rule(
        {R.INVESTIGATOR: _CASE_WARRANT, R.JUDGE: _CASE}, purpose=True, data=DataKind.TRAFFIC
    ),
}

# What a user may still do before his first password is changed, and without the second
# factor that his role needs.
BEFORE_PASSWORD_CHANGE = frozenset({Action.PASSWORD_CHANGE})
WITHOUT_SECOND_FACTOR = frozenset({Action.PASSWORD_CHANGE, Action.TOTP_ENROL})
_EVIDENCE_READS = (Action.CONTENT_READ, Action.TRAFFIC_READ, Action.LOCATION_READ)
# The roles that can reach intercepted data: any role granted one of its reads. They need
# the second factor (TOTP) for everything but the two actions above.
CONTENT_ROLES = frozenset(role for a in _EVIDENCE_READS for role in RULES[a].grants)


@dataclass(frozen=True)
class Actor:
    """An authenticated user, as the policy sees him."""

    user_id: int
    name: str
    role: Role
    agency_id: int
    assignments: Mapping[int, datetime | None] = field(default_factory=dict)  # case -> until
    must_change_password: bool = False  # the first password, set by an administrator
    second_factor: bool = False  # the session was opened with a one-time code
    totp_enrolled: bool = False  # he has a second factor to log in with (for the hint)
    second_factor_required: bool = True  # False only where auth_second_factor = "off"

    def assigned_to(self, case_id: int | None, at: datetime) -> bool:
        if case_id is None or case_id not in self.assignments:
            return False
        until = self.assignments[case_id]
        return until is None or at <= until


@dataclass(frozen=True)
class Window:
    """A span of time in which a warrant authorises some kinds of data."""

    start: datetime
    end: datetime
    kinds: frozenset[DataKind]

    def covers(self, at: datetime, kind: DataKind) -> bool:
        return self.start <= at <= self.end and kind in self.kinds


@dataclass(frozen=True)
class Resource:
    """What an action touches: its agency, its case, and for evidence when and how sealed."""

    agency_id: int
    case_id: int | None = None
    at: datetime | None = None  # when the communication took place
    windows: tuple[Window, ...] = ()  # the case's warrant windows
    sealed: bool = False
    label: str = ""
    translators: frozenset[int] = frozenset()  # users holding an open translation assignment


def allows(
    actor: Actor, action: Action, resource: Resource, *, now: datetime, purpose: str | None = None
) -> bool:
    """True where :func:`check` would return (for filtering lists; nothing is raised)."""
    try:
        check(actor, action, resource, now=now, purpose=purpose)
    except Forbidden:
        return False
    return True


def check(
    actor: Actor, action: Action, resource: Resource, *, now: datetime, purpose: str | None = None
) -> None:
    """Return if ``actor`` may do ``action`` on ``resource``; raise Forbidden otherwise."""
    rule = RULES.get(action)
    if rule is None:
        raise Forbidden(f"{action} is not an action the policy knows")
    _check_authentication(actor, action)
    scope = rule.grants.get(actor.role)
    if scope is None:
        raise Forbidden(f"the role {actor.role} may not {action}")
    if actor.agency_id != resource.agency_id:
        raise Forbidden(f"{actor.name} may not act on another agency's {resource.label or 'data'}")
    if scope in (Scope.CASE, Scope.CASE_WARRANT) and not actor.assigned_to(resource.case_id, now):
        raise Forbidden(
            f"{actor.name} is not assigned to this case",
            hint="a warrant officer can assign it with `custodio case assign`",
        )
    if scope is Scope.ASSIGNED_WARRANT and actor.user_id not in resource.translators:
        raise Forbidden(
            f"{actor.name} has not been given this communication to translate",
            hint="your open assignments: `custodio translation queue`",
        )
    if scope in (Scope.CASE_WARRANT, Scope.ASSIGNED_WARRANT) and not _covered(rule, resource):
        raise Forbidden("no warrant covers this item's time and kind of data")
    if resource.sealed and actor.role is not Role.JUDGE:
        raise Forbidden("the item is sealed: only a judge may see it")
    if rule.purpose and not (purpose and purpose.strip()):
        raise Forbidden(
            f"{action} needs a purpose", hint="say why with --purpose TEXT (it is audited)"
        )


def _check_authentication(actor: Actor, action: Action) -> None:
    """The login's own conditions: a first password changed, a second factor given."""
    if actor.must_change_password and action not in BEFORE_PASSWORD_CHANGE:
        raise Forbidden(
            f"{actor.name} must change the first password before anything else",
            hint="change it first: `custodio password`",
        )
    if action is Action.TOTP_ENROL and actor.totp_enrolled and not actor.second_factor:
        raise Forbidden(
            f"{actor.name} has a second factor: only a session opened with it may replace it",
            hint="log in with your one-time code: `custodio login`",
        )
    if (
        actor.second_factor_required
        and not actor.second_factor
        and actor.role in CONTENT_ROLES
        and action not in WITHOUT_SECOND_FACTOR
    ):
        raise Forbidden(
            f"the role {actor.role} needs a second factor (a one-time code) for {action}",
            hint="log in with your one-time code: `custodio login`"
            if actor.totp_enrolled
            else "enrol a second factor: `custodio totp enrol`",
        )


def _covered(rule: Rule, resource: Resource) -> bool:
    if rule.data is None or resource.at is None:
        return False
    at, kind = resource.at, rule.data
    return any(w.covers(at, kind) for w in resource.windows)
