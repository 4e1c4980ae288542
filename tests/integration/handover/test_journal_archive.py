"""Consumed journal segments into the vault, per case: a real journal, vault and catalog."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.integration.conftest import CASE, World, new_warrant, secrets

from custodio.access import casework, evidence, vaults
from custodio.app.maintenance import archive_journal
from custodio.assemble.archive import Archiver
from custodio.catalog import cases, identifiers
from custodio.db import Tx
from custodio.errors import Forbidden, NotFound
from custodio.etsi import encode as E
from custodio.etsi.pdu import Direction, FrameType, decode
from custodio.handover.routing import to_routing
from custodio.journal import Journal
from custodio.vault.store import Vault

WHEN = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
OTHER_CASE = "DP 200/2026"


def cc(liid: str, seq: int) -> bytes:
    h = E.Header(liid=liid.encode(), operator_id=b"movistar", cin=1, sequence_number=seq,
                 timestamp=WHEN)  # fmt: skip
    rtp = bytes.fromhex("80081267000B80601234ABCD") + bytes([seq % 256]) * 160
    return E.cc_ipmm(h, rtp, direction=Direction.FROM_TARGET, frame_type=FrameType.RTP)


def keepalive(seq: int) -> bytes:
    return E.keepalive(E.Header(liid=b"-", operator_id=b"movistar", sequence_number=seq))


def fill(journal: Journal, rounds: int = 24) -> dict[str, list[bytes]]:
    """Three LIIDs interleaved, keep-alives between: several sealed segments."""
    sent: dict[str, list[bytes]] = {"ES-LI-0001": [], "ES-LI-0002": [], "ES-LI-9999": []}
    for n in range(rounds):
        batch = [(liid, cc(liid, n)) for liid in sent] + [("tri", keepalive(n))]
        journal.append_sync([(to_routing(decode(p), 3, "test"), p) for _, p in batch])
        for liid, pdu in batch:
            if liid != "tri":
                sent[liid].append(pdu)
    return sent


@pytest.fixture
def setup(world: World, tmp_path: Path) -> tuple[World, Vault, Path]:
    wo = world.as_("wo")
    casework.add_case(world.svc, wo, casework.NewCase(OTHER_CASE, "JI nº 5", "Otra", "UDYCO"))
    warrant = new_warrant("AUTO 46/2026", liids=(("ES-LI-0002", "movistar"),),
                          targets=(identifiers.parse("e164:+34600333444"),))  # fmt: skip
    casework.add_warrant(world.svc, wo, OTHER_CASE, warrant)
    return world, vaults.open_vault(world.svc.config, world.svc.db, secrets), tmp_path / "journal"


def consume(journal: Journal, upto: int) -> None:
    consumer = journal.consumer("assemble")
    consumer.read(upto)
    consumer.commit(upto)


def case_of(world: World, reference: str) -> cases.Case:
    def find(tx: Tx) -> cases.Case:
        return cases.by_id(tx, int(tx.scalar("SELECT id FROM cases WHERE reference = ?",
                                             (reference,))))  # fmt: skip

    return world.svc.db.read(find)


def case_id(world: World, reference: str) -> int:
    return case_of(world, reference).id


def rows(world: World) -> list[dict[str, object]]:
    return world.svc.db.read(
        lambda tx: tx.all("SELECT * FROM journal_archive ORDER BY segment, vault_case")
    )


def test_only_consumed_segments_move(setup: tuple[World, Vault, Path]) -> None:
    world, vault, directory = setup
    journal = Journal.open(directory, segment_size=4096)
    fill(journal)
    sealed = journal.segments()[:-1]
    assert len(sealed) >= 3
    assert Archiver(world.svc.db, vault, journal).run() == []  # no consumer: nothing
    consume(journal, sealed[0].last_seq)
    reports = Archiver(world.svc.db, vault, journal).run()
    assert [r.segment for r in reports] == [sealed[0].first_seq]
    assert not sealed[0].path.exists() and sealed[1].path.exists()
    journal.close_sync()


def test_pdus_land_per_case_as_received(setup: tuple[World, Vault, Path]) -> None:
    world, vault, directory = setup
    journal = Journal.open(directory, segment_size=4096)
    sent = fill(journal)
    consume(journal, journal.durable_seq)
    reports = Archiver(world.svc.db, vault, journal).run()
    names = {
        "ES-LI-0001": str(case_id(world, CASE)),
        "ES-LI-0002": str(case_id(world, OTHER_CASE)),
        "ES-LI-9999": "quarantine:movistar",
    }
    got: dict[str, bytes] = {}
    for row in rows(world):
        data = vault.get(str(row["vault_case"]), str(row["object_id"]))
        assert len(data) == row["size"]
        got[str(row["vault_case"])] = got.get(str(row["vault_case"]), b"") + data
    archived = {liid: got.get(name, b"") for liid, name in names.items()}
    active = journal.segments()[-1]
    for liid, pdus in sent.items():  # all but the active segment's records are archived
        in_active = [r.pdu for r in journal.read(active.first_seq - 1, 10**6)
                     if r.routing.liid == liid.encode()]  # fmt: skip
        assert archived[liid] + b"".join(in_active) == b"".join(pdus)
    assert all(r.skipped >= 1 for r in reports)  # keep-alives counted, not archived
    assert world.count("journal_archived_segments") == len(reports)
    journal.close_sync()


def test_shredding_a_case_destroys_its_archived_pdus(setup: tuple[World, Vault, Path]) -> None:
    world, vault, directory = setup
    journal = Journal.open(directory, segment_size=4096)
    fill(journal)
    consume(journal, journal.durable_seq)
    Archiver(world.svc.db, vault, journal).run()
    journal.close_sync()
    case = case_of(world, CASE)
    evidence.shred_case(world.svc, vault, case, order="Auto 9/2027")
    for row in rows(world):
        name, oid = str(row["vault_case"]), str(row["object_id"])
        if name == str(case.id):
            with pytest.raises(NotFound):
                vault.get(name, oid)
        else:
            assert vault.get(name, oid)


def test_rerun_after_a_crash_is_idempotent(setup: tuple[World, Vault, Path]) -> None:
    world, vault, directory = setup
    journal = Journal.open(directory, segment_size=4096)
    fill(journal)
    consume(journal, journal.durable_seq)
    first = journal.consumed_segments()[0]
    archiver = Archiver(world.svc.db, vault, journal)
    groups, _, _ = archiver._split(first)  # crash after writing, before the commit
    written = {archiver._write(g).object_id for g in groups}
    for group in groups:
        group.spool.close()
    backup = directory.parent / "backup.seg"
    shutil.copy(first.path, backup)
    report = archiver.archive(first)
    assert {o.object_id for o in report.objects} == written
    objects_before, rows_before = world.count("vault_objects"), len(rows(world))
    journal.close_sync()
    shutil.copy(backup, first.path)  # crash after the commit, before the segment went
    journal = Journal.open(directory, segment_size=4096)
    again = Archiver(world.svc.db, vault, journal).archive(journal.consumed_segments()[0])
    assert again.already and again.segment == first.first_seq
    assert not first.path.exists()
    assert (world.count("vault_objects"), len(rows(world))) == (objects_before, rows_before)
    refcounts = world.svc.db.read(lambda tx: tx.all("SELECT refcount FROM vault_objects"))
    assert {r["refcount"] for r in refcounts} == {1}
    journal.close_sync()


def test_the_command_is_for_administrators(setup: tuple[World, Vault, Path]) -> None:
    world, vault, _ = setup
    with pytest.raises(Forbidden):
        archive_journal(world.svc, world.as_("inv1"), vault)
    journal = Journal.open(world.data_dir / "journal", segment_size=4096)
    fill(journal)
    consume(journal, journal.durable_seq)
    journal.close_sync()
    reports = archive_journal(world.svc, world.as_("admin"), vault)
    assert reports and world.last_audit()["action"] == "journal.archive"
