"""Alerts: a watch-list hit or a high review priority tells the case's investigators.

:func:`raise_alerts` runs inside the transaction that stores a classification run's
labels, so the notification commits with the labels or not at all. It carries the
communication id and the ids of the terms hit, or the score — never the words said or
matched: a notification may leave the evidence boundary (a webhook, a phone).

After the commit, :func:`deliver` POSTs every pending notification as JSON to the
agency's webhook (setting ``alerts_webhook_url``) with the standard library's urllib, a
timeout, and a few attempts with back-off; each attempt is recorded in the row
(``webhook``, ``webhook_attempts``, ``webhook_error``). A webhook that is down never
fails the job and never loses the notification: the row stays, ``failed`` after the last
attempt, and the workspace shows it regardless (``custodio alerts list``).

Latency: assembly queues the job when the call closes (the ``comm.closed`` transaction);
the executor picks it up at once, and the alert is written in the job's transaction —
so "within a minute of the call closing" is the job's own run time, chiefly speech-to-
text (docs/classification.md, "Alerts").
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from custodio.catalog import cases, notifications
from custodio.db import Database, Tx

log = logging.getLogger(__name__)

WEBHOOK_ATTEMPTS = 3
WEBHOOK_TIMEOUT_S = 5.0
WEBHOOK_BACKOFF_S = 0.5  # doubled after each failed attempt


@dataclass(frozen=True)
class Outcome:
    """What one classification run found that may be worth an alert."""

    agency_id: int
    case_id: int
    communication_id: int
    term_ids: Sequence[int]
    score: float
    alert_threshold: float


def raise_alerts(tx: Tx, outcome: Outcome, *, webhook: bool) -> list[int]:
    """Add the run's notifications (at most one of each kind); their ids.

    A job may run twice (its worker died after the commit): an alert the communication
    already has, with the same detail, is not raised again. A later run that finds
    something else (an amended call, a new term) does raise a new one.
    """
    wanted: list[tuple[str, dict[str, Any]]] = []
    if outcome.term_ids:
        wanted.append(("alert.watchlist", {"communication_id": outcome.communication_id,
                                           "term_ids": sorted(set(outcome.term_ids))}))  # fmt: skip
    if outcome.score > outcome.alert_threshold:
        wanted.append(("alert.priority", {"communication_id": outcome.communication_id,
                                          "score": outcome.score,
                                          "threshold": outcome.alert_threshold}))  # fmt: skip
    ids = []
    for kind, detail in wanted:
        earlier = notifications.of_communication(tx, outcome.communication_id, kind)
        if any(n.detail == detail for n in earlier):
            continue
        ids.append(
            notifications.add(
                tx,
                outcome.agency_id,
                outcome.case_id,
                kind,
                outcome.communication_id,
                detail,
                webhook=webhook,
            )
        )
    return ids


def payload(note: notifications.Notification, case_reference: str) -> bytes:
    """The JSON body POSTed: the event, its case and communication ids, no content."""
    body = {"event": note.kind, "case": case_reference, **note.public()}
    return json.dumps(body, sort_keys=True, ensure_ascii=False).encode()


def post(url: str, body: bytes, *, timeout: float = WEBHOOK_TIMEOUT_S) -> None:
    """One POST; raises OSError (URLError, HTTPError, timeout) when it is not a 2xx."""
    if not url.startswith(("http://", "https://")):
        raise ValueError("the webhook URL must be http:// or https://")
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "custodio-alerts"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        if not 200 <= response.status < 300:
            raise urllib.error.HTTPError(url, response.status, "not 2xx", response.headers, None)


def deliver(
    db: Database,
    url: str,
    *,
    attempts: int = WEBHOOK_ATTEMPTS,
    backoff: float = WEBHOOK_BACKOFF_S,
    timeout: float = WEBHOOK_TIMEOUT_S,
) -> dict[str, int]:
    """POST every pending notification; record each attempt. Counts by final state."""
    done = {"sent": 0, "pending": 0, "failed": 0}
    if not url:
        return done
    for note in db.read(notifications.pending_webhooks):
        state = _deliver_one(db, url, note, attempts=attempts, backoff=backoff, timeout=timeout)
        done[state] += 1
    return done


def _deliver_one(
    db: Database,
    url: str,
    note: notifications.Notification,
    *,
    attempts: int,
    backoff: float,
    timeout: float,
) -> str:
    reference = db.read(lambda tx: cases.by_id(tx, note.case_id).reference)
    body = payload(note, reference)
    tried = note.webhook_attempts
    delay = backoff
    while True:
        error: str | None = None
        try:
            post(url, body, timeout=timeout)
        except (OSError, ValueError) as e:  # URLError, HTTPError, timeouts, a bad URL
            error = _describe(e)
        tried += 1
        give_up = error is not None and tried >= attempts
        _record_attempt(db, note.id, error, give_up)
        if error is None:
            return "sent"
        log.warning("alert %d: webhook attempt %d failed: %s", note.id, tried, error)
        if give_up:
            return "failed"
        time.sleep(delay)
        delay *= 2


def _record_attempt(db: Database, note_id: int, error: str | None, give_up: bool) -> None:
    db.write(
        lambda tx: notifications.webhook_attempted(
            tx, note_id, ok=error is None, error=error, give_up=give_up
        )
    )


def _describe(e: BaseException) -> str:
    if isinstance(e, urllib.error.HTTPError):
        return f"HTTP {e.code}"
    if isinstance(e, urllib.error.URLError):
        return f"unreachable: {e.reason}"[:200]
    return f"{type(e).__name__}: {e}"[:200]
