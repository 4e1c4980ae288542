"""Closing a communication: its streams into one audio per direction, its status, and what
goes to the vault (audio, the SMS as a message, quarantined PDUs and cells).

Pure computation on a :class:`~custodio.assemble.correlate.Comm`; the worker stores the
blobs and records them in the catalog in one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from custodio.assemble import attribution, media, outcomes, pcap, wav
from custodio.assemble.correlate import Comm, Episode
from custodio.assemble.media import Stream
from custodio.assemble.status import INFORMATIVE, Facts, Reason, decide
from custodio.etsi.sip import MediaAddress
from custodio.vault.envelope import Kind

SIDES = ("target", "other")


@dataclass
class Blob:
    """Something to store in the vault and record for a communication."""

    role: str  # audio, message, pcap, quarantine
    kind: Kind
    data: bytes
    direction: str | None = None
    data_kind: str | None = None  # quarantine: all, content, location
    reason: str | None = None
    episode: Episode | None = None
    details: dict[str, Any] = field(default_factory=dict)
    text: str | None = None  # a message's text, for the search index


@dataclass
class Closing:
    comm: Comm
    status: str
    reasons: list[Reason]
    notes: list[dict[str, Any]]
    blobs: list[Blob]


def status_of(comm: Comm, audio_gaps: dict[str, int] | None = None) -> tuple[str, list[Reason]]:
    facts = Facts(
        kind=comm.kind,
        iri=comm.iri,
        cc=comm.cc,
        closed_by=comm.closed_by,
        answered=comm.answer_at is not None or (comm.kind == "voice" and comm.outcome is None),
        cin_reset=comm.cin_reset,
        content_quarantined="content" in comm.held,
        content_outside_validity=f"content:{attribution.OUTSIDE_VALIDITY}" in comm.held,
        sequences=comm.sequences,
        audio_gaps=audio_gaps or {},
        sms_missing=comm.sms.missing() if comm.sms is not None else (),
    )
    status, reasons = decide(facts)
    merged = [r for r in comm.previous_reasons if r not in reasons] + reasons
    if comm.closed_by is not None and status == "complete" and comm.previous_reasons:
        status = "partial" if any(r["reason"] not in INFORMATIVE for r in merged) else status
    return status, merged


def finish(comm: Comm, closed_by: str) -> Closing:
    """Close ``comm``: decide streams, make the audio, the message, the quarantine blobs."""
    comm.closed_by = closed_by
    if comm.end_at is None:
        comm.end_at = comm.begin_at
    sides, notes = assign_streams(comm)
    notes += target_warning(comm)
    if comm.release_cause is not None:
        _released(comm, notes)
    blobs: list[Blob] = []
    gaps: dict[str, int] = {}
    for side in SIDES:
        if sides[side]:
            audio = media.join(sides[side])
            gaps[side] = sum(g.samples for g in audio.gaps)
            if audio.codec is not None:
                blobs.append(audio_blob(side, audio))
    if comm.sms is not None:
        blobs.append(_message_blob(comm))
    if comm.ip_packets is not None:
        if not comm.streams and comm.kind != "sms":
            comm.kind = "data"  # IP packets and no voice: a data session, whatever the IRI said
        blobs.append(pcap_blob(comm))
    blobs += quarantine_blobs(comm)
    if comm.undecoded_cc:
        notes.append({"note": "undecoded-cc", "items": comm.undecoded_cc})
    if comm.earlier_missing:
        notes.append({"note": "earlier-media-not-in-journal", "records": comm.earlier_missing})
    status, reasons = status_of(comm, gaps)
    return Closing(comm, status, reasons, notes, blobs)


def _released(comm: Comm, notes: list[dict[str, Any]]) -> None:
    """TS 101 671 gave a release cause: noted, and the outcome of a call released before
    any answer or content (a complete unanswered call, not one missing its CC)."""
    cause = comm.release_cause
    assert cause is not None
    notes.append({"note": "release-cause", "cause": cause, "standard": "ITU-T Q.850",
                  "meaning": outcomes.cause_meaning(cause)})  # fmt: skip
    if comm.kind == "voice" and comm.answer_at is None and not comm.cc and comm.outcome is None:
        comm.outcome = outcomes.of_release(cause)


def target_warning(comm: Comm) -> list[dict[str, Any]]:
    """A warning for the investigator when nothing says which party is the target."""
    direction, basis = comm.target_side()
    if direction != "unknown" or comm.kind not in ("voice", "sms"):
        return []
    labelled = "; each stream is placed by the operator's direction label" if comm.streams else ""
    return [{"note": "target-not-identified", "warning": f"the target party is unknown: {basis}"
             f"{labelled}"}]  # fmt: skip


def audio_blob(side: str, audio: media.Audio) -> Blob:
    assert audio.codec is not None
    data = wav.g711_wav(audio.samples, audio.codec)
    return Blob("audio", Kind.AUDIO, data, direction=side, details=audio.summary())


def pcap_blob(comm: Comm) -> Blob:
    assert comm.ip_packets is not None
    data = pcap.file_bytes(comm.ip_packets.read())
    details = {"packets": comm.ip_count, "linktype": pcap.LINKTYPE_RAW}
    return Blob("pcap", Kind.PDU, data, details=details)


def _message_blob(comm: Comm) -> Blob:
    assert comm.sms is not None
    body = comm.sms.document()
    data = json.dumps(body, ensure_ascii=False, sort_keys=True).encode()
    details = {"characters": len(body["text"] or ""), "parts": len(body["parts"])}
    return Blob("message", Kind.MESSAGE, data, details=details, text=body["text"])


def quarantine_blobs(comm: Comm) -> list[Blob]:
    blobs = []
    for name, held in comm.held.items():
        data_kind = name.split(":")[0]
        reason = held.reason or comm.attribution.quarantine_reason(
            "traffic" if data_kind == "all" else data_kind
        )
        blobs.append(
            Blob("quarantine", Kind.QUARANTINE, held.data.read(), data_kind=data_kind,
                 reason=reason or "held", episode=held.episode)
        )  # fmt: skip
    if comm.cells and comm.attribution.quarantine_reason("location") == attribution.NO_LOCATION:
        cells = [{"cell": c, "at": at.isoformat()} for c, at in comm.cells]
        data = json.dumps({"cells": cells}, sort_keys=True).encode()
        blobs.append(Blob("quarantine", Kind.QUARANTINE, data, data_kind="location",
                          reason=attribution.NO_LOCATION))  # fmt: skip
    return blobs


def assign_streams(comm: Comm) -> tuple[dict[str, list[Stream]], list[dict[str, Any]]]:
    """Which streams are the target's: the signalling decides, the operator's label checks."""
    target_media, other_media = comm.media_addresses()
    sides: dict[str, list[Stream]] = {side: [] for side in SIDES}
    notes: list[dict[str, Any]] = []
    for stream in comm.streams.values():
        by_signal = side_by_signalling(stream, target_media, other_media)
        label = stream.labels.most_common(1)[0][0] if stream.labels else "unknown"
        side = by_signal or (label if label in sides else None)
        if side is None:
            notes.append({"note": "stream-direction-unknown", "stream": _describe(stream)})
            continue
        if by_signal is not None and label in sides and label != by_signal:
            notes.append(
                {"note": "direction-label-disagrees", "stream": _describe(stream),
                 "signalling": by_signal, "label": label, "packets": stream.packets}
            )  # fmt: skip
        sides[side].append(stream)
    return sides, notes


def side_by_signalling(
    stream: Stream, target: MediaAddress | None, other: MediaAddress | None
) -> str | None:
    """``target`` when the stream comes from the target's SDP address, ``other`` when it
    goes to it (or the reverse for the other party's address); None when unknown."""
    src, dst = stream.source, stream.destination
    if src is None or dst is None:
        return None
    for exact in (True, False):
        for address, side_from, side_to in ((target, "target", "other"),
                                             (other, "other", "target")):  # fmt: skip
            if address is None:
                continue
            if _same(src.host, src.port, address, exact):
                return side_from
            if _same(dst.host, dst.port, address, exact):
                return side_to
    return None


def _same(host: str, port: int, address: MediaAddress, exact: bool) -> bool:
    return host == address.host and (port == address.port or not exact)


def _describe(stream: Stream) -> str:
    if stream.source is not None and stream.destination is not None:
        s, d = stream.source, stream.destination
        return f"{s.host}:{s.port}->{d.host}:{d.port}"
    return "/".join(str(part) for part in stream.key)
