"""One communication: its traffic data, its content (each read with a purpose), its seal.

Content (labels, transcript, SMS text, audio, packets) is read from the vault in memory
and handed out as the service layer returns it: nothing is written to disk in clear. One
direction's audio is read by ranges: a Range request decrypts only the chunks it lies
in, the whole is streamed chunk by chunk.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Response
from fastapi.responses import StreamingResponse

from custodio.access import classification
from custodio.access import comms as service
from custodio.access.api import models, ranges
from custodio.access.api.deps import Caller, Purpose, Using, VaultDep
from custodio.catalog import labels as catalog_labels

router = APIRouter(tags=["communications"])

LIVE_POLL = 0.25  # seconds between two looks at an open call

CommId = Annotated[int, Path(ge=1, le=2**53, description="the communication's id")]

BYTES: dict[int | str, dict[str, Any]] = {200: {"content": {"application/octet-stream": {}}},
         206: {"description": "the range asked for (Content-Range)"},
         416: {"description": "the range lies past the end"}}  # fmt: skip


@router.get("/communications/{comm_id}", response_model=models.CommDetail,
            summary="Parties, times, IRI details, products, cells")  # fmt: skip
def show(comm_id: CommId, session: Caller, a: Using) -> dict[str, Any]:
    return service.show_comm(a.svc, session, comm_id)


@router.get("/communications/{comm_id}/labels", response_model=list[models.Label],
            summary="Its labels with their provenance (content: needs a purpose)")  # fmt: skip
def labels(
    comm_id: CommId,
    session: Caller,
    a: Using,
    purpose: Purpose,
    kind: Annotated[list[str] | None, Query(max_length=20)] = None,
    superseded: bool = False,
) -> list[dict[str, Any]]:
    kinds = tuple(k[:40] for k in kind or ())
    filters = catalog_labels.Filters(kinds=kinds, superseded=superseded)
    return classification.comm_labels(a.svc, session, comm_id, purpose, filters)


@router.get("/communications/{comm_id}/transcript", response_model=list[models.Transcript],
            summary="Its transcript per direction, word times (needs a purpose)")  # fmt: skip
def transcript(
    comm_id: CommId,
    session: Caller,
    a: Using,
    vault: VaultDep,
    purpose: Purpose,
    direction: Literal["target", "other"] | None = None,
    translation: bool = False,
) -> list[dict[str, Any]]:
    return classification.transcript(a.svc, session, vault, comm_id, direction, purpose,
                                     translation=translation)  # fmt: skip


@router.get("/communications/{comm_id}/message", response_model=models.Message,
            summary="An SMS as stored: its text and header fields (needs a purpose)")  # fmt: skip
def message(
    comm_id: CommId, session: Caller, a: Using, vault: VaultDep, purpose: Purpose
) -> dict[str, Any]:
    return service.message(a.svc, session, vault, comm_id, purpose)


@router.get("/communications/{comm_id}/audio", response_class=Response, responses=BYTES,
            summary="Its audio as WAV, with Range requests (needs a purpose)")  # fmt: skip
def audio(
    comm_id: CommId,
    session: Caller,
    a: Using,
    vault: VaultDep,
    purpose: Purpose,
    direction: Literal["target", "other", "both"] = "both",
    range_: Annotated[str | None, Header(alias="Range", max_length=100)] = None,
) -> Response:
    content = service.audio_view(a.svc, session, vault, comm_id, direction, purpose)
    name = f'attachment; filename="communication-{comm_id}-{direction}.wav"'
    return ranges.respond(content, range_, "audio/wav", {"Content-Disposition": name})


@router.get("/communications/{comm_id}/live", response_class=StreamingResponse,
            responses={200: {"content": {"audio/wav": {}}}},
            summary="An open call's audio as it grows, until it closes (a purpose)")  # fmt: skip
def live(
    comm_id: CommId,
    session: Caller,
    a: Using,
    purpose: Purpose,
    direction: Literal["target", "other", "both"] = "both",
) -> StreamingResponse:
    following = service.follow_audio(a.svc, session, comm_id, direction, purpose,
                                     journal_dir=a.journal_dir)  # fmt: skip
    return StreamingResponse(_grow(following), media_type="audio/wav",
                             headers={"Cache-Control": "no-store"})  # fmt: skip


def _grow(following: service.LiveAudio) -> Iterator[bytes]:
    """The WAV as it grows (its header says "length unknown"), polled every
    :data:`LIVE_POLL` seconds, until the call has closed and all of it was sent."""
    while True:
        data = following.poll()
        if data:
            yield data
        if following.done:
            return
        time.sleep(LIVE_POLL)


@router.get("/communications/{comm_id}/pcap", response_class=Response, responses=BYTES,
            summary="A data session's packets as a pcap file (needs a purpose)")  # fmt: skip
def pcap(
    comm_id: CommId,
    session: Caller,
    a: Using,
    vault: VaultDep,
    purpose: Purpose,
    range_: Annotated[str | None, Header(alias="Range", max_length=100)] = None,
) -> Response:
    data = service.pcap_view(a.svc, session, vault, comm_id, purpose)
    name = f'attachment; filename="communication-{comm_id}.pcap"'
    return ranges.respond(data, range_, "application/vnd.tcpdump.pcap",
                          {"Content-Disposition": name})  # fmt: skip


@router.get("/communications/{comm_id}/seal", response_model=models.SealReport,
            summary="Its seal recomputed and proven against the audit log")  # fmt: skip
def seal(comm_id: CommId, session: Caller, a: Using, vault: VaultDep) -> dict[str, Any]:
    return service.seal_check(a.svc, session, vault, comm_id)
