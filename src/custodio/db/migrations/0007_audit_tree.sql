-- Custodio catalog, version 7: the audit log's Merkle tree, stored (docs/formats/audit.md,
-- "Stored tree"), so that checkpoints and proofs read O(log n) rows instead of the log.
-- Portable SQL for SQLite and PostgreSQL.

-- The root of every perfect subtree of two entries or more: (level, idx) covers entries
-- idx * 2^level + 1 .. (idx + 1) * 2^level. Level 0 is the entry itself (its entry_hash),
-- not repeated here. Written with the entry that completes it; never updated or deleted.
@sqlite CREATE TABLE audit_nodes (
    level INTEGER NOT NULL,
    idx   BIGINT NOT NULL,
    hash  TEXT NOT NULL,
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;
@postgresql CREATE TABLE audit_nodes (
    level INTEGER NOT NULL,
    idx   BIGINT NOT NULL,
    hash  TEXT NOT NULL,
    PRIMARY KEY (level, idx)
);

-- A log written before version 7 has no nodes yet: this row says that entries 1..done have
-- theirs. Custodio builds the rest when it opens the catalog (and before any append or
-- checkpoint), then deletes the row. A new catalog never has one.
CREATE TABLE audit_nodes_backfill (
    done BIGINT NOT NULL
);
INSERT INTO audit_nodes_backfill (done) SELECT 0 WHERE EXISTS (SELECT 1 FROM audit_entries);

-- The seal check's lookup: the newest entry of an action on a target.
CREATE INDEX audit_entries_target ON audit_entries (target, action, seq);
