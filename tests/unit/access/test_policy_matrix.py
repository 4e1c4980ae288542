"""The access matrix: every role x every action x in/out of case x in/out of warrant x
given the communication to translate or not.

The expected outcome of each cell is read from the table in docs/access-policy.md, not
from the code, so that the code and the page a reviewer reads cannot drift apart.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from custodio.access import policy
from custodio.access.policy import Action, Actor, DataKind, Resource, Role, Window
from custodio.errors import Forbidden

DOC = Path(__file__).parents[3] / "docs" / "access-policy.md"
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
AGENCY, OTHER_AGENCY, CASE, OTHER_CASE = 1, 2, 10, 11
ACTOR = 1  # the user id of every actor below


@dataclass(frozen=True)
class Row:
    grants: dict[str, str]
    purpose: bool
    data: str | None


def read_table() -> dict[str, Row]:
    lines = [ln for ln in DOC.read_text("utf-8").splitlines() if ln.startswith("| `")]
    header = next(ln for ln in DOC.read_text("utf-8").splitlines() if ln.startswith("| action |"))
    columns = [c.strip() for c in header.strip("|").split("|")]
    table = {}
    for line in lines:
        cells = dict(zip(columns, (c.strip() for c in line.strip("|").split("|")), strict=True))
        grants = {r.value: cells[r.value] for r in Role}
        data = None if cells["data"] == "—" else cells["data"]
        table[cells["action"].strip("`")] = Row(grants, cells["purpose"] == "yes", data)
    return table


TABLE = read_table()


def logged_in(role: Role, agency: int, assignments: dict[int, datetime | None]) -> Actor:
    """A user past the login's own conditions: password changed, second factor given."""
    return Actor(
        ACTOR, "someone", role, agency, assignments, second_factor=True, totp_enrolled=True
    )


def test_the_table_lists_exactly_the_actions_of_the_code() -> None:
    assert set(TABLE) == {a.value for a in Action}


def test_the_table_uses_only_known_cells() -> None:
    for row in TABLE.values():
        cells = {"—", "agency", "case", "case+warrant", "assigned+warrant"}
        assert set(row.grants.values()) <= cells


def windows_for(kind: str | None) -> tuple[Window, ...]:
    kinds = frozenset(DataKind) if kind is None else frozenset({DataKind(kind)})
    return (Window(NOW - timedelta(days=30), NOW + timedelta(days=30), kinds),)


def expected(row: Row, role: Role, in_case: bool, in_warrant: bool, given: bool) -> bool:
    cell = row.grants[role.value]
    if cell == "—":
        return False
    if cell == "case":
        return in_case
    if cell == "case+warrant":
        return in_case and in_warrant
    if cell == "assigned+warrant":
        return given and in_warrant
    return True


CELLS = list(itertools.product(Action, Role, [True, False], [True, False], [True, False]))


@pytest.mark.parametrize(
    ("action", "role", "in_case", "in_warrant", "given"),
    CELLS,
    ids=[
        f"{a.value}-{r.value}-{'case' if c else 'nocase'}-{'warrant' if w else 'nowarrant'}"
        f"-{'given' if g else 'notgiven'}"
        for a, r, c, w, g in CELLS
    ],
)
def test_matrix(action: Action, role: Role, in_case: bool, in_warrant: bool, given: bool) -> None:
    row = TABLE[action.value]
    actor = logged_in(role, AGENCY, {CASE: None} if in_case else {OTHER_CASE: None})
    at = NOW - timedelta(days=1) if in_warrant else NOW - timedelta(days=90)
    # given: the actor (user 1) holds an open translation assignment of the communication
    translators = frozenset({ACTOR, 2}) if given else frozenset({2})
    resource = Resource(AGENCY, CASE, at=at, windows=windows_for(row.data), translators=translators)
    allowed = expected(row, role, in_case, in_warrant, given)
    purpose = "investigación" if row.purpose else None
    if allowed:
        policy.check(actor, action, resource, now=NOW, purpose=purpose)
    else:
        with pytest.raises(Forbidden):
            policy.check(actor, action, resource, now=NOW, purpose=purpose)
    assert policy.allows(actor, action, resource, now=NOW, purpose=purpose) is allowed


@pytest.mark.parametrize("action", list(Action))
def test_another_agency_is_always_refused(action: Action) -> None:
    for role in Role:
        actor = logged_in(role, OTHER_AGENCY, {CASE: None})
        given = frozenset({ACTOR})
        resource = Resource(AGENCY, CASE, at=NOW, windows=windows_for(None), translators=given)
        with pytest.raises(Forbidden):
            policy.check(actor, action, resource, now=NOW, purpose="p")


@pytest.mark.parametrize("action", [a for a in Action if TABLE[a.value].data is not None])
def test_sealed_evidence_is_for_judges_only(action: Action) -> None:
    for role in Role:
        actor = logged_in(role, AGENCY, {CASE: None})
        resource = Resource(AGENCY, CASE, at=NOW, windows=windows_for(None), sealed=True,
                            translators=frozenset({ACTOR}))  # fmt: skip
        ok = policy.allows(actor, action, resource, now=NOW, purpose="p")
        assert ok is (role is Role.JUDGE and TABLE[action.value].grants["judge"] != "—")


@pytest.mark.parametrize("action", [a for a in Action if TABLE[a.value].purpose])
@pytest.mark.parametrize("purpose", [None, "", "   "])
def test_content_needs_a_purpose(action: Action, purpose: str | None) -> None:
    role = Role.JUDGE
    actor = logged_in(role, AGENCY, {CASE: None})
    resource = Resource(AGENCY, CASE, at=NOW, windows=windows_for(None))
    with pytest.raises(Forbidden, match="needs a purpose"):
        policy.check(actor, action, resource, now=NOW, purpose=purpose)


def test_an_expired_assignment_is_no_assignment() -> None:
    actor = logged_in(Role.INVESTIGATOR, AGENCY, {CASE: NOW - timedelta(seconds=1)})
    resource = Resource(AGENCY, CASE, at=NOW - timedelta(days=1), windows=windows_for("content"))
    with pytest.raises(Forbidden, match="not assigned"):
        policy.check(actor, Action.CONTENT_READ, resource, now=NOW, purpose="p")


def test_a_warrant_for_traffic_does_not_open_content() -> None:
    actor = logged_in(Role.INVESTIGATOR, AGENCY, {CASE: None})
    resource = Resource(AGENCY, CASE, at=NOW - timedelta(days=1), windows=windows_for("traffic"))
    policy.check(actor, Action.TRAFFIC_READ, resource, now=NOW)
    with pytest.raises(Forbidden, match="no warrant covers"):
        policy.check(actor, Action.CONTENT_READ, resource, now=NOW, purpose="p")


def test_evidence_without_a_time_is_never_covered() -> None:
    actor = logged_in(Role.INVESTIGATOR, AGENCY, {CASE: None})
    resource = Resource(AGENCY, CASE, at=None, windows=windows_for(None))
    assert not policy.allows(actor, Action.TRAFFIC_READ, resource, now=NOW)


def test_window_edges_are_inclusive() -> None:
    w = Window(NOW, NOW + timedelta(hours=1), frozenset({DataKind.CONTENT}))
    assert w.covers(NOW, DataKind.CONTENT)
    assert w.covers(NOW + timedelta(hours=1), DataKind.CONTENT)
    assert not w.covers(NOW - timedelta(microseconds=1), DataKind.CONTENT)
    assert not w.covers(NOW + timedelta(hours=1, microseconds=1), DataKind.CONTENT)


# -- the login's own conditions: first password, second factor ----------------------------

EVIDENCE_READS = ("content.read", "traffic.read", "location.read")
# From the table: the roles granted any read of intercepted data.
CONTENT_ROLES = {r for r in Role if any(TABLE[a].grants[r.value] != "—" for a in EVIDENCE_READS)}


def test_the_roles_that_need_a_second_factor_are_read_from_the_table() -> None:
    assert {Role.INVESTIGATOR, Role.INTERPRETER, Role.JUDGE} == CONTENT_ROLES
    assert CONTENT_ROLES == policy.CONTENT_ROLES


def allowed_with(actor: Actor, action: Action) -> bool:
    resource = Resource(AGENCY, CASE, at=NOW - timedelta(days=1), windows=windows_for(None),
                        translators=frozenset({actor.user_id}))  # fmt: skip
    return policy.allows(actor, action, resource, now=NOW, purpose="p")


@pytest.mark.parametrize("role", list(Role))
def test_a_first_password_must_be_changed_before_anything_else(role: Role) -> None:
    fresh = Actor(
        1, "new", role, AGENCY, {CASE: None}, must_change_password=True, second_factor=True
    )
    for action in Action:
        assert allowed_with(fresh, action) is (action is Action.PASSWORD_CHANGE), action
    resource = Resource(AGENCY, label="users")
    with pytest.raises(Forbidden, match="first password") as refused:
        policy.check(fresh, Action.USER_LIST, resource, now=NOW)
    assert refused.value.hint == "change it first: `custodio password`"


@pytest.mark.parametrize("role", list(Role))
def test_content_roles_need_the_second_factor_for_all_but_two_actions(role: Role) -> None:
    without = Actor(1, "someone", role, AGENCY, {CASE: None}, second_factor=False)
    with_it = Actor(1, "someone", role, AGENCY, {CASE: None}, second_factor=True)
    for action in Action:
        if role not in CONTENT_ROLES or action in (Action.PASSWORD_CHANGE, Action.TOTP_ENROL):
            assert allowed_with(without, action) is allowed_with(with_it, action), action
        else:
            assert not allowed_with(without, action), action


def test_the_hint_says_whether_to_enrol_or_to_log_in_with_the_code() -> None:
    resource = Resource(AGENCY, label="cases")
    never = Actor(1, "inv", Role.INVESTIGATOR, AGENCY)
    with pytest.raises(Forbidden, match="second factor") as refused:
        policy.check(never, Action.CASE_LIST, resource, now=NOW)
    assert refused.value.hint == "enrol a second factor: `custodio totp enrol`"
    enrolled = Actor(1, "inv", Role.INVESTIGATOR, AGENCY, totp_enrolled=True)
    with pytest.raises(Forbidden, match="second factor") as refused:
        policy.check(enrolled, Action.CASE_LIST, resource, now=NOW)
    assert refused.value.hint == "log in with your one-time code: `custodio login`"


def test_off_lifts_the_second_factor_and_nothing_else() -> None:
    resource = Resource(AGENCY, label="cases")
    off = Actor(1, "inv", Role.INVESTIGATOR, AGENCY, second_factor_required=False)
    policy.check(off, Action.CASE_LIST, resource, now=NOW)
    fresh = Actor(
        1, "inv", Role.INVESTIGATOR, AGENCY, must_change_password=True, second_factor_required=False
    )
    with pytest.raises(Forbidden, match="first password"):
        policy.check(fresh, Action.CASE_LIST, resource, now=NOW)


def test_a_second_factor_is_replaced_only_from_a_session_opened_with_it() -> None:
    resource = Resource(AGENCY, label="user:adm")
    for role in Role:
        password_only = Actor(1, "u", role, AGENCY, totp_enrolled=True, second_factor=False)
        with pytest.raises(Forbidden, match="only a session opened with it"):
            policy.check(password_only, Action.TOTP_ENROL, resource, now=NOW)
        policy.check(
            Actor(1, "u", role, AGENCY, totp_enrolled=True, second_factor=True),
            Action.TOTP_ENROL,
            resource,
            now=NOW,
        )
        policy.check(Actor(1, "u", role, AGENCY), Action.TOTP_ENROL, resource, now=NOW)


# -- interpreters: single communications given to them ------------------------------------


def test_an_interpreter_reaches_only_what_he_was_given_and_a_warrant_covers() -> None:
    terp = logged_in(Role.INTERPRETER, AGENCY, {})
    given = Resource(AGENCY, CASE, at=NOW - timedelta(days=1), windows=windows_for(None),
                     translators=frozenset({ACTOR}))  # fmt: skip
    policy.check(terp, Action.CONTENT_READ, given, now=NOW, purpose="traducción")
    policy.check(terp, Action.TRANSLATION_SUBMIT, given, now=NOW)
    other = Resource(AGENCY, CASE, at=NOW - timedelta(days=1), windows=windows_for(None),
                     translators=frozenset({ACTOR + 1}))  # fmt: skip
    with pytest.raises(Forbidden, match="not been given this communication") as refused:
        policy.check(terp, Action.CONTENT_READ, other, now=NOW, purpose="traducción")
    assert refused.value.hint == "your open assignments: `custodio translation queue`"
    # a case assignment opens nothing to an interpreter
    in_case = logged_in(Role.INTERPRETER, AGENCY, {CASE: None})
    assert not policy.allows(in_case, Action.CONTENT_READ, other, now=NOW, purpose="p")
    assert not policy.allows(in_case, Action.CASE_VIEW, other, now=NOW)
    outside = Resource(AGENCY, CASE, at=NOW - timedelta(days=90), windows=windows_for(None),
                       translators=frozenset({ACTOR}))  # fmt: skip
    with pytest.raises(Forbidden, match="no warrant covers"):
        policy.check(terp, Action.CONTENT_READ, outside, now=NOW, purpose="traducción")
    with pytest.raises(Forbidden, match="needs a purpose"):
        policy.check(terp, Action.CONTENT_READ, given, now=NOW)
