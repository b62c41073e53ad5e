"""First-run seeding of an empty database from the CSV files in data/."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from bot.catalogue_io.reader import read_path
from bot.config import ImportSection
from bot.importer import AreaResolver, ImportPlan, plan_grid
from bot.models import Locality
from bot.storage import LOCALITY_COLUMNS, Repository

log = logging.getLogger(__name__)


class SeedError(Exception):
    pass


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _float(value: str) -> float | None:
    return float(value) if value and value.strip() else None


def load_localities(data_dir: Path) -> list[dict]:
    rows = []
    for row in _read(data_dir / "localities.csv"):
        record = {c: row.get(c, "") for c in LOCALITY_COLUMNS}
        record["lat"], record["lon"] = _float(row.get("lat", "")), _float(row.get("lon", ""))
        rows.append(record)
    return rows


def _resolver(localities: list[dict]) -> AreaResolver:
    return AreaResolver(
        [
            Locality(
                r["name"],
                r["kind"],
                r["district"] or r["name"],
                r["former_province"],
                tuple(a.strip() for a in r["aliases"].split(";") if a.strip()),
                r["lat"],
                r["lon"],
                "",
                tuple(u.strip() for u in r["new_units"].split(";") if u.strip()),
            )  # fmt: skip
            for r in localities
        ]
    )


def _plans(data_dir: Path, resolver: AreaResolver) -> dict[str, ImportPlan]:
    plans = {}
    for table, file in (("products", "products.csv"), ("places", "places.csv"), ("events", "events.csv")):
        plan = plan_grid(read_path(data_dir / file, ImportSection()), resolver)
        if plan.errors or plan.table != table:
            details = "; ".join(f"line {e.line}: {e.reason}" for e in plan.errors[:5])
            raise SeedError(f"{file} does not validate as {table}: {details or plan.table}")
        plans[table] = plan
    return plans


async def seed_catalogue(repo: Repository, data_dir: Path) -> None:
    localities = load_localities(data_dir)
    plans = _plans(data_dir, _resolver(localities))
    links = [
        {"product_id": int(r["product_id"]), "platform": r["platform"], "url": r["url"], "source_url": r["source_url"]}
        for r in _read(data_dir / "shop_links.csv")
    ]
    await repo.apply_import("products", plans["products"].records, localities=localities, shop_links=links)
    await repo.apply_import("places", plans["places"].records)
    await repo.apply_import("events", plans["events"].records)
    log.info(
        "seeded %d products, %d places, %d events, %d localities",
        len(plans["products"].records), len(plans["places"].records), len(plans["events"].records), len(localities),
    )  # fmt: skip


async def backfill_translations(repo: Repository, data_dir: Path) -> None:
    """After migration 004 on an existing catalogue: fill the new translation columns from the
    seed files for the rows matched by natural key (name+qualifier, name+address, name+start_date).

    Rows the seed does not have (staff imports) and renamed rows stay empty until a re-import;
    the handlers fall back to the Vietnamese text. Best effort: a broken data/ folder is logged,
    not fatal, since the database itself is fine.
    """
    try:
        plans = _plans(data_dir, _resolver(load_localities(data_dir)))
    except (OSError, SeedError, ValueError, KeyError) as exc:
        log.warning("translation columns not backfilled from %s: %s", data_dir, exc)
        return
    counts = {table: await repo.backfill_translations(table, plan.records) for table, plan in plans.items()}
    log.info("translation columns backfilled from %s: %s", data_dir, counts)
