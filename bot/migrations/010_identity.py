"""Identity (issue 11): a product is (name, producer), no longer (name, qualifier).

- products is rebuilt without UNIQUE (name, qualifier), with the ids it had (deep links
  p_<id>, shop links and saved lists keep working), and with two key columns filled by the
  bot's own normalisation (bot.catalogue_io.identity) under a unique index. Two rows the new
  identity cannot tell apart (same name, no producer, told apart only by our qualifier) both
  stay: the later one's key gets its id appended, and a log line names them.
- certifications: earlier certificates of a product (a re-certification keeps the old star,
  decision and year here; the card shows "3★ 2021 → 4★ 2024").
- places gain a phone and a map link (a short link that needs the network to resolve).
"""

from __future__ import annotations

import logging

log = logging.getLogger("bot.storage.migrations")

PRODUCTS = """
CREATE TABLE products_new (
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
    name_zh TEXT NOT NULL DEFAULT '',
    name_ko TEXT NOT NULL DEFAULT '',
    name_key TEXT,
    producer_key TEXT
)"""
COLUMNS = (
    "id, name, qualifier, star, producer, producer_type, area, former_province, category, year, decision, "
    "decision_date, english_name, aliases, source_url, name_zh, name_ko"
)
STATEMENTS = (
    # Dropping products deletes its shop links (ON DELETE CASCADE): keep them aside.
    "CREATE TABLE shop_links_kept AS SELECT * FROM shop_links",
    PRODUCTS,
    f"INSERT INTO products_new ({COLUMNS}) SELECT {COLUMNS} FROM products",  # noqa: S608
    "DROP TABLE products",
    "ALTER TABLE products_new RENAME TO products",
    "INSERT INTO shop_links SELECT * FROM shop_links_kept",
    "DROP TABLE shop_links_kept",
)
AFTER = (
    "CREATE UNIQUE INDEX IF NOT EXISTS products_key ON products (name_key, producer_key)",
    """CREATE TABLE IF NOT EXISTS certifications (
        id INTEGER PRIMARY KEY,
        product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
        star INTEGER,
        decision TEXT NOT NULL DEFAULT '',
        decision_date TEXT,
        year INTEGER,
        recorded_at TEXT NOT NULL DEFAULT (datetime('now'))
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS certifications_key ON certifications "
    "(product_id, ifnull(star, 0), decision, ifnull(decision_date, ''), ifnull(year, 0))",
)
PLACE_COLUMNS = ("phone", "map_url")


async def upgrade(db) -> None:
    from bot.catalogue_io.identity import product_key

    # Idempotent: a database whose version was set back by hand may have some of it already.
    if "name_key" not in await _columns(db, "products"):
        for statement in STATEMENTS:
            await db.execute(statement)
    rows = await db.fetchall("SELECT id, name, producer FROM products ORDER BY id", tuples=True)
    seen: dict[tuple[str, str], int] = {}
    keys = []
    for product_id, name, producer in rows:
        key = product_key(name, producer)
        if key in seen:
            log.warning(
                "products %d and %d are one product by (name, producer) %r: both kept; imports match %d",
                seen[key], product_id, (name, producer), seen[key],
            )  # fmt: skip
            key = (key[0], f"{key[1]} #{product_id}")
        seen.setdefault(key, product_id)
        keys.append((key[0], key[1], product_id))
    await db.executemany("UPDATE products SET name_key = ?, producer_key = ? WHERE id = ?", keys)
    for statement in AFTER:
        await db.execute(statement)
    have = await _columns(db, "places")
    for column in PLACE_COLUMNS:
        if column not in have:
            await db.execute(f"ALTER TABLE places ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")


async def _columns(db, table: str) -> set[str]:
    return {row[1] for row in await db.fetchall(f"PRAGMA table_info({table})", tuples=True)}
