-- Custodio catalog, version 4: consumed journal segments archived into the vault, per case
-- (docs/handover.md, "Archiving the journal"). Portable SQL for SQLite and PostgreSQL.

-- One row per (journal segment, vault case): the segment's PDUs that attribute to that
-- case, back to back as received, in one vault object of kind `pdu`. vault_case is the
-- case's vault name (its id) or `quarantine:<operator>` for PDUs no warrant claims.
-- segment is the segment's first journal record number (its file name).
CREATE TABLE journal_archive (
    segment      BIGINT NOT NULL,
    vault_case   TEXT NOT NULL,
    case_id      BIGINT REFERENCES cases(id),
    operator     TEXT,
    first_seq    BIGINT NOT NULL,
    last_seq     BIGINT NOT NULL,
    records      BIGINT NOT NULL,
    object_id    TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         BIGINT NOT NULL,
    stored_size  BIGINT NOT NULL,
    archived_at  TEXT NOT NULL,
    PRIMARY KEY (segment, vault_case)
);

-- A segment archived whole (its rows above, possibly none): it may be retired.
CREATE TABLE journal_archived_segments (
    segment      BIGINT PRIMARY KEY,
    last_seq     BIGINT NOT NULL,
    records      BIGINT NOT NULL,
    skipped      BIGINT NOT NULL,
    archived_at  TEXT NOT NULL
);
