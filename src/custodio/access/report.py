"""The operator report: what each operator delivered for each LIID, and what went wrong.

``handover_report`` (``handover.report``, warrant officers) sums, per operator and LIID,
what assembly stored: the PDUs of every episode (``pdus`` products), their per-channel
sequence accounting (gaps with the missing numbers, duplicates, reordering) and the items
held in quarantine; malformed input, which names no LIID, is counted per connection from
the handover's quarantine file. It is what a warrant officer sends back to an operator
whose delivery is broken; it holds no content and no parties.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from custodio.access.policy import Action, Actor
from custodio.access.service import Request, Service, Session, own_agency
from custodio.catalog import comms
from custodio.db import Tx
from custodio.db.times import from_text, to_text
from custodio.handover import quarantine

CHANNELS = {"2": "hi2", "3": "hi3"}


@dataclass
class Delivery:
    """One (operator, LIID): counters, and the gaps per communication and channel."""

    operator: str
    liid: str
    communications: set[int] = field(default_factory=set)
    pdus: int = 0
    missing: int = 0
    gaps: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int = 0
    reordered: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)  # reason -> items

    def add_product(self, product: comms.DeliveredPdus) -> None:
        self.communications.add(product.communication_id)
        self.pdus += product.records
        for channel, seq in product.details.get("sequences", {}).items():
            self.duplicates += int(seq.get("duplicates", 0))
            self.reordered += int(seq.get("reordered", 0))
            ranges = seq.get("gaps", [])
            if ranges:
                self.missing += sum(last - first + 1 for first, last in ranges)
                self.gaps.append({"communication": product.communication_id, "cin": product.cin,
                                  "channel": CHANNELS.get(str(channel), str(channel)),
                                  "missing": ranges})  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {
            "operator": self.operator, "liid": self.liid,
            "communications": len(self.communications), "pdus": self.pdus,
            "gaps": len(self.gaps), "missing_pdus": self.missing, "gap_ranges": self.gaps,
            "duplicates": self.duplicates, "reordered": self.reordered,
            "quarantined": sum(self.quarantined.values()),
            "quarantine_reasons": dict(sorted(self.quarantined.items())),
        }  # fmt: skip


def handover_report(
    svc: Service, session: Session, *, operator: str | None = None, since: str | None = None
) -> dict[str, Any]:
    """Per operator and LIID: PDUs, gaps, duplicates, reordering, quarantine; malformed."""

    def perform(tx: Tx, actor: Actor, request: Request) -> list[Delivery]:
        products, items = comms.delivery_rows(tx, actor.agency_id, operator, since)
        out = deliveries(products, items)
        request.details.update(operator=operator, since=since, liids=len(out))
        return out

    request = Request("handover")
    found = svc.act(session, Action.HANDOVER_REPORT, request, own_agency, perform)
    path = quarantine.log_of(svc.config.data_dir)
    return {"since": since, "operator": operator, "liids": [d.to_json() for d in found],
            "malformed": malformed(path, since)}  # fmt: skip


def deliveries(
    products: Iterable[comms.DeliveredPdus], items: Iterable[comms.HeldDelivery]
) -> list[Delivery]:
    by_key: dict[tuple[str, str], Delivery] = {}

    def of(operator: str, liid: str) -> Delivery:
        return by_key.setdefault((operator, liid), Delivery(operator, liid))

    for product in products:
        of(product.operator, product.liid).add_product(product)
    for item in items:
        held = of(item.operator, item.liid).quarantined
        held[item.reason] = held.get(item.reason, 0) + 1
    return [by_key[k] for k in sorted(by_key)]


def malformed(path: Path, since: str | None) -> list[dict[str, Any]]:
    """Malformed input per connection and reason (it names no LIID it could be filed under)."""
    after = 0 if since is None else int(from_text(since).timestamp() * 1e9)
    counts: dict[tuple[str, str], list[int]] = {}
    for item in quarantine.read_items(path):
        if item.received_ns >= after:
            seen = counts.setdefault((item.connection, item.reason), [0, 0])
            seen[0] += 1
            seen[1] = max(seen[1], item.received_ns)
    return [{"connection": c, "reason": r, "items": n, "last_at": _ns_text(last)}
            for (c, r), (n, last) in sorted(counts.items())]  # fmt: skip


def _ns_text(ns: int) -> str:
    return to_text(datetime.fromtimestamp(ns / 1e9, tz=UTC))
