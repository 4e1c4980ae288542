"""Database rows stay below the catalog (issue 15 item 4).

The catalog and the audit log read rows (dicts keyed by column name) and hand typed
records up, so that strict mypy catches a renamed column in every reader. Nothing above
them imports the row type, imports the engine module, or writes SQL of its own.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from custodio.catalog import cases, comms, people
from custodio.db import Database, Tx, migrate

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "custodio"
BELOW = ("catalog", "audit", "db")  # the packages that may hold rows and SQL
DB_MODULES = ("custodio.db", "custodio.db.engine")
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\s", re.MULTILINE)


def _above() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.relative_to(PACKAGE).parts[0] not in BELOW)


def _problems(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module in DB_MODULES:
            names = {a.name for a in node.names}
            if node.module == "custodio.db.engine" or names & {"Row", "engine"}:
                found.append(f"line {node.lineno}: from {node.module} import {', '.join(names)}")
        elif isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names
                      if a.name == "custodio.db.engine"]  # fmt: skip
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and SQL.search(node.value)
        ):
            found.append(f"line {node.lineno}: SQL {node.value[:40]!r}")
    return found


def test_no_rows_and_no_sql_above_the_catalog() -> None:
    above = _above()
    assert {p.relative_to(PACKAGE).parts[0] for p in above} >= {"access", "assemble", "classify"}
    problems = {str(p.relative_to(PACKAGE)): _problems(p) for p in above}
    assert {path: found for path, found in problems.items() if found} == {}


def test_the_check_sees_what_it_forbids(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from custodio.db import Row, Tx\n"
        "from custodio.db.engine import Url\n"
        "import custodio.db.engine\n"
        'Q = "SELECT id FROM communications"\n'
        'OK = "Select a case"\n',
        "utf-8",
    )
    assert [p.split(":")[0] for p in _problems(bad)] == ["line 1", "line 2", "line 3", "line 4"]


# --- the records' JSON is what the rows' was ------------------------------------------


@pytest.fixture
def db(catalog_url: str) -> Iterator[Database]:
    with Database(catalog_url) as database:
        migrate.upgrade(database)
        yield database


def _stored(tx: Tx) -> tuple[int, int]:
    agency = people.create_agency(tx, "Policía Nacional")
    unit = people.create_unit(tx, agency, "UDYCO")
    officer = people.create_user(tx, agency=agency, unit=unit, name="wo1",
                                 role="warrant_officer", password_hash="x")  # fmt: skip
    case = cases.create(tx, agency=agency, unit=unit, reference="DP 3/2026", court="JI 1",
                        title="Niebla")  # fmt: skip
    comm = comms.insert_comm(tx, {
        "agency_id": agency, "case_id": case, "liid": "L1", "operator": "op", "cin": 7,
        "call_id": "c@x", "kind": "voice", "direction": "originating", "status": "partial",
        "reasons": [{"reason": "gap", "count": 2}], "notes": [], "sealed": 1,
        "begin_at": "2026-03-01T10:00:00.000000Z", "open_seq": 3, "last_seq": 9,
    })  # fmt: skip
    comms.replace_parties(tx, comm, [comms.Party("originating", "600111222", "+34600111222",
                                                 True, "iri")])  # fmt: skip
    comms.add_location(tx, comm, "214-01-1234-5678", "2026-03-01T10:00:01.000000Z")
    comms.add_product(tx, comm, comms.Product(kind="pdus", sha256="ab" * 32, size=0,
                                              first_seq=3, last_seq=9, records=7,
                                              details={"sequences": {}}))  # fmt: skip
    audio = comms.Product(
        kind="audio",
        sha256="cd" * 32,
        size=844,
        direction="target",
        vault_case=str(case),
        object_id="ef" * 32,
        details={"codec": 8},
    )
    comms.add_product(tx, comm, audio)
    comms.supersede(tx, comm, "audio", "target")
    item = comms.add_quarantine(tx, comms.QuarantineItem(
        agency_id=None, case_id=None, warrant_id=None, communication_id=comm, liid="L9",
        operator="op", cin=None, reason="unknown-liid", data_kind="all", first_seq=1,
        last_seq=2, records=2, vault_case="quarantine", object_id="12" * 32, sha256="34" * 32,
        size=99,
    ))  # fmt: skip
    comms.request_release(tx, item, officer, "order 5/2026")
    return comm, item


def _as_rows_were(tx: Tx, comm_id: int, item_id: int) -> dict[str, Any]:
    """``comms show`` and ``quarantine show`` as they were built from rows before records."""
    row = tx.one("SELECT * FROM communications WHERE id = ?", (comm_id,))
    assert row is not None
    detail = {k: v for k, v in row.items() if k not in ("reasons", "notes")}
    detail["sealed"], detail["quarantined"] = bool(row["sealed"]), bool(row["quarantined"])
    detail["reasons"], detail["notes"] = json.loads(row["reasons"]), json.loads(row["notes"])
    parties = tx.all("SELECT role, delivered, e164, is_target, source FROM comm_parties "
                     "WHERE communication_id = ? ORDER BY id", (comm_id,))  # fmt: skip
    detail["parties"] = [{**p, "is_target": bool(p["is_target"])} for p in parties]
    products = tx.all(
        "SELECT kind, direction, first_seq, last_seq, records, vault_case, object_id, sha256, "
        "size, details, superseded_at FROM comm_products WHERE communication_id = ? ORDER BY id",
        (comm_id,),
    )
    detail["products"] = [{**r, "details": json.loads(r["details"])} for r in products]
    detail["locations"] = tx.all("SELECT cell, at FROM comm_locations WHERE "
                                 "communication_id = ? ORDER BY at, id", (comm_id,))  # fmt: skip
    item = tx.one("SELECT * FROM quarantine_items WHERE id = ?", (item_id,))
    return {"comm": detail, "item": item}


def _as_records_are(tx: Tx, comm_id: int, item_id: int) -> dict[str, Any]:
    detail = comms.get(tx, comm_id).as_dict()
    detail["parties"] = [p.as_dict() for p in comms.parties_of(tx, comm_id)]
    detail["products"] = [p.as_dict() for p in comms.products_of(tx, comm_id)]
    detail["locations"] = [loc.as_dict() for loc in comms.locations_of(tx, comm_id)]
    return {"comm": detail, "item": comms.quarantine_item(tx, item_id).as_dict()}


def test_records_as_json_are_the_rows_as_json_byte_for_byte(db: Database) -> None:
    comm_id, item_id = db.write(_stored)
    before = db.read(lambda tx: _as_rows_were(tx, comm_id, item_id))
    after = db.read(lambda tx: _as_records_are(tx, comm_id, item_id))
    assert json.dumps(after, indent=2) == json.dumps(before, indent=2)
    assert after["comm"]["products"][1]["superseded_at"] is not None
    assert after["item"]["release_order"] == "order 5/2026"
