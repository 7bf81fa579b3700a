CREATE TABLE projects (
    id                  TEXT    NOT NULL PRIMARY KEY,
    name                TEXT    NOT NULL,
    plan                TEXT    NOT NULL,
    monthly_budget_usd  TEXT    NULL,
    created_at          BIGINT  NOT NULL,
    updated_at          BIGINT  NOT NULL
);

CREATE TABLE api_keys (
    id            TEXT    NOT NULL PRIMARY KEY,
    project_id    TEXT    NULL REFERENCES projects (id) ON DELETE CASCADE,
    role          TEXT    NOT NULL CHECK (role IN ('operator', 'admin', 'member')),
    name          TEXT    NOT NULL,
    prefix        TEXT    NOT NULL,
    hash          TEXT    NOT NULL UNIQUE,
    created_at    BIGINT  NOT NULL,
    last_used_at  BIGINT  NULL,
    revoked_at    BIGINT  NULL
);

CREATE INDEX ix_api_keys_project ON api_keys (project_id, created_at);
