"""The classification commands as a user runs them (the `custodio` entry point with its one
error handler, run in-process: a process per command would cost seconds of imports each),
with the policy: someone outside the case is refused and audited; only a judge decides
privilege."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from custodio.access import casework
from custodio.classify import pipeline, watchlist
from custodio.client.main import cli
from tests.integration.assemble.conftest import Line
from tests.integration.cli_in_process import (
    Custodio,
    ok,
    refused,
    service_url,  # noqa: F401 (a fixture)
)
from tests.integration.conftest import CASE


@pytest.fixture
def catalog_url(tmp_path: Path) -> str:
    """SQLite only: the policy does not depend on the backend (test_pipeline runs both)."""
    return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"


@pytest.mark.slow
def test_labels_review_privilege_and_alerts_through_the_commands(
    line: Line, custodio: Custodio
) -> None:
    out = ok(custodio("inv1", "watchlist", "add", "garaje", "--case", CASE))
    assert "added to the watch-list" in out
    line.deliver(calls=0, sms=1, sms_texts=("Hablé con mi abogado: todo está en el garaje.",))
    line.assemble()
    (comm,) = line.rows("SELECT id FROM communications WHERE kind = 'sms'")
    comm_id = str(comm["id"])
    svc = line.world.svc
    pipeline.classify(svc.config, svc.db, line.vault, int(comm_id))

    shown = json.loads(ok(custodio("inv1", "comms", "labels", comm_id, "--json",
                                   "--purpose", "review of the day's messages")))  # fmt: skip
    kinds = {row["kind"]: row for row in shown}
    assert {"watchlist", "privilege", "language", "priority"} <= set(kinds)
    assert (
        kinds["watchlist"]["text"] == "garaje."
        and kinds["watchlist"]["source"] == f"watchlist/{watchlist.VERSION}#exact"
    )

    refused(custodio("inv1", "comms", "labels", comm_id), 5, "needs a purpose")
    refused(custodio("inv2", "comms", "labels", comm_id, "--purpose", "curiosity"), 5,
            "not assigned to this case")  # fmt: skip
    (denied,) = line.rows("SELECT * FROM audit_entries WHERE actor = 'inv2' AND outcome = 'denied'")
    assert (denied["action"], denied["target"]) == ("content.read", f"communication:{comm_id}")

    hit = str(kinds["watchlist"]["id"])
    ok(custodio("inv1", "labels", "overrule", hit, "--note", "a different garage"))
    again = json.loads(ok(custodio("inv1", "comms", "labels", comm_id, "--json",
                                   "--purpose", "check")))  # fmt: skip
    (kept,) = [r for r in again if r["id"] == int(hit)]
    assert (kept["review"], kept["reviewed_by"], kept["review_note"]) == (
        "overruled", "inv1", "a different garage")  # fmt: skip

    alerts = json.loads(ok(custodio("inv1", "alerts", "list", "--json")))
    assert [(a["kind"], a["communication_id"]) for a in alerts] == [
        ("alert.watchlist", int(comm_id))
    ]
    assert "garaje" not in json.dumps(alerts)

    flag = str(kinds["privilege"]["id"])
    refused(custodio("inv1", "privilege", "decide", flag, "--seal", "--purpose", "x"), 5,
            "may not privilege.decide")  # fmt: skip
    casework.assign(svc, line.world.as_("wo"), CASE, "judge", None)
    listed = json.loads(ok(custodio("judge", "privilege", "list", "--case", CASE, "--json")))
    assert [(r["label"], r["communication"], r["rule"]) for r in listed] == [
        (int(flag), int(comm_id), "phrase")]  # fmt: skip
    assert "abogado" not in json.dumps(listed)
    refused(custodio("judge", "privilege", "decide", flag, "--seal"), 5, "needs a purpose")
    out = ok(custodio("judge", "privilege", "decide", flag, "--seal", "--purpose",
                      "auto de 29/11: conversación con su letrado"))  # fmt: skip
    assert f"communication {comm_id} sealed" in out
    assert line.rows("SELECT sealed FROM communications WHERE id = ?", (int(comm_id),)) == [
        {"sealed": 1}]  # fmt: skip
    (entry,) = line.rows(
        "SELECT * FROM audit_entries WHERE action = 'privilege.decide' AND outcome = 'allowed'"
    )  # the command's session ended after it
    assert (entry["actor"], entry["purpose"]) == (
        "judge", "auto de 29/11: conversación con su letrado")  # fmt: skip
    refused(custodio("inv1", "comms", "labels", comm_id, "--purpose", "check"), 5, "sealed")


def test_tuning_and_watchlist_errors_are_one_line(custodio: Custodio) -> None:
    refused(custodio("inv1", "case", "tuning", "--case", CASE, "--weight", "colour=3"), 2,
            "unknown priority factor")  # fmt: skip
    refused(custodio("inv1", "watchlist", "add", "x", "--case", CASE, "--kind", "number"),
            2, "has no digits")  # fmt: skip
    args = ["--case", CASE, "--weight", "watchlist=35", "--alert-threshold", "70", "--json"]
    tuned = json.loads(ok(custodio("inv1", "case", "tuning", *args)))
    assert tuned["weights"]["watchlist"] == 35 and tuned["weights"]["night"] == 10
    assert tuned["alert_threshold"] == 70 and tuned["match_threshold"] == 88
    refused(custodio("inv2", "watchlist", "list", "--case", CASE), 5, "not assigned")


def test_every_classification_command_has_help() -> None:
    runner = CliRunner()
    for path in (["comms", "labels"], ["comms", "transcript"], ["labels", "confirm"],
                 ["labels", "overrule"], ["labels", "intimate"], ["watchlist", "add"],
                 ["watchlist", "remove"], ["watchlist", "list"], ["case", "tuning"],
                 ["privilege", "list"], ["privilege", "decide"], ["alerts", "list"],
                 ["interpreter", "queue"]):  # fmt: skip
        done = runner.invoke(cli, [*path, "--help"])
        assert done.exit_code == 0 and done.output.startswith("Usage:"), (path, done.output)
