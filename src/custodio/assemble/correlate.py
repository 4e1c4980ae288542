"""Journal records into communications: one :class:`Comm` per (operator, LIID, CIN).

:meth:`Comm.apply` takes one decoded PDU of the communication: IRI (TS 101 671 records,
or TS 102 232-5 IPMMIRI carrying SIP) gives the kind, the parties, the times, the cells
and the outcome; CC gives the media streams. Nothing here touches the catalog or the
vault: :mod:`custodio.assemble.worker` decides when to close and persists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from custodio.assemble import outcomes, pcap
from custodio.assemble.attribution import OUTSIDE_VALIDITY, Attribution
from custodio.assemble.fastcc import RTPFields, RTPRun
from custodio.assemble.media import RunPackets, Stream
from custodio.assemble.message import Message
from custodio.assemble.parties import named_target
from custodio.assemble.spool import MEMORY, Sink, Spool
from custodio.assemble.status import SeqTracker
from custodio.etsi import iri, sip
from custodio.etsi.iri import SMSContent
from custodio.etsi.pdu import (
    CCContentsKind,
    CCItem,
    DecodedPDU,
    Direction,
    FrameType,
    IRIContentsKind,
    IRIItem,
    IRIType,
    MicroTime,
)
from custodio.etsi.rtp import Endpoint, RTPPacket, parse_ip, parse_rtp, parse_udp
from custodio.etsi.sip import MediaAddress

Key = tuple[str, str, int | None]  # operator, LIID, CIN
LABELS = {Direction.FROM_TARGET: "target", Direction.TO_TARGET: "other"}
NOT_IDENTIFIED = "no party identity matches the warrant's targets"


@dataclass
class Episode:
    """The records applied since the communication (re)opened: what its seal covers."""

    first_seq: int | None = None
    last_seq: int | None = None
    records: int = 0
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)

    def add(self, seq: int, pdu: bytes) -> None:
        self.first_seq = seq if self.first_seq is None else self.first_seq
        self.last_seq = seq
        self.records += 1
        self.digest.update(pdu)

    def add_run(self, seqs: list[int], pdus: list[bytes]) -> None:
        """:meth:`add` each of consecutive records (the digest of the concatenation is the
        digest of the parts in turn)."""
        self.first_seq = seqs[0] if self.first_seq is None else self.first_seq
        self.last_seq = seqs[-1]
        self.records += len(seqs)
        self.digest.update(b"".join(pdus))


@dataclass
class Held:
    """Raw PDUs (back to back, as received) held for the quarantine, in a spool sink."""

    data: Sink
    reason: str | None = None  # None: the attribution's reason for this kind of data
    episode: Episode = field(default_factory=Episode)

    def add(self, seq: int, pdu: bytes) -> None:
        self.episode.add(seq, pdu)
        self.data.append(pdu)


@dataclass
class SipState:
    inviter: str | None = None  # IP address the first INVITE came from
    invitee: str | None = None
    media: dict[str, MediaAddress] = field(default_factory=dict)  # sender IP -> SDP


@dataclass(frozen=True)
class PartyKey:
    role: str
    delivered: str
    source: str


def pdu_time(pdu: DecodedPDU, received_ns: int) -> datetime:
    """When the PDU's content happened: its header time, else when it was received."""
    return header_time(pdu.micro_timestamp, pdu.timestamp, received_ns)


def header_time(micro: MicroTime | None, timestamp: datetime | None, received_ns: int) -> datetime:
    """:func:`pdu_time` from the header's two time stamps."""
    if micro is not None:
        return datetime.fromtimestamp(micro.seconds, UTC).replace(microsecond=micro.microseconds)
    if timestamp is not None and timestamp.tzinfo is not None:
        return timestamp.astimezone(UTC)
    return datetime.fromtimestamp(received_ns / 1e9, UTC)


@dataclass(eq=False)  # identity: the same call under several keys (a SIP dialog)
class Comm:
    """One communication being assembled."""

    key: Key
    attribution: Attribution
    open_seq: int
    id: int | None = None
    kind: str = "other"
    iri_direction: str | None = None
    call_id: str | None = None
    begin_at: datetime | None = None
    answer_at: datetime | None = None
    end_at: datetime | None = None
    outcome: str | None = None
    closed_by: str | None = None
    parties: dict[PartyKey, None] = field(default_factory=dict)
    cells: list[tuple[str, datetime]] = field(default_factory=list)
    cells_saved: int = 0
    sms: Message | None = None  # an SMS: its parts as delivered
    release_cause: int | None = None  # TS 101 671 release-Reason-Of-Intercepted-Call (Q.850)
    iri: bool = False
    cc: bool = False
    end_seen_ns: int | None = None
    end_by: str | None = None  # what ended it: iri-end, report, sip-final-response
    cin_reset: bool = False
    last_activity_ns: int = 0
    last_seq: int = 0
    sequences: dict[str, SeqTracker] = field(default_factory=dict)
    streams: dict[tuple[object, ...], Stream] = field(default_factory=dict)
    undecoded_cc: int = 0
    ip_packets: Sink | None = None  # pcap records of a data session's IP packets
    ip_count: int = 0
    dialog: SipState = field(default_factory=SipState)
    episode: Episode = field(default_factory=Episode)
    held: dict[str, Held] = field(default_factory=dict)  # data kind -> held PDUs
    previous_reasons: list[dict[str, object]] = field(default_factory=list)
    earlier_missing: int = 0  # earlier episodes' records no longer in the journal
    reclose_by: str | None = None  # re-opened: how it had closed (closed again that way)
    amendments: int = 0
    sealed: bool = False
    start_notified: bool = False  # call.started written (or the row predates this run)
    dirty: bool = True
    spool: Spool = MEMORY  # where streams and held PDUs grow while the call is open

    # --- applying records ------------------------------------------------------------

    def apply(self, seq: int, received_ns: int, channel: int, pdu: DecodedPDU) -> None:
        raw = bytes(pdu.raw)
        at = pdu_time(pdu, received_ns)
        number = None if pdu.tri is not None else pdu.sequence_number
        quarantined = self._enter(seq, received_ns, channel, raw, number)
        for iri_item in pdu.iri:
            self._apply_iri(iri_item, at, received_ns)
        if pdu.cc and self._content_kept(at, seq, raw, quarantined=quarantined):
            for cc_item in pdu.cc:
                self._media(cc_item, pdu.sequence_number, at)

    def apply_rtp(self, seq: int, received_ns: int, channel: int, rtp: RTPFields) -> None:
        """:meth:`apply` for a CC PDU of one bare RTP packet that a template read (the
        assembler's fast lane): the same effects, without the decoded objects."""
        at = header_time(rtp.micro_timestamp, rtp.timestamp, received_ns)
        quarantined = self._enter(seq, received_ns, channel, rtp.raw, rtp.sequence_number)
        if self._content_kept(at, seq, rtp.raw, quarantined=quarantined):
            stream = self._rtp_stream(("rtp", None, None, rtp.ssrc), None, None)
            stream.add_rtp_fields(rtp.rtp_sequence, rtp.rtp_timestamp, rtp.payload_type,
                                  rtp.payload, _label(rtp.direction), at)  # fmt: skip

    def apply_rtp_run(
        self, seqs: list[int], received_ns: list[int], channel: int, pdus: list[bytes],
        numbers: list[int], runs: list[tuple[list[int], RTPRun]],
        first_at: Callable[[], datetime],
    ) -> bool:  # fmt: skip
        """:meth:`apply_rtp` for consecutive CC records of this communication, in journal
        order (``seqs``, ``pdus``, their sequence ``numbers``), read as ``runs`` of one
        template each, with their positions among them (``first_at``: the first record's
        time): the same effects, each step done once for all. False, and nothing changed,
        where a record must be taken alone (quarantine, a time outside the warrant)."""
        a = self.attribution
        if any(a.quarantine_reason(data) is not None for data in ("traffic", "content")):
            return False
        for _, run in runs:  # the windows are intervals: both ends in one covers the run
            if a.spans and not any(s <= run.earliest and run.latest <= e for s, e in a.spans):
                return False
        self.last_seq = max(self.last_seq, seqs[-1])
        self.last_activity_ns = max(self.last_activity_ns, *received_ns)
        self.episode.add_run(seqs, pdus)
        self._tracker(channel).see_all(numbers)
        self.cc = True
        if self.answer_at is None and self.kind != "sms":
            self.answer_at = first_at()
            self.outcome = self.outcome or "answered"
            self.dirty = True
        by_stream: dict[int, list[tuple[list[int], RTPRun]]] = {}
        for positions, run in runs:
            by_stream.setdefault(run.ssrc, []).append((positions, run))
        for ssrc, parts in by_stream.items():
            stream = self._rtp_stream(("rtp", None, None, ssrc), None, None)
            if len(parts) > 1:  # several layouts of one stream: packet by packet, in order
                stream.add_rtp_runs([(p, _label(r.direction), _packets(r)) for p, r in parts])
                continue
            run = parts[0][1]
            stream.add_rtp_run(
                _label(run.direction), run.earliest, run.rtp_sequences, run.rtp_timestamps,
                run.payload_types, run.payloads, run.payload_size, in_order=run.in_order,
            )  # fmt: skip
        return True

    def _tracker(self, channel: int) -> SeqTracker:
        name = "hi2" if channel == 2 else "hi3" if channel == 3 else f"channel-{channel}"
        tracker = self.sequences.get(name)
        if tracker is None:
            tracker = self.sequences[name] = SeqTracker()
        return tracker

    def _enter(
        self, seq: int, received_ns: int, channel: int, raw: bytes, number: int | None
    ) -> bool:
        """What every record does: activity, the episode (its seal), the channel's sequence
        ``number`` (none for TRI); whether its traffic is quarantined whole (and held)."""
        self.last_seq = max(self.last_seq, seq)
        self.last_activity_ns = max(self.last_activity_ns, received_ns)
        self.episode.add(seq, raw)
        if number is not None:
            self._tracker(channel).see(number)
        whole = self.attribution.quarantine_reason("traffic")
        if whole is not None:
            self._hold("all", seq, raw)
        return whole is not None

    def _hold(self, data_kind: str, seq: int, raw: bytes, reason: str | None = None) -> None:
        name = data_kind if reason is None else f"{data_kind}:{reason}"
        held = self.held.get(name)
        if held is None:
            held = self.held[name] = Held(self.spool.sink(), reason)
        held.add(seq, raw)

    def _apply_iri(self, item: IRIItem, at: datetime, received_ns: int) -> None:
        self.iri = True
        self.dirty = True
        kind = item.effective_type
        if kind is IRIType.BEGIN and (self.begin_at is None or at < self.begin_at):
            self.begin_at = at
        if item.contents_kind is IRIContentsKind.IPMM and item.sip is not None:
            self._apply_sip(item, at, received_ns)
        elif item.contents_kind is IRIContentsKind.ETSI671:
            self._apply_etsi671(item, at)
        if kind is IRIType.END:
            self._ended(at, received_ns, "iri-end")
        if kind is IRIType.REPORT and self.kind == "sms":
            self._ended(at, received_ns, "report")
        if self.begin_at is None:
            self.begin_at = at

    def _apply_etsi671(self, item: IRIItem, at: datetime) -> None:
        facts = iri.parse_etsi671(item.contents)
        if facts.sms is not None:
            self._sms_part(facts.sms)
        elif self.kind == "other" and item.effective_type is not IRIType.REPORT:
            self.kind = "voice"
        self.iri_direction = facts.direction or self.iri_direction
        for p in facts.parties:
            self._party(p.role, p.delivered, p.source)
        if facts.cell and (not self.cells or self.cells[-1][0] != facts.cell):
            self.cells.append((facts.cell, at))
        self.release_cause = facts.release_cause or self.release_cause
        connected = facts.call_state == "connected" or bool(facts.conversation_seconds)
        if connected and self.answer_at is None and self.kind == "voice":
            talked = timedelta(seconds=facts.conversation_seconds or 0)
            self.answer_at, self.outcome = at - talked, "answered"

    def _sms_part(self, content: SMSContent) -> None:
        """One part of an SMS (a whole message is one part): kept, read, its parties."""
        self.kind = "sms"
        if self.sms is None:
            self.sms = Message()
        part = self.sms.add(content)
        for role, delivered, source in part.parties():
            self._party(role, delivered, source)
        self.iri_direction = self.iri_direction or part.target_side

    def _party(self, role: str, delivered: str, source: str) -> None:
        self.parties.setdefault(PartyKey(role, delivered, source), None)

    def _ended(self, at: datetime, received_ns: int, by: str) -> None:
        self.end_at = at
        self.end_seen_ns = received_ns
        self.end_by = by

    def _apply_sip(self, item: IRIItem, at: datetime, received_ns: int) -> None:
        message = item.sip
        assert message is not None
        info = sip.parse(message.content)
        self.call_id = self.call_id or info.call_id
        if info.method == "INVITE" and self.dialog.inviter is None:
            self.kind = "voice"
            self.dialog.inviter, self.dialog.invitee = message.source, message.destination
            self.begin_at = self.begin_at or at
        if info.method == "INVITE" and not info.to_tagged:  # the initial INVITE (or a resend)
            self._sip_parties(info)
        if info.media is not None:
            self.dialog.media[message.source] = info.media
        if info.status is not None and info.cseq_method == "INVITE":
            for uri in info.asserted if info.status < 300 else ():  # the callee's network's
                self._party("terminating", uri.text, "sip-pai")  # assertion (RFC 3325 §9.1)
            self._sip_response(info.status, at, received_ns)

    def _sip_parties(self, info: sip.SIPInfo) -> None:
        """The parties an initial INVITE names: From and P-Asserted-Identity the caller,
        To and the Request-URI the callee (a re-INVITE's From may be either side)."""
        named = [(info.from_uri, "originating", "sip-from"), (info.to_uri, "terminating", "sip-to"),
                 (info.request_uri, "terminating", "sip-request-uri")]  # fmt: skip
        named += [(uri, "originating", "sip-pai") for uri in info.asserted]
        for uri, role, source in named:
            if uri is not None:
                self._party(role, uri.text, source)

    def _sip_response(self, status: int, at: datetime, received_ns: int) -> None:
        """A final response to the INVITE: 2xx answers the call; 4xx-6xx before an answer
        ends it then (RFC 3261 §13.2.2), unless the caller is expected to try again."""
        if 200 <= status < 300 and self.answer_at is None:
            self.answer_at = at
            self.outcome = "answered"
        elif status >= 300 and self.answer_at is None:
            self.outcome = outcomes.of_sip_response(status)
            if status >= 400 and status not in outcomes.SIP_RETRIED and self.end_seen_ns is None:
                self._ended(at, received_ns, "sip-final-response")

    def _content_kept(self, at: datetime, seq: int, raw: bytes, *, quarantined: bool) -> bool:
        """A CC record: whether its media may be kept visible (else it is held, or is
        already, with the whole of a quarantined communication's traffic)."""
        self.cc = True
        if quarantined:
            return False
        if self.attribution.quarantine_reason("content") is not None:
            self._hold("content", seq, raw)
            return False
        if not self.attribution.covers(at):  # this packet is outside the warrant's windows
            self._hold("content", seq, raw, OUTSIDE_VALIDITY)
            return False
        if self.answer_at is None and self.kind != "sms":
            self.answer_at = at
            self.outcome = self.outcome or "answered"
            self.dirty = True
        return True

    def _media(self, item: CCItem, pdu_seq: int, at: datetime) -> None:
        label = _label(item.direction)
        if item.contents_kind is CCContentsKind.PSTN_ISDN:
            key: tuple[object, ...] = ("pstn", item.cc_link_id, label)
            stream = self.streams.get(key) or self.streams.setdefault(
                key, Stream(key, spool=self.spool)
            )
            stream.add_frame(pdu_seq, bytes(item.content), label, at)
            return
        if item.contents_kind is CCContentsKind.IP:  # TS 102 232-3 IPCC: a data session
            ip = pcap.ipcc_packet(item.content)
            if ip is None:
                self.undecoded_cc += 1
            else:
                self._ip_packet(ip, at)
            return
        packet = _packet(item)
        if packet is None:
            if item.frame_type is FrameType.IP and pcap.is_ip(item.content):
                self._ip_packet(bytes(item.content), at)  # IP, not RTP voice: kept as such
            else:
                self.undecoded_cc += 1
            return
        key = ("rtp", packet.source, packet.destination, packet.ssrc)
        self._rtp_stream(key, packet.source, packet.destination).add_rtp(packet, label, at)

    def _rtp_stream(
        self, key: tuple[object, ...], source: Endpoint | None, destination: Endpoint | None
    ) -> Stream:
        found = self.streams.get(key)
        if found is None:
            found = self.streams[key] = Stream(key, source, destination, spool=self.spool)
        return found

    def replay_cc(self, pdu: DecodedPDU, received_ns: int) -> None:
        """An earlier episode's CC, applied to the media only (a re-opened call's audio is
        derived whole); the episode, sequence accounting and quarantine are not touched."""
        at = pdu_time(pdu, received_ns)
        if self.attribution.quarantine_reason("content") is not None:
            return
        if not self.attribution.covers(at):
            return
        self.cc = True
        for item in pdu.cc:
            self._media(item, pdu.sequence_number, at)

    def _ip_packet(self, packet: bytes, at: datetime) -> None:
        if self.ip_packets is None:
            self.ip_packets = self.spool.sink()
            if self.kind == "other":
                self.kind, self.dirty = "data", True
        self.ip_packets.append(pcap.record(at, packet))
        self.ip_count += 1

    def discard(self) -> None:
        """Delete the spooled bytes (the communication is stored, or will be rebuilt)."""
        if self.ip_packets is not None:
            self.ip_packets.discard()
        for stream in self.streams.values():
            stream.discard()
        for held in self.held.values():
            held.data.discard()

    # --- facts for closing -----------------------------------------------------------

    def target_side(self) -> tuple[str, str]:
        """``(direction, basis)``: is the target the originating or the terminating party,
        and what says so? A party's identity that is one of the warrant's targets decides;
        else the IRI's call direction; else ``unknown`` (never a guess)."""
        named: dict[str, str] = {}
        for p in self.parties:
            if p.role in ("originating", "terminating") and p.role not in named:
                target = named_target(self.attribution.targets, p.delivered, p.source)
                if target is not None:
                    named[p.role] = f"warrant target {target} is the {p.source} party"
        if len(named) == 1:
            return next(iter(named.items()))
        if self.iri_direction is not None:
            return self.iri_direction, "IRI call direction"
        if named:
            return "unknown", "both parties are warrant targets"
        return "unknown", NOT_IDENTIFIED

    def media_addresses(self) -> tuple[MediaAddress | None, MediaAddress | None]:
        """The SDP audio addresses of the target and of the other party, where offered."""
        direction, _ = self.target_side()
        if direction == "unknown":
            return None, None
        inviter, invitee = self.dialog.inviter, self.dialog.invitee
        target_ip, other_ip = (
            (inviter, invitee) if direction == "originating" else (invitee, inviter)
        )
        get = self.dialog.media.get
        return (get(target_ip) if target_ip else None), (get(other_ip) if other_ip else None)


def _label(direction: Direction | None) -> str:
    """The operator's payloadDirection as a stream label (which is the target's is decided
    from the signalling at close)."""
    return LABELS.get(Direction.UNKNOWN if direction is None else direction, "unknown")


def _packets(run: RTPRun) -> RunPackets:
    return (run.earliest, run.rtp_sequences, run.rtp_timestamps, run.payload_types,
            run.payloads, run.payload_size)  # fmt: skip


def _packet(item: CCItem) -> RTPPacket | None:
    if item.contents_kind is not CCContentsKind.IPMM:
        return None
    if item.frame_type is FrameType.IP:
        return parse_ip(item.content)
    if item.frame_type is FrameType.UDP:
        return parse_udp(item.content)
    if item.frame_type in (FrameType.RTP, FrameType.ARTIFICIAL_RTP, None):
        return parse_rtp(item.content)
    return None
