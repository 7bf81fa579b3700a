-- Inbound sources (Sources/): providers such as Razorpay or Stripe post signed webhooks to /in/{token}; Herald verifies and
-- publishes them. The token is looked up by its SHA-256 and kept sealed (to show the inbound URL again); the secret is sealed.
CREATE TABLE sources (
    id                  TEXT     NOT NULL PRIMARY KEY,
    project_id          TEXT     NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    kind                TEXT     NOT NULL,
    name                TEXT     NOT NULL,
    via                 TEXT     NOT NULL CHECK (via IN ('api', 'provider')),
    token_hash          TEXT     NOT NULL UNIQUE,
    token_sealed        TEXT     NOT NULL,
    secret_sealed       TEXT     NOT NULL,
    secret_fingerprint  TEXT     NOT NULL,
    status              TEXT     NOT NULL CHECK (status IN ('active', 'disabled')),
    last_received_at    BIGINT   NULL,
    last_event_id       TEXT     NULL,
    last_result         TEXT     NULL,
    last_result_at      BIGINT   NULL,
    last_failure        TEXT     NULL,
    last_failure_at     BIGINT   NULL,
    created_at          BIGINT   NOT NULL,
    updated_at          BIGINT   NOT NULL
);

CREATE INDEX ix_sources_project ON sources (project_id, created_at, id);
-- A project configures each inbound provider through seed 002's providers routes at most once.
CREATE UNIQUE INDEX ux_sources_provider ON sources (project_id, kind) WHERE via = 'provider';

-- The provider event ids a source has published, so a provider's retry creates nothing (kept for Herald:Sources:DeduplicationWindow).
CREATE TABLE source_receipts (
    source_id          TEXT     NOT NULL REFERENCES sources (id) ON DELETE CASCADE,
    provider_event_id  TEXT     NOT NULL,
    event_id           TEXT     NOT NULL,
    received_at        BIGINT   NOT NULL,
    PRIMARY KEY (source_id, provider_event_id)
);

CREATE INDEX ix_source_receipts_received ON source_receipts (received_at);
