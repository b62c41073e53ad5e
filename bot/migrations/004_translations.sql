-- Text in the reader's language: our Chinese/Korean glosses of product names, English opening
-- hours and "what is sold here" for places, English event names. The Vietnamese text stays in
-- the old columns. Empty until seeded or imported; Repository.open backfills an existing
-- catalogue from data/ for rows whose natural key matches.
ALTER TABLE products ADD COLUMN name_zh TEXT NOT NULL DEFAULT '';
ALTER TABLE products ADD COLUMN name_ko TEXT NOT NULL DEFAULT '';
ALTER TABLE places ADD COLUMN opening_hours_en TEXT NOT NULL DEFAULT '';
ALTER TABLE places ADD COLUMN products_hint_en TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN name_en TEXT NOT NULL DEFAULT '';
