-- One table for every installed connector, webhook and provider integration, whichever route created it.
CREATE TABLE destinations (
    id                          TEXT    NOT NULL PRIMARY KEY,
    project_id                  TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind                        TEXT    NOT NULL,
    surface                     TEXT    NOT NULL,
    name                        TEXT    NOT NULL,
    url_sealed                  TEXT    NOT NULL,
    url_fingerprint             TEXT    NOT NULL,
    destination_host            TEXT    NOT NULL,
    http_method                 TEXT    NOT NULL DEFAULT 'POST',
    headers_sealed              TEXT    NULL,
    signing_secret_sealed       TEXT    NULL,
    previous_secret_sealed      TEXT    NULL,
    previous_secret_expires_at  BIGINT  NULL,
    event_types                 TEXT    NOT NULL,
    categories                  TEXT    NULL,
    status                      TEXT    NOT NULL CHECK (status IN ('active', 'disabled', 'auto_disabled')),
    last_delivery_status        TEXT    NULL,
    last_delivery_at            BIGINT  NULL,
    created_at                  BIGINT  NOT NULL,
    updated_at                  BIGINT  NOT NULL
);

CREATE INDEX ix_destinations_project ON destinations (project_id, created_at, id);

-- Herald's own secrets (e.g. the fingerprint key), sealed with the master key like every other secret.
CREATE TABLE herald_secrets (
    name          TEXT    NOT NULL PRIMARY KEY,
    value_sealed  TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL
);
