-- Seeding and imports write with native upserts (INSERT ... ON CONFLICT DO UPDATE), which need
-- a unique index on each natural key.
--
-- Two processes starting together on a new database could seed the shop links twice before
-- this release: keep the first copy of each.
DELETE FROM shop_links WHERE id NOT IN (SELECT min(id) FROM shop_links GROUP BY product_id, platform, url);
CREATE UNIQUE INDEX IF NOT EXISTS shop_links_key ON shop_links (product_id, platform, url);

-- An event is (name, start date), and an event without a start date is matched by its name
-- alone; NULLs never collide in UNIQUE (name, start_date), so the key gets an index of its own
-- that treats a missing date as one value. Copies left by earlier races: keep the first.
DELETE FROM events WHERE id NOT IN (SELECT min(id) FROM events GROUP BY name, ifnull(start_date, ''));
CREATE UNIQUE INDEX IF NOT EXISTS events_key ON events (name, ifnull(start_date, ''));
