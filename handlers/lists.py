"""Lists by star, area and category, with paging. Action: l:<star|->:<area key|->:<category|->:<page>."""

from __future__ import annotations

from bot.replies import Choice, Reply
from bot.text import fold
from handlers.context import Context
from handlers.products import results_page


def area_key(area: str) -> str:
    return fold(area).replace(" ", "")


async def menu(ctx: Context) -> list[Reply]:
    choices = [Choice(ctx.t("lists.stars", n=n), f"l:{n}:-:-:1") for n in (5, 4, 3)]
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
    return [results_page(ctx, result, f"l:{star}:{area}:{category}", page, heading)]
