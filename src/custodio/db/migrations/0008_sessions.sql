-- Custodio catalog, version 8: login sessions and the TOTP second factor
-- (docs/access-policy.md, "Sessions and the second factor"; docs/threat-model.md).
-- Portable SQL for SQLite and PostgreSQL.

-- One row per login. The bearer token itself is never stored: only its SHA-256 (hex), so
-- that whoever reads the catalog cannot act as a logged-in user. A session ends when it
-- is idle too long (last_seen_at), reaches expires_at (the absolute limit), or is revoked
-- (logout, or an administrator's `custodio session revoke`).
CREATE TABLE sessions (
    id            {pk},
    user_id       BIGINT NOT NULL REFERENCES users(id),
    token_sha256  TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    second_factor INTEGER NOT NULL DEFAULT 0,
    revoked_at    TEXT,
    client        TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id, revoked_at);

-- TOTP (RFC 6238): the shared secret (base32) once enrolment is confirmed, a pending one
-- until the first code confirms it, and the last time step accepted (a code is accepted
-- once: RFC 6238 section 5.2).
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending_secret TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
ALTER TABLE users ADD COLUMN totp_enrolled_at TEXT;
