-- Custodio catalog, version 6: classification (docs/classification.md) — jobs, labels,
-- watch-lists, per-case tuning, notifications — and the derived products it and assembly
-- add (transcripts, pcap of data sessions).
-- Portable SQL for SQLite and PostgreSQL; times are UTC text as in version 1.

-- comm_products may also hold a data session's packets (pcap) and a transcript per
-- direction. A CHECK cannot be altered in SQLite: the table is rebuilt there, keeping ids.
@sqlite CREATE TABLE comm_products_v6 (
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
    CHECK (kind IN ('pdus', 'audio', 'message', 'pcap', 'transcript'))
);
@sqlite INSERT INTO comm_products_v6 SELECT * FROM comm_products;
@sqlite DROP TABLE comm_products;
@sqlite ALTER TABLE comm_products_v6 RENAME TO comm_products;
@sqlite CREATE INDEX comm_products_comm ON comm_products (communication_id);
@postgresql ALTER TABLE comm_products DROP CONSTRAINT comm_products_kind_check;
@postgresql ALTER TABLE comm_products ADD CONSTRAINT comm_products_kind_check
    CHECK (kind IN ('pdus', 'audio', 'message', 'pcap', 'transcript'));

-- A derived product replaced by a later run (a re-classified transcript) is kept, marked.
ALTER TABLE comm_products ADD COLUMN superseded_at TEXT;

-- Classification jobs (docs/classification.md, "Jobs"): one row per (kind,
-- communication); queuing again (an amended communication, `custodio classify --redo`)
-- bumps generation and resets the state. state: queued, running, done, failed. A running
-- job whose lease_until has passed is claimed again (its worker died). attempts counts
-- claims; the limit is the setting jobs_max_attempts. published_at: when the dramatiq
-- executor last sent its id to the broker (NULL: not yet, or queued again since).
CREATE TABLE jobs (
    id               {pk},
    kind             TEXT NOT NULL,
    communication_id BIGINT NOT NULL REFERENCES communications(id),
    case_id          BIGINT REFERENCES cases(id),
    state            TEXT NOT NULL,
    generation       INTEGER NOT NULL DEFAULT 1,
    attempts         INTEGER NOT NULL DEFAULT 0,
    not_before       TEXT NOT NULL,
    lease_until      TEXT,
    worker           TEXT,
    error            TEXT,
    published_at     TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    finished_at      TEXT,
    CHECK (state IN ('queued', 'running', 'done', 'failed'))
);
CREATE UNIQUE INDEX jobs_one_per_comm ON jobs (kind, communication_id);
CREATE INDEX jobs_ready ON jobs (state, not_before);

-- Labels: what an engine (or a user) found in a communication. label_key is
-- classify.labels.Label.key (stable across runs); owner the engine or `user:NAME`.
-- A re-run replaces its engine's unreviewed labels; reviewed ones are kept, marked
-- superseded. review: none, confirmed, overruled (an overruled label is never deleted).
CREATE TABLE labels (
    id               {pk},
    communication_id BIGINT NOT NULL REFERENCES communications(id),
    case_id          BIGINT REFERENCES cases(id),
    label_key        TEXT NOT NULL,
    owner            TEXT NOT NULL,
    kind             TEXT NOT NULL,
    value            TEXT NOT NULL,
    confidence       DOUBLE PRECISION NOT NULL,
    source           TEXT NOT NULL,
    direction        TEXT,
    text             TEXT NOT NULL DEFAULT '',
    word_start       INTEGER,
    word_end         INTEGER,
    start_s          DOUBLE PRECISION,
    end_s            DOUBLE PRECISION,
    detail           TEXT NOT NULL,
    review           TEXT NOT NULL DEFAULT 'none',
    reviewed_by      BIGINT REFERENCES users(id),
    reviewed_at      TEXT,
    review_note      TEXT,
    superseded_at    TEXT,
    created_at       TEXT NOT NULL,
    CHECK (review IN ('none', 'confirmed', 'overruled'))
);
CREATE INDEX labels_comm ON labels (communication_id);
CREATE INDEX labels_case_kind ON labels (case_id, kind, value);

-- A case's watch-list. kind: term, name, place, number. A removed term is kept.
CREATE TABLE watch_terms (
    id          {pk},
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    text        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    added_by    BIGINT REFERENCES users(id),
    added_at    TEXT NOT NULL,
    removed_by  BIGINT REFERENCES users(id),
    removed_at  TEXT,
    CHECK (kind IN ('term', 'name', 'place', 'number'))
);
CREATE INDEX watch_terms_case ON watch_terms (case_id);

-- Per-case tuning: watch-list threshold, priority weights (JSON object factor -> weight)
-- and the priority above which the case's investigators are alerted.
CREATE TABLE case_classification (
    case_id          BIGINT PRIMARY KEY REFERENCES cases(id),
    match_threshold  DOUBLE PRECISION NOT NULL,
    weights          TEXT NOT NULL,
    alert_threshold  DOUBLE PRECISION NOT NULL,
    updated_by       BIGINT REFERENCES users(id),
    updated_at       TEXT NOT NULL
);

-- Events the workspace shows to a case's investigators (alert.watchlist, alert.priority,
-- call.started), never carrying content. webhook: none, pending, sent, failed.
CREATE TABLE notifications (
    id               {pk},
    agency_id        BIGINT NOT NULL REFERENCES agencies(id),
    case_id          BIGINT NOT NULL REFERENCES cases(id),
    communication_id BIGINT REFERENCES communications(id),
    kind             TEXT NOT NULL,
    detail           TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    webhook          TEXT NOT NULL DEFAULT 'none',
    webhook_attempts INTEGER NOT NULL DEFAULT 0,
    webhook_error    TEXT,
    CHECK (webhook IN ('none', 'pending', 'sent', 'failed'))
);
CREATE INDEX notifications_case ON notifications (case_id, id);
CREATE INDEX notifications_webhook ON notifications (webhook);
