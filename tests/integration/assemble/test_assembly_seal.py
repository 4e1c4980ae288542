"""The per-communication seal: written at close, recomputed, proven under a checkpoint."""

from __future__ import annotations

import hashlib
import json

import pytest

from custodio.access import auditing
from custodio.access import comms as service
from custodio.assemble import seal
from custodio.catalog import comms, transcripts
from custodio.catalog.vault_index import TxIndex
from custodio.crypto import merkle
from custodio.vault.envelope import Kind
from tests.integration.assemble.conftest import Line


def _call(line: Line) -> int:
    line.deliver(profile="voip", calls=1, duration=0.4)
    line.assemble()
    rows = line.rows("SELECT id FROM communications WHERE kind = 'voice'")
    assert len(rows) == 1
    return int(rows[0]["id"])


def _check(line: Line, comm_id: int) -> dict[str, object]:
    return service.seal_check(line.world.svc, line.world.as_("inv1"), line.vault, comm_id)


def test_the_seal_is_written_at_close_and_proven_under_a_signed_checkpoint(line: Line) -> None:
    comm_id = _call(line)
    entries = line.rows(
        "SELECT * FROM audit_entries WHERE action = 'comm.closed' AND target = ?",
        (f"communication:{comm_id}",),
    )
    assert len(entries) == 1
    details = json.loads(entries[0]["details"])
    products = line.world.svc.db.read(lambda tx: comms.products_of(tx, comm_id))
    assert [p.kind for p in products] == ["pdus", "audio", "audio"]
    assert details["seal"] == seal.digest(comm_id, products) and details["parts"] == 3
    before = _check(line, comm_id)
    assert before["ok"] and not before["proven"] and before["checkpoint"] is None
    auditing.checkpoint(line.world.svc)
    report = _check(line, comm_id)
    assert report["ok"] and report["proven"], report["problems"]
    assert report["seal"] == report["recomputed"] == details["seal"]
    # the proof stands on its own: leaf from the entry, path, signed root
    inclusion = report["inclusion"]
    assert isinstance(inclusion, dict) and isinstance(report["checkpoint"], dict)
    leaf = bytes.fromhex(entries[0]["entry_hash"])
    path = [bytes.fromhex(p) for p in inclusion["proof"]]
    top = merkle.root_from_inclusion(leaf, inclusion["index"], inclusion["size"], path)
    assert top.hex() == report["checkpoint"]["root"]


def test_a_transcript_added_by_classification_leaves_the_seal_whole(line: Line) -> None:
    comm_id = _call(line)
    sealed = _check(line, comm_id)
    assert sealed["ok"], sealed["problems"]
    audio = line.world.svc.db.read(lambda tx: comms.products_of(tx, comm_id))[1]
    text = json.dumps({"words": [], "language": "es"}).encode()
    assert audio.vault_case is not None
    ref = line.vault.put(audio.vault_case, Kind.TRANSCRIPT, text)

    def record(tx: object) -> None:
        assert transcripts.record(
            tx, comm_id, "target", ref.case_id, ref.object_id,  # type: ignore[arg-type]
            hashlib.sha256(text).hexdigest(), len(text), {"task": "transcribe"},
        )  # fmt: skip
        TxIndex(tx).add_reference(ref)  # type: ignore[arg-type]

    line.world.svc.db.write(record)
    after = _check(line, comm_id)
    assert after["ok"], after["problems"]
    assert after["seal"] == sealed["seal"] == after["recomputed"]


def test_the_seal_document_is_stable() -> None:
    products = [
        comms.Product(kind="pdus", first_seq=1, last_seq=9, records=9, sha256="ab" * 32,
                      size=0),
        comms.Product(kind="audio", direction="target", object_id="cd" * 32, sha256="ef" * 32,
                      size=844, vault_case="1"),
    ]  # fmt: skip
    text = (
        '{"communication":7,"parts":[{"first_seq":1,"kind":"pdus","last_seq":9,"records":9,'
        f'"sha256":"{"ab" * 32}"}},{{"direction":"target","kind":"audio",'
        f'"object_id":"{"cd" * 32}","sha256":"{"ef" * 32}","size":844}}],"v":1}}'
    )  # docs/assembly.md, "The per-communication seal"
    assert seal.digest(7, products) == hashlib.sha256(text.encode()).hexdigest()
    assert seal.digest(7, products) == (
        "8b0947f478e662120c15e3c1ee7753433dc71ed010746c735b07888abae1f75f"
    )


@pytest.mark.parametrize("tamper", ["product-row", "vault-object", "audit-entry", "audit-tree"])
def test_tampering_breaks_the_seal(line: Line, tamper: str) -> None:
    comm_id = _call(line)
    auditing.checkpoint(line.world.svc)
    audio = line.rows(
        "SELECT * FROM comm_products WHERE communication_id = ? AND kind = 'audio' ORDER BY id",
        (comm_id,),
    )[0]
    if tamper == "product-row":
        _sql(line, "UPDATE comm_products SET sha256 = ? WHERE id = ?", ("00" * 32, audio["id"]))
    elif tamper == "vault-object":
        (path,) = line.world.data_dir.rglob(audio["object_id"])
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
    elif tamper == "audit-entry":
        _sql(line, "UPDATE audit_entries SET details = ? WHERE action = 'comm.closed'",
             (json.dumps({"seal": "00" * 32}),))  # fmt: skip
    else:  # the stored subtrees the inclusion proof is read from
        _sql(line, "UPDATE audit_nodes SET hash = ?", ("00" * 32,))
    report = _check(line, comm_id)
    assert not report["ok"] and report["problems"]
    if tamper == "audit-entry":
        assert not report["proven"]
    if tamper == "audit-tree":
        assert any("is not in the log checkpointed" in p for p in report["problems"])


def _sql(line: Line, sql: str, params: tuple[object, ...]) -> None:
    line.world.svc.db.write(lambda tx: tx.execute(sql, params))
