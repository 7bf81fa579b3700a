-- Spend reports, kept per calendar month (UTC) as whole micro-dollars.
CREATE TABLE usage_reports (
    id               TEXT    NOT NULL PRIMARY KEY,
    project_id       TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    cycle            TEXT    NOT NULL,
    amount_micros    INTEGER  NOT NULL,
    occurred_at      INTEGER  NOT NULL,
    created_at       INTEGER  NOT NULL,
    idempotency_key  TEXT    NULL,
    cycle_spend_after_micros INTEGER NOT NULL
);

CREATE UNIQUE INDEX ux_usage_idempotency ON usage_reports (project_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Running total per project and cycle; concurrent reports serialise on this row.
CREATE TABLE usage_cycles (
    project_id    TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    cycle         TEXT    NOT NULL,
    spend_micros  INTEGER  NOT NULL,
    PRIMARY KEY (project_id, cycle)
);

-- One row per threshold crossed per cycle: the primary key makes each alert happen once.
CREATE TABLE budget_alerts (
    project_id          TEXT    NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    cycle               TEXT    NOT NULL,
    threshold_pct       INTEGER NOT NULL,
    cycle_spend_micros  INTEGER  NOT NULL,
    budget_micros       INTEGER  NOT NULL,
    event_id            TEXT    NULL,
    created_at          INTEGER  NOT NULL,
    PRIMARY KEY (project_id, cycle, threshold_pct)
);
