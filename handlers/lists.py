"""Lists by star, area and category, with paging. Action: l:<star|->:<area key|->:<category|->:<page>."""

from __future__ import annotations

from bot.replies import Choice, Reply
from bot.search import SearchResult
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
    areas = {area_key(p.area): p.area for p in ctx.snapshot.catalogue.products if p.area}
    parts = []
    if star != "-":
        parts.append(f"{star} sao")
    if area != "-":
        if area not in areas:
            return [Reply(ctx.t("places.unknown_area"), language=ctx.lang)]
        parts.append(areas[area])
    if category != "-":
        parts.append(ctx.services.i18n.t("vi", f"category.{category}"))
    result: SearchResult = index.search(" ".join(parts), limit=None)
    if not result.hits:
        return [Reply(ctx.t("lists.empty"), language=ctx.lang)]
    heading = ctx.t("search.listing", n=len(result.hits))
    return [results_page(ctx, result, f"l:{star}:{area}:{category}", page, heading)]
