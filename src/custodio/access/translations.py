"""Interpreters' work: single communications given to them to translate.

- ``assign`` / ``unassign``: a warrant officer, or an investigator who may read the
  communication's content, gives it to an interpreter of the agency (naming the language
  the translation is wanted in) or takes it back (``translation.assign``).
- ``my_queue``: the interpreter's open assignments — communication, case reference, kind,
  languages, times; never content (``translation.queue``).
- ``submit``: the interpreter's translation, stored as a label of kind ``translation``
  whose source is ``interpreter:NAME``; the assignment is then done and his access to the
  communication ends (``translation.submit``).

While an assignment is open the policy's ``assigned+warrant`` scope lets the interpreter
read that communication (``comms.show_comm``, ``comms.audio``, ``classification.transcript``
... with a purpose, as anyone): ``comms.comm_resource`` carries who holds one.
docs/access-policy.md, "Interpreters".
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from custodio.access import policy
from custodio.access.comms import comm_resource
from custodio.access.policy import Action, Actor, Resource
from custodio.access.service import Request, Resolve, Service, Session, own_agency
from custodio.catalog import comms, labels, people, translations
from custodio.db import Tx
from custodio.db.times import from_text
from custodio.errors import InvalidInput, NotFound

MAX_TEXT = 50_000  # characters of one translation
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
KIND = "translation"


def _comm(comm_id: int) -> Resolve:
    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        return comm_resource(tx, comms.get(tx, comm_id), request.target)

    return resolve


def language_code(text: str) -> str:
    """An ISO 639 code (two or three letters), lower case."""
    code = text.strip().lower()
    if not _LANGUAGE.match(code):
        raise InvalidInput(f"language {text!r}: give an ISO 639 code such as es, en, ar")
    return code


def assign(
    svc: Service, session: Session, comm_id: int, interpreter: str, language: str
) -> dict[str, Any]:
    """Give the communication to ``interpreter`` to translate into ``language``."""
    wanted = language_code(language)

    def perform(tx: Tx, actor: Actor, request: Request) -> dict[str, Any]:
        user = _interpreter(tx, actor, interpreter)
        new = translations.NewAssignment(comm_id, user.id, actor.user_id, wanted, svc.clock())
        assignment = translations.assign(tx, new)
        request.details["assignment"] = assignment
        return {"assignment": assignment, "communication": comm_id, "interpreter": user.name,
                "language": wanted}  # fmt: skip

    details = {"interpreter": interpreter, "language": wanted}
    request = Request(f"communication:{comm_id}", details=details)
    return svc.act(session, Action.TRANSLATION_ASSIGN, request, _comm(comm_id), perform)


def unassign(svc: Service, session: Session, comm_id: int, interpreter: str) -> None:
    """End ``interpreter``'s open assignment of the communication: his access ends."""

    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        user = people.get_user(tx, interpreter, actor.agency_id)
        if not translations.end(tx, comm_id, user.id, actor.user_id, svc.clock()):
            raise NotFound(f"{interpreter} holds no open assignment of communication {comm_id}")

    request = Request(f"communication:{comm_id}", details={"interpreter": interpreter,
                                                           "ended": True})  # fmt: skip
    svc.act(session, Action.TRANSLATION_ASSIGN, request, _comm(comm_id), perform)


def _interpreter(tx: Tx, actor: Actor, name: str) -> people.User:
    user = people.get_user(tx, name, actor.agency_id)
    if user.role != policy.Role.INTERPRETER or user.disabled:
        raise InvalidInput(
            f"{name} is not an interpreter of this agency",
            hint="`custodio user list` shows each user's role",
        )
    return user


def my_queue(svc: Service, session: Session) -> list[dict[str, Any]]:
    """The actor's open assignments that he may still work on (sealed since, or no longer
    under a warrant: left out and counted as hidden); no content."""

    def perform(tx: Tx, actor: Actor, request: Request) -> list[dict[str, Any]]:
        rows = translations.queue_of(tx, actor.user_id)
        shown = [_queued(q) for q in rows if _workable(svc, tx, actor, q.communication_id)]
        request.details.update(listing="translations", shown=len(shown),
                               hidden=len(rows) - len(shown))  # fmt: skip
        return shown

    return svc.look(session, Action.TRANSLATION_QUEUE, Request("translations"), own_agency, perform)


def _workable(svc: Service, tx: Tx, actor: Actor, comm_id: int) -> bool:
    resource = comm_resource(tx, comms.get(tx, comm_id), f"communication:{comm_id}")
    return policy.allows(actor, Action.TRANSLATION_SUBMIT, resource, now=svc.clock())


def _queued(q: translations.Queued) -> dict[str, Any]:
    duration = None
    if q.begin_at and q.end_at:
        duration = (from_text(q.end_at) - from_text(q.begin_at)).total_seconds()
    return {"assignment": q.assignment_id, "communication": q.communication_id,
            "case": q.case_reference, "kind": q.comm_kind, "language": q.language,
            "spoken": q.spoken, "begin_at": q.begin_at, "duration_s": duration,
            "assigned_at": q.assigned_at}  # fmt: skip


def submit(
    svc: Service, session: Session, comm_id: int, text: str, language: str | None = None
) -> dict[str, Any]:
    """The interpreter's translation of the communication: a label of kind ``translation``
    (its text; source ``interpreter:NAME``). ``language`` defaults to the one asked for
    and must be it. The assignment is done: his access to the communication ends."""
    body = _translation_text(text)
    given = None if language is None else language_code(language)

    def perform(tx: Tx, actor: Actor, request: Request) -> dict[str, Any]:
        assignment = translations.open_assignment(tx, comm_id, actor.user_id)
        assert assignment is not None  # the policy allowed it: he holds one
        if given is not None and given != assignment.language:
            raise InvalidInput(
                f"the translation was asked for in {assignment.language!r}, not {given!r}"
            )
        comm = comms.get(tx, comm_id)
        label_id = labels.add_user_label(tx, comm_id, comm.case_id,
                                         _label(actor, assignment, body))  # fmt: skip
        translations.mark_done(tx, assignment.id, label_id, svc.clock())
        request.details.update(assignment=assignment.id, label=label_id,
                               language=assignment.language, characters=len(body))  # fmt: skip
        return {"label": label_id, "communication": comm_id, "assignment": assignment.id,
                "language": assignment.language, "source": f"interpreter:{actor.name}"}  # fmt: skip

    request = Request(f"communication:{comm_id}")
    return svc.act(session, Action.TRANSLATION_SUBMIT, request, _comm(comm_id), perform)


def _translation_text(text: str) -> str:
    body = text.strip()
    if not body:
        raise InvalidInput("the translation is empty")
    if len(body) > MAX_TEXT or "\x00" in body:
        raise InvalidInput(f"a translation has at most {MAX_TEXT} characters and no NUL")
    return body


def _label(actor: Actor, assignment: translations.Assignment, body: str) -> labels.NewLabel:
    owner = f"user:{actor.name}"  # a person's label: no classification run touches it
    ident = json.dumps([owner, KIND, assignment.id])
    return labels.NewLabel(
        label_key=hashlib.sha256(ident.encode()).hexdigest()[:32], owner=owner, kind=KIND,
        value=assignment.language, confidence=1.0, source=f"interpreter:{actor.name}",
        text=body, detail={"assignment": assignment.id},
    )  # fmt: skip
