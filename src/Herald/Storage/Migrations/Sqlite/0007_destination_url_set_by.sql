-- Which surface set a destination's current URL: seed 002 shows the URLs registered through it (to admin keys) and no others.
ALTER TABLE destinations ADD COLUMN url_set_by TEXT NULL;
UPDATE destinations SET url_set_by = surface;
