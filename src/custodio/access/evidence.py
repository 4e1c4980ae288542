"""Evidence in the vault: imports, verification, cleanup, key rotation, crypto-shredding."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

from custodio.access.casework import by_case
from custodio.access.policy import Action, Actor
from custodio.access.service import Perform, Request, Service, Session, own_agency
from custodio.catalog import cases, imports
from custodio.catalog.cases import Case
from custodio.catalog.vault_index import TxIndex
from custodio.db import Tx
from custodio.errors import CustodioError, Forbidden, InvalidInput
from custodio.vault import maintenance
from custodio.vault.envelope import Kind
from custodio.vault.index import ObjectRef
from custodio.vault.store import Vault

IMPORT_KINDS = ("audio", "document")


@dataclass(frozen=True)
class Imported:
    filename: str
    object_id: str
    sha256: str
    size: int
    stored_size: int
    duplicate: bool  # the case already held identical content: stored once, counted again


def vault_case_id(case: Case) -> str:
    """The case's name inside the vault (its associated data and key derivation)."""
    return str(case.id)


def import_files(
    svc: Service,
    session: Session,
    vault: Vault,
    case_ref: str,
    paths: list[Path],
    kind: str,
    note: str | None = None,
) -> list[Imported]:
    """Store outside evidence in a case, recording its original SHA-256 (chain of custody).

    Every file is checked before the first is stored. A file name that is not UTF-8 is
    recorded with ``\\xNN`` escapes for its undecodable bytes. An import that fails after
    its object was written removes that object again and is audited (``denied``, with
    what failed); a refusal by the policy is audited as always.
    """
    if kind not in IMPORT_KINDS:
        raise InvalidInput(f"--kind must be one of {', '.join(IMPORT_KINDS)}, not {kind!r}")
    for path in paths:
        if not path.is_file() or not os.access(path, os.R_OK):
            raise InvalidInput(
                f"{_escaped(str(path))} is not a readable file; nothing was imported"
            )
    return [_import_one(svc, session, vault, case_ref, p, Kind.parse(kind), note) for p in paths]


def stored_name(path: Path) -> str:
    """The file's name as recorded: undecodable bytes as ``\\xNN`` escapes."""
    return _escaped(path.name)


def _escaped(text: str) -> str:
    return os.fsencode(text).decode("utf-8", "backslashreplace")


def _import_one(
    svc: Service,
    session: Session,
    vault: Vault,
    case_ref: str,
    path: Path,
    kind: Kind,
    note: str | None,
) -> Imported:
    name = stored_name(path)
    upload = begin_import(svc, session, case_ref, name, kind.name.lower(), note,
                          escaped=name != path.name)  # fmt: skip
    try:
        source = path.open("rb")
    except OSError as e:
        failure = InvalidInput(f"cannot read {name}: {e.strerror or e}")
        _failed(svc, session, vault, upload.request, None, failure)
        raise failure from e
    with source:
        return finish_import(svc, session, vault, upload, source)


@dataclass(frozen=True)
class Upload:
    """An import the policy allowed, waiting for its bytes (:func:`begin_import`)."""

    case_ref: str
    name: str
    kind: Kind
    note: str | None
    request: Request


def begin_import(
    svc: Service,
    session: Session,
    case_ref: str,
    name: str,
    kind: str,
    note: str | None = None,
    *,
    escaped: bool = False,
) -> Upload:
    """Ask the policy whether ``session`` may import a file ``name`` into the case, before
    its bytes are read (a refusal is audited). ``escaped``: the name holds ``\\xNN``
    escapes for bytes that were not UTF-8 (recorded in the audit entry)."""
    if kind not in IMPORT_KINDS:
        raise InvalidInput(f"--kind must be one of {', '.join(IMPORT_KINDS)}, not {kind!r}")
    request = Request(f"case:{case_ref}", details={"file": name, "kind": kind})
    if escaped:
        request.details["file_name_escaped"] = True
    svc.authorize(session, Action.EVIDENCE_IMPORT, request, by_case(case_ref))
    return Upload(case_ref, name, Kind.parse(kind), note, request)


def finish_import(
    svc: Service, session: Session, vault: Vault, upload: Upload, source: BinaryIO
) -> Imported:
    """Store a seekable ``source`` (read twice) as the import :func:`begin_import` allowed,
    with the SHA-256 of its bytes; the policy is asked again as the import is recorded.
    A failure after the object was written removes it again, audited (``denied``)."""
    request, resolve = upload.request, by_case(upload.case_ref)
    ref: ObjectRef | None = None
    try:
        case = svc.db.read(lambda tx: cases.by_id(tx, request.case_id or 0))
        ref = _write(vault, case, upload.kind, source, upload.name)
        duplicate = vault.index.find_object(ref.case_id, ref.object_id) is not None
        record = _record(case, ref, upload.name, upload.kind, upload.note)
        svc.act(session, Action.EVIDENCE_IMPORT, request, resolve, record)
    except BaseException as failure:
        _failed(svc, session, vault, request, ref, failure)
        raise
    assert ref is not None and ref.sha256 is not None
    return Imported(upload.name, ref.object_id, ref.sha256, ref.size, ref.stored_size, duplicate)


def _write(vault: Vault, case: Case, kind: Kind, source: BinaryIO, name: str) -> ObjectRef:
    try:
        return vault.write_file(vault_case_id(case), kind, source, sha256=True)
    except OSError as e:
        raise InvalidInput(f"cannot read {name}: {e.strerror or e}") from e


def _record(
    case: Case, ref: ObjectRef, name: str, kind: Kind, note: str | None
) -> Perform[ObjectRef]:
    def perform(tx: Tx, actor: Actor, request: Request) -> ObjectRef:
        recorded = TxIndex(tx).add_reference(ref)
        imports.record(tx, case_id=case.id, object_id=ref.object_id, kind=kind.name.lower(),
                       filename=name, size=ref.size, sha256=ref.sha256 or "", note=note,
                       imported_by=actor.user_id)  # fmt: skip
        request.details.update(object_id=ref.object_id, sha256=ref.sha256, size=ref.size)
        return recorded

    return perform


def _failed(
    svc: Service,
    session: Session,
    vault: Vault,
    request: Request,
    ref: ObjectRef | None,
    failure: BaseException,
) -> None:
    """Undo what a failed import stored (its new object) and audit the failure; a refusal
    of the policy inside :meth:`Service.act` is audited there already."""
    discarded = False
    if ref is not None:
        with contextlib.suppress(CustodioError):  # left to `vault cleanup` then
            discarded = vault.discard(ref)
    if isinstance(failure, Exception) and not isinstance(failure, Forbidden):
        request.details.update(object_id=ref.object_id if ref else None, discarded=discarded)
        svc.record_failure(session, Action.EVIDENCE_IMPORT, request, failure)


def verify(
    svc: Service,
    session: Session,
    vault: Vault,
    *,
    case_ref: str | None = None,
    sample: float = 1.0,
) -> maintenance.VerifyReport:
    """Read objects back and check them against the catalog (see maintenance.verify)."""
    request = Request(f"case:{case_ref}" if case_ref else "vault")
    resolve = by_case(case_ref) if case_ref else own_agency
    svc.authorize(session, Action.VAULT_VERIFY, request, resolve)
    case_id = None
    if case_ref:
        case_id = vault_case_id(svc.db.read(lambda tx: cases.by_id(tx, request.case_id or 0)))
    report = maintenance.verify(vault, case_id=case_id, sample=sample)

    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        request.details.update(_verify_summary(report, sample))

    svc.act(session, Action.VAULT_VERIFY, request, resolve, perform)
    return report


def _verify_summary(report: maintenance.VerifyReport, sample: float) -> dict[str, object]:
    return {
        "checked": report.checked,
        "sample": sample,
        "missing": len(report.missing),
        "corrupt": len(report.corrupt),
        "misplaced": len(report.misplaced),
        "unreferenced": len(report.unreferenced),
        "keyless": len(report.keyless),
    }


def cleanup(
    svc: Service, session: Session, vault: Vault, *, grace: timedelta
) -> maintenance.CleanupReport:
    """Remove unreferenced objects older than ``grace`` (writes that never committed)."""
    request = Request("vault")
    svc.authorize(session, Action.VAULT_CLEANUP, request, own_agency)
    report = maintenance.cleanup(vault, grace=grace)

    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        request.details.update(dataclasses.asdict(report))

    svc.act(session, Action.VAULT_CLEANUP, request, own_agency, perform)
    return report


def rotate(svc: Service, session: Session, vault: Vault) -> maintenance.RotationReport:
    """A new key-encryption key; every case's data key re-wrapped; old KEKs destroyed."""
    request = Request("vault")
    svc.authorize(session, Action.VAULT_ROTATE, request, own_agency)
    report = maintenance.rotate_kek(vault)

    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        request.details.update(dataclasses.asdict(report))

    svc.act(session, Action.VAULT_ROTATE, request, own_agency, perform)
    return report


def shred_case(svc: Service, vault: Vault, case: Case, *, order: str) -> dict[str, Any]:
    """Crypto-shred a case's evidence and audit a signed destruction certificate.

    The mechanism only: who may order it (a judge, with a second person's approval) is
    the court workflow's, which calls this after its own checks. Returns the certificate.
    """
    if not order.strip():
        raise InvalidInput("a destruction needs the court order that decides it")
    report = maintenance.shred_case(vault, vault_case_id(case), ordered_by=order)
    signer = svc.signer()
    body = report.certificate_body()
    certificate = {
        "body": body.decode(),
        "key_id": signer.key_id,
        "signature": signer.sign(body).hex(),
    }
    svc.system_event("vault.shredded", f"case:{case.reference}", certificate, case=case)
    return certificate
