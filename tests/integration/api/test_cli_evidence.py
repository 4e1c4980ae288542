"""`custodio import` in-process against the served API, with no vault passphrase and no
data directory: files streamed to the service, the table as before, duplicates reported,
a refusal in the policy's words, an oversized file refused with nothing stored."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

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


@pytest.fixture
def users_only(
    environment: dict[str, str],  # noqa: F811 (the fixture imported above)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a user's machine has: the service's URL, not its data or its vault's key."""
    monkeypatch.delenv("CUSTODIO_VAULT_PASSPHRASE")
    monkeypatch.delenv("CUSTODIO_DATA")


def test_import_from_the_command_line(
    line: Line,
    users_only: None,
    custodio: Custodio,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    acta, copia = tmp_path / "acta.pdf", tmp_path / "copia.pdf"
    acta.write_bytes(b"%PDF-1.7 acta de entrada y registro " * 40_000)  # 1.4 MB
    copia.write_bytes(acta.read_bytes())
    digest = hashlib.sha256(acta.read_bytes()).hexdigest()
    args = ["import", str(acta), str(copia), "--case", CASE, "--kind", "document"]
    refused(custodio("inv2", *args), 5, "not assigned to this case")
    table = ok(custodio("wo", *args, "--note", "acta 12/2026")).splitlines()
    assert table[0].split() == ["FILE", "SHA256", "BYTES", "STORED", "DUPLICATE"]
    assert [r.split()[:3] + r.split()[-1:] for r in table[1:]] == [
        ["acta.pdf", digest, str(acta.stat().st_size), "no"],
        ["copia.pdf", digest, str(acta.stat().st_size), "yes"],
    ]  # fmt: skip
    rows = line.rows("SELECT filename, sha256, note FROM imports ORDER BY id")
    assert rows == [{"filename": n, "sha256": digest, "note": "acta 12/2026"}
                    for n in ("acta.pdf", "copia.pdf")]  # fmt: skip
    again = json.loads(ok(custodio("inv1", "import", str(acta), "--case", CASE, "--kind",
                                   "document", "--json")))  # fmt: skip
    assert [(r["file"], r["sha256"], r["duplicate"]) for r in again] == [
        ("acta.pdf", digest, True)]  # fmt: skip
    refused(custodio("wo", "import", str(tmp_path / "none.pdf"), "--case", CASE, "--kind",
                     "document"), 2, "is not a readable file; nothing was imported")  # fmt: skip


@pytest.fixture
def small_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    """import_max_bytes of 1000 (set before the service is opened)."""
    monkeypatch.setenv("CUSTODIO_IMPORT_MAX_BYTES", "1000")


def test_a_file_over_the_service_limit_is_refused_in_one_line(
    small_imports: None,
    line: Line,
    users_only: None,
    custodio: Custodio,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> None:
    big = tmp_path / "big.wav"
    big.write_bytes(b"\x00" * 4_000_000)  # past the sockets' buffers
    refused(custodio("wo", "import", str(big), "--case", CASE, "--kind", "audio"), 2,
            "the request body is over 1000 octets")  # fmt: skip
    assert line.rows("SELECT id FROM imports") == []
