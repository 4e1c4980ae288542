"""The assembler: a journal consumer that applies each record exactly once.

::

    assembler = Assembler.open(db, vault, journal, settings)   # rebuilds open calls
    while ...:
        report = assembler.step()          # read, apply, close what is due, commit
    assembler.step(final=True)             # --once: also close what has its IRI-End

Exactly once across restarts: every catalog transaction records the last journal seq it
applied (``assembly_positions``). The journal consumer's own position is kept at the
low-water mark (just before the first record of the oldest open communication), so that
after a restart the records of open communications are read again: those at or below the
catalog's position rebuild their state in memory without writing anything; those above
it are applied. A failed step drops the memory and rebuilds it the same way.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from custodio import datadir
from custodio.assemble import message
from custodio.assemble.attribution import Attribution, attribute
from custodio.assemble.closing import Closing, finish
from custodio.assemble.correlate import Comm, Key, PartyKey, pdu_time
from custodio.assemble.fastcc import Templates
from custodio.assemble.lane import Entry, apply_run
from custodio.assemble.message import ConcatKey
from custodio.assemble.spool import Spool
from custodio.assemble.store import save_closing, save_comm, write_blobs
from custodio.catalog import comms
from custodio.db import Database, Tx
from custodio.db.times import from_text
from custodio.errors import CustodioError, DecodeError
from custodio.etsi import iri, names, sip
from custodio.etsi.pdu import DecodedPDU, IRIContentsKind, IRIType, PayloadKind, TRIKind
from custodio.journal import Journal, Record
from custodio.journal.format import decode_routing
from custodio.vault.index import ObjectRef
from custodio.vault.store import Vault

log = logging.getLogger(__name__)
CONSUMER = "assemble"
RUN_MIN = 4  # fewer records of a communication in a batch are applied one by one


class AssemblyError(CustodioError):
    """Assembly cannot go on without losing or repeating records."""

    exit_code = 14


@dataclass(frozen=True)
class Timing:
    inactivity_seconds: float = 120.0
    end_grace_seconds: float = 5.0
    batch_records: int = 200_000  # a step's records: the fast lane reads a call's together


@dataclass
class StepReport:
    records: int = 0
    applied: int = 0
    replayed: int = 0
    skipped: int = 0
    opened: int = 0
    closed: int = 0
    position: int = 0


@dataclass
class Stats:
    """Counters since start, for /health."""

    records: int = 0
    communications_opened: int = 0
    communications_closed: int = 0
    amended: int = 0
    undecodable: int = 0
    rebuilds: int = 0
    open: int = 0
    position: int = 0


@dataclass
class _State:
    comms: dict[Key, Comm] = field(default_factory=dict)
    dialogs: dict[tuple[str, str, str], Comm] = field(default_factory=dict)  # Call-ID
    concats: dict[tuple[str, str, ConcatKey], Comm] = field(default_factory=dict)  # SMS parts
    applied_until: int = 0  # the catalog's position: records at or below are replayed


class Assembler:
    def __init__(
        self,
        db: Database,
        vault: Vault,
        journal: Journal,
        timing: Timing,
        *,
        spool_dir: Path | None = None,
    ) -> None:
        """``spool_dir``: where open calls' decoded audio grows (default: the journal
        directory's sibling ``assembly-spool``; emptied here, rebuilt from the journal)."""
        self.db = db
        self.vault = vault
        self.journal = journal
        self.timing = timing
        self.stats = Stats()
        self.consumer = journal.consumer(CONSUMER)
        self.state = _State()
        self.spool = Spool(spool_dir or journal.directory.parent / datadir.ASSEMBLY_SPOOL)
        self.templates = Templates()
        self._rebuild()

    # --- start and rebuild -----------------------------------------------------------

    def _rebuild(self) -> None:
        """Memory from the catalog: open communications, and the position to replay to."""
        self.consumer = self.journal.consumer(CONSUMER)
        self.spool.clear()
        last, rows = self.db.read(lambda tx: (comms.position(tx, CONSUMER), comms.open_comms(tx)))
        if self.consumer.position > last:
            raise AssemblyError(
                f"the journal consumer {CONSUMER!r} is at {self.consumer.position}, past the "
                f"catalog's assembly position {last}: records in between were never applied",
                hint="was the catalog restored from an older backup? restore the matching "
                "journal, or reset the consumer position file to the catalog's position",
            )
        state = _State(applied_until=last)
        for row in rows:
            comm = self.db.read(functools.partial(_comm_from_row, row=row, spool=self.spool))
            self._replay_earlier(comm)
            state.comms[comm.key] = comm
        self.state = state
        self.stats.position = last
        self.stats.open = len(state.comms)

    # --- one step --------------------------------------------------------------------

    def step(self, *, final: bool = False, now_ns: int | None = None) -> StepReport:
        """Read a batch, apply it, close what is due, commit; memory rebuilt on failure."""
        try:
            return self._step(final, now_ns)
        except Exception:
            self.stats.rebuilds += 1
            self._rebuild()
            raise

    def _step(self, final: bool, now_ns: int | None) -> StepReport:
        report = StepReport()
        records = self.consumer.read_raw(self.timing.batch_records)
        opened: list[Comm] = []
        pending: dict[Key, list[Entry]] = {}  # the fast lane, by call
        lane, applied = self.templates.lane, self.state.applied_until
        for seq, received_ns, block, pdu in records:
            template = lane(block, len(pdu)) if seq > applied else None
            if template is not None:
                bucket = pending.get(template.comm_key)
                if bucket is None:
                    bucket = pending[template.comm_key] = []
                bucket.append((seq, received_ns, block, pdu, template))
                continue
            if pending:  # what came before this record is applied before it
                self._apply_pending(pending, report, opened)
            self._apply(Record(seq, received_ns, decode_routing(block), pdu), report, opened)
        self._apply_pending(pending, report, opened)
        report.records = len(records)
        now = time.time_ns() if now_ns is None else now_ns
        replaying = bool(records) and records[-1][0] < self.state.applied_until
        due = [] if replaying else self._due(now, final and not records)
        closings: list[Closing] = []
        refs: dict[int, ObjectRef] = {}
        for comm, why in due:  # one at a time: a closing's audio leaves memory once stored
            closing = finish(comm, why)
            refs.update(write_blobs(self.vault, [closing]))
            for blob in closing.blobs:
                blob.data = b""
            closings.append(closing)
        last = records[-1][0] if records else self.state.applied_until
        position = max(last, self.state.applied_until)
        closing_ids = {id(c.comm) for c in closings}
        dirty = [c for c in set(self.state.comms.values()) if c.dirty and id(c) not in closing_ids]

        def commit(tx: Tx) -> None:
            for comm in dirty:
                save_comm(tx, comm, None)
            for closing in closings:
                save_closing(tx, closing, refs)
            comms.set_position(tx, CONSUMER, position)

        if closings or dirty or (records and not replaying):
            self.db.write(commit)
        self._after_commit(closings, position, report)
        return report

    def _after_commit(self, closings: list[Closing], position: int, report: StepReport) -> None:
        for closing in closings:
            self._forget(closing.comm)
            closing.comm.discard()
        self.state.applied_until = position
        low = min([c.open_seq for c in self.state.comms.values()] + [position + 1]) - 1
        if low > self.consumer.position:
            self.consumer.commit(low)
        report.closed = len(closings)
        report.position = position
        self.stats.records += report.records
        self.stats.communications_closed += len(closings)
        self.stats.open = len(self.state.comms)
        self.stats.position = position

    def _forget(self, comm: Comm) -> None:
        """Drop every key ``comm`` is known by (its own, other CINs of its SIP dialog or
        of its SMS's parts)."""
        _drop(self.state.comms, comm)
        _drop(self.state.dialogs, comm)
        _drop(self.state.concats, comm)

    # --- applying one record ---------------------------------------------------------

    def _apply(self, record: Record, report: StepReport, opened: list[Comm]) -> None:
        if record.seq > self.state.applied_until and self._apply_rtp(record):
            report.applied += 1
            return
        try:
            pdu = self.templates.decode(record)
        except DecodeError:
            self.stats.undecodable += 1
            report.skipped += 1
            return
        if pdu.kind not in (PayloadKind.IRI, PayloadKind.CC, PayloadKind.TRI):
            report.skipped += 1
            return
        replay = record.seq <= self.state.applied_until
        comm = self._comm_for(record, pdu, replay, opened)
        if comm is None or (replay and record.seq < comm.open_seq):
            report.skipped += 1
            return
        if pdu.tri is not None:
            if pdu.tri.kind is TRIKind.CIN_RESET:
                comm.cin_reset = True
            return
        comm.apply(record.seq, record.received_ns, record.routing.channel, pdu)
        if comm.sms is not None:  # the parts of a long SMS gather in this communication
            for concat in comm.sms.concat_keys():
                self.state.concats[(comm.key[0], comm.key[1], concat)] = comm
        if replay:
            comm.dirty = False
            report.replayed += 1
        else:
            report.applied += 1

    def _apply_pending(
        self,
        pending: dict[Key, list[Entry]],
        report: StepReport,
        opened: list[Comm],
    ) -> None:
        """The fast lane, for most records: CC records of one bare RTP packet, of layouts
        seen before, gathered by communication (records of different communications do
        not affect each other) and applied together where the communication is open
        (:func:`~custodio.assemble.lane.apply_run`); the others one by one, in journal
        order."""
        for key, bucket in pending.items():
            comm = self.state.comms.get(key)
            if comm is not None and len(bucket) >= RUN_MIN and apply_run(comm, bucket):
                report.applied += len(bucket)
                continue
            for seq, received_ns, block, pdu, _ in bucket:
                record = Record(seq, received_ns, decode_routing(block), pdu)
                self._apply(record, report, opened)
        pending.clear()

    def _apply_rtp(self, record: Record) -> bool:
        """The fast lane, for most records: a CC PDU of one bare RTP packet, of a layout
        seen before, for a communication already open, applied without the decoded
        objects (:meth:`Comm.apply_rtp`: what :meth:`Comm.apply` would do). False: not such
        a record, the general path takes it (opening a communication, replaying, ...)."""
        rtp = self.templates.read_rtp(record)
        if rtp is None:
            return False
        comm = self.state.comms.get((_text(rtp.operator_id), _text(rtp.liid), rtp.cin))
        if comm is None:
            return False
        comm.apply_rtp(record.seq, record.received_ns, record.routing.channel, rtp)
        return True

    def _comm_for(
        self, record: Record, pdu: DecodedPDU, replay: bool, opened: list[Comm]
    ) -> Comm | None:
        key: Key = (_text(pdu.operator_id), _text(pdu.liid), pdu.cin)
        comm = self.state.comms.get(key) or self._by_dialog(key, pdu) or self._by_concat(key, pdu)
        if comm is not None or replay or pdu.tri is not None:
            return comm
        comm = self._open(key, record, pdu)
        self.state.comms[key] = comm
        opened.append(comm)
        self.stats.communications_opened += 1
        return comm

    def _by_dialog(self, key: Key, pdu: DecodedPDU) -> Comm | None:
        """A SIP message of a dialog already known under another CIN joins that call."""
        call_id = _call_id(pdu)
        if call_id is None:
            return None
        dialog = (key[0], key[1], call_id)
        comm = self.state.dialogs.get(dialog)
        if comm is None:
            return None
        self.state.comms[key] = comm
        return comm

    def _by_concat(self, key: Key, pdu: DecodedPDU) -> Comm | None:
        """A part of a long SMS whose other parts are gathering joins them (TS 23.040
        §9.2.3.24.1: the same reference, count of parts and other party)."""
        concat = _concat_key(pdu)
        comm = None if concat is None else self.state.concats.get((key[0], key[1], concat))
        if comm is not None:
            self.state.comms[key] = comm
        return comm

    def _open(self, key: Key, record: Record, pdu: DecodedPDU) -> Comm:
        at = pdu_time(pdu, record.received_ns)
        previous, attribution = self.db.read(
            lambda tx: (
                comms.latest_for_key(tx, key[0], key[1], key[2]),
                attribute(tx, key[1], key[0], at),
            )
        )
        comm = Comm(key=key, attribution=attribution, open_seq=record.seq, spool=self.spool)
        if previous is not None:  # a late record: re-open and amend, never a second one
            comm = self.db.read(
                lambda tx: _comm_from_row(tx, previous, spool=self.spool, reopen_at=record.seq)
            )
            self._replay_earlier(comm)
            self.stats.amended += 1
        call_id = _call_id(pdu)
        if call_id is not None:
            self.state.dialogs[(key[0], key[1], call_id)] = comm
        return comm

    def _replay_earlier(self, comm: Comm) -> None:
        """A re-opened communication's earlier CC, read again from the journal, so that
        its audio (and pcap) is derived whole at the next close, not only the late part.

        Earlier episodes are the ``pdus`` products (first..last journal seq). Records no
        longer in the journal (segments archived since) are counted as missing.
        """
        if not comm.amendments or comm.id is None or not comm.attribution.traffic:
            return
        comm_id = comm.id
        products = self.db.read(lambda tx: comms.products_of(tx, comm_id))
        match = (comm.key[0].encode(), comm.key[1].encode(), comm.key[2])
        expected = found = 0
        for episode in products:
            if episode.kind != "pdus" or episode.first_seq is None or episode.last_seq is None:
                continue
            expected += episode.records
            after, last = episode.first_seq - 1, episode.last_seq
            while after < last and (batch := self.journal.read(after, self.timing.batch_records)):
                for record in batch:
                    if record.seq > last:
                        break
                    r = record.routing
                    if (r.operator_id, r.liid, r.cin) == match:
                        found += 1
                        if r.payload_kind == int(PayloadKind.CC):
                            comm.replay_cc(self.templates.decode(record), record.received_ns)
                after = batch[-1].seq
        comm.earlier_missing = max(0, expected - found)

    # --- closing ---------------------------------------------------------------------

    def _due(self, now_ns: int, final: bool) -> list[tuple[Comm, str]]:
        grace = int(self.timing.end_grace_seconds * 1e9)
        idle = int(self.timing.inactivity_seconds * 1e9)
        due: list[tuple[Comm, str]] = []
        for comm in set(self.state.comms.values()):
            ended = comm.end_by or ("report" if comm.kind == "sms" else "iri-end")
            end_ns = comm.end_seen_ns
            if comm.reclose_by is not None:  # re-opened: closed again when late records stop
                ended = ended if end_ns is not None else comm.reclose_by
                end_ns = max(end_ns or 0, comm.last_activity_ns)
            waiting = not final and comm.sms is not None and bool(comm.sms.missing())
            if end_ns is not None and (final or now_ns - end_ns >= grace) and not waiting:
                due.append((comm, ended))
            elif now_ns - comm.last_activity_ns >= idle:
                due.append((comm, ended if end_ns is not None else "timeout"))
        return sorted(due, key=lambda item: item[0].open_seq)


_text = names.text  # an operator or LIID as text (cached: every record names one)


def _call_id(pdu: DecodedPDU) -> str | None:
    for item in pdu.iri:
        if item.contents_kind is IRIContentsKind.IPMM and item.sip is not None:
            return sip.parse(item.sip.content).call_id
    return None


def _drop(keys: dict[Any, Comm], comm: Comm) -> None:
    for key in [k for k, c in keys.items() if c is comm]:
        del keys[key]


def _concat_key(pdu: DecodedPDU) -> ConcatKey | None:
    for item in pdu.iri:
        if item.contents_kind is IRIContentsKind.ETSI671 and item.effective_type is IRIType.REPORT:
            facts = iri.parse_etsi671(item.contents)
            if facts.sms is not None:
                return message.concat_key(message.read(facts.sms))
    return None


def _comm_from_row(
    tx: Tx, row: comms.Communication, *, spool: Spool, reopen_at: int | None = None
) -> Comm:
    """A communication as the catalog has it, to rebuild (or re-open) in memory."""
    begin = from_text(row.begin_at) if row.begin_at else None
    at = begin or from_text(row.created_at)
    attribution: Attribution = attribute(tx, row.liid, row.operator, at)
    key: Key = (row.operator, row.liid, row.cin)
    comm = Comm(key=key, attribution=attribution, open_seq=row.open_seq, id=row.id, spool=spool)
    comm.kind, comm.call_id = row.kind, row.call_id
    comm.begin_at = begin
    comm.answer_at = from_text(row.answer_at) if row.answer_at else None
    comm.outcome, comm.sealed = row.outcome, row.sealed
    comm.amendments = row.amendments
    comm.start_notified = row.kind == "voice"  # notified when it was stored as a call
    if comm.amendments and reopen_at is None:  # re-opened before a restart
        comm.reclose_by = row.closed_by or "timeout"
    comm.last_seq = row.last_seq
    for p in comms.parties_of(tx, row.id):
        comm.parties[PartyKey(p.role, p.delivered, p.source)] = None
    if reopen_at is not None:
        comm.open_seq = reopen_at
        comm.amendments += 1
        comm.end_at = from_text(row.end_at) if row.end_at else None
        comm.previous_reasons = list(row.reasons)
        comm.reclose_by = row.closed_by or "timeout"
        comm.iri = True
    comm.dirty = reopen_at is not None
    return comm
