"""The access matrix: every role x every action x in/out of case x in/out of warrant.

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


def test_the_table_lists_exactly_the_actions_of_the_code() -> None:
    assert set(TABLE) == {a.value for a in Action}


def test_the_table_uses_only_known_cells() -> None:
    for row in TABLE.values():
        assert set(row.grants.values()) <= {"—", "agency", "case", "case+warrant"}


def windows_for(kind: str | None) -> tuple[Window, ...]:
    kinds = frozenset(DataKind) if kind is None else frozenset({DataKind(kind)})
    return (Window(NOW - timedelta(days=30), NOW + timedelta(days=30), kinds),)


def expected(row: Row, role: Role, in_case: bool, in_warrant: bool) -> bool:
    cell = row.grants[role.value]
    if cell == "—":
        return False
    if cell == "case":
        return in_case
    if cell == "case+warrant":
        return in_case and in_warrant
    return True


CELLS = list(itertools.product(Action, Role, [True, False], [True, False]))


@pytest.mark.parametrize(
    ("action", "role", "in_case", "in_warrant"),
    CELLS,
    ids=[
        f"{a.value}-{r.value}-{'case' if c else 'nocase'}-{'warrant' if w else 'nowarrant'}"
        for a, r, c, w in CELLS
    ],
)
def test_matrix(action: Action, role: Role, in_case: bool, in_warrant: bool) -> None:
    row = TABLE[action.value]
    actor = Actor(1, "someone", role, AGENCY, {CASE: None} if in_case else {OTHER_CASE: None})
    at = NOW - timedelta(days=1) if in_warrant else NOW - timedelta(days=90)
    resource = Resource(AGENCY, CASE, at=at, windows=windows_for(row.data))
    allowed = expected(row, role, in_case, in_warrant)
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
        actor = Actor(1, "someone", role, OTHER_AGENCY, {CASE: None})
        resource = Resource(AGENCY, CASE, at=NOW, windows=windows_for(None))
        with pytest.raises(Forbidden):
            policy.check(actor, action, resource, now=NOW, purpose="p")


@pytest.mark.parametrize("action", [a for a in Action if TABLE[a.value].data is not None])
def test_sealed_evidence_is_for_judges_only(action: Action) -> None:
    for role in Role:
        actor = Actor(1, "someone", role, AGENCY, {CASE: None})
        resource = Resource(AGENCY, CASE, at=NOW, windows=windows_for(None), sealed=True)
        ok = policy.allows(actor, action, resource, now=NOW, purpose="p")
        assert ok is (role is Role.JUDGE and TABLE[action.value].grants["judge"] != "—")


@pytest.mark.parametrize("action", [a for a in Action if TABLE[a.value].purpose])
@pytest.mark.parametrize("purpose", [None, "", "   "])
def test_content_needs_a_purpose(action: Action, purpose: str | None) -> None:
    role = Role.JUDGE
    actor = Actor(1, "someone", role, AGENCY, {CASE: None})
    resource = Resource(AGENCY, CASE, at=NOW, windows=windows_for(None))
    with pytest.raises(Forbidden, match="needs a purpose"):
        policy.check(actor, action, resource, now=NOW, purpose=purpose)


def test_an_expired_assignment_is_no_assignment() -> None:
    actor = Actor(1, "inv", Role.INVESTIGATOR, AGENCY, {CASE: NOW - timedelta(seconds=1)})
    resource = Resource(AGENCY, CASE, at=NOW - timedelta(days=1), windows=windows_for("content"))
    with pytest.raises(Forbidden, match="not assigned"):
        policy.check(actor, Action.CONTENT_READ, resource, now=NOW, purpose="p")


def test_a_warrant_for_traffic_does_not_open_content() -> None:
    actor = Actor(1, "inv", Role.INVESTIGATOR, AGENCY, {CASE: None})
    resource = Resource(AGENCY, CASE, at=NOW - timedelta(days=1), windows=windows_for("traffic"))
    policy.check(actor, Action.TRAFFIC_READ, resource, now=NOW)
    with pytest.raises(Forbidden, match="no warrant covers"):
        policy.check(actor, Action.CONTENT_READ, resource, now=NOW, purpose="p")


def test_evidence_without_a_time_is_never_covered() -> None:
    actor = Actor(1, "inv", Role.INVESTIGATOR, AGENCY, {CASE: None})
    resource = Resource(AGENCY, CASE, at=None, windows=windows_for(None))
    assert not policy.allows(actor, Action.TRAFFIC_READ, resource, now=NOW)


def test_window_edges_are_inclusive() -> None:
    w = Window(NOW, NOW + timedelta(hours=1), frozenset({DataKind.CONTENT}))
    assert w.covers(NOW, DataKind.CONTENT)
    assert w.covers(NOW + timedelta(hours=1), DataKind.CONTENT)
    assert not w.covers(NOW - timedelta(microseconds=1), DataKind.CONTENT)
    assert not w.covers(NOW + timedelta(hours=1, microseconds=1), DataKind.CONTENT)
