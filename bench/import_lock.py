"""How long a staff import holds SQLite's write lock, and what chats feel meanwhile.

    python bench/import_lock.py [--rows 5000] [--runs 3]

For a seeded database it imports `--rows` synthetic products (bench/synth.py) twice: first
as new rows, then the same file again (every row an update). Meanwhile:

- a probe thread with its own connection (as another process would have) takes the write
  lock every millisecond (`BEGIN IMMEDIATE; COMMIT`); its longest wait is how long the
  import held the lock;
- a chat coroutine in the bot's process reads a user's language and writes a search-log
  row every 5 ms through the same Repository, as the handlers do; its longest and p99
  latencies are what a person chatting during the import waits, and its writes are
  counted afterwards (a write swallowed by the import's transaction would be lost if the
  import rolled back).

Figures are medians over `--runs`; the database is a temporary file.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
for extra in (REPO_ROOT, REPO_ROOT / "bench"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from synth import COLUMNS, generate  # noqa: E402

from bot.config import DATA_DIR  # noqa: E402
from bot.importer import AreaResolver, plan_import  # noqa: E402
from bot.storage import Repository  # noqa: E402


class LockProbe(threading.Thread):
    """Takes and releases the write lock in a loop; records the longest wait."""

    def __init__(self, db: Path) -> None:
        super().__init__(daemon=True)
        self.conn = sqlite3.connect(db, isolation_level=None, timeout=60, check_same_thread=False)
        self.stop = threading.Event()
        self.longest = 0.0

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.execute("COMMIT")
            self.longest = max(self.longest, time.perf_counter() - started)
            time.sleep(0.001)
        self.conn.close()


async def chat(repo, stop: asyncio.Event, latencies: list[float], errors: list[str]) -> int:
    writes = 0
    while not stop.is_set():
        started = time.perf_counter()
        try:
            await repo.user_language("telegram", "bench")
            await repo.log_search("bench-chat", "vi", "telegram", 1)
            writes += 1
        except Exception as exc:
            errors.append(f"{exc.__class__.__name__}: {exc}")
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.005)
    return writes


async def one_import(repo, db: Path, records: list[dict]) -> dict:
    probe = LockProbe(db)
    probe.start()
    stop = asyncio.Event()
    latencies: list[float] = []
    errors: list[str] = []
    chatter = asyncio.create_task(chat(repo, stop, latencies, errors))
    await asyncio.sleep(0.1)  # both running before the import starts
    started = time.perf_counter()
    added, updated, _ = await repo.apply_import("products", [dict(r) for r in records])
    took = time.perf_counter() - started
    await asyncio.sleep(0.1)
    stop.set()
    writes = await chatter
    probe.stop.set()
    probe.join()
    latencies.sort()
    return {
        "added": added,
        "updated": updated,
        "import_s": took,
        "lock_held_s": probe.longest,
        "chat_max_s": latencies[-1],
        "chat_p99_s": latencies[int(len(latencies) * 0.99)],
        "chat_writes": writes,
        "chat_errors": len(errors),
    }


async def run(rows: int) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.sqlite3"
        repo = await Repository.open(db, seed_dir=DATA_DIR)
        try:
            catalogue = await repo.load_catalogue()
            generated = generate(rows, seed=7)
            plan = plan_import(list(COLUMNS), list(enumerate(generated, start=2)), AreaResolver(catalogue.localities))
            assert not plan.errors, plan.errors[:3]
            for record in plan.records:
                record.pop("id", None)
            before = await logged(db)
            # The second time every row changes (an import of unchanged rows writes nothing).
            changed = [{**r, "english_name": f"{r.get('english_name', '')} (2)"} for r in plan.records]
            results = [await one_import(repo, db, plan.records), await one_import(repo, db, changed)]
            after = await logged(db)
            for result in results:
                result["chat_writes_total_kept"] = after - before
        finally:
            await repo.close()
    return results


async def logged(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT count(*) FROM search_log WHERE query = 'bench-chat'").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = [asyncio.run(run(args.rows)) for _ in range(args.runs)]
    for i, label in enumerate(("new rows", "re-import (updates)")):
        results = [r[i] for r in runs]

        def med(key: str, results=results) -> float:
            return statistics.median(r[key] for r in results)

        print(
            f"{args.rows} rows, {label}: import {med('import_s'):.3f} s, write lock held {med('lock_held_s'):.3f} s, "
            f"chat latency max {med('chat_max_s') * 1000:.0f} ms p99 {med('chat_p99_s') * 1000:.0f} ms, "
            f"chat errors {med('chat_errors'):.0f} (added {results[0]['added']}, updated {results[0]['updated']})"
        )


if __name__ == "__main__":
    main()
