"""Tags and notes an investigator puts on a communication (docs/access-policy.md, "Tags
and notes").

- ``add_tag`` / ``remove_tag`` (``tag.write``): a tag such as ``relevante`` or
  ``seguimiento`` put on or taken off; a removed tag stays in the catalog with who removed
  it and when. ``tags`` (``tag.read``) lists the current ones (or all, ``removed``).
- ``add_note`` (``note.write``): an append-only note of at most 10,000 characters, indexed
  for search in the same transaction. ``notes`` (``note.read``, with a purpose: a note may
  retell what was said) lists them, oldest first.

Each call is one :meth:`~custodio.access.service.Service.act` on the communication, as
``comm_resource`` describes it to the policy: the actor's case, the warrant windows,
the seal. The audit entry of a note holds its id, length and SHA-256, not its text.
"""

from __future__ import annotations

import hashlib
from typing import Any

from custodio.access.comms import comm_resource
from custodio.access.policy import Action, Actor, Resource
from custodio.access.service import Request, Resolve, Service, Session
from custodio.catalog import comms
from custodio.catalog import notes as catalog
from custodio.db import Tx
from custodio.errors import NotFound

MAX_TAG = catalog.MAX_TAG
MAX_NOTE = catalog.MAX_NOTE


def _comm(comm_id: int) -> Resolve:
    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        return comm_resource(tx, comms.get(tx, comm_id), request.target)

    return resolve


def add_tag(svc: Service, session: Session, comm_id: int, tag: str) -> dict[str, Any]:
    """Put ``tag`` on the communication (lower case, spaces collapsed); Conflict if it
    carries it already. The tag as stored."""
    text = catalog.tag_text(tag)

    def perform(tx: Tx, actor: Actor, request: Request) -> dict[str, Any]:
        return catalog.add_tag(tx, comm_id, text, actor.user_id, svc.clock()).as_dict()

    request = Request(f"communication:{comm_id}", details={"tag": text})
    return svc.act(session, Action.TAG_WRITE, request, _comm(comm_id), perform)


def remove_tag(svc: Service, session: Session, comm_id: int, tag: str) -> None:
    """Take ``tag`` off the communication (kept as removed, by the actor, now);
    NotFound if it does not carry it."""
    text = catalog.tag_text(tag)

    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        if catalog.remove_tag(tx, comm_id, text, actor.user_id, svc.clock()) is None:
            raise NotFound(f"communication {comm_id} is not tagged {text!r}")

    request = Request(f"communication:{comm_id}", details={"tag": text, "removed": True})
    svc.act(session, Action.TAG_WRITE, request, _comm(comm_id), perform)


def tags(
    svc: Service, session: Session, comm_id: int, *, removed: bool = False
) -> list[dict[str, Any]]:
    """The communication's tags, oldest first: ``tag``, ``added_by``, ``added_at``; with
    ``removed`` also those taken off (``removed_by``, ``removed_at``)."""

    def perform(tx: Tx, actor: Actor, request: Request) -> list[dict[str, Any]]:
        found = catalog.tags_of(tx, comm_id, removed=removed)
        request.details.update(listing="tags", shown=len(found), removed=removed)
        return [t.as_dict() for t in found]

    request = Request(f"communication:{comm_id}")
    return svc.look(session, Action.TAG_READ, request, _comm(comm_id), perform)


def add_note(svc: Service, session: Session, comm_id: int, text: str) -> dict[str, Any]:
    """Write a note on the communication (append-only; searchable). The note as stored."""
    body = catalog.note_text(text)

    def perform(tx: Tx, actor: Actor, request: Request) -> dict[str, Any]:
        note = catalog.add_note(tx, comm_id, body, actor.user_id, svc.clock())
        request.details.update(note=note.id, characters=len(body),
                               sha256=hashlib.sha256(body.encode()).hexdigest())  # fmt: skip
        return note.as_dict()

    request = Request(f"communication:{comm_id}")
    return svc.act(session, Action.NOTE_WRITE, request, _comm(comm_id), perform)


def notes(
    svc: Service, session: Session, comm_id: int, purpose: str | None
) -> list[dict[str, Any]]:
    """The communication's notes, oldest first: ``id``, ``author``, ``created_at``,
    ``text``. Case content: a purpose is required (audited)."""

    def perform(tx: Tx, actor: Actor, request: Request) -> list[dict[str, Any]]:
        found = catalog.notes_of(tx, comm_id)
        request.details.update(listing="notes", notes=[n.id for n in found])
        return [n.as_dict() for n in found]

    request = Request(f"communication:{comm_id}")
    return svc.look(session, Action.NOTE_READ, request, _comm(comm_id), perform,
                   purpose=purpose)  # fmt: skip
