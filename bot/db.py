"""The repository: owns the aiosqlite connection; all SQL lives here and returns dataclasses."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import time
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from sys import intern

import aiosqlite

from bot.models import Catalogue, Event, Locality, Place, Product, ShopLink
from bot.outbox_store import OutboxQueries

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_RE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")

PRODUCT_COLUMNS = (
    "name", "qualifier", "star", "producer", "producer_type", "area", "former_province",
    "category", "year", "decision", "decision_date", "english_name", "aliases", "source_url",
    "name_zh", "name_ko",
)  # fmt: skip
PLACE_COLUMNS = (
    "name", "address", "commune_or_ward", "area", "former_province", "kind", "opening_hours",
    "lat", "lon", "products_hint", "source_url", "notes", "opening_hours_en", "products_hint_en",
)  # fmt: skip
EVENT_COLUMNS = ("name", "start_date", "end_date", "place", "area", "organiser", "source_url", "name_en")
LOCALITY_COLUMNS = (
    "name", "kind", "district", "former_province", "aliases", "lat", "lon", "coord_source", "new_units",
)  # fmt: skip
# The natural key of each importable table: a row with the same key updates, not duplicates.
NATURAL_KEYS = {"products": ("name", "qualifier"), "places": ("name", "address"), "events": ("name", "start_date")}
TABLE_COLUMNS = {"products": PRODUCT_COLUMNS, "places": PLACE_COLUMNS, "events": EVENT_COLUMNS}
# Columns added by migration 004: text in the reader's language next to the Vietnamese.
TRANSLATIONS_VERSION = 4
TRANSLATION_COLUMNS = {
    "products": ("name_zh", "name_ko"),
    "places": ("opening_hours_en", "products_hint_en"),
    "events": ("name_en",),
}


class MigrationError(Exception):
    pass


def migrations() -> list[tuple[int, Path]]:
    found = []
    for path in sorted(MIGRATIONS_DIR.iterdir()):
        match = _MIGRATION_RE.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return found


_NULLABLE = {"star", "year", "decision_date", "lat", "lon", "start_date", "end_date"}


def _stored(column: str, value: object) -> object:
    """NULL only where NULL means "unknown"; text columns store '' for nothing."""
    if value is None or value == "":
        return None if column in _NULLABLE else ""
    return value


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(";") if part.strip())


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class Repository(OutboxQueries):
    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._claims = 0

    @classmethod
    async def open(cls, path: Path | str, *, seed_dir: Path | None = None) -> Repository:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(path, isolation_level=None)
        conn.row_factory = aiosqlite.Row
        await conn.execute("PRAGMA busy_timeout = 5000")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await conn.execute("PRAGMA synchronous = NORMAL")
        repo = cls(conn, path)
        try:
            before = await repo.schema_version()
            await repo.migrate()
            if seed_dir is not None and await repo.is_empty():
                from bot.seed import seed_catalogue

                await seed_catalogue(repo, seed_dir)
            elif seed_dir is not None and 0 < before < TRANSLATIONS_VERSION:
                # A catalogue from before the translation columns: fill them from data/ for
                # the rows it shares with the seed; everything else stays as it was.
                from bot.seed import backfill_translations

                await backfill_translations(repo, seed_dir)
        except BaseException:
            await conn.close()  # its worker thread would otherwise keep the process alive
            raise
        return repo

    async def close(self) -> None:
        await self._conn.close()

    # -- schema ---------------------------------------------------------------------

    async def schema_version(self) -> int:
        async with self._conn.execute("PRAGMA user_version") as cur:
            return (await cur.fetchone())[0]

    async def migrate(self) -> None:
        current = await self.schema_version()
        for number, path in migrations():
            if number <= current:
                continue
            sql = path.read_text(encoding="utf-8")
            # One transaction per migration: a crash mid-way leaves the previous version intact.
            try:
                await self._conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
            except sqlite3.Error as exc:
                if self._conn.in_transaction:
                    await self._conn.execute("ROLLBACK")
                raise MigrationError(f"{self.path}: migration {path.name} failed: {exc}") from None
            log.info("database migrated to version %d (%s)", number, path.name)

    async def is_empty(self) -> bool:
        async with self._conn.execute("SELECT NOT EXISTS (SELECT 1 FROM products)") as cur:
            return bool((await cur.fetchone())[0])

    # -- catalogue --------------------------------------------------------------------

    async def catalogue_version(self) -> int:
        async with self._conn.execute("SELECT value FROM meta WHERE key = 'catalogue_version'") as cur:
            return int((await cur.fetchone())[0])

    async def load_catalogue(self) -> Catalogue:
        # One read transaction, so the version matches the rows.
        await self._conn.execute("BEGIN")
        try:
            version = await self.catalogue_version()
            products = await self._products()
            localities = tuple(self._locality(r) for r in await self._all("SELECT * FROM localities ORDER BY rowid"))
            places = tuple(self._place(r) for r in await self._all("SELECT * FROM places ORDER BY id"))
            events = tuple(self._event(r) for r in await self._all("SELECT * FROM events ORDER BY id"))
            links = tuple(
                ShopLink(r["product_id"], r["platform"], r["url"], r["source_url"])
                for r in await self._all("SELECT * FROM shop_links ORDER BY id")
            )
        finally:
            await self._conn.execute("COMMIT")
        return Catalogue(version, products, localities, places, events, links)

    async def _products(self) -> tuple[Product, ...]:
        # The hot path of every (re)load: plain tuples, one pass, no per-column name lookups.
        sql = (
            "SELECT id, name, qualifier, star, producer, producer_type, area, former_province, category, year, "
            "decision, decision_date, english_name, aliases, source_url, name_zh, name_ko FROM products ORDER BY id"
        )
        async with self._conn.execute(sql) as cur:
            cur.row_factory = None  # this cursor only: other queries keep their Rows
            rows = await cur.fetchall()
        return tuple(
            Product(
                pid, name, qualifier, star, intern(producer), intern(ptype), intern(area), intern(province),
                intern(category), year, intern(decision), _date(ddate), english,
                tuple(intern(a.strip()) for a in aliases.split(";") if a.strip()) if aliases else (), url,
                name_zh, name_ko,
            )  # fmt: skip
            for (pid, name, qualifier, star, producer, ptype, area, province, category, year, decision, ddate,
                 english, aliases, url, name_zh, name_ko) in rows
        )  # fmt: skip

    async def product(self, product_id: int) -> Product | None:
        rows = await self._all("SELECT * FROM products WHERE id = ?", (product_id,))
        return self._product(rows[0]) if rows else None

    async def counts(self) -> dict[str, int]:
        out = {}
        for table in ("products", "places", "events", "localities"):
            async with self._conn.execute(f"SELECT count(*) FROM {table}") as cur:  # noqa: S608 - fixed names
                out[table] = (await cur.fetchone())[0]
        return out

    async def existing_keys(self, table: str) -> set[tuple]:
        key = NATURAL_KEYS[table]
        rows = await self._all(f"SELECT {', '.join(key)} FROM {table}")  # noqa: S608 - fixed names
        return {tuple(r[k] or "" for k in key) for r in rows}

    async def apply_import(
        self,
        table: str,
        records: Sequence[dict],
        *,
        localities: Sequence[dict] = (),
        shop_links: Sequence[dict] = (),
        remove_missing: bool = False,
    ) -> tuple[int, int, int]:
        """Upsert validated records in one transaction; returns (added, updated, removed).

        `remove_missing` also deletes rows of the table that the records do not name (a full
        official list replacing ours); staff choose it explicitly.
        """
        columns = TABLE_COLUMNS[table]
        key = NATURAL_KEYS[table]
        added = updated = removed = 0
        await self._conn.execute("BEGIN IMMEDIATE")
        try:
            for loc in localities:
                await self._conn.execute(
                    f"INSERT OR REPLACE INTO localities ({', '.join(LOCALITY_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(LOCALITY_COLUMNS))})",
                    [loc.get(c) for c in LOCALITY_COLUMNS],
                )
            for record in records:
                where = " AND ".join(f"{k} IS ?" for k in key)
                key_values = [record.get(k) or ("" if k != "start_date" else None) for k in key]
                async with self._conn.execute(f"SELECT id FROM {table} WHERE {where}", key_values) as cur:  # noqa: S608
                    row = await cur.fetchone()
                present = [c for c in columns if c in record]
                values = [_stored(c, record[c]) for c in present]
                if row is None:
                    sql_cols = list(present)
                    if record.get("id") is not None:
                        sql_cols, values = ["id", *sql_cols], [record["id"], *values]
                    await self._conn.execute(
                        f"INSERT INTO {table} ({', '.join(sql_cols)}) VALUES ({', '.join('?' * len(sql_cols))})",
                        values,
                    )
                    added += 1
                else:
                    # Only the columns the file has: a sheet without "Năm" keeps the stored year.
                    assignments = ", ".join(f"{c} = ?" for c in present)
                    await self._conn.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*values, row["id"]])
                    updated += 1
            if remove_missing:
                wanted = {tuple(r.get(k) or "" for k in key) for r in records}
                rows = await self._all(f"SELECT id, {', '.join(key)} FROM {table}")  # noqa: S608
                for row in rows:
                    if tuple(row[k] or "" for k in key) not in wanted:
                        await self._conn.execute(f"DELETE FROM {table} WHERE id = ?", (row["id"],))  # noqa: S608
                        removed += 1
            for link in shop_links:
                await self._conn.execute(
                    "INSERT INTO shop_links (product_id, platform, url, source_url) VALUES (?, ?, ?, ?)",
                    (link["product_id"], link["platform"], link["url"], link.get("source_url", "")),
                )
            await self._conn.execute(
                "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'catalogue_version'"
            )
            await self._conn.execute("COMMIT")
        except BaseException:
            await self._conn.execute("ROLLBACK")
            raise
        return added, updated, removed

    async def backfill_translations(self, table: str, records: Sequence[dict]) -> int:
        """Fill the empty translation columns of rows matching `records` by natural key.

        Nothing else is touched and a filled cell is never overwritten; returns the number of
        rows changed (the catalogue version goes up if any).
        """
        columns = TRANSLATION_COLUMNS[table]
        key = NATURAL_KEYS[table]
        where = " AND ".join(f"{k} IS ?" for k in key)
        filled = ", ".join(f"{c} = CASE WHEN {c} = '' THEN ? ELSE {c} END" for c in columns)
        wanted = " OR ".join(f"({c} = '' AND ? <> '')" for c in columns)
        changed = 0
        await self._conn.execute("BEGIN IMMEDIATE")
        try:
            for record in records:
                values = [record.get(c) or "" for c in columns]
                if not any(values):
                    continue
                key_values = [record.get(k) or ("" if k != "start_date" else None) for k in key]
                sql = f"UPDATE {table} SET {filled} WHERE {where} AND ({wanted})"  # noqa: S608 - fixed names
                async with self._conn.execute(sql, [*values, *key_values, *values]) as cur:
                    changed += cur.rowcount
            if changed:
                await self._conn.execute(
                    "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'catalogue_version'"
                )
            await self._conn.execute("COMMIT")
        except BaseException:
            await self._conn.execute("ROLLBACK")
            raise
        return changed

    # -- users, languages, subscriptions -------------------------------------------------

    async def user_language(self, platform: str, user_id: str) -> str | None:
        rows = await self._all("SELECT language FROM users WHERE platform = ? AND user_id = ?", (platform, user_id))
        return rows[0]["language"] if rows else None

    async def set_user_language(self, platform: str, user_id: str, language: str) -> None:
        await self._write(
            "INSERT INTO users (platform, user_id, language) VALUES (?, ?, ?) "
            "ON CONFLICT (platform, user_id) DO UPDATE SET language = excluded.language",
            (platform, user_id, language),
        )
        await self._write(
            "UPDATE subscribers SET language = ? WHERE platform = ? AND chat_id = ?", (language, platform, user_id)
        )

    async def subscribe(self, platform: str, chat_id: str, language: str) -> bool:
        """Returns False if the chat was already an active subscriber."""
        rows = await self._all("SELECT active FROM subscribers WHERE platform = ? AND chat_id = ?", (platform, chat_id))
        if rows and rows[0]["active"]:
            return False
        await self._write(
            "INSERT INTO subscribers (platform, chat_id, language, active) VALUES (?, ?, ?, 1) "
            "ON CONFLICT (platform, chat_id) DO UPDATE SET active = 1, language = excluded.language, "
            "inactive_reason = NULL, subscribed_at = datetime('now')",
            (platform, chat_id, language),
        )
        return True

    async def unsubscribe(self, platform: str, chat_id: str) -> bool:
        cur = await self._write(
            "DELETE FROM subscribers WHERE platform = ? AND chat_id = ? AND active = 1", (platform, chat_id)
        )
        return cur > 0

    async def is_subscribed(self, platform: str, chat_id: str) -> bool:
        rows = await self._all(
            "SELECT 1 FROM subscribers WHERE platform = ? AND chat_id = ? AND active = 1", (platform, chat_id)
        )
        return bool(rows)

    async def mark_inactive(self, platform: str, chat_id: str, reason: str) -> None:
        await self._write(
            "UPDATE subscribers SET active = 0, inactive_reason = ? WHERE platform = ? AND chat_id = ?",
            (reason, platform, chat_id),
        )

    async def subscriber_counts(self) -> dict[str, int]:
        rows = await self._all("SELECT platform, count(*) AS n FROM subscribers WHERE active = 1 GROUP BY platform")
        return {r["platform"]: r["n"] for r in rows}

    async def forget(self, platform: str, user_id: str, chat_id: str) -> int:
        """Delete everything stored about a person; returns how many rows went."""
        removed = 0
        removed += await self._write("DELETE FROM users WHERE platform = ? AND user_id = ?", (platform, user_id))
        removed += await self._write("DELETE FROM subscribers WHERE platform = ? AND chat_id = ?", (platform, chat_id))
        removed += await self._write(
            "DELETE FROM choice_sessions WHERE platform = ? AND chat_id = ?", (platform, chat_id)
        )
        removed += await self._write("DELETE FROM deliveries WHERE platform = ? AND chat_id = ?", (platform, chat_id))
        removed += await self._write(
            "DELETE FROM pending_imports WHERE platform = ? AND user_id = ?", (platform, user_id)
        )
        return removed

    # -- choice sessions and saved queries ------------------------------------------------

    async def save_choices(self, platform: str, chat_id: str, actions: Sequence[str]) -> None:
        await self._write(
            "INSERT OR REPLACE INTO choice_sessions (platform, chat_id, actions, created_at) VALUES (?, ?, ?, ?)",
            (platform, chat_id, json.dumps(list(actions)), time.time()),
        )

    async def load_choices(self, platform: str, chat_id: str, max_age_seconds: float) -> list[str] | None:
        rows = await self._all(
            "SELECT actions, created_at FROM choice_sessions WHERE platform = ? AND chat_id = ?", (platform, chat_id)
        )
        if not rows or time.time() - rows[0]["created_at"] > max_age_seconds:
            return None
        return json.loads(rows[0]["actions"])

    async def save_query(self, text: str) -> int:
        await self._write("INSERT OR IGNORE INTO saved_queries (text) VALUES (?)", (text,))
        rows = await self._all("SELECT id FROM saved_queries WHERE text = ?", (text,))
        return rows[0]["id"]

    async def saved_query(self, query_id: int) -> str | None:
        rows = await self._all("SELECT text FROM saved_queries WHERE id = ?", (query_id,))
        return rows[0]["text"] if rows else None

    # -- search log ---------------------------------------------------------------------

    async def log_search(self, query: str, language: str, platform: str, results: int) -> None:
        await self._write(
            "INSERT INTO search_log (query, language, platform, results) VALUES (?, ?, ?, ?)",
            (query[:200], language, platform, results),
        )

    async def top_queries(self, days: int, limit: int, *, only_empty: bool) -> list[tuple[str, int]]:
        rows = await self._all(
            "SELECT lower(query) AS q, count(*) AS n FROM search_log "
            "WHERE at >= datetime('now', ?) AND (? = 0 OR results = 0) GROUP BY q ORDER BY n DESC, q LIMIT ?",
            (f"-{int(days)} days", int(only_empty), limit),
        )
        return [(r["q"], r["n"]) for r in rows]

    # -- webhook idempotency --------------------------------------------------------------

    async def claim_update(self, platform: str, key: str) -> bool:
        """True the first time a delivery is seen; False for a redelivery."""
        now = time.time()
        changed = await self._write(
            "INSERT OR IGNORE INTO processed_updates (platform, update_key, at) VALUES (?, ?, ?)",
            (platform, key, now),
        )
        self._claims += 1
        if self._claims % 1000 == 0:
            # Platforms redeliver within minutes, not weeks: keep a week, not forever.
            await self._write("DELETE FROM processed_updates WHERE at < ?", (now - 7 * 86400,))
        return changed > 0

    # -- helpers --------------------------------------------------------------------------

    async def _all(self, sql: str, params: Iterable = ()) -> list[aiosqlite.Row]:
        async with self._conn.execute(sql, tuple(params)) as cur:
            return list(await cur.fetchall())

    async def _write(self, sql: str, params: Iterable = ()) -> int:
        async with self._conn.execute(sql, tuple(params)) as cur:
            return cur.rowcount

    @staticmethod
    def _product(r: aiosqlite.Row) -> Product:
        # Producers, areas, categories and aliases repeat across thousands of rows: one copy each.
        return Product(
            id=r["id"], name=r["name"], qualifier=r["qualifier"], star=r["star"], producer=intern(r["producer"]),
            producer_type=intern(r["producer_type"]), area=intern(r["area"]),
            former_province=intern(r["former_province"]), category=intern(r["category"]), year=r["year"],
            decision=intern(r["decision"]), decision_date=_date(r["decision_date"]), english_name=r["english_name"],
            aliases=tuple(intern(a) for a in _split(r["aliases"])), source_url=r["source_url"],
            name_zh=r["name_zh"], name_ko=r["name_ko"],
        )  # fmt: skip

    @staticmethod
    def _locality(r: aiosqlite.Row) -> Locality:
        return Locality(
            name=r["name"], kind=r["kind"], district=r["district"] or r["name"],
            former_province=r["former_province"], aliases=_split(r["aliases"]), lat=r["lat"], lon=r["lon"],
            coord_source=r["coord_source"], new_units=_split(r["new_units"]),
        )  # fmt: skip

    @staticmethod
    def _place(r: aiosqlite.Row) -> Place:
        return Place(
            id=r["id"], name=r["name"], address=r["address"], commune_or_ward=r["commune_or_ward"],
            area=r["area"], former_province=r["former_province"], kind=r["kind"],
            opening_hours=r["opening_hours"], lat=r["lat"], lon=r["lon"], products_hint=r["products_hint"],
            source_url=r["source_url"], notes=r["notes"], opening_hours_en=r["opening_hours_en"],
            products_hint_en=r["products_hint_en"],
        )  # fmt: skip

    @staticmethod
    def _event(r: aiosqlite.Row) -> Event:
        return Event(
            id=r["id"], name=r["name"], start_date=_date(r["start_date"]), end_date=_date(r["end_date"]),
            place=r["place"], area=r["area"], organiser=r["organiser"], source_url=r["source_url"],
            name_en=r["name_en"],
        )  # fmt: skip
