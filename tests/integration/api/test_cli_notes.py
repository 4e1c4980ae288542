"""`custodio tag` and `custodio note` in-process against the served API: an investigator
tags a call, takes a tag off, writes notes (from --text and from a file) and reads them
with a purpose; the warrant officer is refused with the policy's words."""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.api.test_api_notes import a_call
from tests.integration.assemble.conftest import Line
from tests.integration.cli_in_process import (  # noqa: F401 (fixtures, by name)
    Custodio,
    custodio,
    environment,
    ok,
    refused,
    service_url,
)
from tests.integration.conftest import CASE

WHY = "diligencias 12/2026"


def test_tags_from_the_command_line(
    line: Line,
    custodio: Custodio,  # noqa: F811 (the fixture imported above)
) -> None:
    call = str(a_call(line))
    assert ok(custodio("inv1", "tag", "add", call, "Relevante")) == (
        f"communication {call} tagged 'relevante'\n")  # fmt: skip
    ok(custodio("inv1", "tag", "add", call, "seguimiento"))
    refused(custodio("inv1", "tag", "add", call, "relevante"), 7, "already tagged")
    table = ok(custodio("inv1", "tag", "list", call)).splitlines()
    assert table[0].split() == ["TAG", "ADDED_BY", "ADDED_AT"]
    assert [r.split()[:2] for r in table[1:]] == [["relevante", "inv1"], ["seguimiento", "inv1"]]
    assert ok(custodio("inv1", "tag", "remove", call, "relevante")) == (
        f"tag 'relevante' taken off communication {call}\n")  # fmt: skip
    refused(custodio("inv1", "tag", "remove", call, "relevante"), 6, "not tagged")
    shown = json.loads(ok(custodio("inv1", "tag", "list", call, "--removed", "--json")))
    assert [(t["tag"], t["removed_by"]) for t in shown] == [("relevante", "inv1"),
                                                           ("seguimiento", None)]  # fmt: skip
    refused(custodio("wo", "tag", "add", call, "otro"), 5, "may not tag.write")
    a_call(line)  # another, untagged
    listed = json.loads(ok(custodio("inv1", "comms", "list", "--case", CASE, "--tag",
                                    "Seguimiento", "--json")))  # fmt: skip
    assert [c["id"] for c in listed] == [int(call)]
    assert "(none)" in ok(custodio("inv1", "comms", "list", "--case", CASE, "--tag", "relevante"))


def test_notes_from_the_command_line(
    line: Line,
    custodio: Custodio,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    call = str(a_call(line))
    said = ok(custodio("inv1", "note", "add", call, "--text", "Cita en Algeciras."))
    assert said.startswith("note ") and said.endswith(f" written on communication {call}\n")
    long = tmp_path / "nota.txt"
    long.write_text("Primera línea.\nSegunda línea.\n", "utf-8")
    ok(custodio("inv1", "note", "add", call, "--file", str(long)))
    refused(custodio("inv1", "note", "add", call), 2, "--text or --file")
    refused(custodio("inv1", "note", "list", call), 5, "needs a purpose")
    text = ok(custodio("inv1", "note", "list", call, "--purpose", WHY)).splitlines()
    assert text[0].startswith("note ") and text[0].endswith("  inv1")
    assert text[1:] == ["  Cita en Algeciras.", "", text[3], "  Primera línea.",
                        "  Segunda línea."]  # fmt: skip
    notes = json.loads(ok(custodio("inv1", "note", "list", call, "--purpose", WHY, "--json")))
    assert [n["text"] for n in notes] == ["Cita en Algeciras.", "Primera línea.\nSegunda línea."]
    hits = json.loads(ok(custodio("inv1", "search", "algeciras", "--purpose", WHY, "--json")))
    assert [(h["communication_id"], h["kind"]) for h in hits] == [(int(call), "note")]
    refused(custodio("wo", "note", "list", call, "--purpose", WHY), 5, "may not note.read")
