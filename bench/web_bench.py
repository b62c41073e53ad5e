"""Server time and weight of the web catalogue's pages, at the shipped catalogue and at a synthetic one.

    python bench/web_bench.py                       # shipped and 20,000 products
    python bench/web_bench.py --sizes shipped --rounds 200

What is timed: one request through the whole ASGI app `ocop-bot serve` runs (webhook routes,
/healthz and the pages, bot.web.app.build_app), called in-process with a minimal HTTP scope
(GET, Accept-Encoding: gzip), from the call until the last body chunk is sent: routing, the
reader's language, the catalogue-version check, the page cache, rendering (Jinja2), gzip,
ETag and headers, and for searches the understanding, the search and the search-log write.
No socket, no client: the network is not in the figure. The floor is a static file
(`/static/site.css`, served from memory) timed in the same run.

Pages: `/` (home: browse by star, area, group), `/p/<id>` (a product), `/places`, `/events`,
and `/?q=<query>` (the 182 queries of tests/search/relevance_queries.csv, as typed). "first"
is a page's first request (rendered: for products, one distinct product each time; for
searches, each query's first time), "again" a repeat (from the cache of rendered pages, kept per
catalogue version, language and day; a repeated search still writes its search-log row).

Catalogues: "shipped" is a fresh temporary database seeded from data/; a number is the shipped
catalogue plus SYNTHETIC rows from bench/synth.py up to that size, built by bench/scale.py's
`prepare`. Weight: each page type's HTML and the stylesheet, raw and gzip (what is sent).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for path in (REPO_ROOT, BENCH):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from scale import pct, prepare  # noqa: E402

from bot.config import Config, DatabaseSection, WebSection  # noqa: E402
from bot.services import build_services  # noqa: E402
from bot.web.app import WebState, build_app  # noqa: E402
from bot.web.pages import build_pages  # noqa: E402

SEED = 1
QUERIES = REPO_ROOT / "tests" / "search" / "relevance_queries.csv"


async def call(app, path: str, *, gzip_ok: bool = True) -> tuple[float, int, bytes]:
    """(seconds, status, body) for one GET through the ASGI app."""
    target, _, query = path.partition("?")
    headers = [(b"host", b"bench"), (b"user-agent", b"web_bench")]
    if gzip_ok:
        headers.append((b"accept-encoding", b"gzip"))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": target, "raw_path": target.encode(), "query_string": query.encode(), "headers": headers,
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8080), "root_path": "",
    }  # fmt: skip
    status, chunks = 0, []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    started = time.perf_counter()
    await app(scope, receive, send)
    return time.perf_counter() - started, status, b"".join(chunks)


def load_queries() -> list[str]:
    with QUERIES.open(encoding="utf-8", newline="") as fh:
        return [row["query"] for row in csv.DictReader(fh) if row["query"].strip()]


async def measure(label: str, db: Path, rounds: int) -> dict:
    from urllib.parse import quote

    config = Config(
        database=DatabaseSection(path=str(db)), base_dir=db.parent,
        web=WebSection(public_url="https://ocop.example.vn"),
    )  # fmt: skip
    services = await build_services(config)
    try:
        state = WebState(services, "bench-secret-0123", 1_000_000)
        state.pages = build_pages(services, bot_username=lambda: "ocop_bot")
        app = build_app(state)
        snapshot = await services.catalogue.get()
        assets = state.pages.state.site.assets
        css = assets.url("site.css")
        ids = sorted(snapshot.index.products)
        rng = random.Random(SEED)
        sample = rng.sample(ids, min(len(ids), rounds))
        queries = load_queries()
        times: dict[str, list[float]] = {}
        weight: dict[str, tuple[int, int]] = {}

        async def timed(kind: str, path: str) -> bytes:
            seconds, status, body = await call(app, path)
            if status != 200:
                raise SystemExit(f"{path}: HTTP {status}")
            times.setdefault(kind, []).append(seconds * 1000)
            return body

        # First requests: each page rendered once (products: a different one each time).
        for path, kind in (("/", "home"), ("/places", "places"), ("/events", "events")):
            await timed(f"{kind} first", path)
        for product_id in sample:
            await timed("product first", f"/p/{product_id}")
        for text in queries:
            await timed("search first", "/?q=" + quote(text))
        # Again: the same pages, in rounds, interleaved with the static floor.
        for number in range(rounds):
            await timed("static (floor)", css)
            await timed("home again", "/")
            await timed("product again", f"/p/{sample[number % len(sample)]}")
            await timed("places again", "/places")
            await timed("events again", "/events")
            await timed("search again", "/?q=" + quote(queries[number % len(queries)]))
        # Weight: one of each, raw and gzip (the app's own gzip is what is sent).
        for kind, path in (
            ("/", "/"), ("/p/<id>", f"/p/{sample[0]}"), ("/places", "/places"), ("/events", "/events"),
            ("/?q=mật ong", "/?q=" + quote("mật ong")), ("/?star=3 (a page of 20)", "/?star=3"),
            ("site.css", css), ("map: leaflet.js", assets.url("leaflet/leaflet.js")),
            ("map: leaflet.css", assets.url("leaflet/leaflet.css")), ("map: places.js", assets.url("places.js")),
        ):  # fmt: skip
            _, _, raw = await call(app, path, gzip_ok=False)
            _, _, packed = await call(app, path)
            weight[kind] = (len(raw), len(packed))
        return {"label": label, "products": len(ids), "times": times, "weight": weight}
    finally:
        await services.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="shipped,20000", help='"shipped" and/or product counts')
    parser.add_argument("--rounds", type=int, default=500, help="repeats of each page (and products sampled)")
    args = parser.parse_args(argv)
    print("$ python bench/web_bench.py " + " ".join(argv if argv is not None else sys.argv[1:]), flush=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="ocop-web-bench-") as tmp:
        for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
            db = Path(tmp) / f"web-{size}.sqlite3"
            if size != "shipped":
                print(f"preparing {size} products…", file=sys.stderr, flush=True)
                asyncio.run(prepare(int(size), SEED, db))
            print(f"measuring {size}…", file=sys.stderr, flush=True)
            results.append(asyncio.run(measure(size, db, args.rounds)))
    print()
    print("Server time per request, ms (in-process ASGI; nearest-rank percentiles):")
    print()
    kinds = list(results[0]["times"])
    print("| request | " + " | ".join(f"{r['products']:,} products p50 / p99 (n)" for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for kind in kinds:
        cells = []
        for r in results:
            values = r["times"].get(kind, [])
            cells.append(f"{pct(values, 0.5):.2f} / {pct(values, 0.99):.2f} ({len(values)})")
        print(f"| {kind} | " + " | ".join(cells) + " |")
    print()
    print("Weight, bytes raw / gzip (as sent with Accept-Encoding: gzip):")
    print()
    print("| page | " + " | ".join(f"{r['products']:,} products" for r in results) + " |")
    print("|---|" + "---|" * len(results))
    for kind in results[0]["weight"]:
        cells = [f"{r['weight'][kind][0]:,} / {r['weight'][kind][1]:,}" for r in results]
        print(f"| {kind} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
