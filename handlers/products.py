"""Product jobs: search -> short list -> card; "X mấy sao?"; where to buy a product."""

from __future__ import annotations

import logging
import math
import time

from bot.models import Product
from bot.replies import Choice, Reply
from bot.search import SearchResult
from bot.text import fold
from handlers import render
from handlers.context import Context
from handlers.places import places_for_area, rank_places

log = logging.getLogger(__name__)


def events_on_now(ctx: Context) -> list:
    today = ctx.services.today()
    out = []
    for event in ctx.snapshot.catalogue.events:
        start = event.start_date or event.end_date
        end = event.end_date or event.start_date
        if start and end and start <= today <= end:
            out.append(event)
    return out


async def run_search(ctx: Context, text: str, *, ignore_stars: bool = False) -> SearchResult:
    started = time.perf_counter()
    result = ctx.snapshot.index.search(text, limit=None, ignore_stars=ignore_stars)
    elapsed_ms = (time.perf_counter() - started) * 1000
    await ctx.services.repo.log_search(text, ctx.lang, ctx.request.platform, len(result.hits))
    if elapsed_ms > 50:
        log.warning("slow search: %.1f ms", elapsed_ms)
    return result


async def search(ctx: Context, text: str, page: int = 1) -> list[Reply]:
    if not fold(text):
        return [Reply(ctx.t("search.empty"), language=ctx.lang)]
    result = await run_search(ctx, text)
    if not result.hits:
        return [not_found(ctx, text, result)]
    if len(result.hits) == 1 and not result.listing and not result.relaxed:
        return await card(ctx, result.hits[0].product.id)
    query_id = await ctx.services.repo.save_query(text[:300])
    return [results_page(ctx, result, f"q:{query_id}", page, heading=_heading(ctx, text, result))]


def _heading(ctx: Context, text: str, result: SearchResult) -> str:
    notes = []
    query = result.query
    if "star" in result.relaxed:
        stars = query.star or query.star_min
        notes.append(ctx.t("search.relaxed_star", stars=stars))
    if "place" in result.relaxed and query.place:
        notes.append(ctx.t("search.relaxed_place", place=query.place.label))
    if "category" in result.relaxed and query.category:
        notes.append(ctx.t("search.relaxed_category", category=ctx.t(f"category.{query.category}")))
    title = (
        ctx.t("search.listing", n=len(result.hits))
        if result.listing
        else ctx.t("search.results", query=text[:80], n=len(result.hits))
    )
    return "\n".join([*notes, title])


def results_page(ctx: Context, result: SearchResult, base: str, page: int, heading: str) -> Reply:
    size = ctx.page_size
    pages = max(1, math.ceil(len(result.hits) / size))
    page = min(max(page, 1), pages)
    shown = result.hits[(page - 1) * size : page * size]
    lines = [heading]
    if pages > 1:
        lines.append(ctx.t("list.page", page=page, pages=pages))
    choices = [Choice(render.short_line(ctx, hit.product), f"p:{hit.product.id}") for hit in shown]
    choices += render.paging_choices(ctx, base, page, pages)
    return Reply("\n".join(lines), tuple(choices), language=ctx.lang)


def not_found(ctx: Context, text: str, result: SearchResult) -> Reply:
    total = len(ctx.snapshot.catalogue.products)
    lines = [ctx.t("search.not_found", query=text[:80], total=total)]
    choices = []
    if result.suggestions:
        lines.append(ctx.t("search.did_you_mean"))
        choices = [Choice(render.short_line(ctx, p), f"p:{p.id}") for p in result.suggestions]
    else:
        lines.append(ctx.t("search.try_instead"))
    return Reply("\n".join(lines), tuple(choices), language=ctx.lang)


async def card(ctx: Context, product_id: int) -> list[Reply]:
    product = ctx.snapshot.index.products.get(product_id)  # by id: never a scan of the catalogue
    if product is None:
        return [Reply(ctx.t("card.gone"), language=ctx.lang)]
    return [card_reply(ctx, product)]


def card_reply(ctx: Context, product: Product) -> Reply:
    """The card of a product already in hand (Telegram inline mode renders search hits with it)."""
    places = places_for_area(ctx, product.area, product=product)
    links = [link for link in ctx.snapshot.catalogue.shop_links if link.product_id == product.id]
    return render.product_card(ctx, product, places, events_on_now(ctx), links)


async def star_question(ctx: Context, text: str) -> list[Reply]:
    result = await run_search(ctx, text, ignore_stars=True)
    claimed = result.query.star or result.query.star_min
    total = len(ctx.snapshot.catalogue.products)
    if not result.hits or result.listing:
        what = result.query.content or text
        return [Reply(ctx.t("stars.not_in_list", query=what[:80], total=total), language=ctx.lang)]
    best = result.hits[0]
    if not _clearly_one(result):
        # Several plausible products: let the user pick rather than claim a star for the wrong one.
        query_id = await ctx.services.repo.save_query(text[:300])
        return [results_page(ctx, result, f"q:{query_id}", 1, heading=ctx.t("stars.which", n=len(result.hits)))]
    product = best.product
    lines = []
    if product.star is None:
        lines.append(ctx.t("stars.unconfirmed", name=product.display_name))
    elif claimed is not None and claimed != product.star:
        lines.append(ctx.t("stars.claim_wrong", name=product.display_name, claimed=claimed, star=product.star))
    elif claimed is not None:
        lines.append(ctx.t("stars.claim_right", name=product.display_name, star=product.star))
    else:
        lines.append(ctx.t("stars.answer", name=product.display_name, star=product.star))
    lines.append("📜 " + render.decision_text(ctx, product))
    if product.star is not None:
        lines.append("⏳ " + render.certificate_text(ctx, product))
    lines.append(ctx.t("stars.per_product"))
    lines.append(ctx.t("card.source", url=product.source_url or ctx.t("card.unknown")))
    choices = (Choice(ctx.t("button.card"), f"p:{product.id}"),)
    return [Reply("\n".join(lines), choices, language=ctx.lang)]


def _clearly_one(result: SearchResult) -> bool:
    hits = result.hits
    if len(hits) == 1:
        return True
    best = hits[0].product
    typed = " ".join(t.typed for t in result.query.terms)
    if typed == fold(best.display_name) or (typed == fold(best.name) and not best.qualifier):
        return True
    return hits[0].score - hits[1].score >= 0.15


async def where_to_buy(ctx: Context, product_id: int, *, pins: bool) -> list[Reply]:
    product = ctx.snapshot.index.products.get(product_id)  # by id: never a scan of the catalogue
    if product is None:
        return [Reply(ctx.t("card.gone"), language=ctx.lang)]
    places = places_for_area(ctx, product.area, product=product)
    if not places:
        return [Reply(ctx.t("card.no_places"), language=ctx.lang)]
    ranked = rank_places(ctx, places, origin=None)
    block, reply_pins = render.places_block(ctx, ranked[:8])
    lines = [ctx.t("buy.heading", name=product.display_name, area=product.area), *block]
    choices = (Choice(ctx.t("button.card"), f"p:{product.id}"),)
    return [Reply("\n".join(lines), choices, pins=tuple(reply_pins) if pins else (), language=ctx.lang)]
