"""Every action the audit log can hold is documented (STYLE: typed events, docs in step)."""

from __future__ import annotations

import re
from pathlib import Path

from custodio.access.policy import Action

DOCS = Path(__file__).parents[3] / "docs"
SYSTEM_EVENTS = {
    "system.init",
    "service.start",
    "service.stop",
    "user.login",
    "user.logout",
    "session.resume",
    "totp.sealed",
    "audit.verified",
    "vault.shredded",
    "handover.operator_mismatch",
    "handover.peer_refused",
    "handover.peer_cut_off",
    "comm.sealed",
    "comm.amended",
    "comm.closed",
    "quarantine.held",
    "journal.archived",
    "handover.integrity_failed",
    "assembly.restarted",
    "comm.classified",
}


def test_every_policy_action_is_in_the_access_policy_page() -> None:
    text = (DOCS / "access-policy.md").read_text("utf-8")
    assert {a.value for a in Action} <= set(re.findall(r"\| `([a-z_.]+)` \|", text))


def test_every_system_event_is_in_the_audit_format_page() -> None:
    text = (DOCS / "formats" / "audit.md").read_text("utf-8")
    section = text.split("## System events", 1)[1]
    assert set(re.findall(r"\| `([a-z_.]+)` \|", section)) == SYSTEM_EVENTS


def test_the_code_writes_no_undocumented_system_event() -> None:
    src = Path(__file__).parents[3] / "src" / "custodio"
    written = set()
    for path in src.rglob("*.py"):
        text = path.read_text("utf-8")
        written |= set(re.findall(r'system_event\(\s*"([a-z_.]+)"', text))
        written |= set(re.findall(r'action="([a-z_.]+)"', text))
    assert written <= SYSTEM_EVENTS | {a.value for a in Action}, written
