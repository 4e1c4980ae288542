"""Consumed journal segments into the vault, split per case, then retired.

A segment holds the PDUs of many cases; stored whole under one key it would outlive a
case's crypto-shredding. So each consumed segment (every registered consumer is past it:
:meth:`~custodio.journal.Journal.consumed_segments`) is read in order and its raw PDUs are
grouped by the case that their operator, LIID and time attribute to
(:func:`custodio.assemble.attribution.attribute`, the assembler's rule). Per (segment,
case) one vault object of kind ``pdu`` holds those PDUs back to back exactly as received
(BER is self-delimiting: the object is a valid PDU stream). PDUs no warrant claims go to
the vault case ``quarantine:<operator>``. TRI PDUs (keep-alives, acknowledgements,
integrity checks...) are not archived, only counted.

Objects are written first (:meth:`Vault.write_file`), then one catalog transaction records
their references, a ``journal_archive`` row per (segment, case), the segment's
``journal_archived_segments`` row and the audit entries; only then is the segment retired.
A crash before the commit leaves unreferenced objects (``custodio vault cleanup``) and the
segment in place: the next run writes the same objects (same content, same object id) and
records them. A crash after the commit: the next run finds the segment recorded and only
retires it. See docs/handover.md, "Archiving the journal".
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO, cast

from custodio import audit
from custodio.assemble.attribution import attribute
from custodio.assemble.correlate import pdu_time
from custodio.catalog import archive as catalog
from custodio.catalog.archive import Archived
from custodio.catalog.vault_index import TxIndex
from custodio.db import Database, Tx
from custodio.db.times import now_text
from custodio.errors import DecodeError
from custodio.etsi import names
from custodio.etsi.pdu import decode
from custodio.journal import Journal, Record, Segment
from custodio.journal.segments import read_records
from custodio.vault.envelope import Kind
from custodio.vault.index import ObjectRef
from custodio.vault.store import Vault

log = logging.getLogger(__name__)

UNATTRIBUTED = "quarantine:"  # + operator: vault case of PDUs no warrant claims
SYSTEM = "system"
TRI = 2  # the journal routing's payload kind of TRI PDUs
SPOOL_IN_MEMORY = 8 << 20  # a group's PDUs past this spill to a temporary file
_Bucket = tuple[str, str, int]  # operator, LIID, second


def _spool() -> BinaryIO:
    return cast(BinaryIO, tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY))


@dataclass
class Group:
    """The PDUs of one segment that go to one vault case."""

    vault_case: str
    case_id: int | None
    agency_id: int | None
    operator: str
    spool: BinaryIO = field(default_factory=_spool)
    digest: Any = field(default_factory=hashlib.sha256)
    first_seq: int = 0
    last_seq: int = 0
    records: int = 0
    size: int = 0

    def add(self, record: Record) -> None:
        if not self.records:
            self.first_seq = record.seq
        self.last_seq = record.seq
        self.records += 1
        self.size += len(record.pdu)
        self.spool.write(record.pdu)
        self.digest.update(record.pdu)


@dataclass(frozen=True)
class SegmentReport:
    segment: int  # its first journal record number
    records: int
    skipped: int  # TRI PDUs, not archived
    objects: tuple[Archived, ...]
    already: bool  # recorded by an earlier run that stopped before retiring it


@dataclass(slots=True)
class ArchiveStats:
    """Counters for /health."""

    runs: int = 0
    segments: int = 0
    records: int = 0
    skipped: int = 0
    objects: int = 0
    bytes: int = 0
    errors: int = 0


class Archiver:
    """Moves consumed journal segments into the vault, per case."""

    def __init__(self, db: Database, vault: Vault, journal: Journal) -> None:
        self.db = db
        self.vault = vault
        self.journal = journal
        self.stats = ArchiveStats()

    def run(self) -> list[SegmentReport]:
        """Archive and retire every consumed segment, oldest first."""
        self.stats.runs += 1
        reports = []
        for segment in self.journal.consumed_segments():
            try:
                reports.append(self.archive(segment))
            except Exception:
                self.stats.errors += 1
                raise
        return reports

    def archive(self, segment: Segment) -> SegmentReport:
        """Archive one consumed segment (or find it archived) and retire it."""
        if self.db.read(lambda tx: catalog.is_archived(tx, segment.first_seq)):
            self.journal.retire(segment)
            log.info("journal: %s was archived already; retired", segment.path.name)
            return SegmentReport(segment.first_seq, 0, 0, (), already=True)
        groups, records, skipped = self._split(segment)
        try:
            refs = [self._write(g) for g in groups]
        finally:
            for group in groups:
                group.spool.close()
        done = tuple(_archived(g, ref) for g, ref in zip(groups, refs, strict=True))
        report = SegmentReport(segment.first_seq, records, skipped, done, already=False)
        self.db.write(lambda tx: _record(tx, segment, report, refs, groups))
        self.journal.retire(segment)
        self._count(report)
        return report

    def _split(self, segment: Segment) -> tuple[list[Group], int, int]:
        groups: dict[str, Group] = {}
        cache: dict[_Bucket, tuple[int | None, int | None]] = {}
        records = skipped = 0
        for record in read_records(segment.path, segment.first_seq - 1, segment.last_seq):
            records += 1
            if record.routing.payload_kind == TRI:
                skipped += 1
                continue
            operator = names.text(record.routing.operator_id)
            case_id, agency_id = self._case_of(record, operator, cache)
            name = f"{UNATTRIBUTED}{operator}" if case_id is None else str(case_id)
            group = groups.get(name)
            if group is None:
                group = groups[name] = Group(name, case_id, agency_id, operator)
            group.add(record)
        return list(groups.values()), records, skipped

    def _case_of(
        self, record: Record, operator: str, cache: dict[_Bucket, tuple[int | None, int | None]]
    ) -> tuple[int | None, int | None]:
        """The case (and agency) the record's LIID, operator and time attribute to."""
        liid = names.text(record.routing.liid)
        at = _time(record)
        bucket = (operator, liid, int(at.timestamp()))
        found = cache.get(bucket)
        if found is None:
            a = self.db.read(lambda tx: attribute(tx, liid, operator, at))
            found = cache[bucket] = (a.case_id, a.agency_id)
        return found

    def _write(self, group: Group) -> ObjectRef:
        group.spool.seek(0)
        return self.vault.write_file(group.vault_case, Kind.PDU, group.spool, sha256=True)

    def _count(self, report: SegmentReport) -> None:
        s = self.stats
        s.segments += 1
        s.records += report.records
        s.skipped += report.skipped
        s.objects += len(report.objects)
        s.bytes += sum(o.size for o in report.objects)


def _time(record: Record) -> datetime:
    """The PDU's own time (as the assembler attributes), else when it was received."""
    try:
        return pdu_time(decode(record.pdu), record.received_ns)
    except DecodeError:
        return datetime.fromtimestamp(record.received_ns / 1e9, UTC)


def _archived(group: Group, ref: ObjectRef) -> Archived:
    return Archived(
        vault_case=group.vault_case, case_id=group.case_id, first_seq=group.first_seq,
        last_seq=group.last_seq, records=group.records, object_id=ref.object_id,
        sha256=group.digest.hexdigest(), size=group.size, stored_size=ref.stored_size,
    )  # fmt: skip


def _record(
    tx: Tx, segment: Segment, report: SegmentReport, refs: list[ObjectRef], groups: list[Group]
) -> None:
    """References, rows and audit entries of one segment, in the caller's transaction."""
    at = now_text()
    for done, ref, group in zip(report.objects, refs, groups, strict=True):
        TxIndex(tx).add_reference(ref)
        catalog.add_object(tx, segment.first_seq, done, group.operator, at)
        _audit(tx, segment, done, group.agency_id)
    catalog.mark_archived(tx, segment.first_seq, last_seq=segment.last_seq,
                          records=report.records, skipped=report.skipped, at=at)  # fmt: skip
    if not report.objects:
        _audit(tx, segment, None, None, skipped=report.skipped)


def _audit(
    tx: Tx, segment: Segment, done: Archived | None, agency_id: int | None, *, skipped: int = 0
) -> None:
    details: dict[str, Any] = {"segment": segment.path.name, "last_seq": segment.last_seq}
    details.update(asdict(done) if done is not None else {"records": 0, "skipped": skipped})
    event = audit.Event(
        action="journal.archived",
        outcome=audit.ALLOWED,
        target=f"journal-segment:{segment.first_seq}",
        actor=SYSTEM,
        agency_id=agency_id,
        case_id=None if done is None else done.case_id,
        details=details,
    )
    audit.append(tx, event)
