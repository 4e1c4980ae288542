"""Warrants, their extensions, the targets they name and the LIIDs bound to them.

A warrant authorises interception of its targets from ``valid_from`` to ``valid_until``
for the kinds of data in its scope (LECrim 588 ter d: content, traffic data, location).
Each extension adds a window of its own. For one investigated person, every authorisation
together may not reach past 18 months from the first one's start (LECrim 588 ter g).
The status (pending, active, extended, expired, revoked) is derived, never stored.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime

from custodio.catalog.cases import Case
from custodio.catalog.identifiers import Identifier
from custodio.catalog.people import required
from custodio.db import Tx
from custodio.db.engine import Row
from custodio.db.times import from_text, now_text, to_text
from custodio.errors import Conflict, DecodeError, InvalidInput, NotFound
from custodio.etsi import names

MAX_MONTHS = 18
SCOPES = ("content", "traffic", "location")


@dataclass(frozen=True)
class Span:
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Extension:
    """A court's order extending a warrant (times as stored: UTC text)."""

    order_reference: str
    judge: str
    valid_from: str
    valid_until: str

    @property
    def span(self) -> Span:
        return Span(from_text(self.valid_from), from_text(self.valid_until))


@dataclass(frozen=True, slots=True)
class BoundLiid:
    """An LIID (at one operator) bound to a warrant."""

    liid: str
    operator: str


@dataclass(frozen=True)
class Warrant:
    id: int
    case_id: int
    reference: str
    court: str
    judge: str
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime
    scope: frozenset[str]
    revoked_at: datetime | None
    revoke_reason: str | None
    extensions: tuple[Extension, ...] = ()
    targets: tuple[Identifier, ...] = ()
    liids: tuple[BoundLiid, ...] = ()

    @property
    def spans(self) -> list[Span]:
        """The windows it authorises, cut at its revocation."""
        spans = [Span(self.valid_from, self.valid_until)]
        spans += [e.span for e in self.extensions]
        if self.revoked_at is None:
            return spans
        cut = self.revoked_at
        return [Span(s.start, min(s.end, cut)) for s in spans if s.start < cut]

    @property
    def end(self) -> datetime:
        spans = self.spans
        return max(s.end for s in spans) if spans else self.valid_from

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if now > self.end:
            return "expired"
        if now < self.valid_from:
            return "pending"
        return "extended" if self.extensions else "active"

    def live(self, now: datetime) -> bool:
        return self.status(now) in ("pending", "active", "extended")

    def public(self, now: datetime) -> dict[str, object]:
        return {
            "reference": self.reference,
            "court": self.court,
            "judge": self.judge,
            "issued_at": to_text(self.issued_at),
            "valid_from": to_text(self.valid_from),
            "valid_until": to_text(self.end),
            "scope": sorted(self.scope),
            "status": self.status(now),
            "targets": [str(t) for t in self.targets],
            "extensions": [
                {
                    "order_reference": e.order_reference,
                    "judge": e.judge,
                    "valid_from": e.valid_from,
                    "valid_until": e.valid_until,
                }
                for e in self.extensions
            ],
            "liids": [{"liid": li.liid, "operator": li.operator} for li in self.liids],
            "revoked_at": to_text(self.revoked_at) if self.revoked_at else None,
            "revoke_reason": self.revoke_reason,
        }


@dataclass(frozen=True)
class NewWarrant:
    reference: str
    court: str
    judge: str
    issued_at: datetime
    valid_from: datetime
    valid_until: datetime
    scope: frozenset[str]
    targets: tuple[Identifier, ...]
    liids: tuple[tuple[str, str], ...] = field(default=())  # (LIID, operator)


def parse_scope(text: str) -> frozenset[str]:
    kinds = frozenset(s.strip().lower() for s in text.split(",") if s.strip())
    unknown = kinds - set(SCOPES)
    if not kinds or unknown:
        raise InvalidInput(
            f"scope {text!r} is not a list of {', '.join(SCOPES)}",
            hint="e.g. --scope content,traffic,location",
        )
    return kinds


def create(tx: Tx, case: Case, new: NewWarrant, now: datetime) -> int:
    _check_span(new.valid_from, new.valid_until, "warrant")
    if new.issued_at > new.valid_from:
        raise InvalidInput("a warrant cannot be valid before it was issued")
    if not new.targets:
        raise InvalidInput("a warrant names at least one target", hint="add --target TYPE:VALUE")
    if tx.one(
        "SELECT id FROM warrants WHERE case_id = ? AND reference = ?", (case.id, new.reference)
    ):
        raise Conflict(f"warrant {new.reference!r} already exists in case {case.reference!r}")
    target_ids = [_target_for(tx, case, ident) for ident in new.targets]
    for target_id in target_ids:
        _check_18_months(tx, target_id, Span(new.valid_from, new.valid_until))
    warrant_id = tx.insert(
        "INSERT INTO warrants (case_id, court, judge, reference, issued_at, valid_from, "
        "valid_until, scope_content, scope_traffic, scope_location, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            case.id,
            required("court", new.court),
            required("judge", new.judge),
            required("warrant reference", new.reference),
            to_text(new.issued_at),
            to_text(new.valid_from),
            to_text(new.valid_until),
            int("content" in new.scope),
            int("traffic" in new.scope),
            int("location" in new.scope),
            now_text(),
        ),
    )
    for target_id in target_ids:
        tx.execute(
            "INSERT INTO warrant_targets (warrant_id, target_id) VALUES (?, ?)",
            (warrant_id, target_id),
        )
    for liid, operator in new.liids:
        bind_liid(tx, get_by_id(tx, warrant_id), liid, operator, now)
    return warrant_id


def extend(
    tx: Tx,
    warrant: Warrant,
    *,
    order_reference: str,
    judge: str,
    valid_from: datetime | None,
    valid_until: datetime,
    now: datetime,
) -> None:
    if not warrant.live(now):
        raise Conflict(
            f"warrant {warrant.reference!r} is {warrant.status(now)} and cannot be extended",
            hint="a new court order needs a new warrant (`custodio warrant add`)",
        )
    start = valid_from or warrant.end
    _check_span(start, valid_until, "extension")
    if start > warrant.end:
        raise InvalidInput(
            f"the extension starts {to_text(start)}, after the warrant ends {to_text(warrant.end)}",
            hint="an extension continues a warrant; a gap needs a new warrant",
        )
    for target_id in _target_ids(tx, warrant.id):
        _check_18_months(tx, target_id, Span(start, valid_until))
    tx.execute(
        "INSERT INTO warrant_extensions (warrant_id, order_reference, judge, valid_from, "
        "valid_until, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (
            warrant.id,
            required("order reference", order_reference),
            required("judge", judge),
            to_text(start),
            to_text(valid_until),
            now_text(),
        ),
    )


def revoke(tx: Tx, warrant: Warrant, reason: str, now: datetime) -> None:
    if warrant.revoked_at is not None:
        raise Conflict(f"warrant {warrant.reference!r} is already revoked")
    tx.execute(
        "UPDATE warrants SET revoked_at = ?, revoke_reason = ? WHERE id = ?",
        (to_text(now), required("reason", reason), warrant.id),
    )


def bind_liid(tx: Tx, warrant: Warrant, liid: str, operator: str, now: datetime) -> None:
    liid, operator = required("LIID", liid), required("operator", operator)
    _name("LIID", liid, 25)
    _name("operator", operator, 16)
    rows = tx.all("SELECT warrant_id FROM liids WHERE liid = ? AND operator = ?", (liid, operator))
    for row in rows:
        other = get_by_id(tx, int(row["warrant_id"]))
        if other.live(now):
            where = "this warrant" if other.id == warrant.id else "another live warrant"
            raise Conflict(
                f"LIID {liid!r} at operator {operator!r} is already bound to {where}",
                hint="revoke that warrant first, or ask the operator for a new LIID",
            )
    tx.execute(
        "INSERT INTO liids (warrant_id, liid, operator, created_at) VALUES (?, ?, ?, ?)",
        (warrant.id, liid, operator, now_text()),
    )


def _name(what: str, name: str, most: int) -> None:
    """A LIID or operator identifier as the handover names it (:mod:`custodio.etsi.names`:
    the text of its octets, ``\\xHH`` for what is not text), of 1..``most`` octets."""
    try:
        raw = names.octets(name, what)
    except DecodeError as e:
        raise InvalidInput(str(e), hint=f"the {what} as the operator sends it") from e
    if not 1 <= len(raw) <= most:
        raise InvalidInput(f"{what} {name!r} is {len(raw)} octets", hint=f"1 to {most}")


def get(tx: Tx, case: Case, reference: str) -> Warrant:
    row = tx.one("SELECT * FROM warrants WHERE case_id = ? AND reference = ?", (case.id, reference))
    if row is None:
        raise NotFound(f"no warrant {reference!r} in case {case.reference!r}")
    return _load(tx, row)


def get_by_id(tx: Tx, warrant_id: int) -> Warrant:
    row = tx.one("SELECT * FROM warrants WHERE id = ?", (warrant_id,))
    if row is None:
        raise NotFound(f"no warrant with id {warrant_id}")
    return _load(tx, row)


def of_case(tx: Tx, case: Case) -> list[Warrant]:
    rows = tx.all("SELECT * FROM warrants WHERE case_id = ? ORDER BY valid_from, id", (case.id,))
    return [_load(tx, r) for r in rows]


def _load(tx: Tx, row: Row) -> Warrant:
    wid = int(row["id"])
    extensions = tx.all(
        "SELECT * FROM warrant_extensions WHERE warrant_id = ? ORDER BY valid_from, id", (wid,)
    )
    targets = tx.all(
        "SELECT i.kind, i.value FROM warrant_targets wt JOIN target_identifiers i "
        "ON i.target_id = wt.target_id WHERE wt.warrant_id = ? ORDER BY i.kind, i.value",
        (wid,),
    )
    liids = tx.all("SELECT * FROM liids WHERE warrant_id = ? ORDER BY id", (wid,))
    return Warrant(
        id=wid,
        case_id=int(row["case_id"]),
        reference=row["reference"],
        court=row["court"],
        judge=row["judge"],
        issued_at=from_text(row["issued_at"]),
        valid_from=from_text(row["valid_from"]),
        valid_until=from_text(row["valid_until"]),
        scope=frozenset(k for k in SCOPES if row[f"scope_{k}"]),
        revoked_at=from_text(row["revoked_at"]) if row["revoked_at"] else None,
        revoke_reason=row["revoke_reason"],
        extensions=tuple(
            Extension(e["order_reference"], e["judge"], e["valid_from"], e["valid_until"])
            for e in extensions
        ),
        targets=tuple(Identifier(t["kind"], t["value"]) for t in targets),
        liids=tuple(BoundLiid(li["liid"], li["operator"]) for li in liids),
    )


def _target_for(tx: Tx, case: Case, ident: Identifier) -> int:
    """The case's target holding this identifier, created if it is new."""
    row = tx.one(
        "SELECT t.id FROM targets t JOIN target_identifiers i ON i.target_id = t.id "
        "WHERE t.case_id = ? AND i.kind = ? AND i.value = ?",
        (case.id, ident.kind, ident.value),
    )
    if row is not None:
        return int(row["id"])
    target_id = tx.insert(
        "INSERT INTO targets (case_id, name, created_at) VALUES (?, ?, ?)",
        (case.id, str(ident), now_text()),
    )
    tx.execute(
        "INSERT INTO target_identifiers (target_id, kind, value) VALUES (?, ?, ?)",
        (target_id, ident.kind, ident.value),
    )
    return target_id


def _target_ids(tx: Tx, warrant_id: int) -> list[int]:
    rows = tx.all("SELECT target_id FROM warrant_targets WHERE warrant_id = ?", (warrant_id,))
    return [int(r["target_id"]) for r in rows]


def _check_span(start: datetime, end: datetime, what: str) -> None:
    if end <= start:
        raise InvalidInput(
            f"the {what} ends ({to_text(end)}) before it starts ({to_text(start)})",
            hint="check --from and --until",
        )


def _check_18_months(tx: Tx, target_id: int, new: Span) -> None:
    rows = tx.all("SELECT warrant_id FROM warrant_targets WHERE target_id = ?", (target_id,))
    spans = [new] + [s for r in rows for s in get_by_id(tx, int(r["warrant_id"])).spans]
    first = min(s.start for s in spans)
    limit = add_months(first, MAX_MONTHS)
    last = max(s.end for s in spans)
    if last > limit:
        name = tx.scalar("SELECT name FROM targets WHERE id = ?", (target_id,))
        raise InvalidInput(
            f"interception of {name} would last until {to_text(last)}, past the "
            f"{MAX_MONTHS}-month limit that ends {to_text(limit)} (first authorised "
            f"{to_text(first)})",
            hint="LECrim 588 ter g allows at most 18 months in total for one investigated person",
        )


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` later (clamped to the month's last day)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)
