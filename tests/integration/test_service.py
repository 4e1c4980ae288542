"""The service layer on both catalogs: what users rely on, and bad input refused cleanly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custodio.access import admin, auditing, casework
from custodio.access.casework import by_case
from custodio.access.policy import Action, Actor
from custodio.access.service import Request, Service
from custodio.catalog import identifiers
from custodio.db import Tx, migrate
from custodio.errors import (
    AccountLocked,
    AlreadyInitialised,
    AuthenticationFailed,
    CatalogVersionError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
)
from tests.integration.conftest import CASE, PASSWORD, World, init_data_dir, new_warrant

WRITTEN = (
    "users",
    "cases",
    "warrants",
    "warrant_extensions",
    "liids",
    "targets",
    "case_assignments",
    "protected_numbers",
)


def snapshot(w: World) -> dict[str, int]:
    return {t: w.count(t) for t in WRITTEN}


def test_every_action_is_audited_with_actor_and_target(world: World) -> None:
    casework.show_case(world.svc, world.as_("inv1"), CASE)
    entry = world.last_audit()
    assert (entry["actor"], entry["action"], entry["outcome"]) == ("inv1", "case.view", "allowed")
    assert entry["target"] == f"case:{CASE}" and entry["case_id"] is not None


def test_a_refusal_is_audited_and_changes_nothing(world: World) -> None:
    before = snapshot(world)
    with pytest.raises(Forbidden):
        casework.add_case(world.svc, world.as_("inv1"), casework.NewCase("X 1", "c", "t", "UDYCO"))
    entry = world.last_audit()
    assert (entry["actor"], entry["action"], entry["outcome"]) == ("inv1", "case.create", "denied")
    assert "may not" in str(entry["details"])
    assert snapshot(world) == before


def test_investigator_sees_only_assigned_cases(world: World) -> None:
    wo = world.as_("wo")
    casework.add_case(world.svc, wo, casework.NewCase("DP 9/2026", "c", "t", "UDYCO"))
    refs = {c["reference"] for c in casework.list_cases(world.svc, world.as_("inv1"))}
    assert refs == {CASE}
    assert casework.list_cases(world.svc, world.as_("inv2")) == []
    with pytest.raises(Forbidden, match="not assigned"):
        casework.show_case(world.svc, world.as_("inv2"), CASE)
    assert world.last_audit()["outcome"] == "denied"


def test_assignment_with_an_end_expires(world: World) -> None:
    until = world.clock.now + timedelta(days=1)
    casework.assign(world.svc, world.as_("wo"), CASE, "inv2", until)
    casework.show_case(world.svc, world.as_("inv2"), CASE)
    world.clock.now += timedelta(days=2)
    with pytest.raises(Forbidden):
        casework.show_case(world.svc, world.as_("inv2"), CASE)


def test_unknown_role_is_refused(world: World) -> None:
    before = snapshot(world)
    with pytest.raises(InvalidInput, match="unknown role 'chef'"):
        admin.add_user(world.svc, world.as_("admin"), admin.NewUser("x", "chef", PASSWORD))
    assert snapshot(world) == before


def test_warrant_ending_before_it_starts_is_refused(world: World) -> None:
    before = snapshot(world)
    bad = new_warrant("AUTO 46/2026", valid_until=datetime(2026, 10, 1, tzinfo=UTC), liids=())
    with pytest.raises(InvalidInput, match=r"ends .* before it starts"):
        casework.add_warrant(world.svc, world.as_("wo"), CASE, bad)
    assert snapshot(world) == before


def test_extensions_stop_at_18_months_for_one_person(world: World) -> None:
    wo = world.as_("wo")
    ext = casework.Extension("AUTO 80/2027", "Ana Ruiz", None, datetime(2027, 4, 30, tzinfo=UTC))
    casework.extend_warrant(world.svc, wo, CASE, "AUTO 45/2026", ext)
    before = snapshot(world)
    too_far = casework.Extension("AUTO 99/2028", "Ana Ruiz", None, datetime(2028, 5, 2, tzinfo=UTC))
    with pytest.raises(InvalidInput, match="18-month limit"):
        casework.extend_warrant(world.svc, wo, CASE, "AUTO 45/2026", too_far)
    assert snapshot(world) == before
    # a second warrant on the same person counts towards the same 18 months
    other = new_warrant(
        "AUTO 50/2027",
        valid_from=datetime(2027, 5, 1, tzinfo=UTC),
        valid_until=datetime(2028, 6, 1, tzinfo=UTC),
        liids=(),
    )
    with pytest.raises(InvalidInput, match="18-month limit"):
        casework.add_warrant(world.svc, wo, CASE, other)
    exactly = casework.Extension("AUTO 98/2028", "Ana Ruiz", None, datetime(2028, 5, 1, tzinfo=UTC))
    casework.extend_warrant(world.svc, wo, CASE, "AUTO 45/2026", exactly)


def test_liid_bound_to_a_live_warrant_is_refused(world: World) -> None:
    before = snapshot(world)
    second = new_warrant("AUTO 47/2026", targets=(identifiers.parse("e164:+34600999888"),))
    with pytest.raises(Conflict, match="already bound to another live warrant"):
        casework.add_warrant(world.svc, world.as_("wo"), CASE, second)
    assert snapshot(world) == before


def test_liid_is_free_again_once_its_warrant_is_revoked(world: World) -> None:
    wo = world.as_("wo")
    casework.revoke_warrant(world.svc, wo, CASE, "AUTO 45/2026", "auto de cese 3/2026")
    second = new_warrant("AUTO 47/2026", targets=(identifiers.parse("e164:+34600999888"),))
    casework.add_warrant(world.svc, wo, CASE, second)
    statuses = {w["reference"]: w["status"] for w in casework.list_warrants(world.svc, wo, CASE)}
    assert statuses == {"AUTO 45/2026": "revoked", "AUTO 47/2026": "active"}


def test_warrant_status_follows_time_and_extensions(world: World) -> None:
    wo = world.as_("wo")

    def status() -> str:
        return str(casework.list_warrants(world.svc, wo, CASE)[0]["status"])

    assert status() == "active"
    ext = casework.Extension("AUTO 80/2027", "Ana Ruiz", None, datetime(2027, 4, 30, tzinfo=UTC))
    casework.extend_warrant(world.svc, wo, CASE, "AUTO 45/2026", ext)
    assert status() == "extended"
    world.clock.now = datetime(2027, 5, 1, tzinfo=UTC)
    assert status() == "expired"
    with pytest.raises(Conflict, match="expired and cannot be extended"):
        casework.extend_warrant(world.svc, wo, CASE, "AUTO 45/2026", ext)


def test_wrong_password_then_lock_out(world: World) -> None:
    limit = world.svc.config.settings.login_max_failures
    for _ in range(limit - 1):
        with pytest.raises(AuthenticationFailed) as failed:
            world.svc.login("inv1", "not-the-password")
        assert type(failed.value) is AuthenticationFailed
    with pytest.raises(AccountLocked, match="now locked"):
        world.svc.login("inv1", "not-the-password")
    with pytest.raises(AccountLocked, match="locked until"):
        world.svc.login("inv1", PASSWORD)  # even the right password, while locked
    entry = world.last_audit()
    assert (entry["action"], entry["outcome"]) == ("user.login", "denied")
    admin.unlock_user(world.svc, world.as_("admin"), "inv1")
    world.svc.login("inv1", PASSWORD)


def test_lock_out_ends_by_itself(world: World) -> None:
    for _ in range(world.svc.config.settings.login_max_failures):
        with pytest.raises(AuthenticationFailed):
            world.svc.login("inv2", "wrong-password!")
    world.clock.now = datetime.now(UTC) + timedelta(minutes=16)
    world.svc.login("inv2", PASSWORD)


def test_unknown_user_gets_the_same_message_as_a_wrong_password(world: World) -> None:
    with pytest.raises(AuthenticationFailed, match="unknown user or wrong password"):
        world.svc.login("nobody", PASSWORD)
    with pytest.raises(AuthenticationFailed, match="unknown user or wrong password"):
        world.svc.login("inv1", "wrong-password!")


def test_disabled_user_cannot_log_in_nor_keep_acting(world: World) -> None:
    session = world.as_("inv1")
    admin.disable_user(world.svc, world.as_("admin"), "inv1")
    with pytest.raises(AuthenticationFailed, match="disabled"):
        casework.show_case(world.svc, session, CASE)
    with pytest.raises(AuthenticationFailed, match="disabled"):
        world.svc.login("inv1", PASSWORD)


def test_agencies_do_not_see_each_other(world: World) -> None:
    first = admin.add_agency(world.svc, world.as_("admin"), "Guardia Civil", "gcadmin")
    gc = world.svc.login("gcadmin", first)
    with pytest.raises(Forbidden, match="must change the first password"):
        admin.list_users(world.svc, gc)
    admin.change_password(world.svc, gc, first, "gc-own-password-2026")
    names = {u["name"] for u in admin.list_users(world.svc, gc)}
    assert names == {"gcadmin"}
    with pytest.raises(NotFound):
        admin.unlock_user(world.svc, gc, "inv1")
    with pytest.raises(Forbidden, match="another agency"):
        admin.add_user(
            world.svc, gc, admin.NewUser("spy", "investigator", PASSWORD, agency="Policía Nacional")
        )
    # and the administrator who created the agency has no rights in it
    with pytest.raises(NotFound):
        admin.unlock_user(world.svc, world.as_("admin"), "gcadmin")


def test_catalog_from_a_newer_version_is_refused_untouched(world: World) -> None:
    newer = migrate.latest_version() + 1
    world.svc.db.write(
        lambda tx: tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', 'x')",
            (newer,),
        )
    )
    entries = world.count("audit_entries")
    with pytest.raises(CatalogVersionError, match=f"schema version {newer}"):
        Service.open(world.svc.config)
    assert world.count("audit_entries") == entries


def test_init_twice_refuses_and_changes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in world.data_dir.iterdir()}
    with pytest.raises(AlreadyInitialised, match="already a Custodio data directory"):
        init_data_dir(world.data_dir, world.svc.config.catalog_url, monkeypatch)
    assert {p.name: p.stat().st_mtime_ns for p in world.data_dir.iterdir()} == before


def test_password_change(world: World) -> None:
    session = world.as_("inv1")
    with pytest.raises(InvalidInput, match="at least 12"):
        admin.change_password(world.svc, session, PASSWORD, "short")
    admin.change_password(world.svc, session, PASSWORD, "a-much-better-password")
    world.svc.login("inv1", "a-much-better-password")
    with pytest.raises(AuthenticationFailed):
        world.svc.login("inv1", PASSWORD)


def test_protected_numbers_are_normalised_and_listed(world: World) -> None:
    wo = world.as_("wo")
    assert casework.add_protected(world.svc, wo, "911 234 567", "letrado") == "+34911234567"
    with pytest.raises(Conflict):
        casework.add_protected(world.svc, wo, "+34911234567", "again")
    assert [r["number"] for r in casework.list_protected(world.svc, wo)] == ["+34911234567"]
    with pytest.raises(Forbidden):
        casework.remove_protected(world.svc, wo, "+34911234567", "no")
    casework.remove_protected(world.svc, world.as_("judge"), "+34911234567", "fin de defensa")
    assert casework.list_protected(world.svc, wo) == []


def test_audit_log_is_for_auditors_of_the_agency(world: World) -> None:
    entries = auditing.entries(world.svc, world.as_("aud"), case_ref=CASE)
    assert entries and all(e.event.case_id == entries[0].event.case_id for e in entries)
    assert {"case.create", "warrant.create", "case.assign"} <= {e.event.action for e in entries}
    with pytest.raises(Forbidden):
        auditing.entries(world.svc, world.as_("admin"))
    with pytest.raises(Forbidden):
        auditing.entries(world.svc, world.as_("inv1"))


def test_audit_verify_passes_on_an_untouched_log(world: World) -> None:
    auditing.checkpoint(world.svc)
    report = auditing.verify_log(world.svc, world.as_("aud"))
    assert report.entries > 10 and report.checkpoints == 2


def test_a_read_decided_on_a_snapshot_is_confirmed_before_its_answer_leaves(world: World) -> None:
    """``Service.look``: a listing decided and performed on a read snapshot is answered only
    once the writer, asking the policy again about the actor as he is then, has committed
    its audit entry. An assignment ended between the two (here, by a warrant officer while
    the investigator's listing runs) refuses the answer, audited as denied."""
    inv1, wo = world.as_("inv1"), world.as_("wo")
    seen: list[str] = []

    def perform(tx: Tx, actor: Actor, request: Request) -> str:
        seen.append(actor.name)
        casework.unassign(world.svc, wo, CASE, "inv1")  # committed while the snapshot is open
        return "the case's communications"

    request = Request(f"case:{CASE}")
    with pytest.raises(Forbidden):
        world.svc.look(inv1, Action.CASE_VIEW, request, by_case(CASE), perform)
    assert seen == ["inv1"]  # the snapshot allowed it
    entry = world.last_audit()
    assert (entry["actor"], entry["action"], entry["outcome"]) == ("inv1", "case.view", "denied")

    casework.assign(world.svc, wo, CASE, "inv1", None)
    answer = world.svc.look(inv1, Action.CASE_VIEW, Request(f"case:{CASE}"), by_case(CASE),
                            lambda tx, actor, request: "allowed now")  # fmt: skip
    assert answer == "allowed now"
    entry = world.last_audit()
    assert (entry["actor"], entry["action"], entry["outcome"]) == ("inv1", "case.view", "allowed")
