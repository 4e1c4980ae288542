"""Communications and the quarantine through the policy: listings, details, audio.

- ``list_comms``: the case's communications that the actor may read as traffic data
  (``traffic.read`` per item: inside a warrant window with traffic in scope, not sealed
  unless he is a judge); the listing itself is audited as ``case.view`` with the counts.
- ``show_comm``: one communication (``traffic.read``; a refusal is audited).
- ``audio``: the audio of a communication (``content.read`` with a purpose); the entry
  is committed before any byte is read from the vault.
- ``quarantine_list`` / ``quarantine_show``: what assembly held back (warrant officers).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from custodio.access import policy
from custodio.access.casework import case_resource
from custodio.access.policy import Action, Actor, DataKind, Resource, Window
from custodio.access.service import Request, Resolve, Service, Session, own_agency
from custodio.assemble import wav
from custodio.catalog import cases, comms, warrants
from custodio.db import Row, Tx
from custodio.db.times import from_text
from custodio.errors import InvalidInput, NotFound
from custodio.vault.store import Vault

DIRECTIONS = ("target", "other", "both")
_LIST_COLUMNS = (
    "id", "kind", "direction", "status", "begin_at", "answer_at", "end_at", "outcome",
    "closed_by", "liid", "sealed",
)  # fmt: skip


def windows(tx: Tx, case_id: int) -> tuple[Window, ...]:
    """The case's warrant windows as the policy reads them."""
    case = cases.by_id(tx, case_id)
    out = []
    for w in warrants.of_case(tx, case):
        kinds = frozenset(DataKind(k) for k in w.scope)
        out += [Window(s.start, s.end, kinds) for s in w.spans]
    return tuple(out)


def comm_resource(tx: Tx, row: Row, label: str) -> Resource:
    if row["case_id"] is None or row["quarantined"]:
        raise NotFound(f"no communication {row['id']}", hint="`custodio comms list --case REF`")
    at = from_text(row["begin_at"]) if row["begin_at"] else None
    return Resource(
        agency_id=int(row["agency_id"]),
        case_id=int(row["case_id"]),
        at=at,
        windows=windows(tx, int(row["case_id"])),
        sealed=bool(row["sealed"]),
        label=label,
    )


def _comm(comm_id: int) -> Resolve:
    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        return comm_resource(tx, comms.get(tx, comm_id), request.target)

    return resolve


def list_comms(
    svc: Service, session: Session, case_ref: str, filters: comms.Filters
) -> list[dict[str, Any]]:
    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        return case_resource(cases.get(tx, actor.agency_id, case_ref), request.target)

    def perform(tx: Tx, actor: Actor, request: Request) -> list[dict[str, Any]]:
        case = cases.get(tx, actor.agency_id, case_ref)
        rows = comms.of_case(tx, case.id, filters)
        shown = [_summary(r) for r in rows if _may_read(svc, tx, actor, r)]
        request.details.update(listing="communications", shown=len(shown),
                               hidden=len(rows) - len(shown))  # fmt: skip
        return shown

    request = Request(f"case:{case_ref}")
    return svc.act(session, Action.CASE_VIEW, request, resolve, perform)


def _may_read(svc: Service, tx: Tx, actor: Actor, row: Row) -> bool:
    resource = comm_resource(tx, row, f"communication:{row['id']}")
    return policy.allows(actor, Action.TRAFFIC_READ, resource, now=svc.clock())


def _summary(row: Row) -> dict[str, Any]:
    out = {k: row[k] for k in _LIST_COLUMNS}
    out["sealed"] = bool(row["sealed"])
    return out


def show_comm(svc: Service, session: Session, comm_id: int) -> dict[str, Any]:
    def perform(tx: Tx, actor: Actor, request: Request) -> dict[str, Any]:
        row = comms.get(tx, comm_id)
        detail = {k: v for k, v in row.items() if k not in ("reasons", "notes")}
        detail["sealed"], detail["quarantined"] = bool(row["sealed"]), bool(row["quarantined"])
        detail["reasons"], detail["notes"] = json.loads(row["reasons"]), json.loads(row["notes"])
        detail["parties"] = [{**p, "is_target": bool(p["is_target"])}
                             for p in comms.parties_of(tx, comm_id)]  # fmt: skip
        detail["products"] = comms.products_of(tx, comm_id)
        if policy.allows(actor, Action.LOCATION_READ, comm_resource(tx, row, "location"),
                         now=svc.clock(), purpose="shown with the communication"):  # fmt: skip
            detail["locations"] = comms.locations_of(tx, comm_id)
        return detail

    request = Request(f"communication:{comm_id}")
    return svc.act(session, Action.TRAFFIC_READ, request, _comm(comm_id), perform)


@dataclass(frozen=True)
class AudioPart:
    direction: str
    vault_case: str
    object_id: str
    first_at: datetime | None


def audio(
    svc: Service, session: Session, vault: Vault, comm_id: int, direction: str, purpose: str | None
) -> bytes:
    """The WAV of one direction as received, or ``both`` as a derived stereo PCM copy."""
    if direction not in DIRECTIONS:
        raise InvalidInput(f"--direction {direction!r}: use one of {', '.join(DIRECTIONS)}")

    def perform(tx: Tx, actor: Actor, request: Request) -> list[AudioPart]:
        parts = _audio_parts(tx, comm_id, direction)
        request.details.update(direction=direction, objects=[p.object_id for p in parts])
        return parts

    request = Request(f"communication:{comm_id}")
    parts = svc.act(session, Action.CONTENT_READ, request, _comm(comm_id), perform,
                    purpose=purpose)  # fmt: skip
    if direction != "both":
        return vault.get(parts[0].vault_case, parts[0].object_id)
    return _stereo(vault, parts)


def _audio_parts(tx: Tx, comm_id: int, direction: str) -> list[AudioPart]:
    wanted = ("target", "other") if direction == "both" else (direction,)
    parts = []
    for p in comms.products_of(tx, comm_id):
        if p["kind"] == "audio" and p["direction"] in wanted:
            first = p["details"].get("first_at")
            at = datetime.fromisoformat(first) if first else None
            parts.append(AudioPart(p["direction"], p["vault_case"], p["object_id"], at))
    if not parts:
        raise NotFound(
            f"communication {comm_id} has no {direction} audio",
            hint="`custodio comms show ID` lists its products",
        )
    return parts


def _stereo(vault: Vault, parts: list[AudioPart]) -> bytes:
    """Left: the target, right: the other party, aligned on their first packets."""
    by_side = {p.direction: p for p in parts}
    decoded: dict[str, list[int]] = {}
    for side in ("target", "other"):
        if side in by_side:
            codec, samples = wav.read_g711_wav(vault.get(by_side[side].vault_case,
                                                         by_side[side].object_id))  # fmt: skip
            decoded[side] = wav.decode(samples, codec)
    starts = [p.first_at for p in parts if p.first_at is not None]
    origin = min(starts) if starts else None

    def offset(side: str) -> int:
        at = by_side[side].first_at if side in by_side else None
        if at is None or origin is None:
            return 0
        return round((at - origin).total_seconds() * wav.SAMPLE_RATE)

    return wav.stereo(decoded.get("target", []), decoded.get("other", []),
                      (offset("target"), offset("other")))  # fmt: skip


# --- quarantine ----------------------------------------------------------------------


def _quarantine_summary(row: Row) -> dict[str, Any]:
    keys = ("id", "liid", "operator", "cin", "reason", "data_kind", "records", "size",
            "case_id", "communication_id", "created_at")  # fmt: skip
    return {k: row[k] for k in keys}


def quarantine_list(svc: Service, session: Session) -> list[dict[str, Any]]:
    def perform(tx: Tx, actor: Actor, request: Request) -> list[dict[str, Any]]:
        rows = [_quarantine_summary(r) for r in comms.quarantine_of_agency(tx, actor.agency_id)]
        request.details["shown"] = len(rows)
        return rows

    return svc.act(session, Action.QUARANTINE_LIST, Request("quarantine"), own_agency, perform)


def quarantine_show(svc: Service, session: Session, item_id: int) -> dict[str, Any]:
    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        row = comms.quarantine_item(tx, item_id)
        agency = row["agency_id"]
        # an item no agency can be named for (unknown LIID) is every warrant officer's
        return Resource(agency_id=actor.agency_id if agency is None else int(agency),
                        case_id=row["case_id"], label=request.target)  # fmt: skip

    def perform(tx: Tx, actor: Actor, request: Request) -> dict[str, Any]:
        row = comms.quarantine_item(tx, item_id)
        return dict(row)

    request = Request(f"quarantine:{item_id}")
    return svc.act(session, Action.QUARANTINE_SHOW, request, resolve, perform)
