"""Cases, assignments, warrants, LIIDs and the protected list: the warrant officer's work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from custodio.access import policy
from custodio.access.policy import Action, Actor, Resource
from custodio.access.service import Request, Resolve, Service, Session, own_agency
from custodio.catalog import cases, identifiers, people, protected, warrants
from custodio.catalog.cases import Case
from custodio.db import Tx
from custodio.db.times import to_text
from custodio.errors import NotFound


def case_resource(case: Case, label: str = "case") -> Resource:
    return Resource(agency_id=case.agency_id, case_id=case.id, label=label)


def by_case(reference: str) -> Resolve:
    """The resolver of a request about the case ``reference`` of the actor's agency."""

    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        return case_resource(cases.get(tx, actor.agency_id, reference), request.target)

    return resolve


@dataclass(frozen=True)
class NewCase:
    reference: str
    court: str
    title: str
    unit: str


def add_case(svc: Service, session: Session, new: NewCase) -> None:
    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        unit = people.unit_id(tx, actor.agency_id, new.unit)
        request.case_id = cases.create(
            tx,
            agency=actor.agency_id,
            unit=unit,
            reference=new.reference,
            court=new.court,
            title=new.title,
        )

    request = Request(f"case:{new.reference}", details={"court": new.court, "unit": new.unit})
    svc.act(session, Action.CASE_CREATE, request, own_agency, perform)


def list_cases(svc: Service, session: Session) -> list[dict[str, object]]:
    """The cases of the actor's agency that he may view."""

    def perform(tx: Tx, actor: Actor, request: Request) -> list[dict[str, object]]:
        visible = [
            c.public()
            for c in cases.list_all(tx, actor.agency_id)
            if policy.allows(actor, Action.CASE_VIEW, case_resource(c), now=svc.clock())
        ]
        request.details["shown"] = len(visible)
        return visible

    return svc.look(session, Action.CASE_LIST, Request("cases"), own_agency, perform)


def show_case(svc: Service, session: Session, reference: str) -> dict[str, object]:
    def perform(tx: Tx, actor: Actor, request: Request) -> dict[str, object]:
        case = cases.get(tx, actor.agency_id, reference)
        at = svc.clock()
        return {
            **case.public(),
            "assigned": [a.as_dict() for a in cases.assigned_users(tx, case)],
            "warrants": [w.public(at) for w in warrants.of_case(tx, case)],
        }

    request = Request(f"case:{reference}")
    return svc.look(session, Action.CASE_VIEW, request, by_case(reference), perform)


def assign(
    svc: Service, session: Session, reference: str, user: str, until: datetime | None
) -> None:
    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        case = cases.get(tx, actor.agency_id, reference)
        target = people.get_user(tx, user, actor.agency_id)
        cases.assign(tx, case, target.id, until, svc.clock())

    details = {"user": user, "until": to_text(until) if until else None}
    request = Request(f"case:{reference}", details=details)
    svc.act(session, Action.CASE_ASSIGN, request, by_case(reference), perform)


def unassign(svc: Service, session: Session, reference: str, user: str) -> None:
    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        case = cases.get(tx, actor.agency_id, reference)
        target = people.get_user(tx, user, actor.agency_id)
        if not cases.end_assignments(tx, case, target.id, svc.clock()):
            raise NotFound(f"{user} is not assigned to case {reference!r}")

    request = Request(f"case:{reference}", details={"user": user, "ended": True})
    svc.act(session, Action.CASE_ASSIGN, request, by_case(reference), perform)


def close_case(svc: Service, session: Session, reference: str) -> None:
    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        cases.close(tx, cases.get(tx, actor.agency_id, reference))

    svc.act(session, Action.CASE_CLOSE, Request(f"case:{reference}"), by_case(reference), perform)


def add_warrant(svc: Service, session: Session, case_ref: str, new: warrants.NewWarrant) -> None:
    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        case = cases.get(tx, actor.agency_id, case_ref)
        warrants.create(tx, case, new, svc.clock())

    details = {
        "court": new.court,
        "judge": new.judge,
        "valid_from": to_text(new.valid_from),
        "valid_until": to_text(new.valid_until),
        "scope": sorted(new.scope),
        "targets": [str(t) for t in new.targets],
        "liids": [f"{op}:{liid}" for liid, op in new.liids],
    }
    request = Request(f"warrant:{case_ref}/{new.reference}", details=details)
    svc.act(session, Action.WARRANT_CREATE, request, by_case(case_ref), perform)


@dataclass(frozen=True)
class Extension:
    order_reference: str
    judge: str
    valid_from: datetime | None
    valid_until: datetime


def extend_warrant(
    svc: Service, session: Session, case_ref: str, reference: str, ext: Extension
) -> None:
    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        warrant = warrants.get(tx, cases.get(tx, actor.agency_id, case_ref), reference)
        warrants.extend(
            tx,
            warrant,
            order_reference=ext.order_reference,
            judge=ext.judge,
            valid_from=ext.valid_from,
            valid_until=ext.valid_until,
            now=svc.clock(),
        )

    details = {
        "order": ext.order_reference,
        "judge": ext.judge,
        "valid_until": to_text(ext.valid_until),
    }
    request = Request(f"warrant:{case_ref}/{reference}", details=details)
    svc.act(session, Action.WARRANT_EXTEND, request, by_case(case_ref), perform)


def revoke_warrant(
    svc: Service, session: Session, case_ref: str, reference: str, reason: str
) -> None:
    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        warrant = warrants.get(tx, cases.get(tx, actor.agency_id, case_ref), reference)
        warrants.revoke(tx, warrant, reason, svc.clock())

    request = Request(f"warrant:{case_ref}/{reference}", details={"reason": reason})
    svc.act(session, Action.WARRANT_REVOKE, request, by_case(case_ref), perform)


def bind_liid(
    svc: Service, session: Session, case_ref: str, reference: str, liid: str, operator: str
) -> None:
    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        warrant = warrants.get(tx, cases.get(tx, actor.agency_id, case_ref), reference)
        warrants.bind_liid(tx, warrant, liid, operator, svc.clock())

    details = {"liid": liid, "operator": operator}
    request = Request(f"warrant:{case_ref}/{reference}", details=details)
    svc.act(session, Action.WARRANT_CREATE, request, by_case(case_ref), perform)


def list_warrants(svc: Service, session: Session, case_ref: str) -> list[dict[str, object]]:
    def perform(tx: Tx, actor: Actor, request: Request) -> list[dict[str, object]]:
        case = cases.get(tx, actor.agency_id, case_ref)
        return [w.public(svc.clock()) for w in warrants.of_case(tx, case)]

    request = Request(f"case:{case_ref}")
    return svc.look(session, Action.WARRANT_VIEW, request, by_case(case_ref), perform)


def add_protected(svc: Service, session: Session, number: str, reason: str) -> str:
    normalised = identifiers.e164(number)

    def perform(tx: Tx, actor: Actor, request: Request) -> str:
        return protected.add(tx, actor.agency_id, normalised, reason, actor.user_id)

    request = Request(f"protected:{normalised}", details={"reason": reason})
    return svc.act(session, Action.PROTECTED_ADD, request, own_agency, perform)


def remove_protected(svc: Service, session: Session, number: str, reason: str) -> str:
    normalised = identifiers.e164(number)

    def perform(tx: Tx, actor: Actor, request: Request) -> str:
        return protected.remove(tx, actor.agency_id, normalised)

    request = Request(f"protected:{normalised}", details={"reason": reason})
    return svc.act(session, Action.PROTECTED_REMOVE, request, own_agency, perform)


def list_protected(svc: Service, session: Session) -> list[dict[str, str]]:
    def perform(tx: Tx, actor: Actor, request: Request) -> list[dict[str, str]]:
        return [p.as_dict() for p in protected.list_all(tx, actor.agency_id)]

    return svc.look(session, Action.PROTECTED_LIST, Request("protected"), own_agency, perform)
