"""Migration 010 re-keys products by (name, producer) on a copy of a database made by the
previous release (schema 9, keyed by name + qualifier), without losing an id."""

from __future__ import annotations

import contextlib
import importlib
import shutil
import sqlite3

from bot.config import DATA_DIR
from bot.storage import Repository

migrations = importlib.import_module("bot.storage.migrations")  # bot.storage.migrations is also a function
repository = importlib.import_module("bot.storage.repository")


async def make_version_9(path, monkeypatch) -> None:
    with monkeypatch.context() as patch:
        older = [(n, p) for n, p in migrations.migrations() if n <= 9]
        patch.setattr(migrations, "migrations", lambda: older)
        patch.setattr(migrations, "LATEST", 9)
        patch.setattr(repository, "LATEST", 9)
        # The seed writes through today's repository; on schema 9 it writes what 9 has.
        patch.setattr(repository.CatalogueRepository, "apply_import", _old_apply, raising=True)
        repo = await Repository.open(path, seed_dir=DATA_DIR)
        await repo.close()


async def _old_apply(self, table, records, *, localities=(), shop_links=(), remove_missing=False):
    """The seed as release 9 stored it: the columns schema 9 has, ids as given."""
    from bot.storage.catalogue import LOCALITY_COLUMNS, TABLE_COLUMNS, _stored

    old = {"places": ("phone", "map_url")}.get(table, ())
    async with self.db.transaction():
        for loc in localities:
            await self.db.execute(
                f"INSERT INTO localities ({', '.join(LOCALITY_COLUMNS)}) VALUES ({', '.join('?' * len(LOCALITY_COLUMNS))})",
                [loc.get(c) for c in LOCALITY_COLUMNS],
            )
        for record in records:
            columns = [c for c in ("id", *TABLE_COLUMNS[table]) if c in record and c not in old]
            await self.db.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                [_stored(c, record[c]) if c != "id" else record[c] for c in columns],
            )
        for link in shop_links:
            await self.db.execute(
                "INSERT INTO shop_links (product_id, platform, url, source_url) VALUES (?, ?, ?, ?)",
                (link["product_id"], link["platform"], link["url"], link.get("source_url", "")),
            )
    return len(records), 0, 0


async def test_migration_010_keeps_every_id_and_link(tmp_path, monkeypatch):
    template = tmp_path / "release9.sqlite3"
    await make_version_9(template, monkeypatch)
    with contextlib.closing(sqlite3.connect(template)) as conn, conn:  # closed: WAL checkpointed before the copy
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 9
        # Two rows told apart only by our qualifier (no producer): the old key allowed them.
        conn.execute("INSERT INTO products (id, name, qualifier) VALUES (900, 'Mật ong thử nghiệm', 'Bảo Yên')")
        conn.execute("INSERT INTO products (id, name, qualifier) VALUES (901, 'Mật ong thử nghiệm', 'Sa Pa')")
        conn.execute("INSERT INTO users (platform, user_id, language) VALUES ('telegram', '7', 'vi')")
        before = conn.execute("SELECT id, name, qualifier, producer, star FROM products ORDER BY id").fetchall()
        links = conn.execute("SELECT * FROM shop_links ORDER BY id").fetchall()
    assert len(before) == 166 and len(links) == 2
    db = tmp_path / "copy.sqlite3"
    shutil.copyfile(template, db)  # the migration runs on a copy, as an upgrade would

    repo = await Repository.open(db, seed_dir=DATA_DIR)
    try:
        assert await repo.schema_version() >= 10
        catalogue = await repo.load_catalogue()
        # A second product of an existing name from another producer: the old UNIQUE is gone.
        added, _, _ = await repo.apply_import("products", [{"name": "Lạp sườn", "producer": "HTX Thử nghiệm Khác"}])
        assert added == 1
    finally:
        await repo.close()
    with sqlite3.connect(db) as conn:
        after = conn.execute("SELECT id, name, qualifier, producer, star FROM products WHERE id < 902 ORDER BY id")
        assert after.fetchall() == before  # every id, every row
        assert conn.execute("SELECT * FROM shop_links ORDER BY id").fetchall() == links
        keys = dict(conn.execute("SELECT id, producer_key FROM products WHERE id IN (900, 901)").fetchall())
        assert keys == {900: "", 901: " #901"}  # one identity, both kept; imports match 900
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 1
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert next(p for p in catalogue.products if p.id == 6).display_name == "Lạp sườn (HTX Gia Phú)"  # p_6 still
