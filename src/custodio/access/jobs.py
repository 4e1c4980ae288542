"""Classification jobs through the policy: list them, retry failed ones, queue a case.

- ``list_jobs``: the agency's jobs, optionally of one state (``jobs.list``: administrators
  and warrant officers; a job row holds ids, states and error texts, never content).
- ``retry_jobs``: failed jobs queued again, named or all (``jobs.retry``: administrators).
- ``classify_case``: queue classification of a case's closed communications — those not
  yet classified, or all of them with ``redo`` (``classify.run``: investigators of the
  case, warrant officers and administrators of the agency);
- ``case_jobs``: the states of a case's classification jobs, to follow them (``classify.run``
  too: whoever may queue them may see how they go; ids and states only).

Each is one :meth:`Service.act`: the check, the change and its audit entry commit together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from custodio.access.casework import case_resource
from custodio.access.policy import Action, Actor, Resource
from custodio.access.service import Request, Service, Session, own_agency
from custodio.catalog import cases
from custodio.catalog import jobs as queue
from custodio.db import Tx


def list_jobs(svc: Service, session: Session, state: str | None = None) -> list[dict[str, Any]]:
    def perform(tx: Tx, actor: Actor, request: Request) -> list[dict[str, Any]]:
        rows = queue.list_jobs(tx, actor.agency_id, state)
        request.details.update(listing="jobs", state=state, shown=len(rows))
        return [r.as_dict() for r in rows]

    return svc.look(session, Action.JOBS_LIST, Request("jobs"), own_agency, perform)


def retry_jobs(svc: Service, session: Session, job_ids: Sequence[int] | None) -> list[int]:
    """Queue failed jobs again (``None``: every failed job of the agency); their ids."""

    def perform(tx: Tx, actor: Actor, request: Request) -> list[int]:
        ids = queue.retry(tx, actor.agency_id, job_ids)
        request.details.update(jobs=ids, all_failed=job_ids is None)
        return ids

    return svc.act(session, Action.JOBS_RETRY, Request("jobs"), own_agency, perform)


def classify_case(
    svc: Service, session: Session, case_ref: str, *, redo: bool
) -> tuple[list[int], int]:
    """Queue the case's communications for classification.

    Returns the ids of every job of the case left to run (those queued now and those
    already queued or running) and how many were queued now.
    """

    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        return case_resource(cases.get(tx, actor.agency_id, case_ref), request.target)

    def perform(tx: Tx, actor: Actor, request: Request) -> tuple[list[int], int]:
        case = cases.get(tx, actor.agency_id, case_ref)
        comm_ids = queue.comms_to_classify(tx, case.id, queue.CLASSIFY, redo=redo)
        for comm_id in comm_ids:
            queue.enqueue(tx, queue.CLASSIFY, comm_id, case.id)
        request.details.update(redo=redo, queued=len(comm_ids))
        return queue.pending(tx, case.id, queue.CLASSIFY), len(comm_ids)

    request = Request(f"case:{case_ref}")
    return svc.act(session, Action.CLASSIFY_RUN, request, resolve, perform)


def case_jobs(svc: Service, session: Session, case_ref: str) -> dict[int, str]:
    """The case's classification jobs: job id -> state (queued, running, done, failed)."""

    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        return case_resource(cases.get(tx, actor.agency_id, case_ref), request.target)

    def perform(tx: Tx, actor: Actor, request: Request) -> dict[int, str]:
        case = cases.get(tx, actor.agency_id, case_ref)
        states = queue.of_case(tx, case.id, queue.CLASSIFY)
        request.details.update(listing="jobs", shown=len(states))
        return states

    request = Request(f"case:{case_ref}")
    return svc.look(session, Action.CLASSIFY_RUN, request, resolve, perform)
