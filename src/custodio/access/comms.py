"""Communications and the quarantine through the policy: listings, details, audio.

- ``list_comms``: the case's communications that the actor may read as traffic data
  (``traffic.read`` per item: inside a warrant window with traffic in scope, not sealed
  unless he is a judge); the listing itself is audited as ``case.view`` with the counts.
- ``show_comm``: one communication (``traffic.read``; a refusal is audited).
- ``audio``: the audio of a communication (``content.read`` with a purpose); the entry
  is committed before any byte is read from the vault. ``audio_view``: the same, one
  direction opened for range reads (HTTP Range requests read only their chunks).
- ``follow_audio``: an open call's audio as it grows (``content.read``, audited once).
- ``message``: an SMS as stored (text, header fields, octets) and ``pcap``: a data
  session's packets (``content.read`` with a purpose, like audio).
- ``quarantine_list`` / ``quarantine_show``: what assembly held back (warrant officers).
- ``quarantine_release`` / ``quarantine_approve`` / ``quarantine_destroy``: four-eyes
  release (warrant officer asks, judge approves) and a judge's destruction order.
- ``seal_check``: the per-communication seal recomputed and proven against a checkpoint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from custodio.access import policy
from custodio.access.casework import case_resource
from custodio.access.policy import Action, Actor, DataKind, Resource, Window
from custodio.access.service import Request, Resolve, Service, Session, meta, own_agency
from custodio.assemble import derive, live, seal, wav
from custodio.assemble.attribution import attribute
from custodio.audit import log, tree
from custodio.audit.entry import Checkpoint, Entry
from custodio.catalog import cases, comms, translations, warrants
from custodio.catalog.vault_index import TxIndex
from custodio.db import Tx
from custodio.db.times import from_text
from custodio.errors import (
    Conflict,
    CustodioError,
    Forbidden,
    IntegrityError,
    InvalidInput,
    NotFound,
)
from custodio.vault.store import ObjectView, Vault

DIRECTIONS = ("target", "other", "both")


def windows(tx: Tx, case_id: int) -> tuple[Window, ...]:
    """The case's warrant windows as the policy reads them."""
    case = cases.by_id(tx, case_id)
    out = []
    for w in warrants.of_case(tx, case):
        kinds = frozenset(DataKind(k) for k in w.scope)
        out += [Window(s.start, s.end, kinds) for s in w.spans]
    return tuple(out)


def comm_resource(
    tx: Tx,
    comm: comms.Communication,
    label: str,
    *,
    translators: frozenset[int] | None = None,
    case_windows: tuple[Window, ...] | None = None,
) -> Resource:
    """The policy's view of a communication. ``translators`` (the users holding an open
    translation assignment of it) and the case's warrant windows are read from the catalog
    unless the caller has them."""
    if comm.case_id is None or comm.quarantined:
        raise NotFound(f"no communication {comm.id}", hint="`custodio comms list --case REF`")
    assert comm.agency_id is not None, comm.id  # a case's communication is its agency's
    return Resource(
        agency_id=comm.agency_id,
        case_id=comm.case_id,
        at=from_text(comm.begin_at) if comm.begin_at else None,
        windows=windows(tx, comm.case_id) if case_windows is None else case_windows,
        sealed=comm.sealed,
        label=label,
        translators=translations.translators(tx, comm.id) if translators is None else translators,
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
        reads: tuple[Action, ...] = (Action.TRAFFIC_READ,)
        if filters.tag is not None:  # which carry a tag: tag.read too (not even a count else)
            request.details["tag"] = filters.tag
            reads += (_tag_reader(actor),)
        rows = comms.of_case(tx, case.id, filters)
        # read once for the page, not once per row
        given = translations.translators_of(tx, [r.id for r in rows])
        case_windows = windows(tx, case.id)
        shown = [_summary(r) for r in rows
                 if _may_read(svc, tx, actor, r, given, case_windows, reads)]  # fmt: skip
        request.details.update(listing="communications", shown=len(shown),
                               hidden=len(rows) - len(shown))  # fmt: skip
        return shown

    request = Request(f"case:{case_ref}")
    return svc.look(session, Action.CASE_VIEW, request, resolve, perform)


def _may_read(
    svc: Service,
    tx: Tx,
    actor: Actor,
    comm: comms.Communication,
    given: Mapping[int, frozenset[int]],
    case_windows: tuple[Window, ...],
    reads: tuple[Action, ...] = (Action.TRAFFIC_READ,),
) -> bool:
    label = f"communication:{comm.id}"
    resource = comm_resource(tx, comm, label, translators=given.get(comm.id, frozenset()),
                             case_windows=case_windows)  # fmt: skip
    return all(policy.allows(actor, a, resource, now=svc.clock()) for a in reads)


def _tag_reader(actor: Actor) -> Action:
    """``tag.read``, for a role granted it; a timeline filtered by tag is refused to the
    others (its count of hidden communications would tell them how many carry it)."""
    if actor.role not in policy.RULES[Action.TAG_READ].grants:
        raise Forbidden(f"the role {actor.role} may not {Action.TAG_READ}")
    return Action.TAG_READ


def _summary(c: comms.Communication) -> dict[str, Any]:
    return {"id": c.id, "kind": c.kind, "direction": c.direction, "status": c.status,
            "begin_at": c.begin_at, "answer_at": c.answer_at, "end_at": c.end_at,
            "outcome": c.outcome, "closed_by": c.closed_by, "liid": c.liid,
            "sealed": c.sealed}  # fmt: skip


def show_comm(svc: Service, session: Session, comm_id: int) -> dict[str, Any]:
    def perform(tx: Tx, actor: Actor, request: Request) -> dict[str, Any]:
        comm = comms.get(tx, comm_id)
        detail = comm.as_dict()
        detail["parties"] = [p.as_dict() for p in comms.parties_of(tx, comm_id)]
        detail["products"] = [p.as_dict() for p in comms.products_of(tx, comm_id)]
        if policy.allows(actor, Action.LOCATION_READ, comm_resource(tx, comm, "location"),
                         now=svc.clock(), purpose="shown with the communication"):  # fmt: skip
            detail["locations"] = [loc.as_dict() for loc in comms.locations_of(tx, comm_id)]
        return detail

    request = Request(f"communication:{comm_id}")
    return svc.look(session, Action.TRAFFIC_READ, request, _comm(comm_id), perform)


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
    parts = _allowed_audio(svc, session, comm_id, direction, purpose)
    if direction != "both":
        return vault.get(parts[0].vault_case, parts[0].object_id)
    return _stereo(vault, parts)


def audio_view(
    svc: Service, session: Session, vault: Vault, comm_id: int, direction: str, purpose: str | None
) -> ObjectView | bytes:
    """What :func:`audio` returns, one direction as a view of the stored WAV instead: its
    size known and its bytes read by ranges (only the chunks a range lies in), for HTTP
    Range requests. Allowed and audited exactly as :func:`audio`, before the view is
    opened; ``both`` is derived whole, in memory."""
    parts = _allowed_audio(svc, session, comm_id, direction, purpose)
    if direction != "both":
        return vault.view(parts[0].vault_case, parts[0].object_id)
    return _stereo(vault, parts)


def _allowed_audio(
    svc: Service, session: Session, comm_id: int, direction: str, purpose: str | None
) -> list[AudioPart]:
    """The audio products ``direction`` reads, allowed and audited (``content.read``)."""
    if direction not in DIRECTIONS:
        raise InvalidInput(f"--direction {direction!r}: use one of {', '.join(DIRECTIONS)}")

    def perform(tx: Tx, actor: Actor, request: Request) -> list[AudioPart]:
        parts = _audio_parts(tx, comm_id, direction)
        request.details.update(direction=direction, objects=[p.object_id for p in parts])
        return parts

    request = Request(f"communication:{comm_id}")
    return svc.look(session, Action.CONTENT_READ, request, _comm(comm_id), perform,
                    purpose=purpose)  # fmt: skip


def _audio_parts(tx: Tx, comm_id: int, direction: str) -> list[AudioPart]:
    wanted = ("target", "other") if direction == "both" else (direction,)
    parts = []
    for p in comms.products_of(tx, comm_id):
        if p.kind == "audio" and p.direction in wanted and p.current:
            assert p.direction is not None
            first = p.details.get("first_at")
            at = datetime.fromisoformat(first) if first else None
            parts.append(AudioPart(p.direction, *p.stored(), at))
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


# --- messages and packets -----------------------------------------------------------


def message(
    svc: Service, session: Session, vault: Vault, comm_id: int, purpose: str | None
) -> dict[str, Any]:
    """An SMS's stored document: its text (null when it is not text), its decoded header
    fields, its octets as received, as the assembler wrote them (docs/assembly.md)."""
    product = _content_product(svc, session, comm_id, "message", purpose)
    data = vault.get(*product.stored())
    try:
        doc = json.loads(data)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise IntegrityError(f"the message of communication {comm_id} is not a JSON object",
                             hint="`custodio comms seal ID` checks what is stored")  # fmt: skip
    return doc


def pcap(svc: Service, session: Session, vault: Vault, comm_id: int, purpose: str | None) -> bytes:
    """A data session's IP packets as a libpcap file (docs/assembly.md)."""
    product = _content_product(svc, session, comm_id, "pcap", purpose)
    return vault.get(*product.stored())


def pcap_view(
    svc: Service, session: Session, vault: Vault, comm_id: int, purpose: str | None
) -> ObjectView:
    """:func:`pcap` as a view read by ranges (as :func:`audio_view`), allowed and audited
    before it is opened."""
    product = _content_product(svc, session, comm_id, "pcap", purpose)
    return vault.view(*product.stored())


READ_WITH = {"audio": "comms audio", "message": "comms message", "pcap": "comms pcap",
             "transcript": "comms transcript"}  # fmt: skip
"""The command that reads each kind of product (``pdus``: the PDUs as received, exported)."""


def read_with_hint(products: list[comms.Product]) -> str:
    """What reads the products a communication has, for an error's hint."""
    held = sorted({READ_WITH[p.kind] for p in products if p.kind in READ_WITH})
    if not held:
        return "`custodio comms show ID` lists its products"
    return "it has: " + ", ".join(f"`custodio {c} ID`" for c in held)


def _content_product(
    svc: Service, session: Session, comm_id: int, kind: str, purpose: str | None
) -> comms.Product:
    """The communication's current product of ``kind``, allowed and audited (content.read)
    before a byte of it is read from the vault."""

    def perform(tx: Tx, actor: Actor, request: Request) -> comms.Product:
        comm = comms.get(tx, comm_id)
        products = comms.products_of(tx, comm_id)
        found = [p for p in products if p.kind == kind and p.current]
        if not found:
            raise NotFound(f"communication {comm_id} ({comm.kind}) has no {kind}",
                           hint=read_with_hint(products))  # fmt: skip
        request.details.update(product=kind, objects=[found[-1].object_id])
        return found[-1]

    request = Request(f"communication:{comm_id}")
    return svc.look(session, Action.CONTENT_READ, request, _comm(comm_id), perform,
                   purpose=purpose)  # fmt: skip


# --- live audio ----------------------------------------------------------------------


class LiveAudio:
    """An open call's audio as it grows: a WAV whose header says "length unknown".

    Made by :func:`follow_audio` (policy-checked and audited once). :meth:`poll` never
    blocks: it reads the journal up to the assembler's position, returns the bytes placed
    since the last poll (the header first, once the codec is known; possibly nothing),
    and sets :attr:`done` once the call has closed and everything was handed out.
    ``direction`` target/other: the G.711 octets as received (format 6/7); ``both``: a
    16-bit PCM stereo copy, left the target, right the other party, each side handed out
    as far as both have arrived (the rest at the end). See docs/assembly.md, "Live audio".
    """

    def __init__(self, svc: Service, comm_id: int, direction: str, listening: live.Listening
                 ) -> None:  # fmt: skip
        self.svc, self.comm_id, self.direction = svc, comm_id, direction
        self.listening = listening
        self.follower = listening.follower
        self.done = False
        self.header: bytes | None = None
        self.written = 0  # octets handed out after the header
        self._held: dict[str, bytes] = {"target": b"", "other": b""}  # stereo: one side ahead

    def poll(self) -> bytes:
        if self.done:
            return b""
        comm, position = self.svc.db.read(
            lambda tx: (comms.get(tx, self.comm_id), live.applied(tx))
        )
        self.listening.catch_up(position)
        closed = comm.status != "open" and self.follower.cursor >= comm.last_seq
        data = self._take(final=closed)
        self.done = closed
        self.written += len(data)
        if self.header is not None:
            return data
        codec = self.follower.codec
        if codec is None:
            return b""
        self.header = (wav.pcm_stereo_header() if self.direction == "both"
                       else wav.g711_wav_header(codec))  # fmt: skip
        return self.header + data

    def final_header(self) -> bytes | None:
        """The header with the real length, for a file that can be rewritten at the end."""
        codec = self.follower.codec
        if codec is None:
            return None
        if self.direction == "both":
            return wav.pcm_stereo_header(self.written // 4)
        return wav.g711_wav_header(codec, self.written)

    def _take(self, *, final: bool) -> bytes:
        if self.direction != "both":
            return self.follower.take(self.direction, final=final)
        codec = self.follower.codec
        for side in ("target", "other"):
            self._held[side] += self.follower.take(side, final=final)
        if codec is None:
            return b""
        t, o = self._held["target"], self._held["other"]
        n = max(len(t), len(o)) if final else min(len(t), len(o))
        silence = bytes((wav.SILENCE[codec],))
        t, o = t.ljust(n, silence), o.ljust(n, silence)
        self._held = {"target": t[n:], "other": o[n:]}
        return wav.pcm_frames(wav.decode(t[:n], codec), wav.decode(o[:n], codec))


def follow_audio(
    svc: Service,
    session: Session,
    comm_id: int,
    direction: str,
    purpose: str | None,
    *,
    journal_dir: Path | None = None,
) -> LiveAudio:
    """Listen to an open call as it is assembled (``content.read``, audited once, here)."""
    if direction not in DIRECTIONS:
        raise InvalidInput(f"--direction {direction!r}: use one of {', '.join(DIRECTIONS)}")

    def perform(tx: Tx, actor: Actor, request: Request) -> live.Follower:
        comm = comms.get(tx, comm_id)
        if comm.status != "open":
            raise Conflict(
                f"communication {comm_id} is closed ({comm.status})",
                hint="its stored audio: `custodio comms audio ID -o FILE` (without --follow)",
            )
        attribution = attribute(tx, comm.liid, comm.operator, from_text(comm.started))
        request.details.update(direction=direction, live=True)
        key = (comm.operator, comm.liid, comm.cin)
        return live.Follower(key, comm.open_seq, attribution)

    request = Request(f"communication:{comm_id}")
    follower = svc.act(session, Action.CONTENT_READ, request, _comm(comm_id), perform,
                       purpose=purpose)  # fmt: skip
    listening = live.Listening(follower, svc.config.data_dir, journal_dir)
    return LiveAudio(svc, comm_id, direction, listening)


# --- quarantine ----------------------------------------------------------------------


def quarantine_list(svc: Service, session: Session) -> list[dict[str, Any]]:
    def perform(tx: Tx, actor: Actor, request: Request) -> list[dict[str, Any]]:
        rows = [item.summary() for item in comms.quarantine_of_agency(tx, actor.agency_id)]
        request.details["shown"] = len(rows)
        return rows

    return svc.look(session, Action.QUARANTINE_LIST, Request("quarantine"), own_agency, perform)


def quarantine_show(svc: Service, session: Session, item_id: int) -> dict[str, Any]:
    def perform(tx: Tx, actor: Actor, request: Request) -> dict[str, Any]:
        return comms.quarantine_item(tx, item_id).as_dict()

    request = Request(f"quarantine:{item_id}")
    return svc.look(session, Action.QUARANTINE_SHOW, request, _item_resource(item_id), perform)


# --- the per-communication seal ------------------------------------------------------


@dataclass
class SealFacts:
    """What the catalog holds about a seal, gathered inside the audited transaction."""

    products: list[comms.Product]
    entry: Entry | None
    stored_hash: str | None
    checkpoint: Checkpoint | None
    inclusion: seal.Inclusion | None
    public_key: bytes


def seal_check(svc: Service, session: Session, vault: Vault, comm_id: int) -> dict[str, Any]:
    """Recompute a communication's seal from what is stored and prove its audit entry.

    Checked: the digest of the stored products equals the one in the newest ``comm.closed``
    entry; each vault object's plaintext has its recorded SHA-256; the entry is unchanged;
    and it lies under the newest signed checkpoint (RFC 6962 inclusion proof). Allowed as
    ``traffic.read``: only digests leave, never content.
    """

    def perform(tx: Tx, actor: Actor, request: Request) -> SealFacts:
        facts = _seal_facts(tx, comm_id)
        request.details.update(check="seal", entry=facts.entry.seq if facts.entry else None)
        return facts

    request = Request(f"communication:{comm_id}")
    facts = svc.act(session, Action.TRAFFIC_READ, request, _comm(comm_id), perform)
    return _seal_report(comm_id, facts, _object_checks(vault, facts.products))


def _seal_facts(tx: Tx, comm_id: int) -> SealFacts:
    products = comms.products_of(tx, comm_id)
    found = log.last_entry(tx, seal.SEAL_EVENT, f"communication:{comm_id}")
    entry, stored = found if found is not None else (None, None)
    cp = log.latest_checkpoint(tx, meta(tx, "audit_log_id"))
    proof = None
    if entry is not None and cp is not None and entry.seq <= cp.size:
        path = tree.inclusion_proof(tx, entry.seq - 1, cp.size)
        proof = seal.inclusion(entry, cp.size, path)
    key = bytes.fromhex(meta(tx, "audit_public_key"))
    return SealFacts(products, entry, stored, cp, proof, key)


def _object_checks(vault: Vault, products: list[comms.Product]) -> list[dict[str, Any]]:
    out = []
    for p in products:
        if p.kind == "pdus":
            continue
        found = _stored_digest(vault, *p.stored())
        out.append({"kind": p.kind, "direction": p.direction, "object_id": p.object_id,
                    "recorded": p.sha256, "stored": found, "ok": found == p.sha256})  # fmt: skip
    return out


def _stored_digest(vault: Vault, case: str, object_id: str) -> str | None:
    """SHA-256 of the object's plaintext; None when it is missing or fails authentication."""
    try:
        return hashlib.sha256(vault.get(case, object_id)).hexdigest()
    except CustodioError:
        return None


def _seal_report(comm_id: int, f: SealFacts, objects: list[dict[str, Any]]) -> dict[str, Any]:
    recomputed = seal.digest(comm_id, f.products)
    recorded = f.entry.event.details.get("seal") if f.entry else None
    problems = [f"object {o['object_id']} ({o['kind']}) does not match its recorded SHA-256"
                for o in objects if not o["ok"]]  # fmt: skip
    if f.entry is None:
        problems.append("no seal entry in the audit log (still open?)")
    elif recorded != recomputed:
        problems.append("the stored products do not match the sealed digest")
    if f.entry is not None and f.entry.hash() != f.stored_hash:
        problems.append(f"audit entry {f.entry.seq} was altered after it was written")
    proof = _proof_report(f, problems)
    return {"communication": comm_id, "ok": not problems, "seal": recorded,
            "recomputed": recomputed, "entry": f.entry.seq if f.entry else None,
            "objects": objects, **proof, "problems": problems}  # fmt: skip


def _proof_report(f: SealFacts, problems: list[str]) -> dict[str, Any]:
    if f.checkpoint is None or f.inclusion is None:
        return {"checkpoint": None, "inclusion": None, "proven": False}
    cp = f.checkpoint
    signed = seal.checkpoint_ok(cp, f.public_key)
    if not signed:
        problems.append(f"the checkpoint at size {cp.size} has a bad signature")
    if f.inclusion.root != cp.root:
        problems.append(f"the seal entry is not in the log checkpointed at size {cp.size}")
    checkpoint = {"size": cp.size, "root": cp.root, "time": cp.time, "key_id": cp.key_id,
                  "signature": cp.signature, "signature_ok": signed}  # fmt: skip
    proven = signed and f.inclusion.root == cp.root
    return {"checkpoint": checkpoint, "inclusion": f.inclusion.to_json(), "proven": proven}


# --- releasing and destroying quarantined items --------------------------------------


def _item_resource(item_id: int) -> Resolve:
    def resolve(tx: Tx, actor: Actor, request: Request) -> Resource:
        item = comms.quarantine_item(tx, item_id)
        agency = item.agency_id
        # an item no agency can be named for (unknown LIID) is every warrant officer's
        return Resource(agency_id=actor.agency_id if agency is None else agency,
                        case_id=item.case_id, label=request.target)  # fmt: skip

    return resolve


def _pending(item: comms.HeldItem) -> None:
    if item.destroyed_at is not None:
        raise Conflict(f"quarantine item {item.id} was destroyed on {item.destroyed_at}")
    if item.released_at is not None:
        raise Conflict(f"quarantine item {item.id} was released on {item.released_at}")


def _order(order: str) -> str:
    if not order.strip():
        raise InvalidInput("--order is empty", hint="cite the court's order (it is audited)")
    return order.strip()


def _digests(item: comms.HeldItem) -> dict[str, Any]:
    return {"reason": item.reason, "data_kind": item.data_kind, "liid": item.liid,
            "operator": item.operator, "vault_case": item.vault_case,
            "object_id": item.object_id, "sha256": item.sha256, "size": item.size}  # fmt: skip


def quarantine_release(svc: Service, session: Session, item_id: int, order: str) -> None:
    """A warrant officer asks for an item's release, citing the court's order."""
    text = _order(order)

    def perform(tx: Tx, actor: Actor, request: Request) -> None:
        item = comms.quarantine_item(tx, item_id)
        _pending(item)
        comms.request_release(tx, item_id, actor.user_id, text)
        request.details.update(order=text, step="requested", **_digests(item))

    request = Request(f"quarantine:{item_id}")
    svc.act(session, Action.QUARANTINE_RELEASE, request, _item_resource(item_id), perform)


def quarantine_approve(
    svc: Service, session: Session, item_id: int, vault: Vault | None = None
) -> dict[str, Any]:
    """A judge approves a requested release (not his own request): the item is released.

    A communication held whole (unknown LIID, outside validity, no traffic in scope)
    becomes one of the case its warrant, now registered and covering it, names. With
    ``vault``, its held content is then derived (audio, pcap) and sealed, where the
    warrant covers content (``assemble.derive``; after the approval's commit).
    """

    def perform(tx: Tx, actor: Actor, request: Request) -> dict[str, Any]:
        item = comms.quarantine_item(tx, item_id)
        _pending(item)
        _four_eyes(item, actor)
        attributed = _reattribute(tx, item, actor) if item.data_kind == "all" else None
        comms.mark_released(tx, item_id, actor.user_id)
        request.details.update(order=item.release_order, step="approved",
                               requested_by=item.release_requested_by,
                               communication=item.communication_id, case=attributed,
                               **_digests(item))  # fmt: skip
        return {"item": item_id, "released": True, "communication": item.communication_id,
                "case_id": attributed}  # fmt: skip

    request = Request(f"quarantine:{item_id}")
    result: dict[str, Any] = svc.act(
        session, Action.QUARANTINE_APPROVE, request, _item_resource(item_id), perform
    )
    if vault is not None:
        result["derived"] = derive.derive_released(svc.db, vault, item_id)
    return result


def _four_eyes(item: comms.HeldItem, actor: Actor) -> None:
    if item.release_requested_by is None:
        raise Conflict(
            f"nobody asked for the release of quarantine item {item.id}",
            hint="a warrant officer asks: `custodio quarantine release ID --order TEXT`",
        )
    if item.release_requested_by == actor.user_id:
        raise Forbidden("four eyes: the release must be approved by another person")


def _reattribute(tx: Tx, item: comms.HeldItem, actor: Actor) -> int | None:
    comm_id = item.communication_id
    if comm_id is None:
        return None
    comm = comms.get(tx, comm_id)
    found = attribute(tx, item.liid, item.operator, from_text(comm.started))
    if not found.traffic or found.agency_id != actor.agency_id or found.case_id is None:
        raise Conflict(
            f"no warrant of your agency covers LIID {item.liid} at {item.operator} "
            f"on {comm.begin_at}",
            hint="register it first (`custodio warrant add`, `custodio warrant bind`)",
        )
    assert found.warrant_id is not None
    comms.attribute_comm(tx, comm_id, actor.agency_id, found.case_id, found.warrant_id)
    return found.case_id


def quarantine_destroy(
    svc: Service, session: Session, vault: Vault, item_id: int, order: str
) -> dict[str, Any]:
    """A judge's order: the item's stored object is deleted (audited with its digests).

    The reference is dropped in the audited transaction; the ciphertext is deleted after
    the commit (a crash in between leaves an unreferenced object for `vault cleanup`).
    """
    text = _order(order)

    def perform(tx: Tx, actor: Actor, request: Request) -> tuple[comms.HeldItem, int]:
        item = comms.quarantine_item(tx, item_id)
        _pending(item)
        left = TxIndex(tx).drop_reference(item.vault_case, item.object_id)
        comms.mark_destroyed(tx, item_id, actor.user_id, text)
        request.details.update(order=text, references_left=left, **_digests(item))
        return item, left

    request = Request(f"quarantine:{item_id}")
    item, left = svc.act(session, Action.QUARANTINE_DESTROY, request, _item_resource(item_id),
                         perform)  # fmt: skip
    deleted = left == 0 and vault.delete_unreferenced(item.vault_case, item.object_id)
    return {"item": item_id, "destroyed": True, "object_id": item.object_id,
            "sha256": item.sha256, "object_deleted": bool(deleted)}  # fmt: skip
