"""Database rows stay below the catalog (issue 15 item 4).

The catalog and the audit log read rows (dicts keyed by column name) and hand typed
records up, so that strict mypy catches a renamed column in every reader. Nothing above
them imports the row type, imports the engine module, or writes SQL of its own.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

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
