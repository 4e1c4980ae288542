"""Evidence in the vault: imports, verification, cleanup, key rotation, crypto-shredding."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from custodio.access.casework import by_case
from custodio.access.policy import Action, Actor
from custodio.access.service import Request, Service, Session, own_agency
from custodio.catalog import cases
from custodio.catalog.cases import Case
from custodio.catalog.vault_index import TxIndex
from custodio.db import Tx
from custodio.db.times import now_text
from custodio.errors import InvalidInput
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
    """Store outside evidence in a case, recording its original SHA-256 (chain of custody)."""
    if kind not in IMPORT_KINDS:
        raise InvalidInput(f"--kind must be one of {', '.join(IMPORT_KINDS)}, not {kind!r}")
    for path in paths:
        if not path.is_file():
            raise InvalidInput(f"{path} is not a readable file; nothing was imported")
    return [_import_one(svc, session, vault, case_ref, p, Kind.parse(kind), note) for p in paths]


def _import_one(
    svc: Service,
    session: Session,
    vault: Vault,
    case_ref: str,
    path: Path,
    kind: Kind,
    note: str | None,
) -> Imported:
    request = Request(f"case:{case_ref}", details={"file": path.name, "kind": kind.name.lower()})
    resolve = by_case(case_ref)
    svc.authorize(session, Action.EVIDENCE_IMPORT, request, resolve)
    case = svc.db.read(lambda tx: cases.by_id(tx, request.case_id or 0))
    with path.open("rb") as source:
        ref = vault.write_file(vault_case_id(case), kind, source, sha256=True)
    duplicate = vault.index.find_object(ref.case_id, ref.object_id) is not None

    def perform(tx: Tx, actor: Actor, request: Request) -> ObjectRef:
        recorded = TxIndex(tx).add_reference(ref)
        tx.execute(
            "INSERT INTO imports (case_id, object_id, kind, filename, size, sha256, note, "
            "imported_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                case.id,
                ref.object_id,
                kind.name.lower(),
                path.name,
                ref.size,
                ref.sha256 or "",
                note,
                actor.user_id,
                now_text(),
            ),
        )
        request.details.update(object_id=ref.object_id, sha256=ref.sha256, size=ref.size)
        return recorded

    svc.act(session, Action.EVIDENCE_IMPORT, request, resolve, perform)
    assert ref.sha256 is not None
    return Imported(path.name, ref.object_id, ref.sha256, ref.size, ref.stored_size, duplicate)


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
