"""Tags and notes on a communication: an investigator's own marks (what `custodio tag` and
`custodio note` offer; docs/access-policy.md, "Tags and notes"). Notes are append-only:
there is no route that changes or deletes one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, Field

from custodio.access import notes
from custodio.access.api.deps import Caller, Purpose, Using
from custodio.access.api.models import NO_NUL, Closed
from custodio.access.api.routes.comms import CommId

router = APIRouter(tags=["tags and notes"])


class NewTag(Closed):
    tag: str = Field(min_length=1, max_length=notes.MAX_TAG, pattern=NO_NUL,
                     description="e.g. relevante, seguimiento (stored in lower case)")  # fmt: skip


class Tag(BaseModel):
    id: int
    communication_id: int
    tag: str
    added_by: str
    added_at: str
    removed_by: str | None = Field(description="who took it off (null: it is on)")
    removed_at: str | None


class NewNote(Closed):
    text: str = Field(min_length=1, max_length=notes.MAX_NOTE, pattern=NO_NUL)


class Note(BaseModel):
    id: int
    communication_id: int
    author: str
    created_at: str
    text: str


@router.get("/communications/{comm_id}/tags", response_model=list[Tag],
            summary="Its tags (removed: those taken off too)")  # fmt: skip
def list_tags(
    comm_id: CommId, session: Caller, a: Using, removed: bool = False
) -> list[dict[str, Any]]:
    return notes.tags(a.svc, session, comm_id, removed=removed)


@router.post("/communications/{comm_id}/tags", response_model=Tag,
             status_code=status.HTTP_201_CREATED, summary="Tag it")  # fmt: skip
def add_tag(comm_id: CommId, body: NewTag, session: Caller, a: Using) -> dict[str, Any]:
    return notes.add_tag(a.svc, session, comm_id, body.tag)


@router.delete("/communications/{comm_id}/tags/{tag}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Take a tag off (it is kept as removed, with who and when)")  # fmt: skip
def remove_tag(
    comm_id: CommId,
    tag: Annotated[str, Path(max_length=notes.MAX_TAG)],
    session: Caller,
    a: Using,
) -> Response:
    notes.remove_tag(a.svc, session, comm_id, tag)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/communications/{comm_id}/notes", response_model=list[Note],
            summary="Its notes, oldest first (case content: needs a purpose)")  # fmt: skip
def list_notes(
    comm_id: CommId, session: Caller, a: Using, purpose: Purpose
) -> list[dict[str, Any]]:
    return notes.notes(a.svc, session, comm_id, purpose)


@router.post("/communications/{comm_id}/notes", response_model=Note,
             status_code=status.HTTP_201_CREATED,
             summary="Write a note (append-only; searchable)")  # fmt: skip
def add_note(comm_id: CommId, body: NewNote, session: Caller, a: Using) -> dict[str, Any]:
    return notes.add_note(a.svc, session, comm_id, body.text)
