"""Search at national scale, measured (issue 6). A benchmark, not a test.

    python bench/scale.py                       # 600, 20,000 and 100,000 products, one run each
    python bench/scale.py --sizes 20000 --runs 3
    python bench/scale.py --sizes 100000 --profile

For every size, in fresh subprocesses so that resident memory means something:
1. prepare: the real catalogue (seeded from data/ as the bot does) plus SYNTHETIC rows from
   bench/synth.py up to the size, validated by the importer's own plan_import and bulk-inserted
   into a fresh SQLite file through the Repository's connection;
2. measure: the bot's start-up path, Repository.load_catalogue() then SearchIndex(...), timed
   separately, resident memory after the build, then search latency over a mixed query set
   (the relevance suite plus queries derived from the rows: exact, unaccented, typo, English,
   filters, places, producers, broad type words), in-process, one query at a time. In the same
   process and on the same queries, two baselines: rapidfuzz.process.extract(WRatio) over all
   folded names, and SQLite LIKE '%folded query%' over a folded-name temp table (stdlib sqlite3,
   LIMIT 5). The query is folded inside the timed part of both baselines;
3. bot: a process that builds the real Services (bot.services.build_services) on that file:
   start-up time and resident memory of the whole bot process.
Relevance of the engine on the real catalogue (bot.search.evaluate) is printed with the table,
so speed never buys a worse answer. `--runs N` repeats steps 2 and 3 and reports medians.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
for _p in (REPO_ROOT, BENCH_DIR):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

DEFAULT_SIZES = (600, 20000, 100000)
TARGETS = {  # issue 6: size -> (p99 ms, build s, RSS MB, min speed-up vs rapidfuzz)
    20000: (5.0, 1.0, None, 5.0),
    100000: (20.0, 5.0, 300.0, None),
}
DERIVED_KINDS = ("exact", "unaccented", "typo", "english", "filter", "place", "producer", "broad")
TARGETED = ("exact", "unaccented", "typo", "english")  # kinds whose wanted product is known
PROFILE_EVERY = 4  # --profile runs every 4th query under cProfile


# -- helpers ------------------------------------------------------------------------------


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process in MB."""
    values = {}
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    values[key] = int(value.split()[0]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return values.get("VmRSS", peak), values.get("VmHWM", peak)


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def emit(payload: dict) -> None:
    print("RESULT " + json.dumps(payload), flush=True)


# -- step 1: prepare ----------------------------------------------------------------------


async def prepare(size: int, seed: int, db: Path) -> dict:
    from synth import COLUMNS, generate

    from bot.config import DATA_DIR
    from bot.importer import AreaResolver, plan_import
    from bot.storage import Repository

    started = time.perf_counter()
    repo = await Repository.open(db, seed_dir=DATA_DIR)  # the real catalogue and localities
    try:
        catalogue = await repo.load_catalogue()
        real = len(catalogue.products)
        rows = generate(max(size - real, 0), seed)
        generated = time.perf_counter()
        plan = plan_import(list(COLUMNS), list(enumerate(rows, start=2)), AreaResolver(catalogue.localities))
        if plan.errors or plan.warnings or plan.table != "products":
            problems = [f"line {e.line}: {e.reason}" for e in (plan.errors + plan.warnings)[:5]]
            raise SystemExit(f"synthetic rows do not import cleanly: {problems}")
        validated = time.perf_counter()
        # The write `ocop-bot import` makes: one upsert statement for all rows.
        for record in plan.records:
            record.pop("id", None)
        await repo.apply_import("products", plan.records)
        counts = await repo.counts()
    finally:
        await repo.close()
    done = time.perf_counter()
    return {
        "size": counts["products"],
        "real": real,
        "synthetic": len(rows),
        "generate_s": generated - started,
        "validate_s": validated - generated,
        "insert_s": done - validated,
    }


def remove_db(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


# -- the query set ------------------------------------------------------------------------


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice(("swap", "drop", "sub", "dup"))
    if op == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == "drop":
        return word[:i] + word[i + 1 :]
    if op == "sub":
        return word[:i] + rng.choice("aeiounhtgc") + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def build_queries(products, per_kind: int, seed: int) -> list[dict]:
    """The relevance suite, then `per_kind` queries of each derived kind, from the rows."""
    from bot.search.evaluate import load_suite
    from bot.text import fold

    queries = [{"q": r["query"], "kind": f"suite:{r['kind']}", "suite": r} for r in load_suite()]
    rng = random.Random(seed)
    synthetic = [p for p in products if p.source_url.startswith("synthetic://")] or list(products)
    districts = sorted({p.area for p in products if p.area})
    producers = sorted({p.producer for p in synthetic if p.producer})
    heads = sorted({" ".join(p.name.split()[:2]) for p in synthetic})

    def pick() -> object:
        return synthetic[rng.randrange(len(synthetic))]

    for _ in range(per_kind):
        p = pick()
        queries.append({"q": p.display_name, "kind": "exact", "target": p.id})
        p = pick()
        queries.append({"q": fold(p.display_name), "kind": "unaccented", "target": p.id})
        p = pick()
        words = fold(p.name).split()
        long_words = [i for i, w in enumerate(words) if len(w) >= 4]
        if long_words:
            i = rng.choice(long_words)
            words[i] = _typo(words[i], rng)
        queries.append({"q": " ".join(words), "kind": "typo", "target": p.id})
        p = pick()
        queries.append({"q": p.english_name or p.name, "kind": "english", "target": p.id})
        p = pick()
        star = rng.choice((3, 4, 5))
        form = rng.randrange(4)
        head = " ".join(p.name.split()[:2]).lower()
        filt = [
            f"{head} {star} sao",
            f"{head} {star} sao {p.area}",
            f"sản phẩm {star} sao {rng.choice(districts)}",
            f"{star} star {(p.english_name or head).split()[-1]}",
        ][form]
        queries.append({"q": filt, "kind": "filter"})
        p = pick()
        place = [f"đặc sản {p.area}", f"{head} {fold(p.area)}", f"mua {head} ở {p.area}"][rng.randrange(3)]
        queries.append({"q": place, "kind": "place"})
        producer = rng.choice(producers) if producers else "HTX"
        queries.append({"q": producer.split("(")[0].strip(), "kind": "producer"})
        queries.append({"q": rng.choice(heads).lower(), "kind": "broad"})
    return queries


# -- step 2: measure ----------------------------------------------------------------------


async def measure(db: Path, per_kind: int, seed: int, profile_out: Path | None) -> dict:
    import sqlite3

    from rapidfuzz import fuzz, process

    from bot.config import DATA_DIR
    from bot.search import SearchIndex, Vocabulary
    from bot.search.evaluate import evaluate
    from bot.storage import Repository
    from bot.text import clean_input, fold

    profiler = None
    if profile_out is not None:
        import cProfile

        profiler = cProfile.Profile()
    rss_before, _ = rss_mb()
    repo = await Repository.open(db, seed_dir=DATA_DIR)
    vocab = Vocabulary.load(DATA_DIR)
    t0 = time.perf_counter()
    catalogue = await repo.load_catalogue()
    t1 = time.perf_counter()
    if profiler:
        profiler.enable()
    index = SearchIndex(catalogue.products, catalogue.localities, vocab)
    t2 = time.perf_counter()
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(profile_out.with_suffix(".build.prof")))
        profiler = cProfile.Profile()
    await repo.close()
    gc.collect()
    rss_after, rss_peak = rss_mb()
    products = catalogue.products

    queries = build_queries(products, per_kind, seed)
    for item in queries[:20]:  # warm-up
        index.search(clean_input(item["q"]), limit=5)
    if profiler:
        queries = queries[::PROFILE_EVERY]  # a brief profile: every few queries of each kind
    ours: list[float] = []
    answers: list[list[int]] = []
    for item in queries:
        text = clean_input(item["q"])
        if profiler:
            profiler.enable()
        started = time.perf_counter_ns()
        result = index.search(text, limit=5)
        elapsed = time.perf_counter_ns() - started
        if profiler:
            profiler.disable()
        ours.append(elapsed / 1e6)
        answers.append([h.product.id for h in result.hits])
    if profiler:
        profiler.dump_stats(str(profile_out))
        return {"profiled": len(queries)}

    folded_names = [fold(p.name) for p in products]
    ids = [p.id for p in products]
    rf: list[float] = []
    rf_answers: list[list[int]] = []
    for item in queries:
        started = time.perf_counter_ns()
        found = process.extract(fold(item["q"]), folded_names, scorer=fuzz.WRatio, processor=None, limit=5)
        rf.append((time.perf_counter_ns() - started) / 1e6)
        rf_answers.append([ids[i] for _, _, i in found])

    conn = sqlite3.connect(db)
    conn.execute("CREATE TEMP TABLE folded (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    conn.executemany("INSERT INTO temp.folded VALUES (?, ?)", zip(ids, folded_names, strict=True))
    like: list[float] = []
    like_answers: list[list[int]] = []
    for item in queries:
        started = time.perf_counter_ns()
        pattern = f"%{fold(item['q'])}%"  # fold() leaves only [0-9a-z ]: nothing to escape
        rows = conn.execute("SELECT id FROM temp.folded WHERE name LIKE ? LIMIT 5", (pattern,)).fetchall()
        like.append((time.perf_counter_ns() - started) / 1e6)
        like_answers.append([r[0] for r in rows])
    conn.close()

    kinds: dict[str, list[float]] = {}
    for item, ms in zip(queries, ours, strict=True):
        kinds.setdefault(item["kind"].split(":")[0] if item["kind"].startswith("suite") else item["kind"], []).append(
            ms
        )
    quality: dict[str, dict[str, list[float]]] = {}
    for name, got in (("ours", answers), ("rapidfuzz", rf_answers), ("like", like_answers)):
        targeted = [(item, a) for item, a in zip(queries, got, strict=True) if "target" in item]
        quality[name] = {}
        for kind in ("all", *TARGETED):
            these = [(item, a) for item, a in targeted if kind in ("all", item["kind"])]
            n = max(len(these), 1)
            quality[name][kind] = [
                sum(bool(a) and a[0] == item["target"] for item, a in these) / n,
                sum(item["target"] in a[:5] for item, a in these) / n,
            ]
    by_id = {p.id: p for p in products}
    answer_of = {item["q"]: a for item, a in zip(queries, answers, strict=True) if "suite" in item}
    suite_rows = [item["suite"] for item in queries if "suite" in item]
    inside = evaluate(lambda q: [by_id[i].display_name for i in answer_of[q]], suite_rows)
    return {
        "products": len(products),
        "load_s": t1 - t0,
        "index_s": t2 - t1,
        "rss_mb": rss_after,
        "rss_peak_mb": rss_peak,
        "rss_before_mb": rss_before,
        "queries": len(queries),
        "ours": ours,
        "rapidfuzz": rf,
        "like": like,
        "kinds": {k: [pct(v, 0.5), pct(v, 0.99), len(v)] for k, v in kinds.items()},
        "quality": quality,
        "suite_inside": [inside.top1_rate, inside.top3_rate, inside.unrelated_empty_rate],
        "slowest": sorted(((ms, item["q"]) for item, ms in zip(queries, ours, strict=True)), reverse=True)[:5],
    }


# -- step 3: the whole bot process ---------------------------------------------------------


async def bot_process(db: Path) -> dict:
    from bot.config import load_config
    from bot.services import build_services

    config = load_config(None, db_override=str(db))
    started = time.perf_counter()
    services = await build_services(config)
    elapsed = time.perf_counter() - started
    gc.collect()
    rss, peak = rss_mb()
    snapshot = await services.catalogue.get()
    hits = len(snapshot.index.search("mật ong", limit=5).hits)
    await services.close()
    return {
        "startup_s": elapsed,
        "rss_mb": rss,
        "rss_peak_mb": peak,
        "products": len(snapshot.catalogue.products),
        "smoke": hits,
    }


async def relevance() -> dict:
    from bot.config import DATA_DIR
    from bot.search import SearchIndex, Vocabulary
    from bot.search.evaluate import SUITE, evaluate, load_suite
    from bot.storage import Repository
    from bot.text import clean_input

    with tempfile.TemporaryDirectory() as tmp:
        repo = await Repository.open(Path(tmp) / "real.sqlite3", seed_dir=DATA_DIR)
        catalogue = await repo.load_catalogue()
        await repo.close()
    index = SearchIndex(catalogue.products, catalogue.localities, Vocabulary.load(DATA_DIR))
    out: dict = {"products": len(catalogue.products), "suites": []}
    for path in (SUITE, SUITE.with_name("holdout_queries.csv")):
        if not path.exists():
            continue
        report = evaluate(
            lambda q: [h.product.display_name for h in index.search(clean_input(q), limit=5).hits], load_suite(path)
        )
        out["suites"].append({"file": path.name, "summary": report.summary(), "misses": report.misses})
    return out


# -- the parent: run the children, print the table -------------------------------------------


def run_child(args: list[str], workdir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "OCOP_CONFIG"}
    env["PYTHONHASHSEED"] = "0"
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", *args],
        cwd=workdir,  # no stray config.toml
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    result = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not result:
        sys.stderr.write(proc.stdout[-2000:] + proc.stderr[-4000:])
        raise SystemExit(f"child {args[0]} failed (exit {proc.returncode})")
    return json.loads(result[-1][len("RESULT ") :])


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt_ms(value: float) -> str:
    return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 100 else f"{value:.0f}"


def summarise(size: int, prep: dict, runs: list[dict], bots: list[dict]) -> dict:
    def med(key: str, source: list[dict] = runs) -> float:
        return median([r[key] for r in source])

    def lat(name: str, q: float) -> float:
        return median([pct(r[name], q) for r in runs])

    out = {
        "size": size,
        "products": runs[0]["products"],
        "load_s": med("load_s"),
        "index_s": med("index_s"),
        "build_s": median([r["load_s"] + r["index_s"] for r in runs]),
        "rss_mb": med("rss_mb"),
        "rss_before_mb": med("rss_before_mb"),
        "bot_startup_s": med("startup_s", bots),
        "bot_rss_mb": med("rss_mb", bots),
        "bot_peak_mb": med("rss_peak_mb", bots),
        "queries": runs[0]["queries"],
        "prep": prep,
    }
    for name in ("ours", "rapidfuzz", "like"):
        out[f"{name}_p50"] = lat(name, 0.5)
        out[f"{name}_p99"] = lat(name, 0.99)
        out[f"{name}_mean"] = median([statistics.fmean(r[name]) for r in runs])
        for kind in ("all", *TARGETED):
            out[f"{name}_{kind}"] = [median([r["quality"][name][kind][i] for r in runs]) for i in (0, 1)]
    out["kinds"] = {k: [median([r["kinds"][k][0] for r in runs]), median([r["kinds"][k][1] for r in runs]), v[2]]
                    for k, v in runs[0]["kinds"].items()}  # fmt: skip
    out["suite_inside"] = runs[0]["suite_inside"]
    out["slowest"] = runs[0]["slowest"]
    return out


def print_report(rows: list[dict], rel: dict, runs: int, command: str) -> None:
    print()
    print(f"# {command}")
    print(f"# medians of {runs} run(s); latency in ms per query, in-process, one query at a time")
    header = (
        f"{'products':>9} {'load s':>7} {'index s':>8} {'RSS MB':>7} {'bot MB':>7} {'queries':>7}  "
        f"{'ours p50':>8} {'p99':>7}  {'rfuzz p50':>9} {'p99':>7}  {'LIKE p50':>8} {'p99':>7}  "
        f"{'x rf p50':>8} {'x rf p99':>8} {'x LIKE p99':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['products']:>9,} {r['load_s']:>7.2f} {r['index_s']:>8.2f} {r['rss_mb']:>7.0f} {r['bot_rss_mb']:>7.0f} "
            f"{r['queries']:>7}  {fmt_ms(r['ours_p50']):>8} {fmt_ms(r['ours_p99']):>7}  "
            f"{fmt_ms(r['rapidfuzz_p50']):>9} {fmt_ms(r['rapidfuzz_p99']):>7}  "
            f"{fmt_ms(r['like_p50']):>8} {fmt_ms(r['like_p99']):>7}  "
            f"{r['rapidfuzz_p50'] / r['ours_p50']:>8.2f} {r['rapidfuzz_p99'] / r['ours_p99']:>8.2f} "
            f"{r['like_p99'] / r['ours_p99']:>10.2f}"
        )
    print("x = baseline time / our time (above 1: we are faster)")
    print()
    print("answer quality, derived queries whose product is known: top-1 / top-5 share")
    print(f"{'products':>9} {'method':<10}" + "".join(f"{k:>14}" for k in ("all", *TARGETED)))
    for r in rows:
        for name in ("ours", "rapidfuzz", "like"):
            cells = "".join(f"{r[f'{name}_{k}'][0]:>7.2f} / {r[f'{name}_{k}'][1]:.2f}" for k in ("all", *TARGETED))
            print(f"{r['products']:>9,} {name:<10}{cells}")
    print()
    kinds = sorted({k for r in rows for k in r["kinds"]})
    print("ours by query kind, p50 / p99 ms (count per size in brackets):")
    print(f"{'kind':<11}" + "".join(f"{r['products']:>20,}" for r in rows))
    for kind in kinds:
        cells = []
        for r in rows:
            p50, p99, n = r["kinds"].get(kind, [float("nan")] * 3)
            cells.append(f"{fmt_ms(p50)} / {fmt_ms(p99)} ({n})")
        print(f"{kind:<11}" + "".join(f"{c:>20}" for c in cells))
    print()
    print("start-up and data:")
    for r in rows:
        p = r["prep"]
        print(
            f"{r['products']:>9,}: DB->index {r['build_s']:.2f} s (load_catalogue {r['load_s']:.2f} + SearchIndex "
            f"{r['index_s']:.2f}), bench process RSS {r['rss_mb']:.0f} MB after ({r['rss_before_mb']:.0f} before); whole bot build_services {r['bot_startup_s']:.2f} s, RSS {r['bot_rss_mb']:.0f} MB "
            f"(peak {r['bot_peak_mb']:.0f}); DB {p['db_mb']:.1f} MB, {p['real']} real + {p['synthetic']:,} synthetic rows "
            f"(generate {p['generate_s']:.1f} s, validate {p['validate_s']:.1f} s, insert {p['insert_s']:.1f} s)"
        )
    print()
    print("slowest queries (ours, first run):")
    for r in rows:
        print(f"{r['products']:>9,}: " + "; ".join(f"{ms:.1f} ms {q!r}" for ms, q in r["slowest"][:3]))
    print()
    for suite in rel["suites"]:
        print(f"relevance on the real catalogue ({rel['products']} products), tests/search/{suite['file']}:")
        print(suite["summary"])
        for miss in suite["misses"]:
            print(f"  miss: {miss}")
    print("real suite inside each benchmark catalogue (informational: synthetic rows make some queries ambiguous):")
    for r in rows:
        top1, top3, empty = r["suite_inside"]
        print(f"{r['products']:>9,}: top-1 {top1:.3f}, top-3 {top3:.3f}, unrelated empty {empty:.3f}")
    print()
    print("issue 6 figures:")
    for r in rows:
        target = TARGETS.get(r["products"]) or TARGETS.get(r["size"])
        if not target:
            continue
        p99, build, rss, speedup = target
        checks = [f"p99 {r['ours_p99']:.2f} ms < {p99} ms: {'ok' if r['ours_p99'] < p99 else 'MISS'}"]
        checks.append(f"build {r['build_s']:.2f} s < {build} s: {'ok' if r['build_s'] < build else 'MISS'}")
        if rss:
            checks.append(
                f"bot RSS {r['bot_rss_mb']:.0f} MB < {rss:.0f} MB: {'ok' if r['bot_rss_mb'] < rss else 'MISS'}"
            )
        if speedup:
            x = r["rapidfuzz_p99"] / r["ours_p99"]
            checks.append(f"{x:.1f}x rapidfuzz p99 >= {speedup:.0f}x: {'ok' if x >= speedup else 'MISS'}")
        print(f"{r['size']:>9,}: " + "; ".join(checks))


def print_profile(path: Path, size: int) -> None:
    import pstats

    print()
    print(f"cProfile of SearchIndex(...) at {size:,} products (top 12 by own time):")
    stats = pstats.Stats(str(path.with_suffix(".build.prof")))
    stats.strip_dirs().sort_stats("tottime").print_stats(12)
    print(
        f"cProfile of our search, every {PROFILE_EVERY}th query of the set, at {size:,} products (top 15 by own time):"
    )
    stats = pstats.Stats(str(path))
    stats.strip_dirs().sort_stats("tottime").print_stats(15)
    print("(top 12 by cumulative time)")
    stats.sort_stats("cumulative").print_stats(12)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES), help="comma-separated sizes")
    parser.add_argument("--runs", type=int, default=1, help="measure each size N times, report medians")
    parser.add_argument("--per-kind", type=int, default=55, help="derived queries per kind (8 kinds + the suite)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, help="where the SQLite files go (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite files")
    parser.add_argument("--profile", action="store_true", help="cProfile our search at the largest size")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        mode, *rest = args.child
        if mode == "prepare":
            db = Path(rest[2])
            remove_db(db)
            result = asyncio.run(prepare(int(rest[0]), int(rest[1]), db))
            emit({**result, "db_mb": db.stat().st_size / 2**20})
        elif mode == "measure":
            profile = Path(rest[3]) if len(rest) > 3 else None
            emit(asyncio.run(measure(Path(rest[0]), int(rest[1]), int(rest[2]), profile)))
        elif mode == "bot":
            emit(asyncio.run(bot_process(Path(rest[0]))))
        elif mode == "relevance":
            emit(asyncio.run(relevance()))
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    command = "python bench/scale.py " + " ".join(argv if argv is not None else sys.argv[1:])
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ocop-scale-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rows = []
    profile_path = workdir / "search.prof"
    for size in sizes:
        db = workdir / f"scale-{size}.sqlite3"
        print(f"[{time.perf_counter() - started:6.1f} s] {size:,}: preparing", file=sys.stderr, flush=True)
        prep = run_child(["prepare", str(size), str(args.seed), str(db)], workdir)
        runs, bots = [], []
        for n in range(args.runs):
            print(f"[{time.perf_counter() - started:6.1f} s] {size:,}: run {n + 1}", file=sys.stderr, flush=True)
            runs.append(run_child(["measure", str(db), str(args.per_kind), str(args.seed)], workdir))
            bots.append(run_child(["bot", str(db)], workdir))
        rows.append(summarise(size, prep, runs, bots))
        if args.profile and size == max(sizes):
            print(f"[{time.perf_counter() - started:6.1f} s] {size:,}: profiling", file=sys.stderr, flush=True)
            run_child(["measure", str(db), str(args.per_kind), str(args.seed), str(profile_path)], workdir)
        if not args.keep:
            remove_db(db)
    rel = run_child(["relevance"], workdir)
    print_report(rows, rel, args.runs, command)
    if args.profile and profile_path.exists():
        print_profile(profile_path, max(sizes))
    print(f"\n(total {time.perf_counter() - started:.0f} s; files in {workdir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
