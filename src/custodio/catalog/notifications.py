"""Notifications: events the workspace shows to a case's investigators.

Schema in ``db/migrations/0006_classification.sql``. A notification says *that* something
happened (a target's call started, a watch-list hit, a high review priority) and *where*
(the case, the communication id), never *what was said*: ``detail`` holds identifiers and
numbers only (term ids, a score), so a notification may travel to a webhook outside the
evidence boundary. :func:`add` enforces that shape.

A notification that is to be POSTed to the agency's webhook starts in state ``pending``;
the sender (``custodio.classify.alerts``) records each attempt with
:func:`webhook_attempted`. The row itself is never deleted, whatever the webhook does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from custodio.db import Tx
from custodio.db.engine import Row
from custodio.db.times import now_text
from custodio.errors import InvalidInput, NotFound

KINDS = ("call.started", "alert.watchlist", "alert.priority")
WEBHOOK_STATES = ("none", "pending", "sent", "failed")

# A string in detail is an identifier (a direction, a LIID, an engine name), never text
# from a communication; the cap keeps a sentence from slipping in by mistake.
MAX_DETAIL_STRING = 64


@dataclass(frozen=True)
class Notification:
    id: int
    agency_id: int
    case_id: int
    communication_id: int | None
    kind: str
    detail: dict[str, Any]
    created_at: str
    webhook: str
    webhook_attempts: int
    webhook_error: str | None

    @classmethod
    def from_row(cls, row: Row) -> Notification:
        return cls(
            id=int(row["id"]),
            agency_id=int(row["agency_id"]),
            case_id=int(row["case_id"]),
            communication_id=(
                None if row["communication_id"] is None else int(row["communication_id"])
            ),
            kind=row["kind"],
            detail=json.loads(row["detail"]),
            created_at=row["created_at"],
            webhook=row["webhook"],
            webhook_attempts=int(row["webhook_attempts"]),
            webhook_error=row["webhook_error"],
        )

    def public(self) -> dict[str, Any]:
        """The event as the workspace and the webhook see it (no agency-internal state)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "communication_id": self.communication_id,
            "detail": self.detail,
            "created_at": self.created_at,
        }


def add(
    tx: Tx,
    agency_id: int,
    case_id: int,
    kind: str,
    communication_id: int | None,
    detail: Mapping[str, Any],
    *,
    webhook: bool = False,
) -> int:
    """Store an event for the case; ``webhook`` marks it for the agency's webhook."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown notification kind {kind!r}", hint=f"one of {KINDS}")
    _check_detail(detail)
    return tx.insert(
        "INSERT INTO notifications (agency_id, case_id, communication_id, kind, detail, "
        "created_at, webhook) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            agency_id,
            case_id,
            communication_id,
            kind,
            json.dumps(dict(detail), sort_keys=True),
            now_text(),
            "pending" if webhook else "none",
        ),
    )


def _check_detail(detail: Mapping[str, Any]) -> None:
    for key, value in detail.items():
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if item is None or isinstance(item, bool | int | float):
                continue
            if isinstance(item, str) and len(item) <= MAX_DETAIL_STRING:
                continue
            raise InvalidInput(
                f"notification detail {key!r} must hold identifiers or numbers, not content"
            )


def get(tx: Tx, notification_id: int) -> Notification:
    row = tx.one("SELECT * FROM notifications WHERE id = ?", (notification_id,))
    if row is None:
        raise NotFound(f"no notification {notification_id}")
    return Notification.from_row(row)


def of_communication(tx: Tx, communication_id: int, kind: str) -> list[Notification]:
    rows = tx.all(
        "SELECT * FROM notifications WHERE communication_id = ? AND kind = ? ORDER BY id",
        (communication_id, kind),
    )
    return [Notification.from_row(r) for r in rows]


def list_for_case(
    tx: Tx,
    case_id: int,
    *,
    after_id: int = 0,
    kinds: Sequence[str] | None = None,
    limit: int = 500,
) -> list[Notification]:
    """The case's events, oldest first; ``after_id`` gives only newer ones (polling)."""
    return list_for_cases(tx, [case_id], after_id=after_id, kinds=kinds, limit=limit)


def list_for_cases(
    tx: Tx,
    case_ids: Sequence[int],
    *,
    after_id: int = 0,
    kinds: Sequence[str] | None = None,
    limit: int = 500,
) -> list[Notification]:
    if not case_ids:
        return []
    sql = (
        f"SELECT * FROM notifications WHERE case_id IN ({', '.join('?' for _ in case_ids)}) "
        "AND id > ?"
    )
    params: list[Any] = [*case_ids, after_id]
    if kinds:
        sql += f" AND kind IN ({', '.join('?' for _ in kinds)})"
        params.extend(kinds)
    sql += " ORDER BY id LIMIT ?"
    params.append(limit)
    return [Notification.from_row(r) for r in tx.all(sql, params)]


def pending_webhooks(tx: Tx, *, limit: int = 100) -> list[Notification]:
    rows = tx.all(
        "SELECT * FROM notifications WHERE webhook = 'pending' ORDER BY id LIMIT ?", (limit,)
    )
    return [Notification.from_row(r) for r in rows]


def webhook_attempted(
    tx: Tx, notification_id: int, *, ok: bool, error: str | None, give_up: bool
) -> None:
    """Record one POST attempt: sent, still pending (retry later), or failed for good."""
    state = "sent" if ok else ("failed" if give_up else "pending")
    tx.execute(
        "UPDATE notifications SET webhook = ?, webhook_attempts = webhook_attempts + 1, "
        "webhook_error = ? WHERE id = ?",
        (state, None if ok else error, notification_id),
    )
