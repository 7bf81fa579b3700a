-- The customer portal (docs/portal.md): per project, who may frame the portal and how it is themed.
CREATE TABLE portal_settings (
    project_id       TEXT    NOT NULL PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    allowed_origins  TEXT    NOT NULL,
    product_name     TEXT    NULL,
    accent_color     TEXT    NULL,
    logo_url         TEXT    NULL,
    updated_at       BIGINT  NOT NULL
);

-- Sign-in links: the token is stored only as its SHA-256 hash. A link is opened once (opened_at), before link_expires_at;
-- the session it starts lasts until expires_at, or until ended_at (sign-out, or DELETE /v1/projects/{id}/portal-sessions).
CREATE TABLE portal_sessions (
    id               TEXT    NOT NULL PRIMARY KEY,
    project_id       TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    role             TEXT    NOT NULL CHECK (role IN ('admin', 'member')),
    token_hash       TEXT    NOT NULL UNIQUE,
    return_url       TEXT    NULL,
    session_seconds  BIGINT  NOT NULL,
    link_expires_at  BIGINT  NOT NULL,
    opened_at        BIGINT  NULL,
    expires_at       BIGINT  NULL,
    ended_at         BIGINT  NULL,
    created_at       BIGINT  NOT NULL
);

CREATE INDEX ix_portal_sessions_project ON portal_sessions (project_id, created_at);

-- The console's attempt inspector shows each attempt's response headers ("Name: value" lines, at most 4 KiB, cookies withheld).
ALTER TABLE attempts ADD COLUMN response_headers TEXT NULL;
