"""Time to answer one chat message end to end, in-process: understanding + search + render.

    python bench/chat_latency.py                          # shipped catalogue and 20,000 products, 5 rounds
    python bench/chat_latency.py --rounds 3 --sizes shipped

What is timed, per message: `await Router(services).handle(Request("console", chat, chat, text=msg))`
on services built by bot.services.build_services, including the SQLite writes a reply makes (the
search log row, saved queries) and the catalogue-version check. Every message gets a fresh chat
id, so per-chat memory (last product, last language) never carries over. The messages are the
`message` column of tests/chat/chat_suite.csv.

Catalogues: "shipped" is a fresh temporary database seeded from data/ (as build_services does);
a number is the shipped catalogue plus SYNTHETIC rows from bench/synth.py up to that size, built
by bench/scale.py's `prepare` (importer-validated, bulk-inserted through the Repository).

Baseline, in the same process and interleaved message by message with ours so machine noise hits
both alike: the bare search, `snapshot.index.search(text, limit=None)` on the message as the router
cleans it (clean_input, cut to 300 characters) -- the same call handlers/products.py run_search
makes, without the understanding, the log row or the rendering. The ratio shows their cost.

One warm-up pass over all messages, then --rounds passes; p50/p99 are nearest-rank over every
timed message of every round. During the warm-up pass only, the index.search calls each message
makes inside ours are counted and timed (the understanding may search several times, or not at
all, and its rewritten query may cost more or less than the raw message). Then the cold
`ocop-bot ask` wall time (bench/cold_start.py's run_once): median of 7 fresh processes on each
already-existing database (the shipped one, then each synthetic one), after one untimed run.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
for _p in (REPO_ROOT, BENCH_DIR):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

from cold_start import run_once as cold_ask_once  # noqa: E402
from scale import pct, prepare  # noqa: E402

from bot.config import Config, DatabaseSection  # noqa: E402
from bot.replies import Request  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.text import clean_input  # noqa: E402
from handlers.router import MAX_TEXT, Router  # noqa: E402

SUITE = REPO_ROOT / "tests" / "chat" / "chat_suite.csv"
COLD_TEXT = "mật ong Bảo Yên mấy sao"
COLD_RUNS = 7
SEED = 1


def load_messages(path: Path = SUITE) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [row["message"] for row in csv.DictReader(fh)]


class SlowSearchCounter(logging.Handler):
    """Counts run_search's "slow search" warnings instead of printing each one."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def measure(label: str, db: Path, messages: list[str], rounds: int) -> dict:
    config = Config(database=DatabaseSection(path=str(db)), base_dir=db.parent)
    started = time.perf_counter()
    services = await build_services(config)
    startup_s = time.perf_counter() - started
    router = Router(services)
    ours: list[float] = []
    first: list[float] = []
    alone: list[float] = []
    per_message: list[list[float]] = [[] for _ in messages]
    per_message_alone: list[list[float]] = [[] for _ in messages]
    errors: list[tuple[str, str]] = []
    reply_kinds: dict[str, int] = {}
    serial = 0
    # Warm-up pass only: count the index.search calls a message makes and the time inside them,
    # through an instance attribute that shadows the method; removed before the timed rounds.
    inner = {"calls": 0, "ns": 0}
    calls_per_message: list[int] = []
    warm_handle_ns = 0
    try:
        snapshot = await services.catalogue.get()
        products = len(snapshot.catalogue.products)
        index = snapshot.index
        real_search = index.search

        def counting_search(*a, **kw):
            t = time.perf_counter_ns()
            try:
                return real_search(*a, **kw)
            finally:
                inner["calls"] += 1
                inner["ns"] += time.perf_counter_ns() - t

        # Round -1: the first pass, caches cold (each index keeps the listings and word readings it
        # worked out): timed on its own. Round 0: the counting warm-up. Then the timed rounds.
        for rnd in range(-1, rounds + 1):
            if rnd == 0:
                index.search = counting_search
            elif "search" in vars(index):
                del index.search
            for i, msg in enumerate(messages):
                serial += 1
                chat = f"bench-{serial}"
                request = Request("console", chat, chat, text=msg)
                calls_before = inner["calls"]
                t0 = time.perf_counter_ns()
                try:
                    replies = await router.handle(request)
                except Exception as exc:  # noqa: BLE001 - report, do not stop the run
                    if rnd == 0:
                        errors.append((msg, f"{type(exc).__name__}: {exc}"))
                    continue
                t1 = time.perf_counter_ns()
                if rnd == -1:
                    first.append((t1 - t0) / 1e6)
                    continue
                if rnd == 0:
                    calls_per_message.append(inner["calls"] - calls_before)
                    warm_handle_ns += t1 - t0
                    for r in replies:
                        reply_kinds[r.kind] = reply_kinds.get(r.kind, 0) + 1
                text = clean_input(msg, MAX_TEXT * 4)[:MAX_TEXT]
                snap = await services.catalogue.get()
                if rnd == 0:
                    real_search(text, limit=None)  # warm the baseline too, uncounted
                    continue
                t2 = time.perf_counter_ns()
                snap.index.search(text, limit=None)
                t3 = time.perf_counter_ns()
                ours.append((t1 - t0) / 1e6)
                alone.append((t3 - t2) / 1e6)
                per_message[i].append((t1 - t0) / 1e6)
                per_message_alone[i].append((t3 - t2) / 1e6)
    finally:
        await services.close()
    slowest = sorted(
        (
            (statistics.median(times), max(times), statistics.median(per_message_alone[i]), messages[i])
            for i, times in enumerate(per_message)
            if times
        ),
        reverse=True,
    )[:5]
    return {
        "label": label,
        "products": products,
        "messages": len(messages),
        "timed": len(ours),
        "startup_s": startup_s,
        "ours": ours,
        "first": first,
        "alone": alone,
        "slowest": slowest,
        "errors": errors,
        "reply_kinds": reply_kinds,
        "calls_per_message": calls_per_message,
        "inside_search_share": inner["ns"] / max(warm_handle_ns, 1),
        "db": db,
    }


def cold_ask(db: Path) -> tuple[float, list[float], str]:
    """One untimed run (warms the OS file cache, shows the answer), then COLD_RUNS timed runs."""
    import subprocess

    first = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--db", str(db), "ask", COLD_TEXT],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    if first.returncode != 0:
        raise SystemExit(f"ocop-bot ask failed ({first.returncode}): {first.stderr.strip()[-500:]}")
    answer = " / ".join(line.strip() for line in first.stdout.strip().splitlines()[:2])
    times = [cold_ask_once(db, COLD_TEXT) for _ in range(COLD_RUNS)]
    return statistics.median(times), times, answer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over all messages (after one warm-up)")
    parser.add_argument("--sizes", default="shipped,20000", help='comma-separated: "shipped" and/or product counts')
    parser.add_argument("--no-cold", action="store_true", help="skip the cold `ocop-bot ask` runs")
    args = parser.parse_args(argv)
    print("$ python bench/chat_latency.py " + " ".join(argv if argv is not None else sys.argv[1:]), flush=True)

    slow_log = SlowSearchCounter()
    logging.getLogger("handlers").addHandler(slow_log)
    logging.getLogger("handlers").propagate = False
    messages = load_messages()
    began = time.perf_counter()
    results = []
    shipped_db: Path | None = None
    with tempfile.TemporaryDirectory(prefix="ocop-chat-latency-") as tmp:
        for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
            db = Path(tmp) / f"chat-{size}.sqlite3"
            prep = None
            if size != "shipped":
                t = time.perf_counter()
                prep = asyncio.run(prepare(int(size), SEED, db))
                prep["total_s"] = time.perf_counter() - t
            else:
                shipped_db = db
            print(f"[{time.perf_counter() - began:5.1f} s] {size}: measuring", file=sys.stderr, flush=True)
            before = slow_log.count
            row = asyncio.run(measure(size, db, messages, args.rounds))
            row["prep"] = prep
            row["slow_warnings"] = slow_log.count - before
            results.append(row)
        cold = None
        if not args.no_cold:
            if shipped_db is None:  # --sizes without "shipped": make the shipped database for the cold runs
                shipped_db = Path(tmp) / "chat-shipped.sqlite3"
                asyncio.run(build_services(Config(database=DatabaseSection(path=str(shipped_db)), base_dir=Path(tmp))))
            cold = []
            for label, db in [("shipped", shipped_db)] + [
                (r["label"], r["db"]) for r in results if r["label"] != "shipped"
            ]:
                print(f"[{time.perf_counter() - began:5.1f} s] cold ocop-bot ask, {label}", file=sys.stderr, flush=True)
                cold.append((label, *cold_ask(db)))

    print(
        f"{len(messages)} messages from {SUITE.relative_to(REPO_ROOT)}, fresh chat id each; "
        f"a first pass (caches cold, timed apart), 1 warm-up pass + {args.rounds} timed rounds; "
        "nearest-rank percentiles"
    )
    print()
    print(
        "| catalogue | messages | ours p50 / p99 ms | first pass p50 / p99 ms | search alone p50 / p99 ms | ratio p99 |"
    )
    print("|---|---|---|---|---|---|")
    for r in results:
        name = "shipped" if r["label"] == "shipped" else "synthetic"
        o50, o99 = pct(r["ours"], 0.5), pct(r["ours"], 0.99)
        a50, a99 = pct(r["alone"], 0.5), pct(r["alone"], 0.99)
        f50, f99 = pct(r["first"], 0.5), pct(r["first"], 0.99)
        print(
            f"| {name} ({r['products']:,} products) | {r['messages']} x {len(r['ours']) // max(r['messages'], 1)} "
            f"| {o50:.2f} / {o99:.2f} | {f50:.2f} / {f99:.2f} | {a50:.2f} / {a99:.2f} | {o99 / a99:.1f}x |"
        )
    print()
    print("ratio = ours / search alone (ratio p50 too, and max):")
    for r in results:
        o50, a50 = pct(r["ours"], 0.5), pct(r["alone"], 0.5)
        print(
            f"  {r['products']:>6,} products: p50 ratio {o50 / a50:.1f}x; max ours {max(r['ours']):.1f} ms, "
            f"max search alone {max(r['alone']):.1f} ms; build_services {r['startup_s']:.2f} s; "
            f"'slow search' (>50 ms) warnings {r['slow_warnings']}"
        )
        if r["prep"]:
            p = r["prep"]
            print(f"  {'':>6} ({p['real']} real + {p['synthetic']:,} synthetic rows, prepared in {p['total_s']:.1f} s)")
    print()
    print("index.search calls per message inside ours (warm-up pass), and ours' time spent inside them:")
    for r in results:
        calls = r["calls_per_message"]
        spread = ", ".join(f"{n} calls: {calls.count(n)}" for n in sorted(set(calls)))
        print(
            f"  {r['products']:>6,} products: mean {statistics.mean(calls):.2f} ({spread}); "
            f"{100 * r['inside_search_share']:.0f}% of handle time inside index.search"
        )
    print()
    for r in results:
        print(f"5 slowest messages, {r['products']:,} products (median of rounds / max, ms; search alone median):")
        for med, worst, alone_med, msg in r["slowest"]:
            print(f"  {med:7.2f} / {worst:7.2f}   alone {alone_med:6.2f}   {msg!r}")
    for r in results:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(r["reply_kinds"].items(), key=lambda kv: -kv[1]))
        print(f"reply kinds, warm-up pass, {r['products']:,} products: {kinds}")
        if r["errors"]:
            print(f"  {len(r['errors'])} messages raised (excluded from the timings):")
            for msg, err in r["errors"][:5]:
                print(f"    {msg!r}: {err}")
    if cold:
        print()
        print(
            f"cold `{Path(sys.executable).name} -m bot.cli --db <existing db> ask {COLD_TEXT!r}`, wall time, median of {COLD_RUNS}:"
        )
        for label, median, times, answer in cold:
            name = "shipped" if label == "shipped" else f"synthetic {int(label):,}"
            print(f"  {name:<17} {median:.3f} s (min {min(times):.3f}, max {max(times):.3f})   answer: {answer[:110]}")
    print(f"\n(total {time.perf_counter() - began:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
