"""Lists by star, area and category, with paging."""

from __future__ import annotations

import dataclasses

from bot.replies import Choice, Reply
from bot.text import fold
from handlers import render
from handlers.actions import Action, action
from handlers.context import Context
from handlers.products import results_page


@action("l")
@dataclasses.dataclass(frozen=True)
class StarList(Action):
    """A page of the list by star ("-": any), area key ("-": anywhere) and category ("-": any)."""

    star: str
    area: str
    category: str
    page: int

    def valid(self) -> bool:
        return self.star == "-" or self.star in ("3", "4", "5")


def area_key(area: str) -> str:
    return fold(area).replace(" ", "")


async def menu(ctx: Context) -> list[Reply]:
    choices = [Choice(ctx.t("lists.stars", n=n), StarList(str(n), "-", "-", 1).pack()) for n in (5, 4, 3)]
    return [Reply(ctx.t("lists.menu"), tuple(choices), language=ctx.lang)]


async def listing(ctx: Context, star: str, area: str, category: str, page: int) -> list[Reply]:
    index = ctx.snapshot.index
    areas = {area_key(name): name for name in index.areas}
    if area != "-" and area not in areas:
        return [Reply(ctx.t("places.unknown_area"), language=ctx.lang)]
    result = index.listing(
        star=int(star) if star.isdigit() else None,
        district=areas.get(area),
        category=None if category == "-" else category,
    )
    if not result.hits:
        return [Reply(ctx.t("lists.empty"), language=ctx.lang)]
    heading = ctx.t("search.listing", n=len(result.hits))
    return [results_page(ctx, result, StarList(star, area, category, page), page, heading)]


def unrated(ctx: Context, subject: str) -> Reply:
    """The products whose star level no source of ours states, of the area asked if one is."""
    query = ctx.snapshot.index.parse(subject, ctx.fillers) if subject else None
    area = query.place.district if query and query.place else None
    found = [p for p in ctx.snapshot.catalogue.products if p.star is None and (area is None or p.area == area)]
    lines = [(f"{area}: " if area else "") + ctx.t("lists.unrated", n=len(found)), *render.bulleted(ctx, found)]
    choices = render.product_choices(ctx, found[: render.LISTED])
    return Reply("\n".join(lines), choices, language=ctx.lang, kind="list", product_ids=tuple(p.id for p in found))
