"""Search latency on the shipped catalogue, beside plain rapidfuzz in the same run.

    python bench/search_latency.py [--rounds 20]

Prints p50/p99 per query for our engine and for `rapidfuzz.process.extract` (WRatio over
folded names), over every query of the relevance suite, interleaved so machine noise hits
both alike; then the ratio of the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.config import DATA_DIR
from bot.search import SearchIndex, Vocabulary
from bot.search.evaluate import load_suite
from bot.storage import Repository
from bot.text import fold


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def load_index() -> SearchIndex:
    with tempfile.TemporaryDirectory() as tmp:
        repo = await Repository.open(Path(tmp) / "bench.sqlite3", seed_dir=DATA_DIR)
        catalogue = await repo.load_catalogue()
        await repo.close()
    return SearchIndex(catalogue.products, catalogue.localities, Vocabulary.load(DATA_DIR))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    index = asyncio.run(load_index())
    names = {p.id: fold(p.display_name) for p in index.products.values()}
    queries = [row["query"] for row in load_suite()]
    ours: list[float] = []
    baseline: list[float] = []
    for query in queries:  # warm-up
        index.search(query)
    for _ in range(args.rounds):
        for query in queries:
            started = time.perf_counter()
            index.search(query)
            ours.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            process.extract(fold(query), names, scorer=fuzz.WRatio, processor=None, limit=5)
            baseline.append((time.perf_counter() - started) * 1000)
    print(f"catalogue: {len(index.products)} products; {len(queries)} queries x {args.rounds} rounds")
    print(f"{'engine':<38} {'p50 ms':>8} {'p99 ms':>8}")
    print(f"{'ours (parse + match + rank)':<38} {percentile(ours, 0.5):>8.3f} {percentile(ours, 0.99):>8.3f}")
    print(
        f"{'rapidfuzz.process.extract WRatio':<38} {percentile(baseline, 0.5):>8.3f} {percentile(baseline, 0.99):>8.3f}"
    )
    print(f"median ratio ours/baseline: {statistics.median(ours) / statistics.median(baseline):.2f}")


if __name__ == "__main__":
    main()
