-- What the surface string decided becomes explicit properties of a destination, each row keeping its behaviour:
-- marketplace installs keep the plain (simple) payloads, seed 002 webhooks keep showing their URLs to admins, and
-- seed 002 providers keep their one slot per project. Kind-specific settings (a webhook's format, a broker's exchange)
-- get a column of their own (not secret: URLs, which may hold credentials, stay sealed in url_sealed).
ALTER TABLE destinations ADD COLUMN payload_style TEXT NOT NULL DEFAULT 'rich' CHECK (payload_style IN ('simple', 'rich'));
ALTER TABLE destinations ADD COLUMN url_visible_to_owner INTEGER NOT NULL DEFAULT 0;
ALTER TABLE destinations ADD COLUMN provider_slot TEXT NULL;
ALTER TABLE destinations ADD COLUMN settings TEXT NULL;

UPDATE destinations SET
    payload_style = CASE WHEN surface = 'marketplace' THEN 'simple' ELSE 'rich' END,
    url_visible_to_owner = CASE WHEN url_set_by = 'integrations' THEN 1 ELSE 0 END,
    provider_slot = CASE WHEN surface = 'provider' THEN kind ELSE NULL END;

DROP INDEX ux_destinations_provider;
CREATE UNIQUE INDEX ux_destinations_provider_slot ON destinations (project_id, provider_slot) WHERE provider_slot IS NOT NULL;
ALTER TABLE destinations DROP COLUMN surface;
ALTER TABLE destinations DROP COLUMN url_set_by;
