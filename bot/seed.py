"""First-run seeding of an empty database from the CSV files in data/."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from bot.db import LOCALITY_COLUMNS, Repository
from bot.importer import AreaResolver, plan_import, read_csv_text
from bot.models import Locality

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


async def seed_catalogue(repo: Repository, data_dir: Path) -> None:
    localities = load_localities(data_dir)
    resolver = AreaResolver(
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
                (),
            )  # fmt: skip
            for r in localities
        ]
    )
    plans = {}
    for table, file in (("products", "products.csv"), ("places", "places.csv"), ("events", "events.csv")):
        header, rows = read_csv_text((data_dir / file).read_text(encoding="utf-8-sig"))
        plan = plan_import(header, rows, resolver)
        if plan.errors or plan.table != table:
            details = "; ".join(f"line {e.line}: {e.reason}" for e in plan.errors[:5])
            raise SeedError(f"{file} does not validate as {table}: {details or plan.table}")
        plans[table] = plan
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
