"""Which warrant a communication belongs to, and what of it may be kept visible.

The LIID and the operator name the warrant (``custodio warrant bind``). The time of the
communication decides whether that warrant covered it; the warrant's scope decides what
may be kept visible: traffic data (the communication itself), content (its media),
location (its cells). What may not is quarantined for the warrant officer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from custodio.catalog import cases, comms, warrants
from custodio.catalog.identifiers import Identifier
from custodio.catalog.warrants import Warrant
from custodio.db import Tx

UNKNOWN_LIID = "unknown-liid"
OUTSIDE_VALIDITY = "outside-validity"
NO_TRAFFIC = "traffic-not-authorised"
TRAFFIC_ONLY = "content-not-authorised"
NO_LOCATION = "location-not-authorised"


@dataclass(frozen=True)
class Attribution:
    """What the warrant (if any) allows for one communication."""

    warrant_id: int | None
    case_id: int | None
    agency_id: int | None
    traffic: bool  # the communication may be shown (else it is quarantined whole)
    content: bool
    location: bool
    reason: str | None  # why the communication is quarantined whole
    targets: frozenset[Identifier]  # the warrant's target identifiers
    spans: tuple[tuple[datetime, datetime], ...] = ()  # the warrant's windows; () = any time

    def covers(self, at: datetime) -> bool:
        """Whether the warrant covered ``at`` (each CC packet is checked, not only the
        communication's start: a call may run past the end of the warrant)."""
        if not self.spans:
            return True
        for start, end in self.spans:  # noqa: SIM110 (per CC packet: any() costs 2-3× this)
            if start <= at <= end:
                return True
        return False

    def quarantine_reason(self, data: str) -> str | None:
        """Why ``data`` (traffic, content, location) must be quarantined, or None."""
        if not self.traffic:
            return self.reason
        if data == "content" and not self.content:
            return TRAFFIC_ONLY
        if data == "location" and not self.location:
            return NO_LOCATION
        return None


def attribute(tx: Tx, liid: str, operator: str, at: datetime) -> Attribution:
    """The attribution of a communication of ``liid`` at ``operator`` that began ``at``."""
    bound = [warrants.get_by_id(tx, wid) for wid in comms.warrants_for_liid(tx, liid, operator)]
    if not bound:
        return Attribution(None, None, None, False, False, False, UNKNOWN_LIID, frozenset())
    covering = [w for w in bound if any(s.start <= at <= s.end for s in w.spans)]
    warrant = covering[0] if covering else max(bound, key=lambda w: w.end)
    agency = cases.by_id(tx, warrant.case_id).agency_id
    targets = frozenset(warrant.targets)
    if not covering:
        return _whole(warrant, agency, OUTSIDE_VALIDITY, targets)
    if "traffic" not in warrant.scope:
        return _whole(warrant, agency, NO_TRAFFIC, targets)
    return Attribution(
        warrant_id=warrant.id,
        case_id=warrant.case_id,
        agency_id=agency,
        traffic=True,
        content="content" in warrant.scope,
        location="location" in warrant.scope,
        reason=None,
        targets=targets,
        spans=tuple((s.start, s.end) for s in warrant.spans),
    )


def _whole(
    warrant: Warrant, agency: int, reason: str, targets: frozenset[Identifier]
) -> Attribution:
    return Attribution(warrant.id, warrant.case_id, agency, False, False, False, reason, targets)
