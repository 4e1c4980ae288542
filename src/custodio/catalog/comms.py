"""Communications in the catalog: the rows assembly writes and the queries access reads.

Schema in ``db/migrations/0003_communications.sql``; what each column means in
``docs/assembly.md``. Writing is assembly's (one transaction per batch of journal records,
together with :func:`set_position`); reading goes through the service layer's policy.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from custodio.catalog import search_index
from custodio.db import Tx
from custodio.db.engine import Row
from custodio.db.times import now_text
from custodio.errors import InvalidInput, NotFound

COMM_COLUMNS = (
    "agency_id", "case_id", "warrant_id", "liid", "operator", "cin", "call_id", "kind",
    "direction", "status", "reasons", "notes", "begin_at", "answer_at", "end_at",
    "closed_by", "outcome", "target_basis", "sealed", "quarantined", "amendments",
    "open_seq", "last_seq",
)  # fmt: skip
KINDS = ("voice", "sms", "data", "other")
STATUSES = ("open", "complete", "partial", "orphan")


@dataclass(frozen=True, slots=True)
class Communication:
    """A ``communications`` row (fields in column order; ``reasons`` and ``notes`` decoded)."""

    id: int
    agency_id: int | None
    case_id: int | None
    warrant_id: int | None
    liid: str
    operator: str
    cin: int | None
    call_id: str | None
    kind: str
    direction: str
    status: str
    reasons: tuple[dict[str, Any], ...]
    notes: tuple[dict[str, Any], ...]
    begin_at: str | None
    answer_at: str | None
    end_at: str | None
    closed_by: str | None
    outcome: str | None
    target_basis: str | None
    sealed: bool
    quarantined: bool
    amendments: int
    open_seq: int
    last_seq: int
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, row: Row) -> Communication:
        return cls(
            id=int(row["id"]),
            agency_id=_opt_int(row["agency_id"]),
            case_id=_opt_int(row["case_id"]),
            warrant_id=_opt_int(row["warrant_id"]),
            liid=row["liid"],
            operator=row["operator"],
            cin=_opt_int(row["cin"]),
            call_id=row["call_id"],
            kind=row["kind"],
            direction=row["direction"],
            status=row["status"],
            reasons=_json_list(row["reasons"]),
            notes=_json_list(row["notes"]),
            begin_at=row["begin_at"],
            answer_at=row["answer_at"],
            end_at=row["end_at"],
            closed_by=row["closed_by"],
            outcome=row["outcome"],
            target_basis=row["target_basis"],
            sealed=bool(row["sealed"]),
            quarantined=bool(row["quarantined"]),
            amendments=int(row["amendments"]),
            open_seq=int(row["open_seq"]),
            last_seq=int(row["last_seq"]),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )

    @property
    def started(self) -> str:
        """When it began, or (no begin time known) when the catalog first held it."""
        return self.begin_at or self.created_at

    def as_dict(self) -> dict[str, Any]:
        """Every column (reasons and notes last, as lists), for ``comms show``."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
               if f.name not in ("reasons", "notes")}  # fmt: skip
        out["reasons"], out["notes"] = list(self.reasons), list(self.notes)
        return out


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _json_list(text: str) -> tuple[dict[str, Any], ...]:
    value = json.loads(text)
    return tuple(value) if isinstance(value, list) else ()


@dataclass(frozen=True, slots=True)
class Party:
    role: str
    delivered: str
    e164: str | None
    is_target: bool
    source: str

    @classmethod
    def from_row(cls, row: Row) -> Party:
        return cls(row["role"], row["delivered"], row["e164"], bool(row["is_target"]),
                   row["source"])  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class Location:
    cell: str
    at: str

    def as_dict(self) -> dict[str, Any]:
        return {"cell": self.cell, "at": self.at}


@dataclass(frozen=True, slots=True)
class Product:
    """A product to add, or one as stored (``superseded_at`` set once a newer one of its
    kind and direction replaced it; never on insert)."""

    kind: str  # pdus, audio, message, pcap, transcript
    sha256: str
    size: int
    direction: str | None = None
    first_seq: int | None = None
    last_seq: int | None = None
    records: int = 0
    vault_case: str | None = None
    object_id: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    superseded_at: str | None = None

    @classmethod
    def from_row(cls, row: Row) -> Product:
        return cls(
            kind=row["kind"],
            sha256=row["sha256"],
            size=int(row["size"]),
            direction=row["direction"],
            first_seq=_opt_int(row["first_seq"]),
            last_seq=_opt_int(row["last_seq"]),
            records=int(row["records"]),
            vault_case=row["vault_case"],
            object_id=row["object_id"],
            details=json.loads(row["details"]),
            superseded_at=row["superseded_at"],
        )

    @property
    def current(self) -> bool:
        return self.superseded_at is None

    def stored(self) -> tuple[str, str]:
        """(vault case, object id) of a vault object's product (not ``pdus``)."""
        assert self.vault_case is not None and self.object_id is not None, self.kind
        return self.vault_case, self.object_id

    def as_dict(self) -> dict[str, Any]:
        """In column order, for ``comms show``."""
        return {
            "kind": self.kind, "direction": self.direction, "first_seq": self.first_seq,
            "last_seq": self.last_seq, "records": self.records, "vault_case": self.vault_case,
            "object_id": self.object_id, "sha256": self.sha256, "size": self.size,
            "details": self.details, "superseded_at": self.superseded_at,
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class QuarantineItem:
    agency_id: int | None
    case_id: int | None
    warrant_id: int | None
    communication_id: int | None
    liid: str
    operator: str
    cin: int | None
    reason: str
    data_kind: str
    first_seq: int | None
    last_seq: int | None
    records: int
    vault_case: str
    object_id: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class HeldItem:
    """A ``quarantine_items`` row as stored, with the decisions taken on it (migration
    0005); fields in column order."""

    id: int
    agency_id: int | None
    case_id: int | None
    warrant_id: int | None
    communication_id: int | None
    liid: str
    operator: str
    cin: int | None
    reason: str
    data_kind: str
    first_seq: int | None
    last_seq: int | None
    records: int
    vault_case: str
    object_id: str
    sha256: str
    size: int
    created_at: str
    released_at: str | None
    destroyed_at: str | None
    release_order: str | None
    release_requested_by: int | None
    release_requested_at: str | None
    released_by: int | None
    destroy_order: str | None
    destroyed_by: int | None

    @classmethod
    def from_row(cls, row: Row) -> HeldItem:
        return cls(
            id=int(row["id"]),
            agency_id=_opt_int(row["agency_id"]),
            case_id=_opt_int(row["case_id"]),
            warrant_id=_opt_int(row["warrant_id"]),
            communication_id=_opt_int(row["communication_id"]),
            liid=row["liid"],
            operator=row["operator"],
            cin=_opt_int(row["cin"]),
            reason=row["reason"],
            data_kind=row["data_kind"],
            first_seq=_opt_int(row["first_seq"]),
            last_seq=_opt_int(row["last_seq"]),
            records=int(row["records"]),
            vault_case=row["vault_case"],
            object_id=row["object_id"],
            sha256=row["sha256"],
            size=int(row["size"]),
            created_at=row["created_at"],
            released_at=row["released_at"],
            destroyed_at=row["destroyed_at"],
            release_order=row["release_order"],
            release_requested_by=_opt_int(row["release_requested_by"]),
            release_requested_at=row["release_requested_at"],
            released_by=_opt_int(row["released_by"]),
            destroy_order=row["destroy_order"],
            destroyed_by=_opt_int(row["destroyed_by"]),
        )

    def as_dict(self) -> dict[str, Any]:
        """Every column, for ``quarantine show``."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def summary(self) -> dict[str, Any]:
        """What ``quarantine list`` shows of it."""
        return {
            "id": self.id, "liid": self.liid, "operator": self.operator, "cin": self.cin,
            "reason": self.reason, "data_kind": self.data_kind, "records": self.records,
            "size": self.size, "case_id": self.case_id, "communication_id": self.communication_id,
            "created_at": self.created_at,
        }  # fmt: skip


# --- assembly's writes ---------------------------------------------------------------


def warrants_for_liid(tx: Tx, liid: str, operator: str) -> list[int]:
    rows = tx.all(
        "SELECT DISTINCT warrant_id FROM liids WHERE liid = ? AND operator = ? ORDER BY warrant_id",
        (liid, operator),
    )
    return [int(r["warrant_id"]) for r in rows]


def position(tx: Tx, consumer: str) -> int:
    value = tx.scalar("SELECT last_seq FROM assembly_positions WHERE consumer = ?", (consumer,))
    return 0 if value is None else int(value)


def set_position(tx: Tx, consumer: str, seq: int) -> None:
    if tx.one("SELECT 1 FROM assembly_positions WHERE consumer = ?", (consumer,)) is None:
        tx.execute(
            "INSERT INTO assembly_positions (consumer, last_seq, updated_at) VALUES (?, ?, ?)",
            (consumer, seq, now_text()),
        )
    else:
        tx.execute(
            "UPDATE assembly_positions SET last_seq = ?, updated_at = ? WHERE consumer = ?",
            (seq, now_text(), consumer),
        )


def _values(values: Mapping[str, Any]) -> list[Any]:
    unknown = set(values) - set(COMM_COLUMNS)
    assert not unknown, unknown
    return [
        json.dumps(v) if k in ("reasons", "notes") else v
        for k, v in ((k, values[k]) for k in COMM_COLUMNS if k in values)
    ]


def insert_comm(tx: Tx, values: Mapping[str, Any]) -> int:
    names = [k for k in COMM_COLUMNS if k in values]
    now = now_text()
    return tx.insert(
        f"INSERT INTO communications ({', '.join(names)}, created_at, updated_at) "
        f"VALUES ({', '.join('?' for _ in names)}, ?, ?)",
        (*_values(values), now, now),
    )


def update_comm(tx: Tx, comm_id: int, values: Mapping[str, Any]) -> None:
    names = [k for k in COMM_COLUMNS if k in values]
    sets = ", ".join(f"{k} = ?" for k in names)
    tx.execute(
        f"UPDATE communications SET {sets}, updated_at = ? WHERE id = ?",
        (*_values(values), now_text(), comm_id),
    )


def replace_parties(tx: Tx, comm_id: int, parties: Sequence[Party]) -> None:
    tx.execute("DELETE FROM comm_parties WHERE communication_id = ?", (comm_id,))
    for p in parties:
        tx.execute(
            "INSERT INTO comm_parties (communication_id, role, delivered, e164, is_target, "
            "source) VALUES (?, ?, ?, ?, ?, ?)",
            (comm_id, p.role, p.delivered, p.e164, int(p.is_target), p.source),
        )


def add_location(tx: Tx, comm_id: int, cell: str, at: str) -> None:
    """Record a cell (once: applying the same record again adds nothing)."""
    if tx.one(
        "SELECT 1 FROM comm_locations WHERE communication_id = ? AND cell = ? AND at = ?",
        (comm_id, cell, at),
    ):
        return
    tx.execute(
        "INSERT INTO comm_locations (communication_id, cell, at) VALUES (?, ?, ?)",
        (comm_id, cell, at),
    )


def add_product(tx: Tx, comm_id: int, p: Product, *, text: str | None = None) -> None:
    """Record a product; a ``message``'s ``text`` (an SMS's) goes into the search index."""
    product_id = tx.insert(
        "INSERT INTO comm_products (communication_id, kind, direction, first_seq, last_seq, "
        "records, vault_case, object_id, sha256, size, details, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            comm_id, p.kind, p.direction, p.first_seq, p.last_seq, p.records, p.vault_case,
            p.object_id, p.sha256, p.size, json.dumps(dict(p.details or {})), now_text(),
        ),
    )  # fmt: skip
    if p.kind == "message":
        search_index.add_message(tx, comm_id, product_id, text)


def supersede(tx: Tx, comm_id: int, kind: str, direction: str | None) -> None:
    """Earlier derived objects of this kind and direction give way to a newer one: marked
    ``superseded_at``, never deleted (the seal of each close covers them)."""
    same = "direction IS NULL" if direction is None else "direction = ?"
    tx.execute(
        "UPDATE comm_products SET superseded_at = ? WHERE communication_id = ? AND kind = ? "
        f"AND {same} AND superseded_at IS NULL",
        (now_text(), comm_id, kind) + (() if direction is None else (direction,)),
    )
    if kind == "message":
        search_index.drop_current_message(tx, comm_id)


def add_quarantine(tx: Tx, q: QuarantineItem) -> int:
    return tx.insert(
        "INSERT INTO quarantine_items (agency_id, case_id, warrant_id, communication_id, liid, "
        "operator, cin, reason, data_kind, first_seq, last_seq, records, vault_case, "
        "object_id, sha256, size, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            q.agency_id, q.case_id, q.warrant_id, q.communication_id, q.liid, q.operator, q.cin,
            q.reason, q.data_kind, q.first_seq, q.last_seq, q.records, q.vault_case,
            q.object_id, q.sha256, q.size, now_text(),
        ),
    )  # fmt: skip


def latest_for_key(tx: Tx, operator: str, liid: str, cin: int | None) -> Communication | None:
    """The newest communication of this (operator, LIID, CIN)."""
    if cin is None:
        sql = "SELECT * FROM communications WHERE operator = ? AND liid = ? AND cin IS NULL"
        params: tuple[Any, ...] = (operator, liid)
    else:
        sql = "SELECT * FROM communications WHERE operator = ? AND liid = ? AND cin = ?"
        params = (operator, liid, cin)
    row = tx.one(sql + " ORDER BY id DESC LIMIT 1", params)
    return None if row is None else Communication.from_row(row)


def open_comms(tx: Tx) -> list[Communication]:
    rows = tx.all("SELECT * FROM communications WHERE status = 'open' ORDER BY open_seq")
    return [Communication.from_row(r) for r in rows]


# --- reading -------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    begin_from: str | None = None
    begin_to: str | None = None
    party: str | None = None  # E.164
    kind: str | None = None
    status: str | None = None
    tag: str | None = None  # carrying this tag now (as stored: catalog.notes.tag_text)

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            raise InvalidInput(f"--kind {self.kind!r}: use one of {', '.join(KINDS)}")
        if self.status is not None and self.status not in STATUSES:
            raise InvalidInput(f"--status {self.status!r}: use one of {', '.join(STATUSES)}")


def of_case(tx: Tx, case_id: int, f: Filters) -> list[Communication]:
    """The case's communications (quarantined ones excluded), oldest first."""
    sql = "SELECT * FROM communications c WHERE c.case_id = ? AND c.quarantined = 0"
    params: list[Any] = [case_id]
    for clause, value in (
        (" AND c.begin_at >= ?", f.begin_from),
        (" AND c.begin_at <= ?", f.begin_to),
        (" AND c.kind = ?", f.kind),
        (" AND c.status = ?", f.status),
    ):
        if value is not None:
            sql += clause
            params.append(value)
    if f.party is not None:
        sql += (
            " AND EXISTS (SELECT 1 FROM comm_parties p "
            "WHERE p.communication_id = c.id AND p.e164 = ?)"
        )
        params.append(f.party)
    if f.tag is not None:
        sql += (
            " AND EXISTS (SELECT 1 FROM comm_tags t WHERE t.communication_id = c.id "
            "AND t.tag = ? AND t.removed_at IS NULL)"
        )
        params.append(f.tag)
    rows = tx.all(sql + " ORDER BY c.begin_at, c.id", params)
    return [Communication.from_row(r) for r in rows]


def get(tx: Tx, comm_id: int) -> Communication:
    row = tx.one("SELECT * FROM communications WHERE id = ?", (comm_id,))
    if row is None:
        raise NotFound(f"no communication {comm_id}", hint="`custodio comms list --case REF`")
    return Communication.from_row(row)


def parties_of(tx: Tx, comm_id: int) -> list[Party]:
    rows = tx.all(
        "SELECT role, delivered, e164, is_target, source FROM comm_parties "
        "WHERE communication_id = ? ORDER BY id",
        (comm_id,),
    )
    return [Party.from_row(r) for r in rows]


def locations_of(tx: Tx, comm_id: int) -> list[Location]:
    rows = tx.all(
        "SELECT cell, at FROM comm_locations WHERE communication_id = ? ORDER BY at, id",
        (comm_id,),
    )
    return [Location(r["cell"], r["at"]) for r in rows]


def products_of(tx: Tx, comm_id: int) -> list[Product]:
    rows = tx.all(
        "SELECT kind, direction, first_seq, last_seq, records, vault_case, object_id, sha256, "
        "size, details, superseded_at FROM comm_products WHERE communication_id = ? ORDER BY id",
        (comm_id,),
    )
    return [Product.from_row(r) for r in rows]


def quarantine_of_agency(tx: Tx, agency_id: int) -> list[HeldItem]:
    """The agency's held items and those no agency can be named for (unknown LIIDs)."""
    rows = tx.all(
        "SELECT * FROM quarantine_items WHERE (agency_id = ? OR agency_id IS NULL) "
        "AND released_at IS NULL AND destroyed_at IS NULL ORDER BY id",
        (agency_id,),
    )
    return [HeldItem.from_row(r) for r in rows]


def quarantine_item(tx: Tx, item_id: int) -> HeldItem:
    row = tx.one("SELECT * FROM quarantine_items WHERE id = ?", (item_id,))
    if row is None:
        raise NotFound(f"no quarantine item {item_id}", hint="`custodio quarantine list`")
    return HeldItem.from_row(row)


# --- the operator report -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeliveredPdus:
    """A ``pdus`` product (one assembly episode) with its communication's key."""

    communication_id: int
    operator: str
    liid: str
    cin: int | None
    records: int
    details: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class HeldDelivery:
    """A quarantine item, as the operator report counts it."""

    id: int
    operator: str
    liid: str
    reason: str
    data_kind: str
    records: int


def delivery_rows(
    tx: Tx, agency_id: int, operator: str | None, since: str | None
) -> tuple[list[DeliveredPdus], list[HeldDelivery]]:
    """The ``pdus`` products (with their communication's key) and the quarantine items of
    an agency's LIIDs and of LIIDs nobody registered, optionally of one operator, since."""
    where = ["(c.agency_id = ? OR c.agency_id IS NULL)"]
    params: list[Any] = [agency_id]
    if operator is not None:
        where.append("c.operator = ?")
        params.append(operator)
    if since is not None:
        where.append("c.created_at >= ?")
        params.append(since)
    products = tx.all(
        "SELECT c.id, c.operator, c.liid, c.cin, p.records, p.details FROM comm_products p "
        "JOIN communications c ON c.id = p.communication_id "
        f"WHERE p.kind = 'pdus' AND {' AND '.join(where)} ORDER BY c.id, p.id",
        params,
    )
    items = tx.all(
        "SELECT c.id, c.operator, c.liid, c.reason, c.data_kind, c.records FROM "
        f"quarantine_items c WHERE {' AND '.join(where)} ORDER BY c.id",
        params,
    )
    delivered = [
        DeliveredPdus(int(r["id"]), r["operator"], r["liid"], _opt_int(r["cin"]),
                      int(r["records"]), json.loads(r["details"]))
        for r in products
    ]  # fmt: skip
    held = [
        HeldDelivery(int(r["id"]), r["operator"], r["liid"], r["reason"], r["data_kind"],
                     int(r["records"]))
        for r in items
    ]  # fmt: skip
    return delivered, held


# --- quarantine decisions (migration 0005) --------------------------------------------


def request_release(tx: Tx, item_id: int, user_id: int, order: str) -> None:
    tx.execute(
        "UPDATE quarantine_items SET release_order = ?, release_requested_by = ?, "
        "release_requested_at = ? WHERE id = ?",
        (order, user_id, now_text(), item_id),
    )


def mark_released(tx: Tx, item_id: int, user_id: int) -> None:
    tx.execute(
        "UPDATE quarantine_items SET released_at = ?, released_by = ? WHERE id = ?",
        (now_text(), user_id, item_id),
    )


def mark_destroyed(tx: Tx, item_id: int, user_id: int, order: str) -> None:
    tx.execute(
        "UPDATE quarantine_items SET destroyed_at = ?, destroyed_by = ?, destroy_order = ? "
        "WHERE id = ?",
        (now_text(), user_id, order, item_id),
    )


def attribute_comm(tx: Tx, comm_id: int, agency_id: int, case_id: int, warrant_id: int) -> None:
    """A quarantined communication, released, becomes one of the case's."""
    tx.execute(
        "UPDATE communications SET agency_id = ?, case_id = ?, warrant_id = ?, quarantined = 0, "
        "updated_at = ? WHERE id = ?",
        (agency_id, case_id, warrant_id, now_text(), comm_id),
    )
