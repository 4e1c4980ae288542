-- Custodio catalog, version 9: full-text search (docs/search.md) over transcripts, SMS
-- text and notes. Does not depend on version 8 (they were written side by side).
-- Portable SQL for SQLite and PostgreSQL, plus each backend's own text index.

-- One searchable passage: a transcript segment (start_s: the second of the call where it
-- begins), an SMS's text or a note. kind: transcript (what was said), translation (a
-- machine draft in a working language), sms, note. source_id: the comm_products row of a
-- transcript or SMS (its rows go when it is superseded), the note's id for a note.
-- Written in the same transaction as what it indexes (catalog/search.py). The case is
-- not repeated here: it is the communication's, read through the join that applies the
-- caller's visibility.
CREATE TABLE search_docs (
    id               {pk},
    communication_id BIGINT NOT NULL REFERENCES communications(id),
    kind             TEXT NOT NULL,
    source_id        BIGINT,
    direction        TEXT,
    start_s          DOUBLE PRECISION,
    text             TEXT NOT NULL,
    CHECK (kind IN ('transcript', 'translation', 'sms', 'note'))
);
CREATE INDEX search_docs_source ON search_docs (kind, source_id);
CREATE INDEX search_docs_comm ON search_docs (communication_id);

-- SQLite: an FTS5 index over search_docs.text (external content: the text is stored once,
-- in search_docs). Words are folded to lower case without diacritics (unicode61,
-- remove_diacritics 2): "díñero" and "dinero" are one word; there is no stemming.
@sqlite CREATE VIRTUAL TABLE search_fts USING fts5(
    text, content = 'search_docs', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

-- PostgreSQL: the spanish configuration with unaccent before the stemmer, so that
-- "díñero" and "dinero" are one lexeme and "transferencias" finds "transferencia", and a
-- GIN index over the stored tsvector. unaccent is a trusted extension (PostgreSQL 13 and
-- later): the database's owner may create it; otherwise an administrator creates it once,
-- in schema public (docs/search.md, "PostgreSQL").
@postgresql CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
@postgresql CREATE TEXT SEARCH CONFIGURATION custodio_spanish (COPY = pg_catalog.spanish);
@postgresql ALTER TEXT SEARCH CONFIGURATION custodio_spanish
    ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, pg_catalog.spanish_stem;
@postgresql ALTER TABLE search_docs ADD COLUMN tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('custodio_spanish'::regconfig, text)) STORED;
@postgresql CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv);

-- Numbers and identifiers are found exactly or by their start (catalog/search.py): on
-- PostgreSQL a prefix is LIKE 'x%', which only a text_pattern_ops index answers whatever
-- the database's collation; SQLite compares ranges on the binary collation.
CREATE INDEX comm_parties_delivered ON comm_parties (delivered);
@postgresql CREATE INDEX comm_parties_e164_prefix ON comm_parties (e164 text_pattern_ops);
@postgresql CREATE INDEX comm_parties_delivered_prefix ON comm_parties (delivered text_pattern_ops);
@postgresql CREATE INDEX labels_value_prefix ON labels (value text_pattern_ops);
@sqlite CREATE INDEX labels_value ON labels (value);

-- Transcripts and SMS stored before version 9 are in the vault only, encrypted: this
-- migration cannot read them. This row says the index still lacks them; the service,
-- which holds the keys, fills it in (`custodio search reindex`) and deletes the row.
-- A new catalog never has one.
CREATE TABLE search_backfill (
    pending INTEGER NOT NULL
);
INSERT INTO search_backfill (pending) SELECT 1 WHERE EXISTS (
    SELECT 1 FROM comm_products WHERE kind IN ('transcript', 'message')
);
