"""Classification through the policy: labels, transcripts, reviews, watch-lists, tuning,
privilege decisions, alerts and the interpreter queue.

- ``comm_labels`` / ``transcript``: content (``content.read`` with a purpose); the audit
  entry commits before the transcript is read from the vault, as for audio.
- ``review_label`` / ``mark_intimate``: ``label.review`` (an overruled label is kept).
- ``watchlist_add|remove`` and ``set_tuning``: ``classify.configure``; ``watchlist_list``
  and ``show_tuning``: ``watchlist.view``.
- ``privilege_list``: the case's communications flagged as possibly privileged, without
  their content (``case.view``); ``privilege_decide``: a judge seals the communication or
  clears the flag (``privilege.decide``, with a purpose).
- ``alerts_list`` (``alert.list``) and ``interpreter_queue`` (``interpreter.queue``): ids,
  kinds, languages and scores, never content; without a case, every case the actor may.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from custodio.access import policy
from custodio.access.casework import by_case, case_resource
from custodio.access.comms import comm_resource, read_with_hint
from custodio.access.policy import Action, Actor, Resource
from custodio.access.service import Request, Resolve, Service, Session, own_agency
from custodio.catalog import cases, comms, labels, notifications, transcripts, watchlists
from custodio.classify import priority, watchlist
from custodio.db import Tx
from custodio.errors import InvalidInput, NotFound
from custodio.vault.store import Vault

TRANSCRIPT_DIRECTIONS = ("target", "other")


def _comm(comm_id: int) -> Resolve:
    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        return comm_resource(tx, comms.get(tx, comm_id), request.target)

    return resolve


def _label_comm(label_id: int) -> Resolve:
    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        label = labels.get(tx, label_id)
        request.details["communication"] = label.communication_id
        return comm_resource(tx, comms.get(tx, label.communication_id), request.target)

    return resolve


# --- content: labels and transcripts ---------------------------------------------------


def comm_labels(
    svc: Service,
    session: Session,
    comm_id: int,
    purpose: str | None,
    filters: labels.Filters | None = None,
) -> list[dict[str, Any]]:
    def perform(tx: Tx, actor: Actor, request: Request) -> list[dict[str, Any]]:
        found = labels.of_comm(tx, comm_id, filters)
        request.details.update(labels=len(found))
        return [label.public() for label in found]

    request = Request(f"communication:{comm_id}")
    return svc.look(session, Action.CONTENT_READ, request, _comm(comm_id), perform, purpose=purpose)


def transcript(
    svc: Service,
    session: Session,
    vault: Vault,
    comm_id: int,
    direction: str | None,
    purpose: str | None,
    *,
    translation: bool = False,
) -> list[dict[str, Any]]:
    """The current transcript(s) of the communication: one per direction asked.

    With ``translation`` the machine draft translation to English instead (labelled
    ``machine_draft``). Each is the stored JSON: words with seconds, segments with flags.
    """
    if direction is not None and direction not in TRANSCRIPT_DIRECTIONS:
        raise InvalidInput(f"--direction {direction!r}: use target or other")
    task = "translate" if translation else "transcribe"

    def perform(tx: Tx, actor: Actor, request: Request) -> list[transcripts.Transcript]:
        rows = [
            t
            for t in transcripts.current(tx, comm_id)
            if t.details.get("task") == task and direction in (None, t.direction)
        ]
        kind = comms.get(tx, comm_id).kind
        if not rows and kind in ("sms", "data"):
            raise _not_speech(tx, comm_id, kind)
        request.details.update(task=task, objects=[t.object_id for t in rows])
        return rows

    request = Request(f"communication:{comm_id}")
    rows = svc.look(session, Action.CONTENT_READ, request, _comm(comm_id), perform, purpose=purpose)
    if not rows:
        what = "machine draft translation" if translation else "transcript"
        raise NotFound(
            f"communication {comm_id} has no {what}"
            + (f" of the {direction} direction" if direction else ""),
            hint="it may not be classified yet (`custodio jobs list`), or has no speech",
        )
    out = []
    for t in sorted(rows, key=lambda t: TRANSCRIPT_DIRECTIONS.index(t.direction)):
        doc: dict[str, Any] = json.loads(vault.get(t.vault_case, t.object_id))
        out.append(doc)
    return out


def _not_speech(tx: Tx, comm_id: int, kind: str) -> NotFound:
    """No transcript: the communication is an SMS or a data session, not speech."""
    if kind == "sms":
        hint = "read its text with `custodio comms message ID --purpose TEXT`"
        return NotFound(f"communication {comm_id} is an SMS: it has no transcript", hint=hint)
    return NotFound(f"communication {comm_id} is a {kind} session: it has no transcript",
                    hint=read_with_hint(comms.products_of(tx, comm_id)))  # fmt: skip


def review_label(
    svc: Service, session: Session, label_id: int, decision: str, note: str | None
) -> dict[str, Any]:
    """Confirm or overrule a label (kept either way; the entry says who and why)."""
    if decision not in ("confirmed", "overruled"):
        raise InvalidInput(f"{decision!r}: confirm or overrule")

    def perform(tx: Tx, actor: Actor, request: Request) -> dict[str, Any]:
        before = labels.get(tx, label_id)
        after = labels.review(tx, label_id, decision, actor.user_id, note)
        request.details.update(label=label_id, kind=before.kind, review=decision,
                               previous=before.review, note=bool(note))  # fmt: skip
        return after.public()

    request = Request(f"label:{label_id}")
    return svc.act(session, Action.LABEL_REVIEW, request, _label_comm(label_id), perform)


def mark_intimate(
    svc: Service,
    session: Session,
    comm_id: int,
    start_s: float,
    end_s: float,
    direction: str | None,
    note: str | None,
) -> int:
    """A user label ``intimate`` over a stretch of the call (to be left out of exports)."""
    if not 0 <= start_s < end_s:
        raise InvalidInput("--from must be at least 0 and before --to (seconds)")
    if direction is not None and direction not in TRANSCRIPT_DIRECTIONS:
        raise InvalidInput(f"--direction {direction!r}: use target or other")

    def perform(tx: Tx, actor: Actor, request: Request) -> int:
        comm = comms.get(tx, comm_id)
        owner = f"user:{actor.name}"
        ident = json.dumps([owner, "intimate", direction, round(start_s, 2), round(end_s, 2)])
        label = labels.NewLabel(
            label_key=hashlib.sha256(ident.encode()).hexdigest()[:32], owner=owner,
            kind="intimate", value="intimate", confidence=1.0, source=owner,
            direction=direction, start_s=start_s, end_s=end_s,
            detail={"note": note} if note else {},
        )  # fmt: skip
        label_id = labels.add_user_label(tx, comm_id, comm.case_id, label)
        request.details.update(label=label_id, kind="intimate", start_s=start_s, end_s=end_s,
                               direction=direction)  # fmt: skip
        return label_id

    request = Request(f"communication:{comm_id}")
    return svc.act(session, Action.LABEL_REVIEW, request, _comm(comm_id), perform)


# --- watch-lists and tuning ------------------------------------------------------------


def watchlist_add(svc: Service, session: Session, case_ref: str, text: str, kind: str) -> int:
    def perform(tx: Tx, actor: Actor, request: Request) -> int:
        case = cases.get(tx, actor.agency_id, case_ref)
        term_id = watchlists.add_term(tx, case.id, text, kind, actor.user_id)
        request.details.update(term=term_id, kind=kind)  # the term itself is not logged
        return term_id

    request = Request(f"case:{case_ref}")
    return svc.act(session, Action.CLASSIFY_CONFIGURE, request, by_case(case_ref), perform)


def watchlist_remove(svc: Service, session: Session, case_ref: str, term_id: int) -> None:
    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        case = cases.get(tx, actor.agency_id, case_ref)
        watchlists.remove_term(tx, case.id, term_id, actor.user_id)
        request.details.update(term=term_id, removed=True)

    request = Request(f"case:{case_ref}")
    svc.act(session, Action.CLASSIFY_CONFIGURE, request, by_case(case_ref), perform)


def watchlist_list(
    svc: Service, session: Session, case_ref: str, *, removed: bool = False
) -> list[dict[str, Any]]:
    def perform(tx: Tx, actor: Actor, request: Request) -> list[dict[str, Any]]:
        case = cases.get(tx, actor.agency_id, case_ref)
        found = watchlists.terms(tx, case.id, removed=removed)
        request.details.update(listing="watch-list", shown=len(found))
        return [t.public() for t in found]

    request = Request(f"case:{case_ref}")
    return svc.look(session, Action.WATCHLIST_VIEW, request, by_case(case_ref), perform)


def effective_tuning(t: watchlists.Tuning) -> dict[str, Any]:
    """The case's tuning with the defaults filled in."""
    return {
        "match_threshold": (
            t.match_threshold if t.match_threshold is not None else watchlist.DEFAULT_THRESHOLD
        ),
        "alert_threshold": (
            t.alert_threshold if t.alert_threshold is not None else priority.DEFAULT_ALERT_THRESHOLD
        ),
        "weights": priority.weights_for(t.weights),
        "updated_at": t.updated_at,
    }


def show_tuning(svc: Service, session: Session, case_ref: str) -> dict[str, Any]:
    def perform(tx: Tx, actor: Actor, request: Request) -> dict[str, Any]:
        return effective_tuning(watchlists.tuning(tx, cases.get(tx, actor.agency_id, case_ref).id))

    request = Request(f"case:{case_ref}")
    return svc.look(session, Action.WATCHLIST_VIEW, request, by_case(case_ref), perform)


def set_tuning(
    svc: Service,
    session: Session,
    case_ref: str,
    *,
    weights: Mapping[str, float] | None = None,
    alert_threshold: float | None = None,
    match_threshold: float | None = None,
) -> dict[str, Any]:
    """Change some of the case's tuning; the rest stays. Returns the tuning now in force."""
    unknown = set(weights or {}) - set(priority.FACTORS)
    if unknown:
        raise InvalidInput(
            f"unknown priority factor(s): {', '.join(sorted(unknown))}",
            hint=f"factors: {', '.join(priority.FACTORS)}",
        )
    if any(w < 0 for w in (weights or {}).values()):
        raise InvalidInput("a weight must not be negative")
    if match_threshold is not None and not 50 <= match_threshold <= 100:
        raise InvalidInput("--match-threshold must lie between 50 and 100")
    if alert_threshold is not None and alert_threshold < 0:
        raise InvalidInput("--alert-threshold must not be negative")

    def perform(tx: Tx, actor: Actor, request: Request) -> dict[str, Any]:
        case = cases.get(tx, actor.agency_id, case_ref)
        now = effective_tuning(watchlists.tuning(tx, case.id))
        stored = watchlists.tuning(tx, case.id).weights
        new_weights = {**stored, **(weights or {})}
        watchlists.set_tuning(
            tx, case.id,
            match_threshold=match_threshold if match_threshold is not None
            else now["match_threshold"],
            alert_threshold=alert_threshold if alert_threshold is not None
            else now["alert_threshold"],
            weights=new_weights, user_id=actor.user_id,
        )  # fmt: skip
        after = effective_tuning(watchlists.tuning(tx, case.id))
        keys = ("match_threshold", "alert_threshold", "weights")
        request.details.update(tuning={k: after[k] for k in keys})
        return after

    request = Request(f"case:{case_ref}")
    return svc.act(session, Action.CLASSIFY_CONFIGURE, request, by_case(case_ref), perform)


# --- privilege ----------------------------------------------------------------------------


def privilege_list(svc: Service, session: Session, case_ref: str) -> list[dict[str, Any]]:
    """Communications flagged as possibly privileged, waiting for a judge — no content."""

    def perform(tx: Tx, actor: Actor, request: Request) -> list[dict[str, Any]]:
        case = cases.get(tx, actor.agency_id, case_ref)
        rows = labels.flagged(tx, "privilege", [case.id])
        out = [
            {"label": r.id, "communication": r.communication_id, "kind": r.comm_kind,
             "begin_at": r.begin_at, "rule": r.value, "confidence": r.confidence,
             "review": r.review, "sealed": r.sealed}
            for r in rows
        ]  # fmt: skip
        request.details.update(listing="privilege", shown=len(out))
        return out

    request = Request(f"case:{case_ref}")
    return svc.look(session, Action.CASE_VIEW, request, by_case(case_ref), perform)


def privilege_decide(
    svc: Service, session: Session, label_id: int, seal: bool, purpose: str | None
) -> dict[str, Any]:
    """A judge's decision on a privilege flag: seal the communication, or clear the flag.

    Every current privilege label of that communication gets the decision (confirmed when
    sealed, overruled when cleared); sealing sets ``communications.sealed``.
    """

    def perform(tx: Tx, actor: Actor, request: Request) -> dict[str, Any]:
        label = labels.get(tx, label_id)
        if label.kind != "privilege":
            raise InvalidInput(f"label {label_id} is a {label.kind} label, not a privilege flag")
        comm_id = label.communication_id
        decision = "confirmed" if seal else "overruled"
        note = "sealed by judge's order" if seal else "not privileged (judge)"
        flags = labels.of_comm(tx, comm_id, labels.Filters(kinds=("privilege",)))
        for flag in flags:
            labels.review(tx, flag.id, decision, actor.user_id, note)
        newly = labels.mark_sealed(tx, comm_id) if seal else False
        request.details.update(decision="seal" if seal else "clear", labels=[f.id for f in flags],
                               sealed=seal, newly_sealed=newly)  # fmt: skip
        return {"communication": comm_id, "decision": "sealed" if seal else "cleared",
                "labels": [f.id for f in flags]}  # fmt: skip

    request = Request(f"label:{label_id}")
    return svc.act(
        session, Action.PRIVILEGE_DECIDE, request, _label_comm(label_id), perform, purpose=purpose
    )


# --- alerts and the interpreter queue ---------------------------------------------------


def _cases_for(
    svc: Service, tx: Tx, actor: Actor, action: Action, case_ref: str | None
) -> list[cases.Case]:
    if case_ref is not None:
        case = cases.get(tx, actor.agency_id, case_ref)
        policy.check(actor, action, case_resource(case, f"case:{case_ref}"), now=svc.clock())
        return [case]
    return [
        c
        for c in cases.list_all(tx, actor.agency_id)
        if policy.allows(actor, action, case_resource(c), now=svc.clock())
    ]


def _resolve_for(case_ref: str | None) -> Resolve:
    return own_agency if case_ref is None else by_case(case_ref)


def alerts_list(
    svc: Service, session: Session, case_ref: str | None, *, after_id: int = 0
) -> list[dict[str, Any]]:
    """Alerts (and call-started events) of the case, or of every case the actor may see."""

    def perform(tx: Tx, actor: Actor, request: Request) -> list[dict[str, Any]]:
        chosen = _cases_for(svc, tx, actor, Action.ALERT_LIST, case_ref)
        refs = {c.id: c.reference for c in chosen}
        found = notifications.list_for_cases(tx, list(refs), after_id=after_id)
        request.details.update(listing="alerts", cases=len(refs), shown=len(found))
        return [{**n.public(), "case": refs[n.case_id], "webhook": n.webhook} for n in found]

    request = Request(f"case:{case_ref}" if case_ref else "alerts")
    action = Action.ALERT_LIST if case_ref else Action.CASE_LIST
    return svc.look(session, action, request, _resolve_for(case_ref), perform)


def interpreter_queue(svc: Service, session: Session, language: str | None) -> list[dict[str, Any]]:
    """Communications whose language needs an interpreter, in the actor's cases."""

    def perform(tx: Tx, actor: Actor, request: Request) -> list[dict[str, Any]]:
        chosen = _cases_for(svc, tx, actor, Action.INTERPRETER_QUEUE, None)
        rows = labels.flagged(tx, "interpreter", [c.id for c in chosen])
        out = [
            {"communication": r.communication_id, "case": r.case_reference,
             "language": r.value, "confidence": r.confidence, "kind": r.comm_kind,
             "begin_at": r.begin_at, "label": r.id}
            for r in rows
            if (language is None or r.value == language.lower()) and not r.sealed
        ]  # fmt: skip
        request.details.update(listing="interpreter", language=language, shown=len(out))
        return out

    return svc.look(session, Action.CASE_LIST, Request("interpreter-queue"), own_agency, perform)
