"""Labels in the catalog: a run replaces its engines' unreviewed labels, keeps reviewed ones
(superseded when no longer found), never touches users' labels — SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from custodio.catalog import cases, comms, labels, people, transcripts
from custodio.db import Database, Tx, migrate
from custodio.errors import Conflict, InvalidInput


@pytest.fixture
def db(catalog_url: str) -> Iterator[Database]:
    with Database(catalog_url) as database:
        migrate.upgrade(database)
        yield database


def setup(db: Database) -> tuple[int, int, int]:
    def make(tx: Tx) -> tuple[int, int, int]:
        agency = people.create_agency(tx, "Policía Nacional")
        unit = people.create_unit(tx, agency, "UDYCO")
        user = people.create_user(tx, agency=agency, unit=unit, name="inv1",
                                  role="investigator", password_hash="x")  # fmt: skip
        case = cases.create(tx, agency=agency, unit=unit, reference="DP 2/2026", court="JI 1",
                            title="Niebla")  # fmt: skip
        comm = comms.insert_comm(tx, {
            "agency_id": agency, "case_id": case, "liid": "L", "operator": "op", "cin": 1,
            "kind": "sms", "direction": "originating", "status": "complete", "reasons": [],
            "notes": [], "open_seq": 1, "last_seq": 1,
        })  # fmt: skip
        return case, comm, user

    return db.write(make)


def label(key: str, owner: str = "entities", kind: str = "plate", value: str = "1234BCD"
          ) -> labels.NewLabel:  # fmt: skip
    return labels.NewLabel(label_key=key, owner=owner, kind=kind, value=value,
                           confidence=0.9, source=f"{owner}/1", text=value)  # fmt: skip


def run(db: Database, case: int, comm: int, fresh: list[labels.NewLabel]) -> labels.RunResult:
    engines = ("entities", "watchlist")
    return db.write(lambda tx: labels.store_run(tx, comm, case, engines, fresh))


def stored(db: Database, comm: int, **f: object) -> list[labels.StoredLabel]:
    return db.read(lambda tx: labels.of_comm(tx, comm, labels.Filters(**f)))  # type: ignore[arg-type]


def test_a_rerun_replaces_unreviewed_labels_and_never_duplicates(db: Database) -> None:
    case, comm, _ = setup(db)
    run(db, case, comm, [label("a"), label("b", "watchlist", "watchlist", "garaje"), label("a")])
    assert len(stored(db, comm)) == 2  # the same key twice in one run is stored once
    result = run(db, case, comm, [label("a")])
    assert (result.added, result.replaced) == (1, 2)
    assert [x.label_key for x in stored(db, comm)] == ["a"]


def test_reviewed_labels_stay_and_are_superseded_when_no_longer_found(db: Database) -> None:
    case, comm, user = setup(db)
    run(db, case, comm, [label("a"), label("b", value="9999ZZZ")])
    first = {x.label_key: x for x in stored(db, comm)}
    db.write(lambda tx: labels.review(tx, first["a"].id, "overruled", user, "wrong car"))
    db.write(lambda tx: labels.review(tx, first["b"].id, "confirmed", user, None))
    result = run(db, case, comm, [label("a")])  # "a" found again, "b" no longer
    assert (result.added, result.kept_reviewed, result.superseded) == (0, 1, 1)
    now = {x.label_key: x for x in stored(db, comm)}
    assert list(now) == ["a"] and now["a"].id == first["a"].id
    assert (now["a"].review, now["a"].reviewed_by, now["a"].review_note) == (
        "overruled", "inv1", "wrong car")  # fmt: skip
    everything = stored(db, comm, superseded=True)
    (old,) = [x for x in everything if x.label_key == "b"]
    assert old.review == "confirmed" and old.superseded_at is not None


def test_users_labels_are_not_touched_by_runs(db: Database) -> None:
    case, comm, _ = setup(db)
    mine = label("u1", "user:inv1", "intimate", "intimate")
    db.write(lambda tx: labels.add_user_label(tx, comm, case, mine))
    with pytest.raises(Conflict):
        db.write(lambda tx: labels.add_user_label(tx, comm, case, mine))
    run(db, case, comm, [])
    assert [x.kind for x in stored(db, comm)] == ["intimate"]
    with pytest.raises(ValueError, match="offered in a run"):
        run(db, case, comm, [label("x", "priority")])
    with pytest.raises(InvalidInput):
        db.write(lambda tx: labels.review(tx, stored(db, comm)[0].id, "deleted", 1, None))


def test_a_transcript_supersedes_the_previous_run_s_and_the_same_one_records_nothing(
    db: Database,
) -> None:
    _, comm, _ = setup(db)

    def record(object_id: str, task: str = "transcribe", direction: str = "target") -> bool:
        return db.write(lambda tx: transcripts.record(
            tx, comm, direction, "1", object_id, "00" * 32, 10, {"task": task}))  # fmt: skip

    assert record("a" * 32) and not record("a" * 32)  # a re-run with the same result
    assert record("b" * 32, "translate") and record("c" * 32, direction="other")
    assert record("d" * 32)  # a different transcript of the target: the first gives way
    now = db.read(lambda tx: transcripts.current(tx, comm))
    assert sorted((t.direction, t.details["task"], t.object_id[0]) for t in now) == [
        ("other", "transcribe", "c"), ("target", "transcribe", "d"),
        ("target", "translate", "b")]  # fmt: skip
    kept = db.read(lambda tx: tx.all(
        "SELECT object_id FROM comm_products WHERE superseded_at IS NOT NULL"))  # fmt: skip
    assert kept == [{"object_id": "a" * 32}]
