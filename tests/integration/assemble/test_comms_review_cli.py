"""`custodio comms list|show|seal`, `labels intimate|confirm` and `quarantine
list|show|release|approve|destroy` as users run them: in-process through ``main()``,
against the line's served API, with no vault passphrase (only the service reads the
vault)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.assemble.conftest import Line, add_warrant
from tests.integration.cli_in_process import (
    Custodio,
    ok,
    refused,
    service_url,  # noqa: F401 (a fixture)
)
from tests.integration.conftest import CASE

UNKNOWN = "ES-LIID-0001"  # the simulator's second LIID: nobody bound it


@pytest.fixture
def catalog_url(tmp_path: Path) -> str:
    """SQLite only: the commands' plumbing does not depend on the backend."""
    return f"sqlite:///{tmp_path / 'catalog.sqlite3'}"


@pytest.fixture(autouse=True)
def no_passphrase(monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]) -> None:
    monkeypatch.delenv("CUSTODIO_VAULT_PASSPHRASE")


def test_list_show_seal_and_an_intimate_passage(line: Line, custodio: Custodio) -> None:
    line.deliver(profile="voip", calls=1, duration=1.0)
    line.assemble()
    (row,) = line.rows("SELECT id FROM communications WHERE kind = 'voice'")
    comm = str(row["id"])
    listed = json.loads(ok(custodio("inv1", "comms", "list", "--case", CASE, "--json")))
    assert [r["id"] for r in listed] == [int(comm)]
    table = ok(custodio("inv1", "comms", "list", "--case", CASE, "--kind", "voice"))
    assert table.splitlines()[0].split() == ["ID", "KIND", "DIRECTION", "STATUS", "BEGIN_AT",
                                             "END_AT", "OUTCOME"]  # fmt: skip
    assert ok(custodio("inv1", "comms", "list", "--case", CASE, "--kind", "sms")) == "(none)\n"
    refused(custodio("inv1", "comms", "list", "--case", CASE, "--from", "yesterday-ish"), 2,
            "yesterday-ish")  # fmt: skip
    refused(custodio("inv2", "comms", "list", "--case", CASE), 5, "not assigned")

    shown = ok(custodio("inv1", "comms", "show", comm))
    assert f"id: {comm}" in shown.splitlines()
    assert (f"  audio (target): custodio comms audio {comm} --direction target -o FILE.wav "
            "--purpose TEXT") in shown.splitlines()  # fmt: skip
    refused(custodio("inv1", "comms", "show", "999999"), 6, "")

    sealed = ok(custodio("inv1", "comms", "seal", comm)).splitlines()
    assert sealed[0].startswith(f"communication {comm}: seal ") and sealed[-1] == "seal OK"
    report = json.loads(ok(custodio("inv1", "comms", "seal", comm, "--json")))
    assert report["ok"] and report["seal"] == report["recomputed"]

    said = ok(custodio("inv1", "labels", "intimate", comm, "--from", "0.2", "--to", "0.7",
                       "--direction", "target", "--note", "family matters"))  # fmt: skip
    assert said.startswith("label ") and said.endswith(": 0.2-0.7 s marked intimate\n")
    label = said.split()[1].rstrip(":")
    rows = json.loads(ok(custodio("inv1", "comms", "labels", comm, "--kind", "intimate",
                                  "--json", "--purpose", "review")))  # fmt: skip
    assert [(r["id"], r["kind"], r["direction"]) for r in rows] == [
        (int(label), "intimate", "target")]  # fmt: skip


def test_quarantine_by_four_eyes(line: Line, custodio: Custodio) -> None:
    line.deliver(profile="mobile", calls=2, targets=2, duration=0.4)
    line.assemble()
    items = json.loads(ok(custodio("wo", "quarantine", "list", "--json")))
    (item,) = [i for i in items if i["reason"] == "unknown-liid"]
    held = str(item["id"])
    assert "unknown-liid" in ok(custodio("wo", "quarantine", "list"))
    shown = ok(custodio("judge", "quarantine", "show", held))
    assert f"liid: {UNKNOWN}" in shown.splitlines()
    refused(custodio("inv1", "quarantine", "list"), 5, "may not quarantine.list")
    refused(custodio("judge", "quarantine", "approve", held), 7, "nobody asked")
    out = ok(custodio("wo", "quarantine", "release", held, "--order", "AUTO 50/2026"))
    assert out == (f"release of quarantine item {held} requested; a judge must approve it: "
                   f"`custodio quarantine approve {held}`\n")  # fmt: skip
    add_warrant(line, "AUTO 50/2026", UNKNOWN)
    released = json.loads(ok(custodio("judge", "quarantine", "approve", held, "--json")))
    assert released["released"] and released["communication"] == item["communication_id"]
    refused(custodio("judge", "quarantine", "destroy", held, "--order", "AUTO 51"), 7,
            "released")  # fmt: skip
