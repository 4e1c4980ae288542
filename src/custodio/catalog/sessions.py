"""Login sessions and users' TOTP second factor, as the catalog stores them.

Schema in ``db/migrations/0008_sessions.sql``. A session row holds the SHA-256 of its
bearer token, never the token. The TOTP columns of ``users`` hold the shared secrets
sealed (``crypto/sealing.py``) under the second-factor key, which the catalog does not
hold, with the user's id as associated data: a sealed secret copied to another user's row
does not open. The service layer (``access/sessions.py``) decides what a code or a token
is worth, this module only stores (and seals and opens).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from custodio.crypto.sealing import SealingKey, is_sealed
from custodio.db import Tx
from custodio.db.engine import Row
from custodio.db.times import from_text, to_text
from custodio.errors import IntegrityError

_SESSION_SELECT = (
    "SELECT s.id, s.user_id, u.name AS user_name, s.created_at, s.expires_at, "
    "s.last_seen_at, s.second_factor, s.revoked_at, s.client "
    "FROM sessions s JOIN users u ON u.id = s.user_id "
)


@dataclass(frozen=True, slots=True)
class StoredSession:
    """One login session (its token is known only to its holder)."""

    id: int
    user_id: int
    user_name: str
    created_at: datetime
    expires_at: datetime  # the absolute limit
    last_seen_at: datetime  # for the idle limit
    second_factor: bool  # a one-time code was given at login
    revoked_at: datetime | None
    client: str

    @classmethod
    def from_row(cls, row: Row) -> StoredSession:
        revoked = row["revoked_at"]
        return cls(
            id=int(row["id"]),
            user_id=int(row["user_id"]),
            user_name=row["user_name"],
            created_at=from_text(row["created_at"]),
            expires_at=from_text(row["expires_at"]),
            last_seen_at=from_text(row["last_seen_at"]),
            second_factor=bool(row["second_factor"]),
            revoked_at=from_text(revoked) if revoked else None,
            client=row["client"],
        )


@dataclass(frozen=True, slots=True)
class NewSession:
    user_id: int
    token_sha256: str
    created_at: datetime
    expires_at: datetime
    second_factor: bool
    client: str


def create(tx: Tx, new: NewSession) -> int:
    return tx.insert(
        "INSERT INTO sessions (user_id, token_sha256, created_at, expires_at, last_seen_at, "
        "second_factor, client) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            new.user_id,
            new.token_sha256,
            to_text(new.created_at),
            to_text(new.expires_at),
            to_text(new.created_at),
            int(new.second_factor),
            new.client,
        ),
    )


def by_token(tx: Tx, token_sha256: str) -> StoredSession | None:
    row = tx.one(_SESSION_SELECT + "WHERE s.token_sha256 = ?", (token_sha256,))
    return None if row is None else StoredSession.from_row(row)


def by_id(tx: Tx, session_id: int) -> StoredSession | None:
    row = tx.one(_SESSION_SELECT + "WHERE s.id = ?", (session_id,))
    return None if row is None else StoredSession.from_row(row)


def touch(tx: Tx, session_id: int, at: datetime) -> None:
    """Mark the session used at ``at`` (the idle limit counts from here)."""
    tx.execute(
        "UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?",
        (to_text(at), session_id, to_text(at)),
    )


def revoke(tx: Tx, session_id: int, at: datetime) -> bool:
    """End one session; False if it had already ended."""
    row = tx.one(
        "UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING id",
        (to_text(at), session_id),
    )
    return row is not None


def revoke_all(tx: Tx, user_id: int, at: datetime, *, keep: int | None = None) -> int:
    """End every session of a user not already revoked, but ``keep``; how many were ended.

    Expired sessions are counted too (they are marked revoked all the same)."""
    rows = tx.all(
        "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL "
        "AND id <> ? RETURNING id",
        (to_text(at), user_id, -1 if keep is None else keep),  # no session's id is -1
    )
    return len(rows)


# -- the TOTP second factor ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Totp:
    """A user's TOTP state, its secrets opened: ``secret`` once enrolment is confirmed."""

    secret: str | None
    pending_secret: str | None  # enrolled, not yet confirmed by a first code
    last_step: int | None  # the last time step whose code was accepted
    enrolled_at: datetime | None

    @property
    def enrolled(self) -> bool:
        return self.secret is not None


def totp_aad(user_id: int) -> bytes:
    """The associated data a user's secrets are sealed with: they open for him alone."""
    return f"custodio totp secret, user {user_id}".encode("ascii")


def totp_of(tx: Tx, key: SealingKey, user_id: int) -> Totp:
    """The user's TOTP state, its secrets opened with ``key``; IntegrityError (naming the
    user) where one does not open: another key, another user's row, or altered."""
    row = tx.one(
        "SELECT totp_secret, totp_pending_secret, totp_last_step, totp_enrolled_at "
        "FROM users WHERE id = ?",
        (user_id,),
    )
    if row is None:
        return Totp(None, None, None, None)
    step, enrolled = row["totp_last_step"], row["totp_enrolled_at"]
    return Totp(
        secret=_open(key, user_id, row["totp_secret"]),
        pending_secret=_open(key, user_id, row["totp_pending_secret"]),
        last_step=int(step) if step is not None else None,
        enrolled_at=from_text(enrolled) if enrolled else None,
    )


def _open(key: SealingKey, user_id: int, sealed: str | None) -> str | None:
    if sealed is None:
        return None
    try:
        return key.open(sealed, totp_aad(user_id))
    except IntegrityError as e:
        raise IntegrityError(
            f"the second-factor secret of user {user_id} does not open: {e}",
            hint="second-factor.key is not the one it was sealed under, or the row was "
            "altered; an administrator can reset it: `custodio user reset-totp NAME`",
        ) from None


def totp_enrolled(tx: Tx, user_id: int) -> bool:
    """Whether the user has a confirmed second factor (nothing is opened)."""
    found = tx.scalar("SELECT COUNT(*) FROM users WHERE id = ? AND totp_secret IS NOT NULL",
                      (user_id,))  # fmt: skip
    return bool(found)


def set_pending_totp(tx: Tx, key: SealingKey, user_id: int, secret: str) -> None:
    sealed = key.seal(secret, totp_aad(user_id))
    tx.execute("UPDATE users SET totp_pending_secret = ? WHERE id = ?", (sealed, user_id))


def confirm_totp(tx: Tx, user_id: int, step: int, at: datetime) -> None:
    """The pending secret becomes the user's; ``step`` (the confirming code's) is used.

    Both columns are sealed with the same associated data: the sealed text moves as it is."""
    tx.execute(
        "UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL, "
        "totp_last_step = ?, totp_enrolled_at = ? WHERE id = ? "
        "AND totp_pending_secret IS NOT NULL",
        (step, to_text(at), user_id),
    )


def reset_totp(tx: Tx, user_id: int) -> bool:
    """Forget the user's second factor (confirmed and pending); whether he had one."""
    had = totp_enrolled(tx, user_id)
    tx.execute(
        "UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL, "
        "totp_last_step = NULL, totp_enrolled_at = NULL WHERE id = ?",
        (user_id,),
    )
    return had


def use_totp_step(tx: Tx, user_id: int, step: int) -> bool:
    """Record ``step`` as used; False if it (or a later one) was used already (a replay)."""
    row = tx.one(
        "UPDATE users SET totp_last_step = ? WHERE id = ? "
        "AND (totp_last_step IS NULL OR totp_last_step < ?) RETURNING id",
        (step, user_id, step),
    )
    return row is not None


def any_sealed_totp(tx: Tx) -> bool:
    """Whether some secret in the catalog is sealed (under whatever key)."""
    found = tx.scalar(
        "SELECT COUNT(*) FROM users WHERE totp_secret LIKE 'v1:%' "
        "OR totp_pending_secret LIKE 'v1:%'"
    )
    return bool(found)


def any_clear_totp(tx: Tx) -> bool:
    """Whether some secret in the catalog is in the clear (a catalog from before sealing)."""
    found = tx.scalar(
        "SELECT COUNT(*) FROM users WHERE totp_secret NOT LIKE 'v1:%' "
        "OR totp_pending_secret NOT LIKE 'v1:%'"
    )
    return bool(found)


def seal_clear_totp(tx: Tx, key: SealingKey) -> int:
    """Seal the secrets stored in the clear (before the catalog sealed them); how many
    users' rows were sealed. Each update names the clear value it replaces, so that two
    processes starting at once seal a secret once."""
    rows = tx.all(
        "SELECT id, totp_secret, totp_pending_secret FROM users "
        "WHERE totp_secret IS NOT NULL OR totp_pending_secret IS NOT NULL ORDER BY id"
    )
    sealed = 0
    for row in rows:
        user_id = int(row["id"])
        clear = {c: row[c] for c in ("totp_secret", "totp_pending_secret")
                 if row[c] is not None and not is_sealed(row[c])}  # fmt: skip
        for column, value in clear.items():
            tx.execute(
                f"UPDATE users SET {column} = ? WHERE id = ? AND {column} = ?",
                (key.seal(value, totp_aad(user_id)), user_id, value),
            )
        sealed += bool(clear)
    return sealed
