"""The per-communication seal: one digest over everything a communication consists of.

At every close (and every re-close after an amendment) assembly writes a ``comm.closed``
audit entry holding :func:`digest` of the communication's products, in the transaction
that records them. The entry is a leaf of the audit log's Merkle tree, so whoever holds a
signed checkpoint can prove that the communication is exactly what was received.
``docs/assembly.md`` ("The per-communication seal") defines the encoding; this module
mirrors it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from custodio.audit.entry import Checkpoint, Entry, canonical_json
from custodio.catalog.comms import Product
from custodio.crypto import merkle, signing

SEAL_VERSION = 1
SEAL_EVENT = "comm.closed"
# What classification adds later (machine transcripts) is not what was received: it has
# its own provenance (labels' sources, the ``comm.classified`` entry) and stays outside.
UNSEALED_KINDS = frozenset({"transcript"})


def part(product: Product) -> dict[str, Any]:
    """One product as the seal covers it (``comm_products`` row, details left out)."""
    if product.kind == "pdus":
        return {
            "kind": "pdus", "first_seq": product.first_seq, "last_seq": product.last_seq,
            "records": product.records, "sha256": product.sha256,
        }  # fmt: skip
    return {
        "kind": product.kind, "direction": product.direction,
        "object_id": product.object_id, "sha256": product.sha256, "size": product.size,
    }  # fmt: skip


def document(comm_id: int, products: Iterable[Product]) -> dict[str, Any]:
    """The sealed document: the version, the communication and its parts in stored order."""
    parts = [part(p) for p in products if p.kind not in UNSEALED_KINDS]
    return {"v": SEAL_VERSION, "communication": comm_id, "parts": parts}


def digest(comm_id: int, products: Iterable[Product]) -> str:
    """SHA-256 (hex) of the canonical JSON of :func:`document`."""
    text = canonical_json(document(comm_id, products))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- checking a seal against what is stored and against a signed checkpoint ----------


@dataclass(frozen=True)
class Inclusion:
    """RFC 6962 inclusion of one audit entry (leaf ``index``) in a checkpoint's tree."""

    index: int
    size: int
    proof: tuple[str, ...]
    root: str  # recomputed from the entry and the proof

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "size": self.size, "proof": list(self.proof),
                "root": self.root}  # fmt: skip


def inclusion(entry: Entry, size: int, proof: Sequence[bytes]) -> Inclusion:
    """The root that ``entry`` and its audit path ``proof`` give for a tree of ``size``.

    The leaf is recomputed from the entry's content, not taken from the stored hash, so
    an edited entry yields a root that the signed checkpoint does not hold. The path comes
    from the stored tree (``audit.tree.inclusion_proof``).
    """
    index = entry.seq - 1
    top = merkle.root_from_inclusion(bytes.fromhex(entry.hash()), index, size, proof)
    return Inclusion(index, size, tuple(p.hex() for p in proof), top.hex())


def checkpoint_ok(cp: Checkpoint, public_key: bytes) -> bool:
    return signing.verify(public_key, bytes.fromhex(cp.signature), cp.signed_message())
