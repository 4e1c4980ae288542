-- Custodio catalog, version 3: communications assembled from the journal (docs/assembly.md).
-- Portable SQL for SQLite and PostgreSQL; times are UTC text as in version 1.

-- One call, SMS or data session, correlated by (operator, LIID, CIN).
-- status: open (still assembling), complete, partial, orphan. reasons and notes are JSON
-- lists (why partial; cross-check findings that do not change the status).
-- open_seq: the first journal record of the current open episode (a late record re-opens
-- a closed communication at its own seq); last_seq: the last journal record applied.
CREATE TABLE communications (
    id           {pk},
    agency_id    BIGINT REFERENCES agencies(id),
    case_id      BIGINT REFERENCES cases(id),
    warrant_id   BIGINT REFERENCES warrants(id),
    liid         TEXT NOT NULL,
    operator     TEXT NOT NULL,
    cin          BIGINT,
    call_id      TEXT,
    kind         TEXT NOT NULL,
    direction    TEXT NOT NULL,
    status       TEXT NOT NULL,
    reasons      TEXT NOT NULL,
    notes        TEXT NOT NULL,
    begin_at     TEXT,
    answer_at    TEXT,
    end_at       TEXT,
    closed_by    TEXT,
    outcome      TEXT,
    target_basis TEXT,
    sealed       INTEGER NOT NULL DEFAULT 0,
    quarantined  INTEGER NOT NULL DEFAULT 0,
    amendments   INTEGER NOT NULL DEFAULT 0,
    open_seq     BIGINT NOT NULL,
    last_seq     BIGINT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    CHECK (kind IN ('voice', 'sms', 'data', 'other')),
    CHECK (direction IN ('originating', 'terminating', 'unknown')),
    CHECK (status IN ('open', 'complete', 'partial', 'orphan'))
);
CREATE INDEX communications_case ON communications (case_id, begin_at);
CREATE INDEX communications_key ON communications (operator, liid, cin);
CREATE INDEX communications_status ON communications (status);

-- The parties as delivered, normalised to E.164 where possible.
-- role: originating, terminating, forwarded, sender, recipient, other.
CREATE TABLE comm_parties (
    id               {pk},
    communication_id BIGINT NOT NULL REFERENCES communications(id),
    role             TEXT NOT NULL,
    delivered        TEXT NOT NULL,
    e164             TEXT,
    is_target        INTEGER NOT NULL DEFAULT 0,
    source           TEXT NOT NULL
);
CREATE INDEX comm_parties_comm ON comm_parties (communication_id);
CREATE INDEX comm_parties_e164 ON comm_parties (e164);

-- Cells the target was in, with the time they were reported.
CREATE TABLE comm_locations (
    id               {pk},
    communication_id BIGINT NOT NULL REFERENCES communications(id),
    cell             TEXT NOT NULL,
    at               TEXT NOT NULL
);
CREATE INDEX comm_locations_comm ON comm_locations (communication_id);

-- What a communication consists of: journal records (kind pdus: the records of one
-- assembly episode, first..last seq of its key, their count and the SHA-256 of the raw
-- PDUs in journal order) and vault objects (audio per direction, message).
CREATE TABLE comm_products (
    id               {pk},
    communication_id BIGINT NOT NULL REFERENCES communications(id),
    kind             TEXT NOT NULL,
    direction        TEXT,
    first_seq        BIGINT,
    last_seq         BIGINT,
    records          BIGINT NOT NULL DEFAULT 0,
    vault_case       TEXT,
    object_id        TEXT,
    sha256           TEXT NOT NULL,
    size             BIGINT NOT NULL,
    details          TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    CHECK (kind IN ('pdus', 'audio', 'message'))
);
CREATE INDEX comm_products_comm ON comm_products (communication_id);

-- Received but not attributable to a valid warrant: held, encrypted in the vault, for
-- the warrant officer. agency_id and case_id are NULL for an LIID nobody registered.
CREATE TABLE quarantine_items (
    id               {pk},
    agency_id        BIGINT REFERENCES agencies(id),
    case_id          BIGINT REFERENCES cases(id),
    warrant_id       BIGINT REFERENCES warrants(id),
    communication_id BIGINT REFERENCES communications(id),
    liid             TEXT NOT NULL,
    operator         TEXT NOT NULL,
    cin              BIGINT,
    reason           TEXT NOT NULL,
    data_kind        TEXT NOT NULL,
    first_seq        BIGINT,
    last_seq         BIGINT,
    records          BIGINT NOT NULL,
    vault_case       TEXT NOT NULL,
    object_id        TEXT NOT NULL,
    sha256           TEXT NOT NULL,
    size             BIGINT NOT NULL,
    created_at       TEXT NOT NULL,
    released_at      TEXT,
    destroyed_at     TEXT,
    CHECK (data_kind IN ('all', 'content', 'traffic', 'location'))
);
CREATE INDEX quarantine_items_agency ON quarantine_items (agency_id, created_at);

-- How far each assembler has applied the journal, written in the same transaction as
-- what it applied: a restart skips records at or below it (exactly once).
CREATE TABLE assembly_positions (
    consumer   TEXT PRIMARY KEY,
    last_seq   BIGINT NOT NULL,
    updated_at TEXT NOT NULL
);
