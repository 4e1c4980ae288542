-- Custodio catalog, version 5: release and destruction of quarantined items
-- (docs/assembly.md, "Releasing and destroying quarantined items").
-- Portable SQL for SQLite and PostgreSQL.

-- A release is asked for by a warrant officer (with the court's order) and approved by a
-- judge, another person (four eyes); a destruction is a judge's order. Every step is also
-- an audit entry; these columns hold the state the next step needs.
ALTER TABLE quarantine_items ADD COLUMN release_order TEXT;
ALTER TABLE quarantine_items ADD COLUMN release_requested_by BIGINT REFERENCES users(id);
ALTER TABLE quarantine_items ADD COLUMN release_requested_at TEXT;
ALTER TABLE quarantine_items ADD COLUMN released_by BIGINT REFERENCES users(id);
ALTER TABLE quarantine_items ADD COLUMN destroy_order TEXT;
ALTER TABLE quarantine_items ADD COLUMN destroyed_by BIGINT REFERENCES users(id);
