"""Products, places, events, localities and shop links: loaded whole, written by imports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from sys import intern

import aiosqlite

from bot.models import Catalogue, Event, Locality, Place, Product, ShopLink
from bot.storage.connection import Database, Reads, StorageError

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
# The unique index each key's upsert names (migration 005 for events: a missing date is one value).
CONFLICT_TARGETS = {"products": "name, qualifier", "places": "name, address", "events": "name, ifnull(start_date, '')"}
TABLE_COLUMNS = {"products": PRODUCT_COLUMNS, "places": PLACE_COLUMNS, "events": EVENT_COLUMNS}
# Columns added by migration 004: text in the reader's language next to the Vietnamese.
TRANSLATIONS_VERSION = 4
TRANSLATION_COLUMNS = {
    "products": ("name_zh", "name_ko"),
    "places": ("opening_hours_en", "products_hint_en"),
    "events": ("name_en",),
}
_NULLABLE = {"star", "year", "decision_date", "lat", "lon", "start_date", "end_date"}


def _stored(column: str, value: object) -> object:
    """NULL only where NULL means "unknown"; text columns store '' for nothing."""
    if value is None or value == "":
        return None if column in _NULLABLE else ""
    return value


def _key(record: dict, key: Sequence[str]) -> tuple:
    """A record's natural key as existing_keys() gives it ('' for a missing part)."""
    return tuple(record.get(k) or "" for k in key)


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(";") if part.strip())


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


class CatalogueRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def catalogue_version(self, reads: Reads | None = None) -> int:
        value = await (reads or self.db).fetchval("SELECT value FROM meta WHERE key = 'catalogue_version'")
        if value is None:
            raise StorageError(self.db.path, "no catalogue_version row in the meta table: the database is damaged")
        return int(value)

    async def is_empty(self) -> bool:
        return bool(await self.db.fetchval("SELECT NOT EXISTS (SELECT 1 FROM products)"))

    async def load_catalogue(self) -> Catalogue:
        # One snapshot, so the version matches the rows; on a connection of its own, so a
        # large catalogue neither waits for nor holds up anyone else.
        async with self.db.snapshot() as snap:
            version = await self.catalogue_version(snap)
            products = await self._products(snap)
            localities = tuple(_locality(r) for r in await snap.fetchall("SELECT * FROM localities ORDER BY rowid"))
            places = tuple(_place(r) for r in await snap.fetchall("SELECT * FROM places ORDER BY id"))
            events = tuple(_event(r) for r in await snap.fetchall("SELECT * FROM events ORDER BY id"))
            links = tuple(
                ShopLink(r["product_id"], r["platform"], r["url"], r["source_url"])
                for r in await snap.fetchall("SELECT * FROM shop_links ORDER BY id")
            )
        return Catalogue(version, products, localities, places, events, links)

    @staticmethod
    async def _products(reads: Reads) -> tuple[Product, ...]:
        # The hot path of every (re)load: plain tuples, one pass, no per-column name lookups.
        sql = (
            "SELECT id, name, qualifier, star, producer, producer_type, area, former_province, category, year, "
            "decision, decision_date, english_name, aliases, source_url, name_zh, name_ko FROM products ORDER BY id"
        )
        rows = await reads.fetchall(sql, tuples=True)
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
        row = await self.db.fetchone("SELECT * FROM products WHERE id = ?", (product_id,))
        return _product(row) if row else None

    async def products_where(
        self, *, area: str | None = None, star: int | None = None, ids: Sequence[int] | None = None
    ) -> list[Product]:
        """Products by area (as stored), star and ids, each filter optional; in id order."""
        where, params = [], []
        if area is not None:
            where.append("area = ?")
            params.append(area)
        if star is not None:
            where.append("star = ?")
            params.append(star)
        if ids is not None:
            where.append("id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(ids)))
        sql = "SELECT * FROM products" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        return [_product(r) for r in await self.db.fetchall(sql, params)]

    async def counts(self) -> dict[str, int]:
        tables = ("products", "places", "events", "localities")
        row = await self.db.fetchone(
            "SELECT " + ", ".join(f"(SELECT count(*) FROM {t}) AS {t}" for t in tables)  # noqa: S608 - fixed names
        )
        return {t: row[t] for t in tables}

    async def existing_keys(self, table: str) -> set[tuple]:
        key = NATURAL_KEYS[table]
        rows = await self.db.fetchall(f"SELECT {', '.join(key)} FROM {table}", tuples=True)  # noqa: S608
        return {tuple(v or "" for v in row) for row in rows}

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

        A row whose natural key is stored already gets only the columns the records have (a
        sheet without "Năm" keeps the stored year). `remove_missing` also deletes rows of the
        table that the records do not name (a full official list replacing ours); staff choose
        it explicitly. Each statement runs for all rows at once, so the write lock is held for
        SQLite's work only, not for a round trip per row.
        """
        key = NATURAL_KEYS[table]
        # Grouped by the columns each record has (one statement per shape; usually one).
        shapes: dict[tuple[str, ...], list[list]] = {}
        for record in records:
            present = tuple(c for c in TABLE_COLUMNS[table] if c in record)
            if record.get("id") is not None:
                present = ("id", *present)
            values = [record["id"] if c == "id" else _stored(c, record[c]) for c in present]
            shapes.setdefault(present, []).append(values)
        async with self.db.transaction():
            await self.db.executemany(_upsert("localities", LOCALITY_COLUMNS, "name", keep=("name",)), [
                [loc.get(c) for c in LOCALITY_COLUMNS] for loc in localities
            ])  # fmt: skip
            # Records name distinct keys (the importer refuses duplicates): what the table grew by
            # is what was added; the rest were updates.
            before = await self.db.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608
            for present, rows in shapes.items():
                await self.db.executemany(_upsert(table, present, CONFLICT_TARGETS[table], keep=key), rows)
            added = await self.db.fetchval(f"SELECT count(*) FROM {table}") - before  # noqa: S608
            removed = 0
            if remove_missing:
                wanted = {_key(r, key) for r in records}
                rows = await self.db.fetchall(f"SELECT id, {', '.join(key)} FROM {table}", tuples=True)  # noqa: S608
                gone = [(row[0],) for row in rows if tuple(v or "" for v in row[1:]) not in wanted]
                removed = await self.db.executemany(f"DELETE FROM {table} WHERE id = ?", gone)  # noqa: S608
            await self.db.executemany(
                "INSERT INTO shop_links (product_id, platform, url, source_url) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (product_id, platform, url) DO UPDATE SET source_url = excluded.source_url",
                [(s["product_id"], s["platform"], s["url"], s.get("source_url", "")) for s in shop_links],
            )
            await self._bump_version()
        return added, len(records) - added, removed

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
        rows = []
        for record in records:
            values = [record.get(c) or "" for c in columns]
            if any(values):
                key_values = [record.get(k) or ("" if k != "start_date" else None) for k in key]
                rows.append([*values, *key_values, *values])
        sql = f"UPDATE {table} SET {filled} WHERE {where} AND ({wanted})"  # noqa: S608 - fixed names
        async with self.db.transaction():
            changed = await self.db.executemany(sql, rows)
            if changed:
                await self._bump_version()
        return changed

    async def _bump_version(self) -> None:
        """Running bots (this process and others) see the new version and reload."""
        changed = await self.db.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'catalogue_version'"
        )
        if not changed:
            raise StorageError(self.db.path, "no catalogue_version row in the meta table: the database is damaged")


def _upsert(table: str, columns: Sequence[str], target: str, *, keep: Sequence[str]) -> str:
    """INSERT ... ON CONFLICT (target) DO UPDATE the given columns, except the id and `keep`."""
    update = [c for c in columns if c != "id" and c not in keep]
    action = f"DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in update)}" if update else "DO NOTHING"
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) ON CONFLICT ({target}) {action}"  # noqa: S608


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


def _locality(r: aiosqlite.Row) -> Locality:
    return Locality(
        name=r["name"], kind=r["kind"], district=r["district"] or r["name"],
        former_province=r["former_province"], aliases=_split(r["aliases"]), lat=r["lat"], lon=r["lon"],
        coord_source=r["coord_source"], new_units=_split(r["new_units"]),
    )  # fmt: skip


def _place(r: aiosqlite.Row) -> Place:
    return Place(
        id=r["id"], name=r["name"], address=r["address"], commune_or_ward=r["commune_or_ward"],
        area=r["area"], former_province=r["former_province"], kind=r["kind"],
        opening_hours=r["opening_hours"], lat=r["lat"], lon=r["lon"], products_hint=r["products_hint"],
        source_url=r["source_url"], notes=r["notes"], opening_hours_en=r["opening_hours_en"],
        products_hint_en=r["products_hint_en"],
    )  # fmt: skip


def _event(r: aiosqlite.Row) -> Event:
    return Event(
        id=r["id"], name=r["name"], start_date=_date(r["start_date"]), end_date=_date(r["end_date"]),
        place=r["place"], area=r["area"], organiser=r["organiser"], source_url=r["source_url"],
        name_en=r["name_en"],
    )  # fmt: skip
