"""`custodio watchlist`, `case tuning`, `alerts` and `interpreter` through the API, as the
people of a case use them (in-process against the line's served service)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from custodio.classify import pipeline
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
    """SQLite only: the commands do not depend on the backend."""
    return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"


@pytest.mark.slow
def test_a_watch_list_term_found_raises_an_alert(line: Line, custodio: Custodio) -> None:
    out = ok(custodio("inv1", "watchlist", "add", "garaje", "--case", CASE))
    term = out.split()[1]
    assert out == f"term {term} added to the watch-list of {CASE!r}\n"
    number = ok(custodio("inv1", "watchlist", "add", "+34 600 999 000", "--case", CASE,
                         "--kind", "number")).split()[1]  # fmt: skip
    table = ok(custodio("inv1", "watchlist", "list", "--case", CASE)).splitlines()
    assert table[0].split() == ["ID", "KIND", "TEXT", "ADDED_BY", "ADDED_AT", "REMOVED_AT"]
    assert [row.split()[:4] for row in table[1:]] == [
        [term, "term", "garaje", "inv1"], [number, "number", "+34", "600"]]  # fmt: skip

    line.deliver(calls=0, sms=1, sms_texts=("Lo dejé todo en el garaje.",))
    line.assemble()
    (comm,) = line.rows("SELECT id FROM communications WHERE kind = 'sms'")
    svc = line.world.svc
    pipeline.classify(svc.config, svc.db, line.vault, int(comm["id"]))
    table = ok(custodio("inv1", "alerts", "list", "--case", CASE)).splitlines()
    assert table[0].split() == ["ID", "CASE", "KIND", "COMMUNICATION_ID", "DETAIL",
                                "CREATED_AT", "WEBHOOK"]  # fmt: skip
    (alert,) = [row for row in table[1:] if "alert.watchlist" in row]
    assert f" {comm['id']} " in alert and "{" in alert  # the detail, as JSON
    assert "garaje" not in alert  # never content
    refused(custodio("inv2", "alerts", "list", "--case", CASE), 5, "not assigned")

    removed = ok(custodio("inv1", "watchlist", "remove", term, "--case", CASE))
    assert removed == f"term {term} removed from the watch-list of {CASE!r}\n"
    listed = json.loads(ok(custodio("inv1", "watchlist", "list", "--case", CASE, "--json")))
    assert [t["id"] for t in listed] == [int(number)]
    every = json.loads(ok(custodio("inv1", "watchlist", "list", "--case", CASE, "--removed",
                                   "--json")))  # fmt: skip
    assert {t["id"]: t["removed_at"] is not None for t in every} == {
        int(term): True, int(number): False}  # fmt: skip
    refused(custodio("inv1", "watchlist", "remove", "999", "--case", CASE), 6, "999")


def test_tuning_shown_and_changed(custodio: Custodio) -> None:
    shown = ok(custodio("inv1", "case", "tuning", "--case", CASE)).splitlines()
    assert "match_threshold: 88" in shown and "weights:" in shown
    assert "  night: 10" in shown
    args = ["--case", CASE, "--match-threshold", "92", "--weight", "night=0"]
    changed = ok(custodio("inv1", "case", "tuning", *args)).splitlines()
    assert "match_threshold: 92" in changed and "  night: 0" in changed
    refused(custodio("inv1", "case", "tuning", "--case", CASE, "--weight", "night"), 2,
            "write factor=number")  # fmt: skip
    refused(custodio("inv1", "case", "tuning", "--case", CASE, "--match-threshold", "20"), 2,
            "match_threshold")  # fmt: skip


def test_the_interpreter_queue(custodio: Custodio) -> None:
    assert ok(custodio("inv1", "interpreter", "queue")) == "(none)\n"
    assert json.loads(ok(custodio("inv1", "interpreter", "queue", "--language", "en",
                                  "--json"))) == []  # fmt: skip
    assert ok(custodio("inv1", "alerts", "list")) == "(none)\n"
    refused(custodio("admin", "interpreter", "queue"), 5, "may not")
