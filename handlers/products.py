"""Product jobs: search -> short list -> card; "X mấy sao?"; where to buy a product."""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import replace

from bot.models import Product
from bot.replies import Choice, Reply
from bot.search import SearchResult
from bot.search.plausible import carries_head, matched_share, plausible
from bot.search.query import ParsedQuery
from bot.text import fold, split_qualifier
from handlers import render
from handlers.actions import Action, ProductCard, WhereToBuy, action
from handlers.context import Context
from handlers.places import PlacesInArea, area_key, places_for_area, rank_places

log = logging.getLogger(__name__)


@action("q")
@dataclasses.dataclass(frozen=True)
class SearchPage(Action):
    """A page of a saved search's results (the query text is in saved_queries)."""

    query: int
    page: int


MAX_PLACES = 5  # a chat reply stays short: the rest is one "more" away
MAX_STAR_ANSWERS = 6  # up to this many same-named products get their stars at once; more: "which one?"
# A star is claimed only for words matched whole; one slip among many ("nam det cinamon oil") is
# still that product, a slip in a short question is a "did you mean".
TYPO_COVERAGE = 0.9


def events_on_now(ctx: Context) -> list:
    today = ctx.services.today()
    out = []
    for event in ctx.snapshot.catalogue.events:
        start = event.start_date or event.end_date
        end = event.end_date or event.start_date
        if start and end and start <= today <= end:
            out.append(event)
    return out


def find(ctx: Context, text: str, *, ignore_stars: bool = False) -> SearchResult:
    """The search, once per message for the same words (several questions may share them)."""
    key = (text, ignore_stars)
    other = ctx.searched.get((text, not ignore_stars))
    if key not in ctx.searched and other is not None and not (other.query.star or other.query.star_min):
        ctx.searched[key] = other  # no star level in the words: ignoring it changes nothing
    if key not in ctx.searched:
        started = time.perf_counter()
        ctx.searched[key] = ctx.snapshot.index.search(text, limit=None, ignore_stars=ignore_stars, fillers=ctx.fillers)
        elapsed_ms = (time.perf_counter() - started) * 1000
        if elapsed_ms > 50:
            log.warning("slow search: %.1f ms", elapsed_ms)
    return ctx.searched[key]


async def run_search(ctx: Context, text: str, *, ignore_stars: bool = False) -> SearchResult:
    """The search a reply shows, logged (without who asked) for staff statistics."""
    result = find(ctx, text, ignore_stars=ignore_stars)
    await ctx.services.repo.log_search(text, ctx.lang, ctx.request.platform, len(result.hits))
    return result


async def search(
    ctx: Context, text: str, page: int = 1, *, echo: str | None = None, heading_key: str | None = None
) -> list[Reply]:
    """`echo` is what the person wrote, quoted back in place of the words we searched for."""
    echo = echo or text
    if not fold(text):
        return [Reply(ctx.t("search.empty"), language=ctx.lang, kind="help")]
    result = await run_search(ctx, text)
    if not result.hits:
        return [not_found(ctx, echo, result)]
    if len(result.hits) == 1 and not result.listing and not result.relaxed:
        return await card(ctx, result.hits[0].product.id)
    query_id = await ctx.services.repo.save_query(text[:300])
    heading = ctx.t(heading_key, n=len(result.hits)) if heading_key else results_heading(ctx, echo, result)
    return [results_page(ctx, result, SearchPage(query_id, page), page, heading=heading)]


def results_heading(ctx: Context, text: str, result: SearchResult) -> str:
    """What a list of results is titled: notes on what was relaxed, then the title."""
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
        listing_title(ctx, result) if result.listing else ctx.t("search.results", query=text[:80], n=len(result.hits))
    )
    return "\n".join([*notes, title])


def results_page(ctx: Context, result: SearchResult, base: Action, page: int, heading: str) -> Reply:
    size = ctx.page_size
    pages = max(1, math.ceil(len(result.hits) / size))
    page = min(max(page, 1), pages)
    shown = result.hits[(page - 1) * size : page * size]
    lines = [heading]
    if pages > 1:
        lines.append(ctx.t("list.page", page=page, pages=pages))
    choices = [Choice(render.short_line(ctx, hit.product), ProductCard(hit.product.id).pack()) for hit in shown]
    choices += render.paging_choices(ctx, base, page, pages)
    return Reply(
        "\n".join(lines),
        tuple(choices),
        language=ctx.lang,
        kind="list" if result.listing or _filtered(result) else "results",
        product_ids=tuple(hit.product.id for hit in shown),
    )


def _filtered(result: SearchResult) -> bool:
    """ "trà 4 sao Văn Chấn": a kind of thing narrowed by star and place is a list, not a match."""
    query = result.query
    return bool((query.star or query.star_min) and "star" not in result.relaxed)


def listing_title(ctx: Context, result: SearchResult) -> str:
    """ "9 sản phẩm OCOP – Lục Yên:", naming the filters the list was made with."""
    n = len(result.hits)
    query = result.query
    what = []
    if _filtered(result):
        key = "search.listing_star" if query.star else "search.listing_star_min"
        what.append(ctx.t(key, star=query.star or query.star_min))
    if query.place is not None and "place" not in result.relaxed:
        what.append(query.place.label)
    if query.category and "category" not in result.relaxed:
        what.append(ctx.t(f"category.{query.category}"))
    if what:
        key = "search.listing_filtered_one" if n == 1 else "search.listing_filtered"  # never "1 OCOP products"
        return ctx.t(key, n=n, what=", ".join(what))
    return ctx.t("search.listing_one") if n == 1 else ctx.t("search.listing", n=n)


def not_found(ctx: Context, text: str, result: SearchResult, *, key: str = "search.not_found") -> Reply:
    """Never "not in our catalogue" while something in it may be what the person meant; look-alikes
    that are not ("phở bò" ~ "Bộ trang trí") are not offered at all."""
    likely = [p for p in result.suggestions if plausible(result.query, p)]
    if likely:
        return unsure(ctx, text, result.query, likely)
    total = len(ctx.snapshot.catalogue.products)
    lines = [ctx.t(key, query=text[:80], total=total), ctx.t("search.try_instead")]
    return Reply("\n".join(lines), language=ctx.lang, kind="not_found")


# A longer query or message is a story: its first words need not be the thing asked about.
HEAD_WORDS_MAX = 5
HEAD_MESSAGE_MAX = 10


def unsure(ctx: Context, text: str, query: ParsedQuery, candidates: list[Product]) -> Reply:
    """Candidates that are the kind of thing asked about are a "did you mean"; ones that only
    share other words ("Sữa ong chúa" for "sữa chua Mộc Châu") are shown as what we have
    instead, after an honest "not in our catalogue"."""
    story = len(query.required) > HEAD_WORDS_MAX or len(text.split()) > HEAD_MESSAGE_MAX
    place = query.place
    elsewhere = place is not None and place.district and _place_is_origin(ctx, query)
    if elsewhere and not any(p.area == place.district for p in candidates):
        return absent_but(ctx, text, candidates)  # "mật ong rừng Y Tý": ours are from elsewhere
    if story or any(carries_head(query, p) for p in candidates):
        return did_you_mean(ctx, text, candidates)
    return absent_but(ctx, text, candidates)


def absent_but(ctx: Context, text: str, candidates: list[Product]) -> Reply:
    """ "Not in our catalogue", then what we have that is close: not an answer to the question."""
    total = len(ctx.snapshot.catalogue.products)
    lines = [ctx.t("search.not_found", query=text[:80], total=total), ctx.t("search.related")]
    choices = render.product_choices(ctx, candidates)
    return Reply("\n".join(lines), choices, language=ctx.lang, kind="not_found")


def did_you_mean(ctx: Context, text: str, candidates: list[Product]) -> Reply:
    lines = [ctx.t("search.unsure", query=text[:80]), ctx.t("search.did_you_mean")]
    choices = render.product_choices(ctx, candidates)
    return Reply("\n".join(lines), choices, language=ctx.lang, kind="did_you_mean")


async def card(ctx: Context, product_id: int) -> list[Reply]:
    product = ctx.snapshot.index.products.get(product_id)  # by id: never a scan of the catalogue
    if product is None:
        return [Reply(ctx.t("card.gone"), language=ctx.lang, kind="not_found")]
    return [card_reply(ctx, product)]


def card_reply(ctx: Context, product: Product) -> Reply:
    """The card of a product already in hand (Telegram inline mode renders search hits with it)."""
    places = places_for_area(ctx, product.area, product=product)
    links = [link for link in ctx.snapshot.catalogue.shop_links if link.product_id == product.id]
    return render.product_card(ctx, product, places, events_on_now(ctx), links)


async def star_question(ctx: Context, text: str, *, echo: str | None = None) -> list[Reply]:
    echo = echo or text
    result = await run_search(ctx, text, ignore_stars=True)
    claimed = result.query.star or result.query.star_min
    if result.listing:
        return [Reply(ctx.t("stars.which_product"), language=ctx.lang, kind="help")]
    if not result.hits:
        return [not_found(ctx, echo, result, key="stars.not_in_list")]
    if "place" in result.relaxed and _place_is_origin(ctx, result.query):
        # "su su Lao Chải Mù Cang Chải mấy sao": ours comes from Sa Pa; its stars are not the answer.
        return [absent_but(ctx, echo, [hit.product for hit in result.hits[:3]])]
    many = not clearly_one(result) and len(result.hits) > MAX_STAR_ANSWERS
    if result.hits[0].coverage < TYPO_COVERAGE or (not many and not confident(ctx, result)):
        # Only typo-near or very common words matched ("nhung hươu" ~ "tỳ hưu"): never a claim;
        # a "did you mean" when something is plausible, else "not in our catalogue".
        doubtful = replace(result, suggestions=[h.product for h in result.hits[:3]])
        return [not_found(ctx, echo, doubtful, key="stars.not_in_list")]
    if not clearly_one(result) and len(result.hits) <= MAX_STAR_ANSWERS:
        return [several_stars(ctx, [hit.product for hit in result.hits], claimed)]
    if not clearly_one(result):
        # Many plausible products: let the user pick rather than claim a star for the wrong one.
        query_id = await ctx.services.repo.save_query(text[:300])
        heading = ctx.t("stars.which", n=len(result.hits))
        return [results_page(ctx, result, SearchPage(query_id, 1), 1, heading=heading)]
    return [star_answer(ctx, result.hits[0].product, claimed)]


def _place_is_origin(ctx: Context, query: ParsedQuery) -> bool:
    """ "su su Lao Chải" names where the thing comes from; "Shan tuyết tea in Sapa" where the
    person is or shops."""
    folded = fold(query.raw).split()
    tokens = query.place.tokens if query.place else ()
    for i in range(len(folded) - len(tokens) + 1):
        if tuple(folded[i : i + len(tokens)]) == tokens:
            return said_as_origin(ctx, folded, i)
    return True


def said_as_origin(ctx: Context, folded: list[str], i: int) -> bool:
    """The place at word `i` is where the thing comes from, not where someone is, goes or ships
    to: no direction word before it ("ship ra Hà Nội", "tea in Sapa")."""
    return not (i and folded[i - 1] in ctx.services.understander.lexicon.words["directions"])


def several_stars(ctx: Context, found: list[Product], claimed: int | None, heading: str = "") -> Reply:
    """A few products share the name ("trà dây Sa Pa" from two producers): each one's stars."""
    lines = [heading or ctx.t("stars.several", n=len(found))]
    for product in found:
        star = render.stars_text(ctx, product.star)
        who = product.producer or product.area  # "– chưa rõ" told the reader nothing
        name = render.name_with_gloss(ctx, product)
        lines.append(f"• {name} – {who}: {star}" if who else f"• {name}: {star}")
    if claimed is not None:
        lines.append(ctx.t("stars.several_claim", claimed=claimed))
    lines.append(ctx.t("stars.per_product"))
    choices = render.product_choices(ctx, found)
    return Reply("\n".join(lines), choices, language=ctx.lang, kind="stars", product_ids=tuple(p.id for p in found))


def star_answer(ctx: Context, product: Product, claimed: int | None) -> Reply:
    lines = []
    name = render.name_with_gloss(ctx, product)
    if product.star is None:
        lines.append(ctx.t("stars.unconfirmed", name=name))
    elif claimed is not None and claimed != product.star:
        lines.append(ctx.t("stars.claim_wrong", name=name, claimed=claimed, star=product.star))
    elif claimed is not None:
        lines.append(ctx.t("stars.claim_right", name=name, star=product.star))
    else:
        lines.append(ctx.t("stars.answer", name=name, star=product.star))
    lines.append("📜 " + render.decision_text(ctx, product))
    if product.star is not None:
        lines.append("⏳ " + render.certificate_text(ctx, product))
    lines.append(ctx.t("stars.per_product"))
    lines.append(ctx.t("card.source", url=product.source_url or ctx.t("card.unknown")))
    choices = (
        Choice(ctx.t("button.card"), ProductCard(product.id).pack()),
        Choice(ctx.t("button.where_to_buy"), WhereToBuy(product.id).pack()),
    )
    return Reply("\n".join(lines), choices, language=ctx.lang, kind="stars", product_ids=(product.id,))


def confident(ctx: Context, result: SearchResult) -> bool:
    """Sure enough to state a product's stars: every word matched as typed, and not only words
    that a tenth of the catalogue shares ("yên" of Bảo Yên, Lục Yên, Khánh Yên…)."""
    best = result.hits[0]
    if best.coverage < TYPO_COVERAGE or matched_share(result.query, best.product) < 0.9:
        return False  # "lại" is not "lài": a slip of the marks is a question, not a claim
    index = ctx.snapshot.index
    limit = max(3, len(index.products) // 10)
    for term in result.query.required:
        for alt, penalty in term.alternatives:  # as typed, or a synonym ("蜂蜜", "honey" -> mật ong)
            known = penalty == 1.0 and all(tok in index.postings for tok in alt)
            if known and (len(alt) > 1 or index.postings.df(alt[0]) <= limit):
                return True
    return False


def clearly_one(result: SearchResult) -> bool:
    hits = result.hits
    if len(hits) == 1:
        return True
    best = hits[0].product
    typed = " ".join(t.typed for t in result.query.terms)
    if typed == fold(best.display_name) or (typed == fold(best.name) and not best.qualifier):
        return True
    english = fold(split_qualifier(best.english_name or "")[0])
    if english and " ".join(t.typed for t in result.query.required) == english:
        return True  # the whole English name: "the red peanut oil from Lục Yên"
    if result.listing:
        return hits[0].score - hits[1].score >= 0.15
    # "chè Bát tiên Hưng Khánh": the commune is in one tea's name; the others are only from its
    # district. "dầu lạc đỏ Lục Yên": only the oil's name has every word; the red peanuts match by
    # an alias. The one that names every word typed is meant.
    # Official names only: our qualifier "(Sa Pa)" tells generic names apart, it names no commune.
    place = result.query.place
    required = {t.typed for t in result.query.required}
    if place is not None:
        with_place = _naming(hits, required | set(place.tokens))
        if with_place == [True, False]:
            return True
        # Only a district named: both come from it, and it tells them apart no more than it names them.
        district = place.district and place.tokens == tuple(fold(place.district).split())
        both_there = district and all(hit.product.area == place.district for hit in hits[:2])
        if not any(with_place) and both_there and required and _naming(hits, required) == [True, False]:
            return True
    return hits[0].score - hits[1].score >= 0.15


def _naming(hits: list, words: set[str]) -> list[bool]:
    """Whether each of the first two names every word (official or English name)."""
    return [
        set(fold(f"{hit.product.name} {split_qualifier(hit.product.english_name or '')[0]}").split()) >= words
        for hit in hits[:2]
    ]


async def where_to_buy(ctx: Context, product_id: int, *, pins: bool) -> list[Reply]:
    product = ctx.snapshot.index.products.get(product_id)  # by id: never a scan of the catalogue
    if product is None:
        return [Reply(ctx.t("card.gone"), language=ctx.lang, kind="not_found")]
    places = places_for_area(ctx, product.area, product=product)
    links = [link for link in ctx.snapshot.catalogue.shop_links if link.product_id == product.id]
    name = render.name_with_gloss(ctx, product)
    online = [ctx.t("card.shop_link", platform=link.platform, url=link.url) for link in links]
    producer = ctx.t("commerce.producer", producer=product.producer) if product.producer else ""
    if not places:
        lines = [ctx.t("buy.none", name=name, area=product.area or ctx.t("card.unknown")), *online]
        lines += [producer] if producer else []
        choices = (Choice(ctx.t("button.card"), ProductCard(product.id).pack()),)
        return [
            Reply("\n".join(lines), choices, language=ctx.lang, kind="places", product_ids=(product.id,),
                  web_url=render.web_link(ctx, f"/p/{product.id}"))
        ]  # fmt: skip
    ranked = rank_places(ctx, places, origin=None)
    shown = ranked[:MAX_PLACES]
    block, reply_pins = render.places_block(ctx, shown)
    heading = (
        ctx.t("buy.heading", name=name, area=product.area) if product.area else ctx.t("buy.heading_any", name=name)
    )
    lines = [heading, *block, *online]
    if len(ranked) > len(shown):
        lines.append(ctx.t("buy.more", n=len(ranked) - len(shown), area=product.area))
    choices = [Choice(ctx.t("button.card"), ProductCard(product.id).pack())]
    if len(ranked) > len(shown):
        choices.append(Choice(ctx.t("button.more_places"), PlacesInArea(area_key(product.area), 1).pack()))
    return [
        Reply(
            "\n".join(lines),
            tuple(choices),
            pins=tuple(reply_pins) if pins else (),
            language=ctx.lang,
            kind="places",
            product_ids=(product.id,),
            web_url=render.web_link(ctx, f"/places?product={product.id}"),
        )
    ]
