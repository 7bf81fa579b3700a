-- A project configures each provider integration (seed 002) at most once.
CREATE UNIQUE INDEX ux_destinations_provider ON destinations (project_id, kind) WHERE surface = 'provider';
