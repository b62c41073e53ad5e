"""Products, places, events, localities and shop links: loaded whole, written by imports."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from sys import intern

import aiosqlite

from bot.catalogue_io.identity import (
    AMBIGUOUS,
    CERTIFICATE_COLUMNS,
    Matcher,
    as_written,
    differences,
    product_key,
)
from bot.models import Catalogue, Certificate, Event, Locality, Place, Product, ShopLink
from bot.storage.connection import Database, Reads, StorageError

PRODUCT_COLUMNS = (
    "name", "qualifier", "star", "producer", "producer_type", "area", "former_province",
    "category", "year", "decision", "decision_date", "english_name", "aliases", "source_url",
    "name_zh", "name_ko",
)  # fmt: skip
PLACE_COLUMNS = (
    "name", "address", "commune_or_ward", "area", "former_province", "kind", "opening_hours",
    "lat", "lon", "products_hint", "source_url", "notes", "opening_hours_en", "products_hint_en",
    "phone", "map_url",
)  # fmt: skip
EVENT_COLUMNS = ("name", "start_date", "end_date", "place", "area", "organiser", "source_url", "name_en")
LOCALITY_COLUMNS = (
    "name", "kind", "district", "former_province", "aliases", "lat", "lon", "coord_source", "new_units",
)  # fmt: skip
# Identity (which stored row a record names) is bot.catalogue_io.identity's, nowhere else.
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
        # large catalogue neither waits for nor holds up anyone else. The rows become objects
        # in a worker thread: at 40,000 products that took the loop ~300 ms.
        async with self.db.snapshot() as snap:
            version = await self.catalogue_version(snap)
            rows = _CatalogueRows(
                products=await snap.fetchall(PRODUCT_COLUMNS, tuples=True),
                localities=await snap.fetchall("SELECT * FROM localities ORDER BY rowid"),
                places=await snap.fetchall("SELECT * FROM places ORDER BY id"),
                events=await snap.fetchall("SELECT * FROM events ORDER BY id"),
                links=await snap.fetchall("SELECT * FROM shop_links ORDER BY id"),
                certificates=await snap.fetchall(
                    "SELECT * FROM certifications ORDER BY product_id, ifnull(decision_date, year), year, id"
                ),
            )
        return await asyncio.to_thread(rows.catalogue, version)

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

    async def stored_rows(self, table: str, reads: Reads | None = None) -> list[dict]:
        """Every row of an importable table as {column: stored value}, with its id."""
        columns = ("id", *TABLE_COLUMNS[table])
        rows = await (reads or self.db).fetchall(f"SELECT {', '.join(columns)} FROM {table}", tuples=True)  # noqa: S608
        return [dict(zip(columns, row, strict=True)) for row in rows]

    async def apply_import(
        self,
        table: str,
        records: Sequence[dict],
        *,
        localities: Sequence[dict] = (),
        shop_links: Sequence[dict] = (),
        remove_missing: bool = False,
    ) -> tuple[int, int, int]:
        """Write validated records in one transaction; returns (added, updated, removed).

        Each record is matched to a stored row by its natural key (bot.catalogue_io.identity:
        the same rule the import preview used); a matched row gets only the columns the record
        has (a sheet without "Năm" keeps the stored year), and only when one differs, so
        "updated" counts real changes. A product's later certificate replaces the star,
        decision and year and keeps the earlier one in `certifications`; an earlier one goes
        to the history only. `remove_missing` also deletes rows of the table that no record
        names (a full official list replacing ours); staff choose it explicitly.
        """
        # Matching thousands of records is Python work: done before the write lock (in a
        # worker thread, so chats go on), and again under the lock only if the catalogue
        # changed in between.
        version = await self.catalogue_version()
        stored_rows = await self.stored_rows(table)
        plan = await asyncio.to_thread(_writes, table, stored_rows, records)
        async with self.db.transaction():
            await self.db.executemany(_upsert("localities", LOCALITY_COLUMNS, "name", keep=("name",)), [
                [loc.get(c) for c in LOCALITY_COLUMNS] for loc in localities
            ])  # fmt: skip
            if await self.catalogue_version() != version:
                stored_rows = await self.stored_rows(table)
                plan = _writes(table, stored_rows, records)
            inserts, updates, history, named = plan
            stored = {row["id"] for row in stored_rows}
            key_columns = ("name_key", "producer_key") if table == "products" else ()
            for present, rows in inserts.items():
                columns = (*present, *key_columns)
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
                await self.db.executemany(sql, rows)
            for present, rows in updates.items():
                assignments = ", ".join(f"{c} = ?" for c in (*present, *key_columns))
                await self.db.executemany(f"UPDATE {table} SET {assignments} WHERE id = ?", rows)  # noqa: S608
            await self.db.executemany(
                "INSERT OR IGNORE INTO certifications (product_id, star, decision, decision_date, year) "
                "VALUES (?, ?, ?, ?, ?)",
                history,
            )
            removed = 0
            if remove_missing:
                gone = [(row_id,) for row_id in stored if row_id not in named]
                removed = await self.db.executemany(f"DELETE FROM {table} WHERE id = ?", gone)  # noqa: S608
            await self.db.executemany(
                "INSERT INTO shop_links (product_id, platform, url, source_url) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (product_id, platform, url) DO UPDATE SET source_url = excluded.source_url",
                [(s["product_id"], s["platform"], s["url"], s.get("source_url", "")) for s in shop_links],
            )
            added = sum(len(rows) for rows in inserts.values())
            updated = sum(len(rows) for rows in updates.values())
            if added or updated or removed or localities or shop_links or history:
                await self._bump_version()
        return added, updated, removed

    async def backfill_translations(self, table: str, records: Sequence[dict]) -> int:
        """Fill the empty translation columns of rows matching `records` by identity.

        Nothing else is touched and a filled cell is never overwritten; returns the number of
        rows changed (the catalogue version goes up if any).
        """
        columns = TRANSLATION_COLUMNS[table]
        filled = ", ".join(f"{c} = CASE WHEN {c} = '' THEN ? ELSE {c} END" for c in columns)
        wanted = " OR ".join(f"({c} = '' AND ? <> '')" for c in columns)
        sql = f"UPDATE {table} SET {filled} WHERE id = ? AND ({wanted})"  # noqa: S608 - fixed names
        async with self.db.transaction():
            matcher = Matcher.of(table, await self.stored_rows(table))
            rows = []
            for record in records:
                values = [record.get(c) or "" for c in columns]
                found = matcher.match(record)
                if any(values) and found is not None and found != AMBIGUOUS:
                    rows.append([*values, found, *values])
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


def _writes(table: str, stored_rows: list[dict], records: Sequence[dict]):
    """(inserts, updates, history, named ids) for the records: inserts and updates grouped by
    the columns they write (one statement each), only rows that change."""
    stored = {row["id"]: row for row in stored_rows}
    matcher = Matcher.of(table, stored_rows)
    inserts: dict[tuple[str, ...], list[list]] = {}
    updates: dict[tuple[str, ...], list[list]] = {}
    history: list[tuple] = []
    named: set[int] = set()
    for record in records:
        found = matcher.match(record)
        if found == AMBIGUOUS or found in named:
            what = "names several stored rows" if found == AMBIGUOUS else "names a row another record named"
            raise ValueError(f"{table} record {record.get('name')!r} {what}")
        if found is None:
            present = tuple(c for c in TABLE_COLUMNS[table] if c in record)
            if record.get("id") is not None:
                present = ("id", *present)
            values = [record["id"] if c == "id" else _stored(c, record[c]) for c in present]
            inserts.setdefault(present, []).append(values + _keys(table, record))
            continue
        named.add(found)
        old = stored[found]
        record = _certified(table, old, record, history)
        if differences(TABLE_COLUMNS[table], old, record):
            present = tuple(c for c in TABLE_COLUMNS[table] if c in record)
            merged = {**old, **record}
            updates.setdefault(present, []).append(
                [_stored(c, record[c]) for c in present] + _keys(table, merged) + [found]
            )
    return inserts, updates, history, named


def _keys(table: str, record: dict) -> list:
    """The stored key columns of a products record (the unique index of migration 010)."""
    return list(product_key(record.get("name"), record.get("producer"))) if table == "products" else []


def _certified(table: str, old: dict, record: dict, history: list[tuple]) -> dict:
    """The record as written (identity.as_written); the certificate it displaces, or the earlier
    one it carries, goes to `history`."""
    written, when = as_written(table, old, record)
    if when == "later" and any(old.get(c) for c in CERTIFICATE_COLUMNS):
        history.append((old["id"], *(old.get(c) for c in CERTIFICATE_COLUMNS)))
    elif when == "earlier":
        merged = {**old, **record}
        history.append((old["id"], *(_stored(c, merged.get(c)) for c in CERTIFICATE_COLUMNS)))
    return written


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
        products_hint_en=r["products_hint_en"], phone=r["phone"], map_url=r["map_url"],
    )  # fmt: skip


def _event(r: aiosqlite.Row) -> Event:
    return Event(
        id=r["id"], name=r["name"], start_date=_date(r["start_date"]), end_date=_date(r["end_date"]),
        place=r["place"], area=r["area"], organiser=r["organiser"], source_url=r["source_url"],
        name_en=r["name_en"],
    )  # fmt: skip


# The hot path of every (re)load: plain tuples, one pass, no per-column name lookups.
PRODUCT_COLUMNS = (
    "SELECT id, name, qualifier, star, producer, producer_type, area, former_province, category, year, "
    "decision, decision_date, english_name, aliases, source_url, name_zh, name_ko FROM products ORDER BY id"
)


@dataclass(frozen=True)
class _CatalogueRows:
    """What `load_catalogue` read, turned into the catalogue's objects off the loop."""

    products: list
    localities: list
    places: list
    events: list
    links: list
    certificates: list

    def catalogue(self, version: int) -> Catalogue:
        products = tuple(
            Product(
                pid, name, qualifier, star, intern(producer), intern(ptype), intern(area), intern(province),
                intern(category), year, intern(decision), _date(ddate), english,
                tuple(intern(a.strip()) for a in aliases.split(";") if a.strip()) if aliases else (), url,
                name_zh, name_ko,
            )  # fmt: skip
            for (pid, name, qualifier, star, producer, ptype, area, province, category, year, decision, ddate,
                 english, aliases, url, name_zh, name_ko) in self.products
        )  # fmt: skip
        history: dict[int, list[Certificate]] = {}
        for r in self.certificates:
            history.setdefault(r["product_id"], []).append(
                Certificate(r["star"], r["decision"], _date(r["decision_date"]), r["year"])
            )
        return Catalogue(
            version,
            products,
            tuple(_locality(r) for r in self.localities),
            tuple(_place(r) for r in self.places),
            tuple(_event(r) for r in self.events),
            tuple(ShopLink(r["product_id"], r["platform"], r["url"], r["source_url"]) for r in self.links),
            {pid: tuple(found) for pid, found in history.items()},
        )
