-- The catalogue: products, where to buy them, fairs, and the localities people name.
CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) > 0),
    qualifier TEXT NOT NULL DEFAULT '',
    star INTEGER CHECK (star IN (3, 4, 5)),
    producer TEXT NOT NULL DEFAULT '',
    producer_type TEXT NOT NULL DEFAULT '',
    area TEXT NOT NULL DEFAULT '',
    former_province TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    year INTEGER,
    decision TEXT NOT NULL DEFAULT '',
    decision_date TEXT,
    english_name TEXT NOT NULL DEFAULT '',
    aliases TEXT NOT NULL DEFAULT '',
    source_url TEXT NOT NULL DEFAULT '',
    UNIQUE (name, qualifier)
);

CREATE TABLE localities (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    district TEXT NOT NULL DEFAULT '',
    former_province TEXT NOT NULL DEFAULT '',
    aliases TEXT NOT NULL DEFAULT '',
    lat REAL,
    lon REAL,
    coord_source TEXT NOT NULL DEFAULT '',
    new_units TEXT NOT NULL DEFAULT ''
);

CREATE TABLE places (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) > 0),
    address TEXT NOT NULL DEFAULT '',
    commune_or_ward TEXT NOT NULL DEFAULT '',
    area TEXT NOT NULL DEFAULT '',
    former_province TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT '',
    opening_hours TEXT NOT NULL DEFAULT '',
    lat REAL,
    lon REAL,
    products_hint TEXT NOT NULL DEFAULT '',
    source_url TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    UNIQUE (name, address)
);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) > 0),
    start_date TEXT,
    end_date TEXT,
    place TEXT NOT NULL DEFAULT '',
    area TEXT NOT NULL DEFAULT '',
    organiser TEXT NOT NULL DEFAULT '',
    source_url TEXT NOT NULL DEFAULT '',
    UNIQUE (name, start_date)
);

CREATE TABLE shop_links (
    id INTEGER PRIMARY KEY,
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    platform TEXT NOT NULL,
    url TEXT NOT NULL,
    source_url TEXT NOT NULL DEFAULT ''
);

-- catalogue_version goes up on every change, so bots in other processes reload.
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('catalogue_version', '0');
