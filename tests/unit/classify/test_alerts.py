"""Alerts: content-free notifications in the run's transaction, POSTed to a real local
webhook (http.server in a thread); a webhook that fails never loses the notification."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from custodio.catalog import cases, comms, notifications, people
from custodio.classify import alerts
from custodio.db import Database, Tx, migrate
from custodio.errors import InvalidInput


class Hook:
    """A local webhook that answers each POST with the next status of ``statuses``."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append(
                    {"body": json.loads(body), "type": self.headers["Content-Type"]}
                )
                status = hook.statuses.pop(0) if hook.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/custodio"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def db(catalog_url: str) -> Iterator[Database]:
    with Database(catalog_url) as database:
        migrate.upgrade(database)
        yield database


def setup(db: Database) -> alerts.Outcome:
    def make(tx: Tx) -> alerts.Outcome:
        agency = people.create_agency(tx, "Policía Nacional")
        unit = people.create_unit(tx, agency, "UDYCO")
        case = cases.create(tx, agency=agency, unit=unit, reference="DP 9/2026", court="JI 3",
                            title="Niebla")  # fmt: skip
        comm = comms.insert_comm(tx, {
            "agency_id": agency, "case_id": case, "liid": "ES-LI-0001", "operator": "movistar",
            "cin": 7, "kind": "sms", "direction": "originating", "status": "complete",
            "reasons": [], "notes": [], "open_seq": 1, "last_seq": 1,
        })  # fmt: skip
        return alerts.Outcome(agency, case, comm, term_ids=[4, 2, 4], score=72.5,
                              alert_threshold=50.0)  # fmt: skip

    return db.write(make)


def test_a_hit_and_a_high_score_notify_the_case_with_ids_only(db: Database) -> None:
    outcome = setup(db)
    ids = db.write(lambda tx: alerts.raise_alerts(tx, outcome, webhook=False))
    notes = db.read(lambda tx: notifications.list_for_case(tx, outcome.case_id))
    assert [n.id for n in notes] == ids
    assert [n.kind for n in notes] == ["alert.watchlist", "alert.priority"]
    assert notes[0].detail == {"communication_id": outcome.communication_id, "term_ids": [2, 4]}
    assert notes[1].detail["score"] == 72.5
    assert all(n.webhook == "none" for n in notes)
    # the job ran again (its worker died after the commit): nothing is raised twice
    assert db.write(lambda tx: alerts.raise_alerts(tx, outcome, webhook=False)) == []
    more = alerts.Outcome(outcome.agency_id, outcome.case_id, outcome.communication_id,
                          [2, 4, 9], 72.5, 50.0)  # fmt: skip
    (again,) = db.write(lambda tx: alerts.raise_alerts(tx, more, webhook=False))
    assert db.read(lambda tx: notifications.get(tx, again)).detail["term_ids"] == [2, 4, 9]


def test_below_the_threshold_and_without_hits_nothing_is_raised(db: Database) -> None:
    o = setup(db)
    quiet = alerts.Outcome(o.agency_id, o.case_id, o.communication_id, [], 50.0, 50.0)
    assert db.write(lambda tx: alerts.raise_alerts(tx, quiet, webhook=True)) == []


def test_notification_detail_refuses_content(db: Database) -> None:
    o = setup(db)
    sentence = "the shipment arrives tonight at the port of Algeciras, bring the money"
    with pytest.raises(InvalidInput, match="not content"):
        db.write(lambda tx: notifications.add(tx, o.agency_id, o.case_id, "alert.watchlist",
                                              o.communication_id, {"words": sentence}))  # fmt: skip


def test_the_webhook_gets_a_json_post_without_content(db: Database) -> None:
    outcome = setup(db)
    hook = Hook([200, 200])
    try:
        db.write(lambda tx: alerts.raise_alerts(tx, outcome, webhook=True))
        done = alerts.deliver(db, hook.url, backoff=0.01)
    finally:
        hook.close()
    assert done == {"sent": 2, "pending": 0, "failed": 0}
    bodies = [r["body"] for r in hook.received]
    assert {r["type"] for r in hook.received} == {"application/json"}
    assert [b["event"] for b in bodies] == ["alert.watchlist", "alert.priority"]
    assert bodies[0]["case"] == "DP 9/2026"
    assert bodies[0]["communication_id"] == outcome.communication_id
    assert bodies[0]["detail"]["term_ids"] == [2, 4]
    notes = db.read(lambda tx: notifications.list_for_case(tx, outcome.case_id))
    assert [(n.webhook, n.webhook_attempts) for n in notes] == [("sent", 1), ("sent", 1)]


def test_a_failing_webhook_is_retried_recorded_and_never_loses_the_notification(
    db: Database,
) -> None:
    outcome = setup(db)
    hook = Hook([500, 503, 200, 500, 500, 500])  # first: fails twice then sent; second: fails
    try:
        db.write(lambda tx: alerts.raise_alerts(tx, outcome, webhook=True))
        done = alerts.deliver(db, hook.url, attempts=3, backoff=0.01)
    finally:
        hook.close()
    assert done == {"sent": 1, "pending": 0, "failed": 1}
    first, second = db.read(lambda tx: notifications.list_for_case(tx, outcome.case_id))
    assert (first.webhook, first.webhook_attempts, first.webhook_error) == ("sent", 3, None)
    assert (second.webhook, second.webhook_attempts) == ("failed", 3)
    assert second.webhook_error == "HTTP 500"
    assert len(hook.received) == 6


def test_an_unreachable_webhook_fails_cleanly(db: Database) -> None:
    outcome = setup(db)
    hook = Hook([])
    url = hook.url
    hook.close()  # nobody listens there any more
    db.write(lambda tx: alerts.raise_alerts(tx, outcome, webhook=True))
    done = alerts.deliver(db, url, attempts=2, backoff=0.01, timeout=2)
    assert done["failed"] == 2
    notes = db.read(lambda tx: notifications.list_for_case(tx, outcome.case_id))
    assert all(n.webhook_error and n.webhook_error.startswith("unreachable") for n in notes)
