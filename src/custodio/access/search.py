"""Search through the policy: words, numbers and identifiers in what the actor may read.

One :meth:`~custodio.access.service.Service.act` of action ``search`` (purpose required).
The policy admits the search per case; what it then says of each communication — the
warrant windows of content, the seals — is asked of it here as a
:class:`~custodio.catalog.search.Visibility`, which the catalog applies inside the query
(docs/search.md). The audit entry keeps the text searched for, the cases searched and the
number of hits: a search is an investigative act, and auditors must see what was looked
for.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from custodio.access import policy
from custodio.access.comms import windows
from custodio.access.policy import Action, Actor, DataKind, Resource
from custodio.access.service import Request, Service, Session
from custodio.catalog import cases
from custodio.catalog import search as catalog_search
from custodio.catalog.cases import Case
from custodio.db import Tx
from custodio.db.times import to_text
from custodio.errors import Forbidden

# The purpose is checked once, by Service.act, for the search as a whole; the questions
# asked of the policy about each case carry this instead.
_ASKING = "(asked for the search as a whole)"
MAX_LIMIT = catalog_search.MAX_LIMIT


def search(
    svc: Service,
    session: Session,
    text: str,
    *,
    case_ref: str | None,
    purpose: str | None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Hits for ``text`` in one case (``case_ref``) or in every case the actor may search,
    best first: ``case``, ``communication_id``, ``kind``, ``direction``, ``at_s`` (the
    second of the call), ``snippet`` (words found between « and »), ``score``,
    ``begin_at``."""
    query = catalog_search.Query(text, limit)
    gates: list[tuple[Case, Resource]] = []

    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        if case_ref is not None:
            case = cases.get(tx, actor.agency_id, case_ref)
            gates.append((case, _gate(tx, case)))
            return gates[0][1]
        gates.extend(g for g in _all_gates(tx, actor) if _may_search(svc, actor, g[1]))
        if not gates:
            return _nothing_to_search(actor)
        return gates[0][1]

    def perform(tx: Tx, actor: Actor, request: Request) -> list[dict[str, Any]]:
        visible = catalog_search.Visibility(tuple(_view(svc, actor, case, g) for case, g in gates))
        hits = catalog_search.search(tx, query, visible)
        refs = {case.id: case.reference for case, _ in gates}
        if case_ref is None:
            request.case_id = None  # the search spanned every case listed in the details
        request.details.update(query=text, cases=sorted(refs.values()), limit=limit,
                               hits=len(hits))  # fmt: skip
        return [{"case": refs[h.case_id], **h.as_dict()} for h in hits]

    request = Request("cases" if case_ref is None else f"case:{case_ref}")
    return svc.look(session, Action.SEARCH, request, resolve, perform, purpose=purpose)


def _gate(tx: Tx, case: Case) -> Resource:
    """The case as the policy sees a search in it: its content windows, and as the moment
    the start of the first (a search is admitted where a warrant of the case authorises
    content at some time; each communication is then held to the windows in the query)."""
    content = tuple(w for w in windows(tx, case.id) if DataKind.CONTENT in w.kinds)
    at = min((w.start for w in content), default=None)
    return Resource(agency_id=case.agency_id, case_id=case.id, at=at, windows=content,
                    label=f"case:{case.reference}")  # fmt: skip


def _all_gates(tx: Tx, actor: Actor) -> list[tuple[Case, Resource]]:
    return [(c, _gate(tx, c)) for c in cases.list_all(tx, actor.agency_id)]


def _may_search(svc: Service, actor: Actor, gate: Resource) -> bool:
    return policy.allows(actor, Action.SEARCH, gate, now=svc.clock(), purpose=_ASKING)


def _nothing_to_search(actor: Actor) -> Resource:
    """No case to search: the policy refuses a role without the grant in its own words."""
    if actor.role in policy.RULES[Action.SEARCH].grants:
        raise Forbidden(
            f"{actor.name} may search no case: none is assigned to him with a warrant "
            "authorising content",
            hint="a warrant officer can assign a case with `custodio case assign`",
        )
    return Resource(agency_id=actor.agency_id, label="cases")


def _view(svc: Service, actor: Actor, case: Case, gate: Resource) -> catalog_search.CaseView:
    """What the policy lets the actor see of the case, asked of the policy itself: the
    whole case where a communication without any window would be allowed (a judge),
    else the content windows; sealed communications where a sealed one would be."""
    whole = dataclasses.replace(gate, at=None, windows=())
    sealed = dataclasses.replace(gate, sealed=True)
    spans = tuple(catalog_search.Span(to_text(w.start), to_text(w.end)) for w in gate.windows)
    return catalog_search.CaseView(
        case_id=case.id,
        spans=None if _may_search(svc, actor, whole) else spans,
        sealed=_may_search(svc, actor, sealed),
    )
