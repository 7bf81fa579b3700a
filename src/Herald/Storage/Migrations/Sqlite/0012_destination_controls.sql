-- Delivery controls (Controls/): one row per destination that has any of them set, deleted with its destination.
-- filter: the payload filter as JSON; retry_schedule/timeout_ms: instead of the global settings;
-- rate_limit sends per rate_period_ms (1 s or 1 min); ordering: 'fifo' or NULL.
-- rate_next_at: when this destination may be sent to next (ms); rate_slow_until/rate_slow_factor: a 429 slows it down until then.
CREATE TABLE destination_controls (
    destination_id    TEXT    NOT NULL PRIMARY KEY REFERENCES destinations (id) ON DELETE CASCADE,
    project_id        TEXT    NOT NULL,
    filter            TEXT    NULL,
    retry_schedule    TEXT    NULL,
    timeout_ms        INTEGER NULL,
    rate_limit        INTEGER NULL,
    rate_period_ms    INTEGER NULL,
    ordering          TEXT    NULL,
    rate_next_at      INTEGER NULL,
    rate_slow_until   INTEGER NULL,
    rate_slow_factor  INTEGER NOT NULL DEFAULT 1,
    updated_at        INTEGER NOT NULL
);

CREATE INDEX ix_destination_controls_project ON destination_controls (project_id);
CREATE INDEX ix_destination_controls_updated ON destination_controls (updated_at);

-- ordering 'fifo': a destination's oldest pending delivery (publish order: the row's rowid, which grows with each insert) is the
-- only one that may be sent. This index finds it without sorting the destination's backlog.
CREATE INDEX ix_deliveries_fifo_head ON deliveries (destination_id) WHERE status = 'pending';
