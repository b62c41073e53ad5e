"""`ocop-bot labels`: a printable A4 PDF of QR labels for shop shelves (bot/labels.py)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.services import Services

EXIT_USAGE = 2
EXIT_EMPTY = 1
STARS = (3, 4, 5)


def add_labels_command(sub) -> None:
    labels = sub.add_parser("labels", help="QR labels for shelves: an A4 PDF, 3×8 labels of 70×37 mm")
    labels.add_argument("--out", required=True, type=Path, help="the PDF file to write")
    labels.add_argument("--area", help="only products of this area (district, town or city), e.g. 'Sa Pa'")
    labels.add_argument("--star", type=int, help="only products with this many stars (3, 4 or 5)")
    labels.add_argument("--ids", help="only these products, by id: 1,2,3")
    labels.add_argument("--base-url", help="the web pages' address (default: [web] public_url)")


def _fail(message: str, status: int = EXIT_USAGE) -> int:
    print(f"ocop-bot: {message}", file=sys.stderr)
    return status


def _parse_ids(text: str) -> list[int] | None:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        return None
    return list(dict.fromkeys(int(p) for p in parts))


async def run_labels(services: Services, args: argparse.Namespace) -> int:
    from bot.importer import AreaResolver
    from bot.labels import make_labels_pdf

    base = (args.base_url or services.config.web.public_url).strip()
    if not base:
        return _fail("no public URL for the codes: set [web] public_url in config.toml, or pass --base-url URL")
    if not base.startswith(("http://", "https://")):
        return _fail(f"--base-url: {base!r} is not an http(s) URL, e.g. https://ocop.example.vn")
    if args.star is not None and args.star not in STARS:
        return _fail(f"--star: {args.star} is not an OCOP star level (3, 4 or 5)")
    ids = None
    if args.ids is not None:
        ids = _parse_ids(args.ids)
        if ids is None:
            return _fail(f"--ids: {args.ids!r} is not a list of product ids, e.g. 1,2,3")
        found = {p.id for p in await services.repo.catalogue.products_where(ids=ids)}
        missing = [str(i) for i in ids if i not in found]
        if missing:
            return _fail(f"--ids: no product with id {', '.join(missing)}")
    area = None
    if args.area is not None:
        catalogue = (await services.catalogue.get()).catalogue
        area = AreaResolver(catalogue.localities).resolve(args.area)
        if area is None:
            known = sorted({p.area for p in catalogue.products if p.area})
            return _fail(f"--area: unknown area {args.area!r} (known: {', '.join(known)})")
    products = await services.repo.catalogue.products_where(area=area, star=args.star, ids=ids)
    if not products:
        asked = [
            f"{flag} {value}" for flag, value in (("--area", area), ("--star", args.star), ("--ids", args.ids)) if value
        ]
        return _fail(f"no product matches {' '.join(asked)}: no labels made", EXIT_EMPTY)
    out: Path = args.out
    if out.is_dir():  # noqa: ASYNC240 - one stat before the work starts
        return _fail(f"--out: {out} is a folder; name the PDF file, e.g. {out / 'labels.pdf'}")
    pages = await asyncio.to_thread(make_labels_pdf, products, base, out)
    print(f"{out}: {len(products)} label(s) on {pages} A4 page(s), codes to {base.rstrip('/')}/p/<id>")
    return 0
