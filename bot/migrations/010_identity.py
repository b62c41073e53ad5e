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
import re

log = logging.getLogger("bot.storage.migrations")

_OLD_KEY_RE = re.compile(r",\s*UNIQUE\s*\(\s*name\s*,\s*qualifier\s*\)", re.IGNORECASE)


async def _rebuild_products(db) -> None:
    """products as it is (its columns in their order: 001 plus 004's), without the old UNIQUE
    (name, qualifier), plus the two key columns; the rows copied with their ids."""
    sql = await db.fetchval("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'products'")
    new_sql, found = _OLD_KEY_RE.subn("", sql.replace("CREATE TABLE products", "CREATE TABLE products_new", 1))
    if not found:
        raise ValueError("products has no UNIQUE (name, qualifier) to drop: an unknown schema")
    columns = ", ".join(row[1] for row in await db.fetchall("PRAGMA table_info(products)", tuples=True))
    # Dropping products deletes its shop links (ON DELETE CASCADE): keep them aside.
    await db.execute("CREATE TABLE shop_links_kept AS SELECT * FROM shop_links")
    await db.execute(new_sql)
    await db.execute(f"INSERT INTO products_new ({columns}) SELECT {columns} FROM products")  # noqa: S608
    await db.execute("DROP TABLE products")
    await db.execute("ALTER TABLE products_new RENAME TO products")
    await db.execute("INSERT INTO shop_links SELECT * FROM shop_links_kept")
    await db.execute("DROP TABLE shop_links_kept")
    for column in ("name_key", "producer_key"):
        await db.execute(f"ALTER TABLE products ADD COLUMN {column} TEXT")


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
        await _rebuild_products(db)
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
