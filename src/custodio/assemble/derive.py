"""A released quarantine item's content: its held PDUs become audio (and pcap), sealed.

A communication held whole (no warrant, outside validity, no traffic in scope) or its
content held (a traffic-only warrant) has no audio product: its PDUs are one quarantine
object. When a judge approves the release and the warrant now registered covers content,
:func:`derive_released` reads the held PDUs back from the vault, applies them in order to
a :class:`~custodio.assemble.correlate.Comm` with the new attribution (the assembler's
code: streams, signalling, per-packet windows), and stores the audio of each direction
(and a data session's pcap) under the case, with a new ``comm.closed`` seal over every
product the communication now has. Nothing is derived when it already has audio.
"""

from __future__ import annotations

import io
from typing import Any

from custodio import audit
from custodio.assemble import media, seal
from custodio.assemble.attribution import attribute
from custodio.assemble.closing import SIDES, Blob, assign_streams, audio_blob, pcap_blob
from custodio.assemble.correlate import Comm, Key
from custodio.assemble.store import SYSTEM, object_product
from custodio.catalog import comms
from custodio.catalog.vault_index import TxIndex
from custodio.db import Database, Tx
from custodio.db.times import from_text
from custodio.errors import DecodeError
from custodio.etsi.pdu import StreamFramer, decode
from custodio.vault.store import Vault

DERIVABLE = ("all", "content")  # held data kinds whose content can be derived


def derive_released(db: Database, vault: Vault, item_id: int) -> list[str]:
    """Derive and store the content of released item ``item_id``; the kinds stored."""
    item = db.read(lambda tx: comms.quarantine_item(tx, item_id))
    if item.data_kind not in DERIVABLE or item.communication_id is None:
        return []
    comm_id = item.communication_id
    row, products = db.read(lambda tx: (comms.get(tx, comm_id), comms.products_of(tx, comm_id)))
    if row.case_id is None or any(p.kind in ("audio", "pcap") for p in products):
        return []
    at = from_text(row.started)
    attribution = db.read(lambda tx: attribute(tx, row.liid, row.operator, at))
    if not attribution.content:
        return []
    key: Key = (row.operator, row.liid, row.cin)
    comm = Comm(key=key, attribution=attribution, open_seq=0)
    pdus, _ = StreamFramer().feed(vault.get(item.vault_case, item.object_id))
    for n, raw in enumerate(pdus):
        try:
            pdu = decode(raw)
        except DecodeError:
            continue  # held as received; the receiver had accepted it, so this is not expected
        comm.apply(n, 0, 2 if pdu.iri else 3, pdu)
    blobs = _blobs(comm)
    comm.discard()
    if not blobs:
        return []
    refs = [vault.write_file(str(row.case_id), b.kind, io.BytesIO(b.data), sha256=True)
            for b in blobs]  # fmt: skip

    def record(tx: Tx) -> None:
        index = TxIndex(tx)
        for blob, ref in zip(blobs, refs, strict=True):
            comms.add_product(tx, comm_id, object_product(blob, index.add_reference(ref)))
        stored = comms.products_of(tx, comm_id)
        details: dict[str, Any] = {
            "seal": seal.digest(comm_id, stored), "seal_version": seal.SEAL_VERSION,
            "parts": len(stored), "status": row.status, "amendments": row.amendments,
            "derived_from_quarantine": item_id,
        }  # fmt: skip
        audit.append(tx, audit.Event(
            action=seal.SEAL_EVENT, outcome=audit.ALLOWED, target=f"communication:{comm_id}",
            actor=SYSTEM, agency_id=row.agency_id, case_id=row.case_id, details=details,
        ))  # fmt: skip

    db.write(record)
    return [b.role for b in blobs]


def _blobs(comm: Comm) -> list[Blob]:
    sides, _ = assign_streams(comm)
    blobs = []
    for side in SIDES:
        if sides[side]:
            audio = media.join(sides[side])
            if audio.codec is not None:
                blobs.append(audio_blob(side, audio))
    if comm.ip_packets is not None:
        blobs.append(pcap_blob(comm))
    return blobs
