"""Evidence obtained outside the handover, imported into a case; a case's classification
queued and followed. Both take a case reference that may hold "/": they come before the
routes of ``cases``, whose last one takes the rest of the path as a reference."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from custodio.access import evidence, jobs
from custodio.access.api import models
from custodio.access.api.deps import MAX_NAME, MAX_TEXT, Caller, Using, VaultDep
from custodio.access.api.routes.cases import case_ref
from custodio.errors import InvalidInput
from custodio.vault.spool import SealedSpool

router = APIRouter(tags=["evidence"])

FILE_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post("/cases/{reference:path}/evidence", status_code=201, response_model=models.Imported,
             summary="Import a file obtained outside the handover",
             openapi_extra=FILE_BODY)  # fmt: skip
async def import_evidence(
    reference: str,
    request: Request,
    session: Caller,
    a: Using,
    vault: VaultDep,
    kind: Annotated[str, Query(max_length=20, description="audio or document")],
    filename: Annotated[str, Query(min_length=1, max_length=MAX_NAME,
                                   description="the file's name, as recorded")],
    note: Annotated[str | None, Query(max_length=MAX_TEXT,
                                      description="where it comes from (a seizure record)")] = None,
    escaped: Annotated[bool, Query(description="the name holds \\xNN escapes for bytes "
                                   "that were not UTF-8")] = False,
) -> models.Imported:  # fmt: skip
    """The body is the file's bytes (``application/octet-stream``, at most the setting
    ``import_max_bytes``). The policy is asked before the body is read; the body is held
    sealed (never in clear) in the data directory until the vault has stored it."""
    ref = case_ref(reference)
    if "/" in filename or "\x00" in filename or filename in (".", ".."):
        raise InvalidInput(f"{filename!r} is not a file name")
    upload = await run_in_threadpool(evidence.begin_import, a.svc, session, ref, filename, kind,
                                     note, escaped=escaped)  # fmt: skip
    with SealedSpool(a.svc.config.data_dir) as spool:  # on disk, not a tmpfs in memory
        async for chunk in request.stream():
            if chunk:
                await run_in_threadpool(spool.write, chunk)
        source = spool.reader()
        done = await run_in_threadpool(evidence.finish_import, a.svc, session, vault, upload,
                                       source)  # fmt: skip
    return models.Imported(file=done.filename, sha256=done.sha256, bytes=done.size,
                           stored=done.stored_size, object=done.object_id,
                           duplicate=done.duplicate)  # fmt: skip


@router.post("/cases/{reference:path}/classify", response_model=models.Classified,
             summary="Queue classification of the case's closed communications")  # fmt: skip
def classify(
    reference: str,
    session: Caller,
    a: Using,
    redo: Annotated[bool, Query(description="all of them, classified or not")] = False,
) -> models.Classified:
    """The service's workers run the jobs; ``GET .../jobs`` follows them."""
    ids, queued = jobs.classify_case(a.svc, session, case_ref(reference), redo=redo)
    return models.Classified(queued=queued, jobs=ids)


@router.get("/cases/{reference:path}/jobs", response_model=list[models.CaseJob],
            summary="The case's classification jobs and their states")  # fmt: skip
def case_jobs(reference: str, session: Caller, a: Using) -> list[models.CaseJob]:
    states = jobs.case_jobs(a.svc, session, case_ref(reference))
    return [models.CaseJob(id=i, state=s) for i, s in states.items()]
