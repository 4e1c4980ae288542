-- Custodio catalog, version 2: the vault's wrapped data keys and object references,
-- and the chain-of-custody record of imported evidence. See docs/formats/vault-object.md.

-- One data key per case, wrapped by a key-encryption key of the key provider.
-- Deleting the row (with the KEK rotated afterwards) is crypto-shredding.
CREATE TABLE vault_keys (
    case_id    TEXT PRIMARY KEY,
    kek_id     TEXT NOT NULL,
    wrapped    {blob} NOT NULL,
    created_at TEXT NOT NULL
);

-- Every object of a case, counted: identical content inside one case is stored once.
CREATE TABLE vault_objects (
    case_id     TEXT NOT NULL,
    object_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    size        BIGINT NOT NULL,
    stored_size BIGINT NOT NULL,
    refcount    BIGINT NOT NULL,
    sha256      TEXT,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (case_id, object_id),
    CHECK (refcount > 0)
);

-- Evidence brought in from outside (a seized recording, a court document).
CREATE TABLE imports (
    id          {pk},
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    object_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    filename    TEXT NOT NULL,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    note        TEXT,
    imported_by BIGINT NOT NULL REFERENCES users(id),
    created_at  TEXT NOT NULL
);
CREATE INDEX imports_case ON imports (case_id);
