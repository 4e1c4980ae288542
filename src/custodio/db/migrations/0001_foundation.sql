-- Custodio catalog, version 1: tenants, people, cases, warrants, targets, LIIDs, audit.
-- Portable SQL for SQLite and PostgreSQL. {pk} is the dialect's auto-increment key;
-- times are TEXT in UTC, 'YYYY-MM-DDTHH:MM:SS.ffffffZ', so they sort as they compare.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE agencies (
    id         {pk},
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE units (
    id         {pk},
    agency_id  BIGINT NOT NULL REFERENCES agencies(id),
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (agency_id, name)
);

CREATE TABLE users (
    id                   {pk},
    agency_id            BIGINT NOT NULL REFERENCES agencies(id),
    unit_id              BIGINT REFERENCES units(id),
    name                 TEXT NOT NULL UNIQUE,
    role                 TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    failed_logins        INTEGER NOT NULL DEFAULT 0,
    locked_until         TEXT,
    disabled             INTEGER NOT NULL DEFAULT 0,
    created_at           TEXT NOT NULL,
    CHECK (role IN ('administrator', 'warrant_officer', 'investigator', 'interpreter',
                    'judge', 'auditor'))
);

CREATE TABLE cases (
    id         {pk},
    agency_id  BIGINT NOT NULL REFERENCES agencies(id),
    unit_id    BIGINT NOT NULL REFERENCES units(id),
    reference  TEXT NOT NULL,
    court      TEXT NOT NULL,
    title      TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'open',
    created_at TEXT NOT NULL,
    UNIQUE (agency_id, reference),
    CHECK (status IN ('open', 'closed'))
);

CREATE TABLE case_assignments (
    id          {pk},
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    user_id     BIGINT NOT NULL REFERENCES users(id),
    assigned_at TEXT NOT NULL,
    until       TEXT,
    ended_at    TEXT
);
CREATE INDEX case_assignments_user ON case_assignments (user_id);

CREATE TABLE warrants (
    id             {pk},
    case_id        BIGINT NOT NULL REFERENCES cases(id),
    court          TEXT NOT NULL,
    judge          TEXT NOT NULL,
    reference      TEXT NOT NULL,
    issued_at      TEXT NOT NULL,
    valid_from     TEXT NOT NULL,
    valid_until    TEXT NOT NULL,
    scope_content  INTEGER NOT NULL,
    scope_traffic  INTEGER NOT NULL,
    scope_location INTEGER NOT NULL,
    revoked_at     TEXT,
    revoke_reason  TEXT,
    created_at     TEXT NOT NULL,
    UNIQUE (case_id, reference),
    CHECK (valid_from < valid_until)
);

CREATE TABLE warrant_extensions (
    id              {pk},
    warrant_id      BIGINT NOT NULL REFERENCES warrants(id),
    order_reference TEXT NOT NULL,
    judge           TEXT NOT NULL,
    valid_from      TEXT NOT NULL,
    valid_until     TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    CHECK (valid_from < valid_until)
);

CREATE TABLE targets (
    id         {pk},
    case_id    BIGINT NOT NULL REFERENCES cases(id),
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE target_identifiers (
    id        {pk},
    target_id BIGINT NOT NULL REFERENCES targets(id),
    kind      TEXT NOT NULL,
    value     TEXT NOT NULL,
    UNIQUE (target_id, kind, value),
    CHECK (kind IN ('e164', 'imsi', 'imei', 'sip', 'email', 'ip'))
);
CREATE INDEX target_identifiers_value ON target_identifiers (kind, value);

CREATE TABLE warrant_targets (
    warrant_id BIGINT NOT NULL REFERENCES warrants(id),
    target_id  BIGINT NOT NULL REFERENCES targets(id),
    PRIMARY KEY (warrant_id, target_id)
);

CREATE TABLE liids (
    id          {pk},
    warrant_id  BIGINT NOT NULL REFERENCES warrants(id),
    liid        TEXT NOT NULL,
    operator    TEXT NOT NULL,
    valid_from  TEXT,            -- NULL: from the warrant's start
    valid_until TEXT,            -- NULL: until the warrant's end, extensions included
    created_at  TEXT NOT NULL
);
CREATE INDEX liids_liid ON liids (liid, operator);

CREATE TABLE protected_numbers (
    id         {pk},
    agency_id  BIGINT NOT NULL REFERENCES agencies(id),
    number     TEXT NOT NULL,
    reason     TEXT NOT NULL,
    added_by   BIGINT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    removed_at TEXT
);
CREATE INDEX protected_numbers_number ON protected_numbers (agency_id, number);

-- The audit log: see docs/formats/audit.md. Rows are never updated or deleted.
CREATE TABLE audit_entries (
    seq        BIGINT PRIMARY KEY,
    time       TEXT NOT NULL,
    agency_id  BIGINT,
    actor_id   BIGINT,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    target     TEXT NOT NULL,
    case_id    BIGINT,
    purpose    TEXT,
    details    TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    entry_hash TEXT NOT NULL
);
CREATE INDEX audit_entries_case ON audit_entries (case_id, seq);
CREATE INDEX audit_entries_agency ON audit_entries (agency_id, seq);

CREATE TABLE audit_checkpoints (
    size      BIGINT PRIMARY KEY,
    root      TEXT NOT NULL,
    time      TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    signature TEXT NOT NULL
);
