"""A chat message's questions, answered in the order they were asked.

The router hands over an `Understanding` (what is asked, about what); this module resolves
each subject once (handlers/subjects.py) and calls the handler for each job.
"""

from __future__ import annotations

from dataclasses import replace

from bot.replies import Reply
from bot.search import SearchResult
from bot.search.engine import PROVINCE_NAME
from bot.search.query import ParsedQuery
from bot.text import fold
from bot.understanding.message import Ask, Understanding
from handlers import about, clause, commerce, counts, events, lists, places, products, render, smalltalk, validity
from handlers.arrange import Answered, arrange
from handlers.asks import PRODUCT_JOBS, in_last_area, locates_maker, off_topic, settle, unread_thing
from handlers.context import Context
from handlers.subjects import LONG_SUBJECT, Subject, Subjects, names_only_producer

MAX_ANSWERS = 4  # a pasted paragraph does not get a wall of replies
COMPARED_APART = 3  # products compared by name, each answered apart; more share one list
ELSEWHERE_ASKS = {"product", "stars", "info", "list", "where_to_buy", "validity", "price"}
STORY_WORDS = 20  # a message longer than this tells a story around its question
_PLACE_ASKS = {"product", "stars", "hours", "where_to_buy", "near"}  # what a place named apart may answer
MAX_OWN_PLACES = 3  # a product's own places shown as cards when their hours are asked
SOCIAL = {"greeting", "thanks", "compliment", "bye"}  # small talk that is a whole message's point
ANSWERS = {"stars", "card", "results", "list", "validity", "places", "price", "commerce", "online"}
FACT_TOPICS = {
    "what_is_ocop": "programme",
    "stars_meaning": "stars",
    "certifier": "certifier",
    "validity_rule": "validity",
    "merger": "merger",
}


async def answer(
    ctx: Context, understood: Understanding, last_product: int | None = None, last_asked: tuple[str, ...] = ()
) -> list[Reply]:
    """`last_asked`: the product questions of the chat's previous message, asked again by a
    follow-up that names something new ("mua ở đâu" … "còn mật ong Mù Cang Chải thì sao")."""
    ctx.fillers = understood.fillers
    asks = understood.asks
    if understood.follows_up and last_asked and asks and all(a.intent == "product" for a in asks):
        asks = [Ask(intent, a.subject, a.clause) for a in asks for intent in last_asked]
    ctx.asked = tuple(dict.fromkeys(a.intent for a in asks if a.intent in PRODUCT_JOBS))
    if understood.unread and understood.asks_available and not any(a.subject for a in asks):
        # "有芒果干吗？", "말린 망고 있어요?": asked whether we have a thing no word of ours names.
        return [products.not_found(ctx, understood.original, SearchResult(ParsedQuery(raw="")))]
    if understood.unread and not any(a.subject for a in asks):
        return [smalltalk.unread(ctx)]
    night = _in_chat_area(ctx, ctx.snapshot.place_names.night_markets(understood.original)) if not asks else []
    if night:  # "chợ đêm"
        return [places.place_info(ctx, night)]
    if not asks:
        if understood.smalltalk:
            return await smalltalk.reply(ctx, understood.smalltalk)
        if understood.only_openers:  # "ad ơi", "shop ơi": someone getting our attention
            return await smalltalk.reply(ctx, ["greeting"])
        return [smalltalk.not_understood(ctx, understood.original)]
    intents = {a.intent for a in asks}
    subjects = Subjects(ctx, last_product)
    if understood.follows_up:
        asks = [in_last_area(ctx, a) for a in asks]
    if understood.unread_words and intents and await unread_thing(ctx, understood, asks, subjects):
        return [products.not_found(ctx, understood.original, SearchResult(ParsedQuery(raw="")))]
    asked = any("?" in a.clause or "？" in a.clause for a in asks)
    if set(understood.smalltalk) & SOCIAL and all(a.intent == "product" for a in asks) and not asked:
        # "cảm ơn nhiều nhé, hữu ích lắm": thanks, and words that name nothing of ours.
        # "안녕하세요~ 한국 관광객인데요 사파 여행 중이에요": hello, and where they are; no question.
        said = [await subjects.get(a.subject) for a in asks]
        states = {"none" if _only_where(s) else s.state for s in said}
        if states <= {"none", "weak"}:
            return await smalltalk.reply(ctx, understood.smalltalk)
    asks, asides = await off_topic(ctx, asks, subjects)
    if not asks:
        return [smalltalk.out_of_scope(ctx)]
    story = len(understood.original.split()) > STORY_WORDS
    asks = await settle(asks, subjects, understood, story)
    replies: list[Reply] = []
    scenery: list[Reply] = []  # "not ours" about a clause that asked nothing ("we want to make xoi at home")
    guesses: list[Reply] = []  # "did you mean" about words that found only look-alikes
    found_one = False  # a question whose words named what it asks about was answered
    denied: list[set[str]] = []  # the words of subjects answered "not ours"
    for ask in asks[:MAX_ANSWERS]:
        state = (await subjects.get(ask.subject)).state if ask.subject else ""
        if denied and state in ("several", "weak") and ask.intent in PRODUCT_JOBS:
            # "…vải thiều Lục Yên có OCOP, bà muốn đặt mua vải có được không": still not ours, and
            # "vải" alone only looks like "nạc vai".
            result = (await subjects.get(ask.subject)).result
            typed = {t.typed for t in result.query.required} if result is not None else set()
            if typed and any(typed <= gone for gone in denied):
                continue
        for reply in await _answer_one(ctx, ask, subjects, understood.original, understood.unread_modifier):
            if reply.kind == "not_found" and not reply.product_ids and ask.subject:
                denied.append(set(fold(ask.subject).split()))
            # Two phrasings of one question get one answer; "not ours" is said once.
            said = any(reply.text == r.text or reply.kind == r.kind == "not_found" for r in replies)
            if not said and not (reply.kind == "not_found" and _part_of_place_shown(ctx, ask.subject)):
                replies.append(reply)
                if ask.intent == "product" and reply.kind == "not_found":
                    scenery.append(reply)
                if reply.kind == "did_you_mean" and state in ("weak", "suggest"):
                    guesses.append(reply)
                found_one = found_one or (
                    state in ("product", "several") and reply.kind in ANSWERS and bool(reply.product_ids)
                )
    return await arrange(ctx, understood, replies, Answered(subjects, asks, asides, story, scenery, guesses, found_one))


def _products_counted(ctx: Context, ask: Ask, counted: Subject) -> list:
    """The products a count asks of when it names them, not an area: how many kinds of a product
    ("có mấy loại"), or a maker's ("mấy sp của HTX Thái Sơn"); [] for an area's count."""
    if counted.state not in ("product", "several"):
        return []
    found = [counted.product] if counted.state == "product" else counted.hits
    if clause.says(ctx, ask.clause, "kinds_of"):
        return found
    maker = counted.state == "several" and len({p.producer for p in found}) == 1 and counted.result is not None
    typed = " ".join(t.typed for t in counted.result.query.required) if maker else ""
    return found if maker and names_only_producer(typed, found[0]) else []


def _stars_listed(ctx: Context, found: list, heading: str) -> Reply:
    """Products listed with each one's stars: the answer to which or how many of them."""
    return replace(products.several_stars(ctx, found, None, heading), kind="list")


def _part_of_place_shown(ctx: Context, text: str) -> bool:
    """ "Chợ Tả Phời - Hợp Thành họp ngày nào, bán những gì": the dash cut the market's name, and
    "Tả Phời" alone is no product; the market's card was the answer."""
    said = set(fold(text).split())
    shown = [p for p in ctx.snapshot.catalogue.places if p.id == ctx.place] if ctx.place is not None else []
    return bool(said) and any(said <= set(fold(p.name).split()) for p in shown)


async def _answer_one(ctx: Context, ask: Ask, subjects: Subjects, original: str, unsure: bool) -> list[Reply]:
    intent = ask.intent
    if intent == "out_of_scope":
        return [smalltalk.out_of_scope(ctx)]
    if intent == "events":
        return _tag(await events.events(ctx, clause.year_said(ask.clause)), "events")
    if intent == "stars_meaning" and ask.subject:
        compared = await subjects.get(ask.subject)
        if compared.named:  # "trà ô long Bảo Yên vs trà Việt Ô Long khác gì": each one's stars
            return _each_stars(ctx, list(compared.named))
        level = compared.result is not None and (compared.result.query.star or compared.result.query.star_min)
        if compared.state == "product" and not level:  # "what does khau nhuc mean": the product
            return await products.card(ctx, compared.product.id)
    if intent in FACT_TOPICS:
        return _tag(await about.about(ctx, FACT_TOPICS[intent]), "facts")
    if intent == "count":
        counted = await subjects.get(ask.subject) if ask.subject else None
        found = _products_counted(ctx, ask, counted) if counted is not None else []
        if found:  # "Đông trùng hạ thảo của Traphaco có mấy loại được OCOP": those products, counted
            return [_stars_listed(ctx, found[: render.LISTED], ctx.t("stars.several", n=len(found)))]
        return [counts.answer(ctx, ask.subject, ask.clause)]
    if intent == "unrated":
        return [lists.unrated(ctx, ask.subject)]
    subject = await subjects.get(ask.subject)
    number = clause.decision_said(ctx, ask.clause or original)
    found = [subject.product] if subject.state == "product" else subject.hits if subject.state == "several" else []
    if number and not any(p.decision.split("/")[0] == number for p in found):
        # "QĐ 2585/QĐ-UBND công nhận những sản phẩm nào", "DS sp OCOP theo QĐ 636": that decision's.
        decided = validity.by_decision(ctx, number)
        if decided is not None:
            return [decided]
    subject = _in_context(ask, subjects, subject)
    place = subject.result.query.place if subject.result is not None else None
    if place is not None and subject.state in ("listing", "none", "weak"):
        # A place asked about as a place; "mật ong Bảo Yên" names a honey, not where the chat is.
        ctx.area = place.district or place.label
    if (
        intent in ("where_to_buy", "near", "list")
        and subject.state in ("none", "weak", "listing")
        and clause.far_away(ctx, ask.clause)
    ):
        # "Tết 2026 ở Hà Nội có chỗ nào bán hàng OCOP Lào Cai": we know no shop there; the fairs
        # that brought our products there are what we know.
        return _tag(await events.events(ctx), "events")
    if subject.elsewhere and intent in ELSEWHERE_ASKS:
        # "mật ong bạc hà Hà Giang có OCOP Lào Cai không": not ours, whatever looks like it; "vải
        # thiều Lục Ngạn bán ở chợ Cốc Lếu ko": not ours, wherever it is asked about.
        alike = subject.hits[:3] or list(subject.suggestions)
        if alike:
            return [products.absent_but(ctx, original, alike)]
        return [products.not_found(ctx, original, SearchResult(ParsedQuery(raw="")))]
    # Not a list: "quê mình có những sp nào để giới thiệu với khách homestay" lists Si Ma Cai's, and a
    # list relaxed to another area already says so in its heading.
    visit = intent in ELSEWHERE_ASKS and intent != "list"
    if subject.visit_elsewhere and visit and not clause.names_a_place(ctx, ask.clause):
        # "có homestay nào ở Tả Van": ours is in Văn Chấn, no answer in Tả Van; said, and shown.
        return [products.absent_but(ctx, original, subject.hits[:3])]
    about_places = await _about_places(ctx, ask, subject, original)
    if about_places is not None:
        return about_places
    if subject.state == "suggest":
        return [products.unsure(ctx, original, subject.result.query, list(subject.suggestions))]
    if unsure and subject.state in ("product", "several") and intent in ("stars", "product", "info"):
        # "普洱茶是老街的OCOP产品吗": 茶 is read, 普洱 is not: the tea asked about may not be ours.
        return [products.did_you_mean(ctx, original, subject.hits[:3])]
    if intent == "list" and not ask.subject and subject.named and not clause.asks_which(ctx, ask.clause):
        subject = Subject("", None, None)  # "what should I bring home": the area's list, not the last shown
    if intent == "list" and subject.named and ask.points_back and _level_asked(subject):
        # "loại nào 4 sao" after the Séng Cù rices: those of them at that level, in one list.
        return [_stars_listed(ctx, list(subject.named), ctx.t("stars.several", n=len(subject.named)))]
    if intent in ("list", "product") and subject.named:
        # "Măng mai Lâm Thượng với măng Bát Độ, cái nào có OCOP", "bưởi Múc với bưởi Đại Minh cái nào
        # ngon hơn": each one's stars (taste is not ours to judge).
        return _each_stars(ctx, list(subject.named), _level_asked(subject))
    year = clause.year_said(ask.clause)
    if intent == "list" and year and subject.state in ("listing", "none"):
        # "sp OCOP năm 2023 có những gì", "what products got OCOP certified in 2024?"
        query = subject.result.query if subject.state == "listing" and subject.result else None
        return [validity.listing(ctx, "certified_in", query, year)]
    if intent == "list" and not ask.subject:
        # "nên mua gì làm quà", "what should I bring home": what the area the chat is about has,
        # else the whole catalogue, best rated first; never "which product?".
        return await products.search(ctx, ctx.last_area or PROVINCE_NAME, echo=original)
    if intent == "stars":
        return await _stars(ctx, intent, subject, original, ask.clause)
    for group, job in JOBS:
        if intent in group:
            return await job(ctx, intent, subject, original)
    return await _search(ctx, intent, subject, original)


def _in_context(ask: Ask, subjects: Subjects, subject: Subject) -> Subject:
    """A clause that points back and names only a place or a level is about what the chat showed."""
    if ask.points_back and ask.intent in ("where_to_buy", "near") and subject.state in ("listing", "weak"):
        # "where can I buy it in Lao Cai city?": the product the chat was about, asked of that place.
        last = subjects.ctx.snapshot.index.products.get(subjects.last_product) if subjects.last_product else None
        return replace(subject, product=last) if last is not None else subject
    if ask.points_back and subject.state in ("listing", "weak") and subject.result and not subjects.last_product:
        # "loại 4 sao ấy" after the Shan tuyết teas: those of them at that level.
        query = subject.result.query
        level = query.star or query.star_min
        # None of them at that level: each one's own, so the answer shows it.
        kept = (subjects.last_shown(level) or subjects.last_shown()) if level and not query.required else ()
        if kept and not query.place and not query.category:
            return Subject(ask.subject, None, kept[0]) if len(kept) == 1 else replace(subject, named=kept)
    return subject


async def _about_places(ctx: Context, ask: Ask, subject: Subject, original: str) -> list[Reply] | None:
    """A place of ours asked about (its card, the places of an area, a market day, a producer's
    products); None when the clause is not about a place."""
    intent = ask.intent
    # A place is named by its kind ("chợ Bắc Hà", "cửa hàng Lan Rừng"), or by a long proper name
    # when nothing else is asked about; "tinh dầu quế Nậm Đét mua ở đâu" is about the oil.
    strict = intent in ("product", "list") or subject.state in ("product", "several")
    named = ctx.snapshot.place_names.find(ask.clause, kind_said=strict) if ask.clause else []
    town = subject.result.query.place if subject.result is not None else None
    if not named and ask.clause and town is not None and subject.state in ("none", "weak", "listing"):
        # "Mình đang ở Sa Pa tối thứ 7, chợ tình mấy giờ bắt đầu": the town said in the message.
        named = ctx.snapshot.place_names.find(f"{ask.clause} {town.label}", kind_said=True)
    if not named and ask.clause and subject.state in ("none", "weak", "listing"):
        named = _in_chat_area(ctx, ctx.snapshot.place_names.night_markets(ask.clause))  # "where is the night market"
    # "Văn Bàn có điểm giới thiệu sản phẩm OCOP không": no product of Văn Bàn is an "điểm"; the one
    # found elsewhere by that word is not what a named place of ours is asked instead of.
    elsewhere = subject.state == "product" and subject.result is not None and "place" in subject.result.relaxed
    short = len(original.split()) <= STORY_WORDS
    # An area's places answer where to buy in it ("Xã Bắc Hà có điểm nào bán …, ngoài chợ phiên ấy").
    apart = subject.state == "none" or (subject.state == "listing" and intent not in ("where_to_buy", "near"))
    apart = apart or (elsewhere and intent == "hours")  # "…từ cầu Văn Phú vào bao xa": no product of Văn Phú
    if not named and short and ask.clause and apart and intent in _PLACE_ASKS:
        # "Chợ Cốc Lếu (khu A, khu B) có quầy bán hàng OCOP không": the place is named in a clause
        # of its own that asks nothing; this question names no product, nor anything else.
        named = ctx.snapshot.place_names.find(original, kind_said=True)
    if not named and short and intent == "hours" and ask.clause and subject.state not in ("product", "several"):
        # "Tả Phìn cách Sa Pa bao xa": a place named as its commune is, hours or distance asked.
        named = [p for p in ctx.snapshot.place_names.named_as_town(ask.clause) if p.kind not in places.MARKET_KINDS]
    day = (
        clause.market_day(ctx, ask.clause)
        if intent in ("hours", "product", "list", "where_to_buy", "near")
        and not named
        # a product the chat spoke of before is no answer to "chợ phiên nào họp chủ nhật"
        and (not ask.subject or subject.state not in ("product", "several"))
        else None
    )
    if day is not None:  # "hnay cn, chợ phiên nào họp": the markets of that day
        return [places.market_day(ctx, day)]
    # "HTX Mản Thẩn có sp nào": the producer's products, though it is also a place that sells them.
    listed = (
        intent == "list" and subject.state in ("product", "several") and all(p.kind == "producer_shop" for p in named)
    )
    # "Tương ớt Mường Khương mua ở chợ nào": which market sells it, not the market of Mường Khương;
    # "mận sấy dẻo của HTX Quang Tom mua ở đâu": where the plums are sold, its maker's shop among them.
    which = intent == "where_to_buy" and (
        (subject.state == "product" and clause.asks_which(ctx, ask.clause))
        or (
            subject.state in ("product", "several")
            and not subject.producer  # "HTX Thái Sơn ở đâu": the cooperative itself
            and all(p.kind == "producer_shop" for p in named)
            # "mận sấy dẻo của HTX Quang Tom": made by; "Cửa hàng thổ cẩm Lan Rừng ở đâu": the shop.
            and not clause.shop_asked(ask.clause)
        )
    )
    # "Does the Sapa night market sell OCOP products?": a place of ours asked about, no product named.
    placed = intent in ("product", "list", "near", "where_to_buy", "hours") or (
        intent == "stars" and (subject.state in ("none", "weak", "listing") or elsewhere)
    )
    if intent == "list" and named and all(p.kind == "producer_shop" for p in named):
        # "HTX Sơn Hòa còn làm sản phẩm OCOP nào khác không": what the producer makes, with stars.
        made = places.made_by(ctx, named)
        if made:
            return [_stars_listed(ctx, made, ctx.t("lists.by_producer", producer=named[0].name, n=len(made)))]
    if not named and intent == "hours" and not subject.text and ctx.last_place is not None:
        # "what time does it open" after a market's card: that market.
        named = [p for p in ctx.snapshot.catalogue.places if p.id == ctx.last_place]
    if (
        named
        and intent in ("where_to_buy", "near", "product", "list")
        and subject.state in ("none", "weak", "listing")
        and clause.asks_any(ctx, ask.clause)
        # Shops and markets: a producer's own place fits its words as the answer ("homestay nào ở Lao
        # Chải bán táo mèo sấy"); a market named alone is the one asked about, unless it is where
        # to look near.
        and all(p.kind in places.GENERIC_PLACES for p in named)
        and (intent == "near" or len(named) > 1 or named[0].kind not in places.MARKET_KINDS)
    ):
        # "Ở Sa Pa có điểm bán sản phẩm OCOP nào không?", "any OCOP shop near Coc Leu market?":
        # the places there, not the one a kind word fits.
        found = await places.for_subject(ctx, subject.text or ask.clause)
        if found and found[0].kind == "places":
            return found
    asked_at = intent == "where_to_buy" and subject.state == "product" and not subject.producer
    if named and asked_at and all(p.kind in places.GENERIC_PLACES for p in named):
        # "Cốm Na Lo … ra chợ Bắc Hà có mua được ko?": where it is sold, and whether that market is.
        return await _sold_at_named(ctx, subject.product, named)
    if named and not listed and not which and placed:
        if len({p.area for p in named}) == 1:
            ctx.area = named[0].area
        if len(named) == 1:
            ctx.place = named[0].id
        info = places.place_info(ctx, named)
        if intent == "stars" and subject.state == "weak" and _sold_there_not_ours(subject, named):
            # "Hạt dẻ ở chợ Cốc Lếu có chứng nhận OCOP không": the market sells chestnuts; none is ours.
            return [products.not_found(ctx, original, subject.result, key="stars.not_in_list"), info]
        return [info]
    return None


async def _sold_at_named(ctx: Context, product, named: list) -> list[Reply]:
    replies = await products.where_to_buy(ctx, product.id, pins=False)
    at = [place for place in named if places.sells(place, product)]
    if at:
        note = ctx.t("places.listed_at", place=at[0].name, name=product.name)
    else:
        note = ctx.t("places.not_listed_at", place=named[0].name, name=product.name)
    return [replace(replies[0], text=f"{note}\n{replies[0].text}"), *replies[1:]]


def _place_in_name(subject: Subject) -> bool:
    place = subject.result.query.place
    return place is not None and f" {' '.join(place.tokens)} " in f" {fold(subject.product.name)} "


def _only_where(subject: Subject) -> bool:
    query = subject.result.query if subject.state == "listing" and subject.result is not None else None
    return query is not None and query.place is not None and not (query.star or query.star_min or query.category)


def _in_chat_area(ctx: Context, found: list) -> list:
    """Of places a name fits, those of the area the chat is about ("first time in Sapa" … "the
    night market"), when it has any."""
    here = [place for place in found if ctx.last_area and place.area == ctx.last_area]
    return here or found


def _sold_there_not_ours(subject: Subject, named: list) -> bool:
    """The words beside the place name a thing its record says it sells, and no product of ours."""
    required = subject.result.query.required if subject.result is not None else []
    sold = set(fold(" ".join(place.products_hint for place in named)).split())
    return bool(required) and all(term.typed in sold for term in required)


async def _search(ctx: Context, intent: str, subject: Subject, original: str) -> list[Reply]:
    """A product named, or a list asked for: the search's own answer (card, results, list)."""
    if not subject.text:
        return (
            [smalltalk.which_product(ctx)] if subject.product is None else await products.card(ctx, subject.product.id)
        )
    if subject.state == "weak" and subject.result is not None and subject.result.hits:
        # Only look-alikes matched ("rảnh" ~ "rang"): offer what is plausible, never a card.
        doubtful = replace(subject.result, suggestions=subject.hits[:3])
        return [products.not_found(ctx, original, doubtful)]
    result = subject.result
    if subject.state == "listing" and result is not None and not result.hits and result.query.place:
        # "phường Cam Đường": no product of ours comes from there, but places there sell others.
        area = result.query.place.district or result.query.place.province or result.query.place.label
        shown = places.area_label(ctx, area) if result.query.place.district else area
        note = Reply(ctx.t("lists.none_from_area", area=shown), language=ctx.lang, kind="list")
        return [note, *await places.for_subject(ctx, subject.text)]
    key = None if intent in ("product", "list") or subject.state == "listing" else "search.which"
    return await products.search(ctx, subject.text, echo=original, heading_key=key)


async def _stars(ctx: Context, intent: str, subject: Subject, original: str, said: str = "") -> list[Reply]:
    if subject.named:  # "chè Hương Lý và chè Đại Hưng cái nào nhiều sao hơn"
        return _each_stars(ctx, list(subject.named), _level_asked(subject))
    many = subject.result is not None and len(subject.hits) > products.MAX_STAR_ANSWERS and _level_asked(subject)
    if subject.state == "several" and subject.result is not None and (clause.asks_which(ctx, said) or many):
        # "Séng Cù 大米哪个是四星的", "烟熏水牛肉干哪个牌子是OCOP的": which of them (hold that level), listed;
        # "4* tea in Van Chan?" finds a dozen teas: those at that level are the answer.
        return await _search(ctx, "list", subject, original)
    if subject.state == "product" and subject.result is not None and len(subject.text.split()) >= LONG_SUBJECT:
        # A story names one product among other words ("…miến đao tráng thái Toàn Nga trên
        # facebook"): the subject already settled which; its words may carry a claimed level.
        query = subject.result.query
        return [products.star_answer(ctx, subject.product, query.star or query.star_min)]
    named_there = subject.state == "product" and subject.result is not None and _place_in_name(subject)
    if named_there:
        # "chè Bản Liền mấy sao": "chè" alone is a common word, but the place said is in one tea's
        # own name; that tea is meant, not a "did you mean".
        query = subject.result.query
        return [products.star_answer(ctx, subject.product, query.star or query.star_min)]
    if subject.state == "listing":  # "Trạm Tấu có sp ocop k", "有四星的乌龙茶吗": the list is the answer
        return await _search(ctx, "list", subject, original)
    if subject.text:  # the words may carry a claim ("có phải 4 sao không")
        return await products.star_question(ctx, subject.text, echo=original)
    if subject.product is not None:
        return [products.star_answer(ctx, subject.product, None)]
    return [smalltalk.which_product(ctx)]


async def _where(ctx: Context, intent: str, subject: Subject, original: str) -> list[Reply]:
    state = subject.state
    if state in ("product", "several"):
        found = [subject.product] if state == "product" else subject.hits
        # Several from one maker ("Thổ cẩm Lan Rừng"): its shop; several makers' ("village"): no one's.
        one_maker = len({product.producer for product in found}) == 1
        # "Thổ cẩm Lan Rừng … cửa hàng mở mấy giờ?", "HTX cá hồi Thức Mai ở thôn nào": its place's card.
        located = intent == "hours" or (state == "several" and locates_maker(ctx, original))
        own = places.own_places(ctx, found[0]) if located and one_maker else []
        if own:
            return [places.place_info(ctx, own[:MAX_OWN_PLACES])]
        if state == "product":
            ctx.area = ctx.area or subject.product.area  # "any 4 star products there?" next: where it is sold
            replies = await products.where_to_buy(ctx, subject.product.id, pins=False)
        else:
            replies = await places.for_products(ctx, subject.hits)
        asked = subject.result.query.place if subject.result is not None else None
        if asked is not None and asked.district:  # "brocade in Sapa" … "the night market": Sa Pa's
            ctx.area = asked.district
        elif len({product.area for product in found}) == 1:
            ctx.area = ctx.area or found[0].area
        note = places.not_from_area(ctx, found, asked.district) if asked and asked.district else ""
        if note and replies:
            replies[0] = replace(replies[0], text=f"{note}\n{replies[0].text}")
        return replies
    query = subject.result.query if subject.result is not None else None
    narrowed = query is not None and bool(query.star or query.star_min or query.category)
    few = [p for p in subject.hits if validity.matches(query, p)] if state == "listing" and narrowed else []
    if intent != "near" and 0 < len(few) <= render.LISTED:
        # "sp 5 sao của Lào Cai là gì, mua ở đâu": where those few are sold, not every shop there.
        return await places.for_products(ctx, few)
    if state == "listing" or intent == "near":
        return await places.for_subject(ctx, subject.text)
    if _only_a_place(subject):
        shops = await places.for_subject(ctx, subject.text)
        if subject.result.query.required and not subject.suggestions:
            # "phở chua Bắc Hà mua ở đâu": the dish is not ours; the place's shops sell others.
            return [products.not_found(ctx, original, subject.result), *shops]
        return shops
    if state == "none":
        return _tag(await places.menu(ctx), "places")
    return await _search(ctx, intent, subject, original)


async def _validity(ctx: Context, intent: str, subject: Subject, original: str) -> list[Reply]:
    query = subject.result.query if subject.result else None
    if intent == "still_valid":  # "Văn Chấn có sp nào còn hạn": a list, filtered as asked
        return [validity.listing(ctx, "valid", query)]
    year = clause.year_said(original)
    if intent == "certified_in" and year is None and subject.state in ("listing", "none"):
        # "sp OCOP mới nhất là gì": the newest are those of the last year anything was certified.
        year = ctx.snapshot.certificates.latest_granted(ctx.services.today())
    # "chè bát tiên được chứng nhận năm 2023 đúng không" asks of the teas; "những sản phẩm nào hết
    # hạn cuối năm 2026" of the catalogue.
    certified = intent == "certified_in" and subject.state not in ("product", "several")
    if certified or (intent in ("expiring", "expired") and year and subject.state != "product"):
        # "danh sách sản phẩm hết hạn chứng nhận trong năm 2025", "sp nào được cấp năm 2025"
        which = "certified_in" if intent == "certified_in" else "ends_in"
        return [validity.listing(ctx, which, query if subject.state == "listing" else None, year)]
    if intent in ("expiring", "expired") and not subject.text:
        # "sp nào sắp hết hạn": the list, not the product the chat happened to see last.
        return [validity.listing(ctx, intent, None)]
    state = subject.state
    if state == "product":
        return [validity.status(ctx, subject.product)]
    if state == "several":
        hits = _at_level(subject)  # "chè shan tuyết 4 sao còn hạn không": the 4-star ones
        if len(hits) == 1:
            return [validity.status(ctx, hits[0])]
        return [validity.several(ctx, hits[: products.MAX_STAR_ANSWERS])]
    # "sản phẩm 4 sao trở lên nào đã hết hạn": a level alone finds no product, and filters the list.
    level_only = state == "weak" and query is not None and bool(query.star or query.star_min) and not query.required
    if intent == "validity" and (level_only or state == "listing"):  # "những sp 4 sao còn hạn", "sp Sa Pa còn hạn ko"
        return [validity.listing(ctx, "valid", query)]
    if intent in ("expiring", "expired") and (state in ("none", "listing") or level_only):
        return [validity.listing(ctx, intent, query)]
    if state == "none":
        return _tag(await about.about(ctx, "validity"), "facts")
    return await _search(ctx, intent, subject, original)


def _at_level(subject: Subject) -> list:
    """The products found, only those at the star level the words give, if any are."""
    query = subject.result.query if subject.result is not None else None
    if query is None or not (query.star or query.star_min):
        return subject.hits
    kept = [p for p in subject.hits if p.star == query.star or (query.star_min and (p.star or 0) >= query.star_min)]
    return kept or subject.hits


async def _trade(ctx: Context, intent: str, subject: Subject, original: str) -> list[Reply]:
    """Price, shipping, wholesale, payment, export, online: about the product, or in general."""
    state = subject.state
    if state == "product":
        if intent == "online":
            return [commerce.online(ctx, subject.product)]
        return [commerce.about_product(ctx, intent, subject.product)]
    if state == "several":
        return [commerce.about_products(ctx, intent, _at_level(subject)[: products.MAX_STAR_ANSWERS])]
    if state == "weak" and subject.text and intent != "online":  # "nem chua Thanh Hóa giá bao nhiêu"
        return await _search(ctx, intent, subject, original)
    if intent == "online":
        return [commerce.online(ctx, None)]
    return [commerce.general(ctx, intent)]


async def _producer(ctx: Context, intent: str, subject: Subject, original: str) -> list[Reply]:
    if subject.state == "product":
        return await products.card(ctx, subject.product.id)
    if _only_a_place(subject):  # "gần Mậu A có cơ sở nào làm sản phẩm từ quế không": who is there
        return await places.for_subject(ctx, subject.text)
    return await _search(ctx, intent, subject, original)


JOBS = (  # "stars" is answered before these: it reads the clause too
    ({"where_to_buy", "hours", "near"}, _where),
    ({"validity", "expiring", "expired", "still_valid", "certified_in"}, _validity),
    ({*commerce.TOPICS, "online"}, _trade),
    ({"producer", "info"}, _producer),
)


def _level_asked(subject: Subject) -> int | None:
    query = subject.result.query if subject.result is not None else None
    return (query.star or query.star_min) if query is not None else None


def _each_stars(ctx: Context, named: list, claimed: int | None = None) -> list[Reply]:
    """Products compared by name ("tương ớt Mường Khương với tương ớt Khánh Yên Thượng cái nào
    nhiều sao hơn"): each one's star answer, in the order named; many at once in one list. A level
    asked of them ("cái nào 5 sao") is checked against each."""
    if len(named) <= COMPARED_APART:
        return [products.star_answer(ctx, product, claimed) for product in named]
    return [products.several_stars(ctx, named, claimed)]


def _only_a_place(subject: Subject) -> bool:
    """The words name a place of ours and nothing else the catalogue has ("ở số mấy phố Cầu Mây",
    "Mậu A có làm từ quế"): asked where or who, the answer is that place's shops."""
    query = subject.result.query if subject.result is not None else None
    return subject.state == "weak" and query is not None and query.place is not None and not subject.hits


def _tag(replies: list[Reply], kind: str) -> list[Reply]:
    return [reply if reply.kind else replace(reply, kind=kind) for reply in replies]
