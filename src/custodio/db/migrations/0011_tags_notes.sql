-- Custodio catalog, version 11: the tags and notes investigators put on communications
-- (docs/access-policy.md, "Tags and notes"). Does not depend on version 10. A note's text
-- is also indexed for search (search_docs, version 9: kind 'note', source_id the note).
-- Portable SQL for SQLite and PostgreSQL; times are UTC text as in version 1.

-- One row per tag put on a communication: its text (normalised: lower case, single
-- spaces), who put it there and when. Removing it keeps the row and says who removed it
-- and when (removed_by, removed_at): the history of what was marked stays, as in the
-- audit log. Putting the same tag back is a new row.
CREATE TABLE comm_tags (
    id               {pk},
    communication_id BIGINT NOT NULL REFERENCES communications(id),
    tag              TEXT NOT NULL,
    added_by         BIGINT NOT NULL REFERENCES users(id),
    added_at         TEXT NOT NULL,
    removed_by       BIGINT REFERENCES users(id),
    removed_at       TEXT,
    CHECK ((removed_by IS NULL) = (removed_at IS NULL))
);
-- A tag is on a communication at most once at a time.
CREATE UNIQUE INDEX comm_tags_current ON comm_tags (communication_id, tag)
    WHERE removed_at IS NULL;
-- The communications that carry a tag (a timeline filtered by tag).
CREATE INDEX comm_tags_by_tag ON comm_tags (tag, communication_id) WHERE removed_at IS NULL;

-- One row per note: append-only, like an evidence log. Nothing in Custodio updates or
-- deletes a note; a correction is a new note.
CREATE TABLE comm_notes (
    id               {pk},
    communication_id BIGINT NOT NULL REFERENCES communications(id),
    author_id        BIGINT NOT NULL REFERENCES users(id),
    created_at       TEXT NOT NULL,
    text             TEXT NOT NULL,
    CHECK (length(text) BETWEEN 1 AND 10000)
);
CREATE INDEX comm_notes_comm ON comm_notes (communication_id, id);
