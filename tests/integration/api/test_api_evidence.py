"""Evidence imported through the API (the file's bytes as the body, streamed to the vault,
its own body limit) and a case's classification queued and followed; each refusal
audited, nothing stored by a refused or oversized upload."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.integration.api.conftest import Served, error
from tests.integration.conftest import CASE

EVIDENCE = f"/cases/{quote(CASE, safe='/')}/evidence"
LIMIT = 4096


def stored(served: Served) -> tuple[int, list[Path]]:
    """Imports recorded, and the object files in the vault's directory."""
    (row,) = served.line.rows("SELECT COUNT(*) AS n FROM imports")
    objects = served.line.world.data_dir / "objects"
    return int(row["n"]), sorted(p for p in objects.rglob("*") if p.is_file())


def test_a_warrant_officer_imports_a_file_streamed_as_the_body(served: Served) -> None:
    wo, inv2 = served.client("wo"), served.client("inv2")
    data = b"%PDF-1.7 acta de entrada y registro " * 100_000  # 3.6 MB: several spool blocks
    params = {"kind": "document", "filename": "acta.pdf", "note": "acta 12/2026"}
    before = served.last_seq()
    error(inv2.post(EVIDENCE, params=params, content=data), 403, "forbidden", "not assigned")
    assert stored(served) == (0, [])
    reply = wo.post(EVIDENCE, params=params, content=data,
                    headers={"Content-Type": "application/octet-stream"})  # fmt: skip
    assert reply.status_code == 201, reply.text
    done = reply.json()
    assert (done["file"], done["bytes"], done["duplicate"]) == ("acta.pdf", len(data), False)
    assert done["sha256"] == hashlib.sha256(data).hexdigest()
    again = wo.post(EVIDENCE, params={**params, "filename": "copia.pdf"}, content=data).json()
    assert again["duplicate"] and again["object"] == done["object"]
    count, objects = stored(served)
    assert count == 2 and len(objects) == 1
    assert data[:1000] not in objects[0].read_bytes()  # sealed in the vault
    seen = [(e["actor"], e["outcome"], e["details"].get("file"))
            for e in served.entries(after=before) if e["action"] == "evidence.import"]  # fmt: skip
    assert seen == [("inv2", "denied", "acta.pdf"), ("wo", "allowed", "acta.pdf"),
                    ("wo", "allowed", "copia.pdf")]  # fmt: skip
    error(wo.post(EVIDENCE, params={**params, "kind": "video"}, content=b"x"), 400,
          "invalid_input", "--kind")  # fmt: skip
    error(wo.post(EVIDENCE, params={**params, "filename": "../x"}, content=b"x"), 400,
          "invalid_input", "not a file name")  # fmt: skip
    error(wo.post(EVIDENCE, params={"kind": "document"}, content=b"x"), 422, "invalid_request")
    error(wo.post("/cases/DP%20999/2026/evidence", params=params, content=b"x"), 404, "not_found")
    assert stored(served)[0] == 2


@pytest.fixture
def small_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    """import_max_bytes of LIMIT (set before the service is opened)."""
    monkeypatch.setenv("CUSTODIO_IMPORT_MAX_BYTES", str(LIMIT))


def test_a_body_over_the_import_limit_is_refused_and_nothing_stored(
    small_imports: None, served: Served
) -> None:
    wo = served.client("wo")
    params = {"kind": "audio", "filename": "big.wav"}
    error(wo.post(EVIDENCE, params=params, content=b"a" * (LIMIT + 1)), 413, "too_large",
          f"over {LIMIT} octets")  # fmt: skip

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it is read
        for _ in range(4):
            yield b"b" * 2048

    error(wo.post(EVIDENCE, params=params, content=chunks()), 413, "too_large")
    assert stored(served) == (0, [])
    done = wo.post(EVIDENCE, params=params, content=b"c" * LIMIT)
    assert done.status_code == 201 and done.json()["bytes"] == LIMIT
    # every other route keeps the 64 KiB limit
    error(wo.post("/jobs/retry", content=b"{" + b" " * 70_000 + b"}"), 413, "too_large")


def test_classification_queued_and_followed_through_the_api(served: Served) -> None:
    served.line.deliver(calls=0, sms=2)
    served.line.assemble()
    inv1, inv2, admin = served.client("inv1"), served.client("inv2"), served.client("admin")
    base = f"/cases/{quote(CASE, safe='/')}"
    before = served.last_seq()
    error(inv2.post(f"{base}/classify"), 403, "forbidden", "not assigned")
    error(inv2.get(f"{base}/jobs"), 403, "forbidden", "not assigned")
    pending = inv1.post(f"{base}/classify").json()
    assert pending["queued"] == 0 and len(pending["jobs"]) == 2  # assembly queued them
    redone = inv1.post(f"{base}/classify", params={"redo": "true"}).json()
    assert redone["queued"] == 2 and sorted(redone["jobs"]) == sorted(pending["jobs"])
    jobs = inv1.get(f"{base}/jobs").json()
    assert sorted(j["id"] for j in jobs) == sorted(pending["jobs"])
    assert {j["state"] for j in jobs} == {"queued"}
    assert len(admin.get(f"{base}/jobs").json()) == 2
    seen = [(e["actor"], e["outcome"], e["details"]) for e in served.entries(after=before)
            if e["action"] == "classify.run"]  # fmt: skip
    assert [(actor, outcome) for actor, outcome, _ in seen] == [
        ("inv2", "denied"), ("inv2", "denied"), ("inv1", "allowed"), ("inv1", "allowed"),
        ("inv1", "allowed"), ("admin", "allowed"),
    ]  # fmt: skip
    assert seen[3][2] == {"redo": True, "queued": 2}
    assert seen[4][2] == {"listing": "jobs", "shown": 2}
