-- Delivery isolation: each destination's circuit breaker, kept in the store so every node and the API see it.
-- circuit_state: closed (sending), open (deliveries wait until circuit_reopens_at), half_open (one probe in flight;
-- circuit_reopens_at is then the probe's deadline). circuit_failures counts attempts failed in a row; circuit_opens
-- counts openings without a success in between (the cool-down doubles with each).
ALTER TABLE destinations ADD COLUMN circuit_state TEXT NOT NULL DEFAULT 'closed';
ALTER TABLE destinations ADD COLUMN circuit_reopens_at BIGINT NULL;
ALTER TABLE destinations ADD COLUMN circuit_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE destinations ADD COLUMN circuit_opens INTEGER NOT NULL DEFAULT 0;

-- Claims seek due work per destination, so their cost does not grow with the backlog of destinations they skip.
CREATE INDEX ix_deliveries_destination_due ON deliveries (destination_id, next_attempt_at) WHERE status = 'pending';
-- The old index ordered every pending delivery by due time, which a claim walked past busy destinations' rows.
DROP INDEX ix_deliveries_due;
