"""Wall time of `ocop-bot ask` from a cold process, on an existing database.

    python bench/cold_start.py [--runs 7]

The first run creates and seeds the database and is reported apart.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(db: Path, text: str = "bưởi Múc mấy sao?") -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "--db", str(db), "ask", text],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "cold.sqlite3"
        first = run_once(db)
        times = [run_once(db) for _ in range(args.runs)]
    print(f"ocop-bot ask, first run (creates + seeds the database): {first:.3f} s")
    print(
        f"ocop-bot ask, {args.runs} runs on an existing database: median {statistics.median(times):.3f} s, max {max(times):.3f} s"
    )


if __name__ == "__main__":
    main()
