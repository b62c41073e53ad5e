"""Time and size of the QR label PDF for 600 products (issue 12's figure: time < 10 s).

    python bench/labels_bench.py [--products 600] [--runs 3] [--out /tmp/labels600.pdf]

The products are SYNTHETIC (bench/synth.py, made in memory, never written to a database):
names, producers and stars shaped like the real catalogue's, with ids 1..N. The first run
includes loading the fonts; each run builds the whole PDF in memory as `ocop-bot labels`
does (writing the file adds only the write).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.synth import generate  # noqa: E402
from bot.labels import labels_pdf  # noqa: E402
from bot.models import Product  # noqa: E402

BASE_URL = "https://ocop.example.vn"


def synthetic_products(n: int, seed: int = 1) -> list[Product]:
    return [_product(i, row) for i, row in enumerate(generate(n, seed), start=1)]


def _product(product_id: int, row: dict[str, str]) -> Product:
    return Product(
        id=product_id, name=row["name"], qualifier=row["qualifier"], star=int(row["star"]) if row["star"] else None,
        producer=row["producer"], producer_type=row["producer_type"], area=row["area"],
        former_province=row["former_province"], category=row["category"], year=None, decision=row["decision"],
        decision_date=None, english_name=row["english_name"], aliases=(), source_url=row["source_url"],
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=600)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, help="also write the last run's PDF here")
    args = parser.parse_args(argv)
    products = synthetic_products(args.products)
    times, data = [], b""
    for _ in range(max(1, args.runs)):
        started = time.perf_counter()
        data = labels_pdf(products, BASE_URL)
        times.append(time.perf_counter() - started)
    pages = math.ceil(len(products) / 24)
    print(f"{len(products)} synthetic products, {pages} A4 pages of 3×8 labels, codes to {BASE_URL}/p/<id>")
    print(f"first run (fonts loaded): {times[0]:.2f} s; median of {len(times)}: {statistics.median(times):.2f} s")
    print(f"PDF size: {len(data) / 1024:.0f} KiB ({len(data) / len(products) / 1024:.2f} KiB a label)")
    if args.out:
        args.out.write_bytes(data)
        print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
