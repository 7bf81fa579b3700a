-- The catalog of subscribable event types. Built-in types are upserted at start; operators add their own.
CREATE TABLE event_types (
    name         TEXT    NOT NULL PRIMARY KEY,
    description  TEXT    NOT NULL,
    schema       TEXT    NULL,
    builtin      INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER  NOT NULL
);

-- Published events, stored before the publish call returns.
CREATE TABLE events (
    id               TEXT    NOT NULL PRIMARY KEY,
    project_id       TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    type             TEXT    NOT NULL,
    title            TEXT    NULL,
    body             TEXT    NULL,
    data             TEXT    NOT NULL,
    categories       TEXT    NULL,
    occurred_at      INTEGER  NOT NULL,
    created_at       INTEGER  NOT NULL,
    idempotency_key  TEXT    NULL,
    request_hash     TEXT    NULL,
    deliveries       INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX ix_events_project ON events (project_id, created_at, id);
CREATE UNIQUE INDEX ux_events_idempotency ON events (project_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- One delivery per (event, destination); leased by one worker at a time.
CREATE TABLE deliveries (
    id                TEXT    NOT NULL PRIMARY KEY,
    project_id        TEXT    NOT NULL,
    event_id          TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    destination_id    TEXT    NOT NULL REFERENCES destinations (id) ON DELETE CASCADE,
    status            TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER  NOT NULL,
    lease_owner       TEXT    NULL,
    lease_expires_at  INTEGER  NULL,
    last_outcome      TEXT    NULL,
    last_status_code  INTEGER NULL,
    created_at        INTEGER  NOT NULL,
    updated_at        INTEGER  NOT NULL,
    completed_at      INTEGER  NULL
);

CREATE INDEX ix_deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX ix_deliveries_destination ON deliveries (destination_id, created_at, id);
CREATE INDEX ix_deliveries_event ON deliveries (event_id);

-- Every HTTP try of a delivery.
CREATE TABLE attempts (
    delivery_id     TEXT    NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    number          INTEGER NOT NULL,
    project_id      TEXT    NOT NULL,
    destination_id  TEXT    NOT NULL,
    started_at      INTEGER  NOT NULL,
    duration_ms     INTEGER NOT NULL,
    status_code     INTEGER NULL,
    outcome         TEXT    NOT NULL,
    response_body   TEXT    NULL,
    PRIMARY KEY (delivery_id, number)
);

CREATE INDEX ix_attempts_destination ON attempts (destination_id, started_at);

ALTER TABLE destinations ADD COLUMN failing_since INTEGER NULL;
