-- The W3C trace context of the span that published an event: a delivery attempt's span links to it (see docs/observability-traces.md).
ALTER TABLE events ADD COLUMN trace_parent TEXT NULL;
