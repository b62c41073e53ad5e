"""Places to buy or see products: all, by area, nearest to a point."""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from functools import lru_cache
from urllib.parse import urlencode
from weakref import WeakKeyDictionary

from bot.geo import Position, distance_km, map_url
from bot.models import Place, Product
from bot.replies import Choice, Location, Reply
from bot.text import fold, fold_cached
from handlers import render
from handlers.actions import Action, WhereToBuy, action
from handlers.context import Context


@action("pl")
@dataclasses.dataclass(frozen=True)
class PlacesInArea(Action):
    """Places in one area ("-": everywhere), a page of them."""

    area: str
    page: int


@action("nr")
@dataclasses.dataclass(frozen=True)
class NearestPlaces(Action):
    lat: float
    lon: float
    page: int

    def valid(self) -> bool:
        return -90 <= self.lat <= 90 and -180 <= self.lon <= 180


# Where a tourist is most likely to find OCOP goods first.
MAX_SOLD = 5  # buttons under a place's answer
KIND_ORDER = {"ocop_point": 0, "producer_shop": 1, "shop": 2, "market": 3, "night_market": 4}


def places_for_area(ctx: Context, area: str, *, product: Product | None = None) -> list[Place]:
    """The places of an area; with a product, the places that sell it first, wherever they are
    (its producer's shop, a place whose record names it)."""
    # Anywhere: its producer's own shop; a place that names it only counts in its area ("Mật ong"
    # is in many markets' descriptions, not all of them sell Bảo Yên's).
    sellers = [p for p in ctx.snapshot.catalogue.places if _made_here(p, product)] if product is not None else []
    if product is not None and not area:
        sellers += [p for p in ctx.snapshot.catalogue.places if p not in sellers and sells(p, product)]
    if not area:
        return sellers
    places = [p for p in ctx.snapshot.catalogue.places if p.area == area]
    places = sellers + [p for p in places if p not in sellers]
    if product is not None:
        # Places whose own description names the product come first. Another producer's shop
        # is not a place to buy this product ("where to buy the honey" listed a cinnamon-oil
        # cooperative); markets and shops may well sell it, so they stay.
        # Its own maker's place first, wherever its record is filed.
        names = [p for p in places if p in sellers or _names_any(p, [fold(product.name)])]
        places = names + [p for p in places if p not in names and p.kind != "producer_shop"]
        places.sort(key=lambda p: (p not in sellers, p not in names, KIND_ORDER.get(p.kind, 9)))
    else:
        places.sort(key=lambda p: KIND_ORDER.get(p.kind, 9))
    return places


def own_places(ctx: Context, product: Product) -> list[Place]:
    """The places whose record is the product's (its producer's shop, the site itself) or names it."""
    named = [fold_cached(product.name)]
    return [
        p for p in places_for_area(ctx, product.area, product=product) if _made_here(p, product) or _names_any(p, named)
    ]


def made_by(ctx: Context, producers: Sequence[Place]) -> list[Product]:
    """The products of ours that these producers' own places make."""
    return [p for p in ctx.snapshot.catalogue.products if any(_made_here(place, p) for place in producers)]


def sells(place: Place, product: Product) -> bool:
    """The place is its producer's ("Cửa hàng thổ cẩm Lan Rừng (Công ty … Lan Rừng)"), or its own
    record names the product."""
    return _made_here(place, product) or _names_any(place, [fold_cached(product.name)])


_WHERE_SAID = re.compile(r"\s*\([^)]*\)")


def _made_here(place: Place, product: Product) -> bool:
    # "HTX … Thức Mai (thôn Cán Hồ Mông, xã Ngũ Chỉ Sơn)": where the maker is is no part of its name.
    maker = fold_cached(_WHERE_SAID.sub("", product.producer or "").strip())
    return len(maker) > 8 and maker in _folded(place)[0]


def _names_any(place: Place, folded_names: Sequence[str]) -> bool:
    """The place's own description names one of the products (folded names)."""
    described = _folded(place)[1]
    return any(name in described for name in folded_names)


@lru_cache(maxsize=1024)  # a place is checked against a whole area's products
def _folded(place: Place) -> tuple[str, str]:
    """The place's name, and its name with what its record says it sells, folded."""
    return fold(place.name), fold(f"{place.products_hint} {place.name}")


def rank_places(
    ctx: Context, places: Sequence[Place], origin: Location | None
) -> list[tuple[Place, Position | None, float | None]]:
    gazetteer = ctx.snapshot.gazetteer
    ranked = []
    for place in places:
        position = gazetteer.position(place)
        distance = None
        if origin is not None and position is not None:
            distance = distance_km(origin.lat, origin.lon, position.lat, position.lon)
        ranked.append((place, position, distance))
    ranked.sort(key=lambda r: (r[2] is None, r[2] or 0.0))
    return ranked


def area_key(area: str) -> str:
    return fold(area).replace(" ", "")


def area_names(ctx: Context) -> list[str]:
    return sorted({p.area for p in ctx.snapshot.catalogue.places if p.area}, key=fold)


async def menu(ctx: Context) -> list[Reply]:
    choices = [Choice(ctx.t("places.all"), PlacesInArea("-", 1).pack())]
    choices += [Choice(area, PlacesInArea(area_key(area), 1).pack()) for area in area_names(ctx)]
    return [Reply(ctx.t("places.menu"), tuple(choices), ask_location=True, language=ctx.lang, kind="places")]


async def for_subject(ctx: Context, text: str) -> list[Reply]:
    """ "gần Sa Pa", "mua ở phường Cam Đường": the places of the area the words name."""
    found = await near_named(ctx, text)
    return found if found is not None else await menu(ctx)


async def for_products(ctx: Context, found: list[Product]) -> list[Reply]:
    """Where to buy when several products match ("mật ong"): the places of their areas, best
    match's area first, at most five places in all."""
    areas = list(dict.fromkeys(p.area for p in found if p.area))[:3]
    # Each area's places for the product from that area; places that name one of the products
    # first ("Shan tuyết tea": the tea cooperative, not a roadside táo mèo stand); the shops of
    # products whose area is not on record ("Thổ cẩm Lan Rừng").
    local = [
        place
        for area in areas
        for place in places_for_area(ctx, area, product=next(p for p in found if p.area == area))
    ]
    local += [place for p in found[:5] if not p.area for place in places_for_area(ctx, "", product=p)]
    names = [fold(p.name) for p in found[:5]]  # the products shown; a common word finds thousands
    local.sort(key=lambda place: not _names_any(place, names))
    local = list(dict.fromkeys(local))[:5]
    ids = tuple(p.id for p in found)
    if not local:
        lines = [ctx.t("places.none_in_area", area=", ".join(areas)) if areas else ctx.t("places.none_for_these")]
        centre = ctx.snapshot.gazetteer.centre(areas[0]) if areas else None
        if centre is not None:  # "no verified place in Văn Chấn": the nearest ones, distances honest
            # Another producer's shop is no place to buy these; markets and OCOP points may be.
            open_to_all = [place for place in ctx.snapshot.catalogue.places if place.kind != "producer_shop"
                           or _names_any(place, names)]  # fmt: skip
            nearest = rank_places(ctx, open_to_all, Location(centre.lat, centre.lon))[:3]
            block, _ = render.places_block(ctx, nearest)
            if any(place.area == areas[0] for place, _, _ in nearest):
                lines = []  # a place there, though its record names other products: not "none"
            lines += [ctx.t("places.nearest_instead", area=areas[0]), *block]
        choices = render.product_choices(ctx, found[:5])
        return [Reply("\n".join(lines), choices, language=ctx.lang, kind="places", product_ids=ids)]
    block, _ = render.places_block(ctx, rank_places(ctx, local, None))
    heading = ctx.t("places.for_products", areas=", ".join(areas)) if areas else ctx.t("places.for_these")
    lines = [heading, *block]
    choices = tuple(Choice(render.short_line(ctx, p), WhereToBuy(p.id).pack()) for p in found[:5])
    link = render.web_link(ctx, f"/places?product={found[0].id}")
    return [Reply("\n".join(lines), choices, language=ctx.lang, kind="places", product_ids=ids, web_url=link)]


def not_from_area(ctx: Context, found: Sequence[Product], area: str) -> str:
    """Asked where to buy in an area none of the products comes from ("honey near Sa Pa"): say
    so, and name the places there whose record says they sell one; "" when one is from there."""
    if not found or any(p.area == area for p in found):
        return ""
    there = [place for place in ctx.snapshot.catalogue.places if place.area == area]
    selling = [place.name for place in there if any(sells(place, p) for p in found)]
    shown = area_label(ctx, area)
    if len(found) == 1:
        lines = [ctx.t("places.one_not_made_in", name=found[0].name, area=shown)]
    else:
        lines = [ctx.t("places.not_made_in", area=shown)]
    if selling:
        lines.insert(0, ctx.t("places.sold_in", area=shown, names=", ".join(selling[:3])))
    return "\n".join(lines)


MARKET_KINDS = ("market", "night_market")
GENERIC_PLACES = ("ocop_point", "shop", *MARKET_KINDS)  # any of these may answer "is there a shop/market…"
WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def market_day(ctx: Context, day: int) -> Reply:
    """The markets that meet on a day of the week (Monday = 0), as their records' hours say."""
    markets = []
    for place in ctx.snapshot.catalogue.places:
        hours = place.opening_hours_en.lower()
        if place.kind in MARKET_KINDS and (WEEKDAYS_EN[day] in hours or (day >= 5 and "weekend" in hours)):
            markets.append(place)
    name = ctx.t(f"days.{day}")
    if not markets:
        return Reply(ctx.t("places.no_market_day", day=name), language=ctx.lang, kind="places")
    block, _ = render.places_block(ctx, rank_places(ctx, markets, None)[:MAX_SOLD])
    lines = [ctx.t("places.market_day", day=name, n=len(markets)), *block]
    if len(markets) > MAX_SOLD:
        lines.append(", ".join(place.name for place in markets[MAX_SOLD:]))
    return Reply("\n".join(lines), language=ctx.lang, kind="places")


def place_info(ctx: Context, named: list[Place]) -> Reply:
    """One named place (or the few a name fits): address, hours and what it sells."""
    lines = []
    for place in named:
        lines.append(render.place_lines(ctx, place, None, False))
        if not place.hours(ctx.lang):
            lines.append("   " + ctx.t("place.hours_unknown"))
        position = ctx.snapshot.gazetteer.position(place)
        pin = render.place_pin(ctx, place, position, None)
        lines.append("   " + ctx.t("place.map_search", url=pin.map_url if pin else map_url(place, None)))
    link = render.web_link(ctx, f"/places/{named[0].id}") if len(named) == 1 else ""
    sold = _products_sold(ctx, named)
    return Reply("\n".join(lines), render.product_choices(ctx, sold), language=ctx.lang, kind="place_info",
                 web_url=link, product_ids=tuple(p.id for p in sold))  # fmt: skip


def _products_sold(ctx: Context, named: list[Place]) -> list[Product]:
    """Our products a place sells by its own record or its producer ("HTX Quang Tom"): one tap from
    the place to their cards. Looked for among the place's area's products and those whose area
    the sources do not give."""
    sold: list[Product] = []
    for place in named:
        for product in _sold_at(ctx, place):
            if product not in sold:
                sold.append(product)
                if len(sold) == MAX_SOLD:
                    return sold
    return sold


_SOLD: WeakKeyDictionary = WeakKeyDictionary()  # index -> {place id: products}: the catalogue is fixed per index


def _sold_at(ctx: Context, place: Place) -> list[Product]:
    """The first products a place sells, looked for once per catalogue (a whole area's at 20,000)."""
    index = ctx.snapshot.index
    known = _SOLD.setdefault(index, {})
    if place.id not in known:
        docs = index.ordered_by_area.get(place.area, []) + index.ordered_by_area.get("", [])
        found: list[Product] = []
        for product in (index.products[doc] for doc in docs):
            if sells(place, product):
                found.append(product)
                if len(found) == MAX_SOLD:
                    break
        known[place.id] = found
    return known[place.id]


async def by_area(ctx: Context, area_key: str, page: int) -> list[Reply]:
    areas = {fold(a).replace(" ", ""): a for a in area_names(ctx)}
    area = areas.get(area_key)
    if area_key != "-" and area is None:
        return [Reply(ctx.t("places.unknown_area"), language=ctx.lang)]
    places = places_for_area(ctx, area) if area else list(ctx.snapshot.catalogue.places)
    heading = ctx.t("places.in_area", area=area, n=len(places)) if area else ctx.t("places.all_n", n=len(places))
    return [_page(ctx, places, None, PlacesInArea(area_key, page), page, heading)]


async def nearest(ctx: Context, origin: Location, page: int = 1, *, near: str | None = None) -> list[Reply]:
    if not (-90 <= origin.lat <= 90 and -180 <= origin.lon <= 180):
        return [Reply(ctx.t("places.bad_location"), language=ctx.lang)]
    ranked = [r for r in rank_places(ctx, ctx.snapshot.catalogue.places, origin) if r[2] is not None]
    if not ranked:
        return [Reply(ctx.t("places.none_with_position"), language=ctx.lang)]
    far = ranked[0][2] > 150
    heading = ctx.t("places.nearest_far" if far else "places.nearest", km=f"{ranked[0][2]:.0f}")
    if near is not None:
        heading = ctx.t("places.near_named", place=near)
    reply = _page_ranked(ctx, ranked, heading, page, pins=True, base=NearestPlaces(origin.lat, origin.lon, page))
    centre = {"lat": f"{origin.lat:.5f}", "lon": f"{origin.lon:.5f}", **({"near": near} if near else {})}
    link = render.web_link(ctx, "/places?" + urlencode(centre))
    return [dataclasses.replace(reply, web_url=link)]


async def near_named(ctx: Context, place_text: str) -> list[Reply] | None:
    """ "near Sa Pa" on platforms without location sharing: the locality's centre is the origin."""
    query = ctx.snapshot.index.parse(place_text)
    if query.place is None:
        return None
    area = query.place.district or _city_named(ctx, query.place.label)
    if area is None:
        return None
    centre = ctx.snapshot.gazetteer.centre(area)
    local = places_for_area(ctx, area)
    if centre is None:
        if not local:
            return [Reply(ctx.t("places.none_in_area", area=area), language=ctx.lang, kind="places")]
        return [
            _page(
                ctx,
                local,
                None,
                PlacesInArea(fold(area).replace(" ", ""), 1),
                1,
                ctx.t("places.in_area", area=area, n=len(local)),
            )
        ]
    return await nearest(ctx, Location(centre.lat, centre.lon), near=area)  # type: ignore[arg-type]


def area_label(ctx: Context, area: str) -> str:
    """How to name an area back: "Lào Cai" the district is "Lào Cai city", not the province."""
    return ctx.t("place.city", name=area) if _city_named(ctx, area) else area


def _city_named(ctx: Context, label: str) -> str | None:
    """ "gần Lào Cai": near is about a point, and the province's point is its city of that name."""
    return next(
        (loc.name for loc in ctx.snapshot.catalogue.localities if loc.kind == "city" and loc.name == label), None
    )


def _page(ctx: Context, places, origin, base: Action, page: int, heading: str) -> Reply:
    ranked = rank_places(ctx, places, origin)
    return _page_ranked(ctx, ranked, heading, page, pins=False, base=base)


def _page_ranked(ctx: Context, ranked, heading: str, page: int, *, pins: bool, base: Action | None = None) -> Reply:
    size = ctx.page_size
    pages = max(1, math.ceil(len(ranked) / size))
    page = min(max(page, 1), pages)
    shown = ranked[(page - 1) * size : page * size]
    lines = [heading]
    if pages > 1:
        lines.append(ctx.t("list.page", page=page, pages=pages))
    block, reply_pins = render.places_block(ctx, shown)
    lines += block
    choices = render.paging_choices(ctx, base, page, pages) if base is not None else []
    return Reply(
        "\n".join(lines), tuple(choices), pins=tuple(reply_pins) if pins else (), language=ctx.lang, kind="places"
    )
