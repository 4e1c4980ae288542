-- Custodio catalog, version 10: single communications given to an interpreter to
-- translate (docs/access-policy.md, "Interpreters"). Does not depend on versions 8 and 9.
-- Portable SQL for SQLite and PostgreSQL; times are UTC text as in version 1.

-- One row per assignment. An assignment is open (it lets the interpreter read that one
-- communication's content and submit a translation of it) until the translation is
-- submitted (done_at, label_id: the label it made) or someone ends it (ended_at,
-- ended_by). language: the language the translation is wanted in (ISO 639 code).
CREATE TABLE translation_assignments (
    id               {pk},
    communication_id BIGINT NOT NULL REFERENCES communications(id),
    interpreter_id   BIGINT NOT NULL REFERENCES users(id),
    assigned_by      BIGINT NOT NULL REFERENCES users(id),
    assigned_at      TEXT NOT NULL,
    language         TEXT NOT NULL,
    done_at          TEXT,
    label_id         BIGINT REFERENCES labels(id),
    ended_at         TEXT,
    ended_by         BIGINT REFERENCES users(id)
);
-- At most one open assignment of a communication to one interpreter.
CREATE UNIQUE INDEX translation_assignments_open ON translation_assignments
    (communication_id, interpreter_id) WHERE done_at IS NULL AND ended_at IS NULL;
CREATE INDEX translation_assignments_interpreter ON translation_assignments
    (interpreter_id, done_at, ended_at);
