"""Writing assembly's results: vault objects first, then one catalog transaction.

Objects are written to the vault before the transaction (as ``Vault.write_file`` allows)
and recorded with :class:`~custodio.catalog.vault_index.TxIndex` inside it, together with
the communication rows, their products, the quarantine items, the audit entries and the
assembler's journal position. A crash before the commit leaves unreferenced objects
(``custodio vault cleanup``) and nothing else: the records are applied again.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from typing import Any

from custodio import audit
from custodio.assemble import seal
from custodio.assemble.closing import Blob, Closing, status_of
from custodio.assemble.correlate import Comm
from custodio.assemble.parties import e164
from custodio.catalog import comms, jobs, notifications, protected
from custodio.catalog.vault_index import TxIndex
from custodio.db import Tx
from custodio.db.times import to_text
from custodio.vault.index import ObjectRef
from custodio.vault.store import Vault

SYSTEM = "system"
QUARANTINE_VAULT = "quarantine"  # vault name of items no case can be named for


def vault_name(comm: Comm) -> str:
    """The vault's case id for a communication's objects (the case's, as for imports)."""
    case = comm.attribution.case_id
    return QUARANTINE_VAULT if case is None else str(case)


def write_blobs(vault: Vault, closings: Iterable[Closing]) -> dict[int, ObjectRef]:
    """Write every blob to the vault (unrecorded); ``id(blob)`` -> its reference."""
    refs: dict[int, ObjectRef] = {}
    for closing in closings:
        name = vault_name(closing.comm)
        for blob in closing.blobs:
            refs[id(blob)] = vault.write_file(name, blob.kind, io.BytesIO(blob.data), sha256=True)
    return refs


def row_values(comm: Comm, closing: Closing | None) -> dict[str, Any]:
    direction, basis = comm.target_side()
    if closing is not None:
        status, reasons, notes = closing.status, closing.reasons, closing.notes
    else:
        (status, reasons), notes = status_of(comm), []
    a = comm.attribution
    operator, liid, cin = comm.key
    return {
        "agency_id": a.agency_id, "case_id": a.case_id, "warrant_id": a.warrant_id,
        "liid": liid, "operator": operator, "cin": cin, "call_id": comm.call_id,
        "kind": comm.kind, "direction": direction, "status": status, "reasons": reasons,
        "notes": notes, "begin_at": _time(comm.begin_at), "answer_at": _time(comm.answer_at),
        "end_at": _time(comm.end_at), "closed_by": comm.closed_by, "outcome": comm.outcome,
        "target_basis": basis, "sealed": int(comm.sealed), "quarantined": int(not a.traffic),
        "amendments": comm.amendments, "open_seq": comm.open_seq, "last_seq": comm.last_seq,
    }  # fmt: skip


def _time(value: Any) -> str | None:
    return None if value is None else to_text(value)


def parties(comm: Comm) -> list[comms.Party]:
    direction, _ = comm.target_side()
    return [
        comms.Party(p.role, p.delivered, e164(p.delivered, p.source), p.role == direction, p.source)
        for p in comm.parties
    ]


def save_comm(tx: Tx, comm: Comm, closing: Closing | None) -> None:
    """Insert or update the communication's row, its parties and its new cells."""
    rows = parties(comm)
    _seal(tx, comm, rows)
    values = row_values(comm, closing)
    if comm.id is None:
        comm.id = comms.insert_comm(tx, values)
    else:
        comms.update_comm(tx, comm.id, values)
    comms.replace_parties(tx, comm.id, rows)
    if comm.attribution.location:
        for cell, at in comm.cells[comm.cells_saved :]:
            comms.add_location(tx, comm.id, cell, to_text(at))
        comm.cells_saved = len(comm.cells)
    _notify_start(tx, comm)
    if closing is not None and comm.attribution.case_id is not None and comm.attribution.traffic:
        jobs.enqueue(tx, jobs.CLASSIFY, comm.id, comm.attribution.case_id)  # (re-)closed
    comm.dirty = False


def _notify_start(tx: Tx, comm: Comm) -> None:
    """A target's voice call started: a ``call.started`` notification for its case.

    Only the communication id, the LIID and which side the target is: never content, and
    nothing for a sealed call (its existence is for judges only), a quarantined one, or a
    re-opened one (it started long ago).
    """
    a = comm.attribution
    if comm.start_notified or comm.kind != "voice" or comm.amendments or comm.sealed:
        return
    if a.case_id is None or a.agency_id is None or not a.traffic or comm.id is None:
        return
    detail = {"liid": comm.key[1], "target": comm.target_side()[0]}
    notifications.add(tx, a.agency_id, a.case_id, "call.started", comm.id, detail)
    comm.start_notified = True


def _seal(tx: Tx, comm: Comm, rows: list[comms.Party]) -> None:
    agency = comm.attribution.agency_id
    if comm.sealed or agency is None:
        return
    hits = [p.e164 for p in rows if p.e164 and protected.is_protected(tx, agency, p.e164)]
    if hits:
        comm.sealed = True
        _event(tx, comm, "comm.sealed", {"protected_numbers": len(hits)})


def save_closing(tx: Tx, closing: Closing, refs: dict[int, ObjectRef]) -> None:
    comm = closing.comm
    save_comm(tx, comm, closing)
    assert comm.id is not None
    comms.add_product(tx, comm.id, _pdus_product(comm))
    for blob in closing.blobs:
        ref = TxIndex(tx).add_reference(refs[id(blob)])
        if blob.role == "quarantine":
            _quarantine(tx, comm, blob, ref)
        else:
            if comm.amendments:  # derived again, whole: the earlier object is superseded
                comms.supersede(tx, comm.id, blob.role, blob.direction)
            comms.add_product(tx, comm.id, object_product(blob, ref), text=blob.text)
    if comm.amendments:
        _event(tx, comm, "comm.amended", {"amendments": comm.amendments, "status": closing.status})
    _seal_event(tx, comm, closing.status)


def _seal_event(tx: Tx, comm: Comm, status: str) -> None:
    """The per-communication seal over every product stored so far (docs/assembly.md)."""
    assert comm.id is not None
    products = comms.products_of(tx, comm.id)
    details = {"seal": seal.digest(comm.id, products), "seal_version": seal.SEAL_VERSION,
               "parts": len(products), "status": status, "amendments": comm.amendments}  # fmt: skip
    _event(tx, comm, seal.SEAL_EVENT, details)


def _pdus_product(comm: Comm) -> comms.Product:
    e = comm.episode
    return comms.Product(
        kind="pdus", sha256=e.digest.hexdigest(), size=0, first_seq=e.first_seq,
        last_seq=e.last_seq, records=e.records,
        details={"sequences": {k: _seq_summary(v) for k, v in comm.sequences.items()}},
    )  # fmt: skip


def _seq_summary(tracker: Any) -> dict[str, Any]:
    return {
        "highest": tracker.highest, "gaps": tracker.gaps(),
        "duplicates": tracker.duplicates, "reordered": tracker.reordered,
    }  # fmt: skip


def object_product(blob: Blob, ref: ObjectRef) -> comms.Product:
    return comms.Product(
        kind=blob.role, direction=blob.direction, vault_case=ref.case_id,
        object_id=ref.object_id, sha256=ref.sha256 or hashlib.sha256(blob.data).hexdigest(),
        size=ref.size, details=blob.details,
    )  # fmt: skip


def _quarantine(tx: Tx, comm: Comm, blob: Blob, ref: ObjectRef) -> None:
    a, e = comm.attribution, blob.episode
    operator, liid, cin = comm.key
    item = comms.QuarantineItem(
        agency_id=a.agency_id, case_id=a.case_id, warrant_id=a.warrant_id,
        communication_id=comm.id, liid=liid, operator=operator, cin=cin,
        reason=blob.reason or "held", data_kind=blob.data_kind or "all",
        first_seq=e.first_seq if e else None, last_seq=e.last_seq if e else None,
        records=e.records if e else 0, vault_case=ref.case_id, object_id=ref.object_id,
        sha256=ref.sha256 or "", size=ref.size,
    )  # fmt: skip
    item_id = comms.add_quarantine(tx, item)
    details = {"item": item_id, "reason": item.reason, "data": item.data_kind,
               "liid": liid, "operator": operator, "object_id": item.object_id,
               "sha256": item.sha256}  # fmt: skip
    _event(tx, comm, "quarantine.held", details)


def _event(tx: Tx, comm: Comm, action: str, details: dict[str, Any]) -> None:
    target = f"communication:{comm.id}" if comm.id is not None else f"liid:{comm.key[1]}"
    audit.append(
        tx,
        audit.Event(
            action=action,
            outcome=audit.ALLOWED,
            target=target,
            actor=SYSTEM,
            agency_id=comm.attribution.agency_id,
            case_id=comm.attribution.case_id,
            details=details,
        ),
    )
