"""What a chat feels while the catalogue index is rebuilt in a thread (after an import).

    python bench/rebuild_pause.py [--size 20000] [--runs 3]

One process, the bot's real services on a database of the shipped catalogue plus SYNTHETIC
rows (bench/synth.py) up to `--size`. A chat coroutine answers a message every 2 ms through
the real Router (as the console does) while `build_snapshot` runs in a worker thread, as
`CatalogueState._reload` does. Printed: the rebuild's duration and the chat's reply times
(p50, p99, max) during it, with Python's default thread switch interval (5 ms) and with the
0.5 ms that `_reload` sets while it rebuilds, in alternation; and the same replies with no
rebuild as the floor. Medians over `--runs`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.chat_latency import SEED, load_messages, prepare  # noqa: E402
from bot.config import Config, DatabaseSection  # noqa: E402
from bot.console import ConsoleChat  # noqa: E402
from bot.services import build_services, build_snapshot  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def chat_while(services, messages: list[str], busy: asyncio.Future | None, seconds: float) -> list[float]:
    times: list[float] = []
    chat = ConsoleChat(services, io.StringIO())
    started = time.perf_counter()
    i = 0
    while (busy is not None and not busy.done()) or (busy is None and time.perf_counter() - started < seconds):
        t = time.perf_counter()
        await chat.say(messages[i % len(messages)])
        times.append((time.perf_counter() - t) * 1000)
        i += 1
        await asyncio.sleep(0.002)
    return times


async def main(size: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "r.sqlite3"
        await prepare(size, SEED, db)
        services = await build_services(Config(database=DatabaseSection(path=str(db)), base_dir=Path(tmp)))
        snapshot = await services.catalogue.get()
        messages = load_messages()[:200]
        await chat_while(services, messages, None, 1.0)  # warm
        rows: dict[str, list] = {"none": [], "5 ms": [], "0.5 ms": [], "0.5 ms, no gc": []}
        for _ in range(runs):
            for label, interval in (("5 ms", 0.005), ("0.5 ms", 0.0005), ("0.5 ms, no gc", 0.0005)):
                sys.setswitchinterval(interval)
                if "no gc" in label:
                    gc.disable()
                t = time.perf_counter()
                build = asyncio.ensure_future(
                    asyncio.to_thread(build_snapshot, snapshot.catalogue, services.catalogue._vocab)
                )
                build.add_done_callback(lambda _f, t=t: rows.setdefault("_took", []).append(time.perf_counter() - t))
                times = await chat_while(services, messages, build, 0)
                await build
                gc.enable()
                took = rows["_took"][-1]
                rows[label].append((took, statistics.median(times), pct(times, 0.99), max(times)))
            sys.setswitchinterval(0.005)
            times = await chat_while(services, messages, None, 1.0)
            rows["none"].append((0.0, statistics.median(times), pct(times, 0.99), max(times)))
        await services.close()
    print(f"$ python bench/rebuild_pause.py --size {size} --runs {runs}")
    print(f"{len(snapshot.catalogue.products):,} products; medians over {runs} runs")
    print("| rebuild in a thread | rebuild s | reply p50 ms | reply p99 ms | reply max ms |")
    print("|---|---|---|---|---|")
    for label in ("none", "5 ms", "0.5 ms", "0.5 ms, no gc"):
        cols = list(zip(*rows[label], strict=True))
        med = [statistics.median(c) for c in cols]
        name = "no rebuild (floor)" if label == "none" else f"switch interval {label}"
        print(f"| {name} | {med[0]:.2f} | {med[1]:.1f} | {med[2]:.1f} | {med[3]:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.size, args.runs))
