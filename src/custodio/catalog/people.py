"""Agencies (tenants), their units and their users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from custodio.crypto import passwords
from custodio.db import Tx
from custodio.db.engine import Row
from custodio.db.times import from_text, now_text, to_text
from custodio.errors import Conflict, InvalidInput, NotFound

ROLES = ("administrator", "warrant_officer", "investigator", "interpreter", "judge", "auditor")
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    agency_id: int
    agency: str
    unit: str | None
    failed_logins: int
    locked_until: datetime | None
    disabled: bool
    must_change_password: bool
    password_hash: str

    @classmethod
    def from_row(cls, row: Row) -> User:
        return cls(
            id=int(row["id"]),
            name=row["name"],
            role=row["role"],
            agency_id=int(row["agency_id"]),
            agency=row["agency"],
            unit=row["unit"],
            failed_logins=int(row["failed_logins"]),
            locked_until=from_text(row["locked_until"]) if row["locked_until"] else None,
            disabled=bool(row["disabled"]),
            must_change_password=bool(row["must_change_password"]),
            password_hash=row["password_hash"],
        )

    def public(self) -> dict[str, object]:
        """What listings show: never the password hash."""
        return {
            "name": self.name,
            "role": self.role,
            "agency": self.agency,
            "unit": self.unit,
            "locked_until": to_text(self.locked_until) if self.locked_until else None,
            "disabled": self.disabled,
        }


def create_agency(tx: Tx, name: str) -> int:
    name = required("agency name", name)
    if tx.one("SELECT id FROM agencies WHERE name = ?", (name,)):
        raise Conflict(f"agency {name!r} already exists")
    return tx.insert("INSERT INTO agencies (name, created_at) VALUES (?, ?)", (name, now_text()))


def agency_id(tx: Tx, name: str) -> int:
    row = tx.one("SELECT id FROM agencies WHERE name = ?", (name,))
    if row is None:
        raise NotFound(f"no agency named {name!r}")
    return int(row["id"])


def first_agency_id(tx: Tx) -> int:
    return int(tx.scalar("SELECT MIN(id) FROM agencies"))


def create_unit(tx: Tx, agency: int, name: str) -> int:
    name = required("unit name", name)
    if tx.one("SELECT id FROM units WHERE agency_id = ? AND name = ?", (agency, name)):
        raise Conflict(f"unit {name!r} already exists in this agency")
    return tx.insert(
        "INSERT INTO units (agency_id, name, created_at) VALUES (?, ?, ?)",
        (agency, name, now_text()),
    )


def unit_id(tx: Tx, agency: int, name: str) -> int:
    row = tx.one("SELECT id FROM units WHERE agency_id = ? AND name = ?", (agency, name))
    if row is None:
        raise NotFound(
            f"no unit named {name!r} in this agency",
            hint="an administrator can create it with `custodio unit add`",
        )
    return int(row["id"])


def list_units(tx: Tx, agency: int) -> list[str]:
    rows = tx.all("SELECT name FROM units WHERE agency_id = ? ORDER BY name", (agency,))
    return [r["name"] for r in rows]


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}", hint=f"choose one of {', '.join(ROLES)}")
    return role


def check_user_name(name: str) -> str:
    if not name or not set(name) <= _NAME_CHARS or len(name) > 64:
        raise InvalidInput(
            f"user name {name!r} is not valid",
            hint="use 1-64 lower-case letters, digits, '.', '_' or '-'",
        )
    return name


def create_user(
    tx: Tx,
    *,
    agency: int,
    name: str,
    role: str,
    password_hash: str,
    unit: int | None = None,
    must_change_password: bool = False,
) -> int:
    check_user_name(name)
    check_role(role)
    if tx.one("SELECT id FROM users WHERE name = ?", (name,)):
        raise Conflict(f"user {name!r} already exists")
    return tx.insert(
        "INSERT INTO users (agency_id, unit_id, name, role, password_hash, "
        "must_change_password, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (agency, unit, name, role, password_hash, int(must_change_password), now_text()),
    )


_USER_SELECT = (
    "SELECT u.*, a.name AS agency, n.name AS unit FROM users u "
    "JOIN agencies a ON a.id = u.agency_id LEFT JOIN units n ON n.id = u.unit_id "
)


def find_user(tx: Tx, name: str) -> User | None:
    row = tx.one(_USER_SELECT + "WHERE u.name = ?", (name,))
    return None if row is None else User.from_row(row)


def get_user(tx: Tx, name: str, agency: int) -> User:
    user = find_user(tx, name)
    if user is None or user.agency_id != agency:
        raise NotFound(f"no user named {name!r} in this agency")
    return user


def list_users(tx: Tx, agency: int) -> list[User]:
    rows = tx.all(_USER_SELECT + "WHERE u.agency_id = ? ORDER BY u.name", (agency,))
    return [User.from_row(r) for r in rows]


def record_failed_login(tx: Tx, user: User, *, max_failures: int, lockout: timedelta) -> bool:
    """Count a failed login; lock the account when the limit is reached. True if locked now."""
    failures = user.failed_logins + 1
    locked_until = None
    if failures >= max_failures:
        locked_until = to_text(from_text(now_text()) + lockout)
    tx.execute(
        "UPDATE users SET failed_logins = ?, locked_until = ? WHERE id = ?",
        (failures, locked_until, user.id),
    )
    return locked_until is not None


def record_good_login(tx: Tx, user: User) -> None:
    tx.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?", (user.id,))


def unlock(tx: Tx, user: User) -> None:
    record_good_login(tx, user)


def set_disabled(tx: Tx, user: User, disabled: bool) -> None:
    tx.execute("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), user.id))


def set_password(tx: Tx, user: User, password_hash: str) -> None:
    tx.execute(
        "UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?",
        (password_hash, user.id),
    )


def check_password(user: User, password: str) -> bool:
    return passwords.verify_password(user.password_hash, password)


def required(what: str, value: str) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"the {what} must not be empty")
    return value
