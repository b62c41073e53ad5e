"""The public pages: search and browse, a product, places (map and list), a place, fairs.

Each page says what the chat says: the same handlers' functions word every fact (card lines,
validity, places with hours and distances, events), in the reader's language.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from weakref import WeakKeyDictionary

from starlette.requests import Request
from starlette.responses import Response

from bot.geo import map_url
from bot.models import Product
from bot.replies import Location
from bot.services import Snapshot
from bot.text import fold
from bot.web.pages.site import Site
from handlers import events, lookup, render
from handlers.context import Context
from handlers.places import places_for_area, rank_places
from handlers.products import events_on_now

PAGE_SIZE = 20
STAR_KEYS = ("5", "4", "3", "none")
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Browse:
    """The catalogue by star, area and group, each list in the search's order (stars, then name)."""

    by_star: dict[str, list[Product]]
    by_area: dict[str, list[Product]]
    by_category: dict[str, list[Product]]


_BROWSE: WeakKeyDictionary = WeakKeyDictionary()  # index -> Browse: fixed per catalogue version


def browse(snapshot: Snapshot) -> Browse:
    index = snapshot.index
    found = _BROWSE.get(index)
    if found is None:
        star: dict[str, list[Product]] = {key: [] for key in STAR_KEYS}
        area: dict[str, list[Product]] = {}
        category: dict[str, list[Product]] = {}
        for product in (index.products[i] for i in index.ordered):
            star[str(product.star) if product.star else "none"].append(product)
            if product.area:
                area.setdefault(product.area, []).append(product)
            if product.category:
                category.setdefault(product.category, []).append(product)
        found = Browse(star, dict(sorted(area.items(), key=lambda kv: fold(kv[0]))), dict(sorted(category.items())))
        _BROWSE[index] = found
    return found


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return min(max(number, low), high)


def _float(value: str | None) -> float | None:
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    return number if number is not None and math.isfinite(number) else None


def pages_of(items: list, page: int) -> tuple[list, int, int]:
    pages = max(1, math.ceil(len(items) / PAGE_SIZE))
    page = min(page, pages)
    return items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], page, pages


Handler = Callable[[Request], Awaitable[Response]]


def page(site: Site, build: Callable[[Request, Context], Awaitable[tuple[str, dict[str, Any]] | None]]) -> Handler:
    """A cached page: `build` gives (template, values), or None for "not found" (404)."""

    async def endpoint(request: Request) -> Response:
        lang, remember = site.language(request)
        ctx = await site.context(lang)
        key = site.cache_key(request, lang, ctx.snapshot, site.bot_username())
        body = site.cached(key)
        if body is None:
            built = await build(request, ctx)
            if built is None:
                return not_found(site, request, ctx, remember)
            template, values = built
            body = site.remember(key, site.render(request, template, ctx, **values))
        elif "q" in request.query_params:
            await _log_again(ctx, request.query_params["q"], body.meta)
        return site.respond(request, body, lang=lang, remember=remember)

    return endpoint


async def _log_again(ctx: Context, query: str, meta: tuple) -> None:
    """A search served from the cache is still a search people made (staff statistics)."""
    if meta:
        text, count = meta
        await ctx.services.repo.log_search(text, ctx.lang, ctx.request.platform, count)


def not_found(site: Site, request: Request, ctx: Context, remember: bool) -> Response:
    body = site.render(request, "missing.html", ctx, title=ctx.t("web.missing"), description=ctx.t("web.tagline"))
    return site.respond(request, body, status=404, lang=ctx.lang, remember=remember, cache="no-cache")


# -- pages ----------------------------------------------------------------------------------


async def home(request: Request, ctx: Context) -> tuple[str, dict[str, Any]] | None:
    params = request.query_params
    number = _int(params.get("page"), 1, 1, MAX_PAGE)
    query = params.get("q", "").strip()
    values: dict[str, Any] = {"query": query, "description": ctx.t("web.tagline"), "title": ctx.t("web.site_name")}
    catalogue = browse(ctx.snapshot)
    if query:
        found = await lookup.look_up(ctx, query)
        shown, number, pages = pages_of(list(found.products), number)
        values.update(lookup=found, shown=shown, page=number, pages=pages, title=query[:60])
        values["meta"] = (query[:200], len(found.products))
        return "results.html", values
    star, area, category = params.get("star"), params.get("area"), params.get("category")
    listing, title = None, ""
    if star in catalogue.by_star:
        listing = catalogue.by_star[star]
        title = ctx.t("list.no_star") if star == "none" else ctx.t("web.listing_star", n=star)
    elif area in catalogue.by_area:
        listing, title = catalogue.by_area[area], ctx.t("web.listing_area", area=area)
    elif category in catalogue.by_category:
        listing, title = catalogue.by_category[category], ctx.t(f"category.{category}")
    elif star or area or category:
        return None
    if listing is not None:
        shown, number, pages = pages_of(listing, number)
        values.update(heading=title, total=len(listing), shown=shown, page=number, pages=pages, title=title)
        return "listing.html", values
    stars = [
        ("/?star=" + key, ctx.t("list.no_star") if key == "none" else "★" * int(key) + " " + ctx.t("web.listing_star", n=key), len(items))
        for key, items in catalogue.by_star.items() if items
    ]  # fmt: skip
    areas = [("/?" + urlencode({"area": a}), a, len(items)) for a, items in catalogue.by_area.items()]
    groups = [(f"/?category={c}", ctx.t(f"category.{c}"), len(items)) for c, items in catalogue.by_category.items()]
    values["sections"] = [
        ("by-star", ctx.t("web.browse_stars"), stars),
        ("by-area", ctx.t("web.browse_areas"), areas),
        ("by-category", ctx.t("web.browse_categories"), groups),
    ]
    values["total"] = len(ctx.snapshot.catalogue.products)
    return "home.html", values


async def product(request: Request, ctx: Context) -> tuple[str, dict[str, Any]] | None:
    item = ctx.snapshot.index.products.get(request.path_params["id"])
    if item is None:
        return None
    places = places_for_area(ctx, item.area, product=item)
    links = [link for link in ctx.snapshot.catalogue.shop_links if link.product_id == item.id]
    lines = dict(_group(render.card_lines(ctx, item, places, events_on_now(ctx), links)))
    rows = render.place_rows(ctx, rank_places(ctx, places, None), sells_limit=None)
    description = " · ".join(
        x for x in (render.stars_text(ctx, item.star), item.producer, item.area, render.gloss(ctx, item)) if x
    )
    return "product.html", {
        "product": item, "lines": lines, "rows": rows, "gloss": render.gloss(ctx, item),
        "approx": any(r.pin and r.pin.approximate for r in rows), "telegram": _deep_link(request, item.id),
        "zalo": ctx.services.config.zalo.chat_url, "title": item.display_name, "description": description,
        "og_type": "product",
    }  # fmt: skip


def _group(lines: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for what, text in lines:
        out.setdefault(what, []).append(text.strip())
    return out


def _deep_link(request: Request, product_id: int) -> str:
    site: Site = request.app.state.site
    username = site.bot_username()
    return f"https://t.me/{username}?start=p_{product_id}" if username else ""


async def places_page(request: Request, ctx: Context) -> tuple[str, dict[str, Any]] | None:
    params = request.query_params
    lat, lon = _float(params.get("lat")), _float(params.get("lon"))
    origin = Location(lat, lon) if lat is not None and lon is not None and abs(lat) <= 90 and abs(lon) <= 180 else None
    catalogue = ctx.snapshot.catalogue
    item = ctx.snapshot.index.products.get(_int(params.get("product"), 0, 0, 2**31))
    area = params.get("area", "")
    if item is not None:
        places = places_for_area(ctx, item.area, product=item)
        name = render.name_with_gloss(ctx, item)
        heading = (
            ctx.t("buy.heading", name=name, area=item.area) if places else ctx.t("buy.none", name=name, area=item.area)
        )
    elif area and any(p.area == area for p in catalogue.places):
        places = places_for_area(ctx, area)
        heading = ctx.t("places.in_area", area=area, n=len(places))
    elif area or "product" in params:
        return None
    else:
        places, heading = list(catalogue.places), ctx.t("places.all_n", n=len(catalogue.places))
    ranked = rank_places(ctx, places, origin)
    near = params.get("near", "")
    if origin is not None and ranked and ranked[0][2] is not None:
        if near and ctx.snapshot.gazetteer.centre(near) is not None:
            heading = ctx.t("places.near_named", place=near)
        else:
            key = "places.nearest_far" if ranked[0][2] > 150 else "places.nearest"
            heading = ctx.t(key, km=f"{ranked[0][2]:.0f}")
    rows = render.place_rows(ctx, ranked, sells_limit=None)
    keep = {k: v for k, v in (("product", str(item.id) if item else ""), ("area", area)) if v}
    return "places.html", {
        "heading": heading, "rows": rows, "approx": any(r.pin and r.pin.approximate for r in rows),
        "tiles": ctx.services.config.web.tile_url, "title": ctx.t("web.places_title"),
        "description": ctx.t("web.places_description"), "keep": urlencode(keep), "origin": origin,
    }  # fmt: skip


async def place(request: Request, ctx: Context) -> tuple[str, dict[str, Any]] | None:
    wanted = request.path_params["id"]
    found = next((p for p in ctx.snapshot.catalogue.places if p.id == wanted), None)
    if found is None:
        return None
    (row,) = render.place_rows(ctx, rank_places(ctx, [found], None), sells_limit=None)
    return "place.html", {
        "place": found, "row": row, "map_url": map_url(found, None), "has_products": found.area in browse(ctx.snapshot).by_area,
        "title": found.name, "description": " · ".join(x for x in (found.address, found.area) if x),
    }  # fmt: skip


async def events_page(request: Request, ctx: Context) -> tuple[str, dict[str, Any]] | None:
    now, upcoming, past = events.split(ctx)
    return "events.html", {
        "now": now, "upcoming": upcoming, "past": past[:10], "when": lambda e: render.event_when(ctx, e),
        "title": ctx.t("web.events_title"), "description": ctx.t("web.events_description"),
    }  # fmt: skip
