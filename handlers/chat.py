"""A chat message's questions, answered in the order they were asked.

The router hands over an `Understanding` (what is asked, about what); this module resolves
each subject once (search, named places) and calls the handler for each job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from bot.models import Product
from bot.replies import Reply
from bot.search import SearchResult
from bot.search.plausible import leave_out, matched_share, plausible
from bot.search.query import ParsedQuery
from bot.understanding.message import Ask, Understanding
from handlers import about, commerce, counts, events, places, products, smalltalk, validity
from handlers.context import Context

NAMES_A_PRODUCT = {"stars", "where_to_buy", "price", "info", "producer"}  # questions that need a thing named
RESCUE_SHARE = 0.7
_JOINS = re.compile(r"\s(?:và|với|hay|hoặc|va|voi|hoac|and|or|vs|versus)\s", re.IGNORECASE)  # a rescued match answers when it carries this much of what was typed
MAX_ANSWERS = 4  # a pasted paragraph does not get a wall of replies
FACT_TOPICS = {
    "what_is_ocop": "count",
    "stars_meaning": "stars",
    "certifier": "certifier",
    "validity_rule": "validity",
    "merger": "merger",
}
PRODUCT_JOBS = {"stars", "where_to_buy", "price", "shipping", "wholesale", "payment", "export", "validity",
                "expiring", "expired", "online", "hours", "producer", "info"}  # fmt: skip


@dataclass
class Subject:
    text: str
    result: SearchResult | None
    product: Product | None  # one product clearly meant
    suggestions: tuple[Product, ...] = ()  # found only once a word was left out: "did you mean"
    named: tuple[Product, ...] = ()  # "chè Hương Lý và chè Đại Hưng": each one named, found apart

    @property
    def state(self) -> str:
        """none | product | several | listing | weak (words that find nothing plausible) | suggest."""
        if self.named:
            return "several"
        if self.suggestions:
            return "suggest"
        if self.product is not None:
            return "product"
        if self.result is None:
            return "none"
        if self.result.listing:
            return "listing"
        if len(self.result.hits) > 1 and plausible(self.result.query, self.result.hits[0].product):
            return "several"
        return "weak"

    @property
    def hits(self) -> list[Product]:
        if self.named:
            return list(self.named)
        return [hit.product for hit in self.result.hits] if self.result else []


class Subjects:
    """Each subject is searched once per message, however many questions it carries."""

    def __init__(self, ctx: Context, last_product: int | None) -> None:
        self.ctx = ctx
        self.last_product = last_product
        self._cache: dict[str, Subject] = {}

    async def get(self, text: str) -> Subject:
        if text in self._cache:
            return self._cache[text]
        ctx = self.ctx
        if not text:
            product = ctx.snapshot.index.products.get(self.last_product) if self.last_product else None
            subject = Subject("", None, product)
        else:
            # Not logged here: the handler that answers logs the search it runs.
            result = products.find(ctx, text, ignore_stars=True)
            suggestions: tuple[Product, ...] = ()
            named: tuple[Product, ...] = ()
            if not result.hits:
                named = self._each_named(text)
            if not result.hits and not named and not any(plausible(result.query, p) for p in result.suggestions):
                text, result, suggestions = self._rescue(text, result)
            product = None
            if result.hits and not result.listing and products.clearly_one(result):
                # "có nhận thanh toán momo" finds "Quả nhãn": a look-alike is not the subject.
                product = result.hits[0].product if plausible(result.query, result.hits[0].product) else None
            subject = Subject(text, result, product, suggestions, named)
        self._cache[text] = subject
        return subject

    def _each_named(self, text: str) -> tuple[Product, ...]:
        """Two products joined by "và", "với", "hay", "and", "or": each found on its own, or none."""
        parts = [p.strip() for p in _JOINS.split(text) if p.strip()]
        if len(parts) < 2:
            return ()
        found: list[Product] = []
        for part in parts[:4]:
            result = products.find(self.ctx, part, ignore_stars=True)
            likely = [h.product for h in result.hits[:3] if plausible(result.query, h.product)]
            if result.listing or not likely:
                return ()
            found += likely[:1] if products.clearly_one(result) else likely
        return tuple(dict.fromkeys(found))

    def _rescue(self, text: str, result: SearchResult) -> tuple[str, SearchResult, tuple[Product, ...]]:
        """ "Ba mình uống rượu nếp Cường Thịnh thấy êm": leave out the rarest words, one more each
        time, and search again. What that finds answers only when it carries most of what was typed;
        otherwise it is a "did you mean", and "kẹo dừa Bến Tre" stays not found."""
        for shorter in leave_out(text, result.query):
            again = products.find(self.ctx, shorter, ignore_stars=True)
            if not again.hits or again.listing:
                continue
            likely = [h.product for h in again.hits[:3] if plausible(result.query, h.product)]
            if not likely:
                continue
            if matched_share(result.query, again.hits[0].product) >= RESCUE_SHARE:
                return shorter, again, ()
            return text, result, tuple(likely)
        return text, result, ()


async def answer(ctx: Context, understood: Understanding, last_product: int | None = None) -> list[Reply]:
    ctx.fillers = understood.fillers
    asks = understood.asks
    if understood.unread and not any(a.subject for a in asks):
        return [smalltalk.unread(ctx)]
    if not asks:
        if understood.smalltalk:
            return await smalltalk.reply(ctx, understood.smalltalk)
        return [smalltalk.not_understood(ctx, understood.original)]
    intents = {a.intent for a in asks}
    if understood.unread_words and not any(a.subject for a in asks) and intents and intents <= NAMES_A_PRODUCT:
        # "김치 어디서 사요": the question is read, the thing asked about is not a word we know.
        return [products.not_found(ctx, understood.original, SearchResult(ParsedQuery(raw="")))]
    subjects = Subjects(ctx, last_product)
    if any(a.intent == "out_of_scope" for a in asks):
        # "vé cáp treo Fansipan bao nhiêu": off topic unless a product of ours is clearly named.
        rest = [a for a in asks if a.intent != "out_of_scope"]
        states = [(await subjects.get(a.subject)).state for a in rest if a.subject]
        if not {"product", "several"} & set(states):
            return [smalltalk.out_of_scope(ctx)]
        asks = rest
    asks = await _borrow_subjects(asks, subjects)
    # "có OCOP không, cho mình xin thông tin": the card answers both, stars included.
    carded = {a.subject for a in asks if a.intent == "info"}
    asks = [a for a in asks if not (a.intent == "stars" and a.subject in carded)] or asks
    replies: list[Reply] = []
    for ask in asks[:MAX_ANSWERS]:
        for reply in await _answer_one(ctx, ask, subjects, understood.original):
            # Two phrasings of one question get one answer; "not ours" is said once.
            said = any(reply.text == r.text or reply.kind == r.kind == "not_found" for r in replies)
            if not said:
                replies.append(reply)
    return replies


async def _borrow_subjects(asks: list[Ask], subjects: Subjects) -> list[Ask]:
    """ "Tương ớt Mường Khương bao nhiêu tiền, ship ra HN được ko": the shipping question is about
    the sauce, not about "HN". A question whose own words find nothing borrows a found product."""
    found = [a.subject for a in asks if a.subject and (await subjects.get(a.subject)).state == "product"]
    if not found:
        return asks
    out = []
    for ask in asks:
        borrow = ask.intent in PRODUCT_JOBS and ask.subject and ask.subject not in found
        if borrow and (await subjects.get(ask.subject)).state == "weak":
            ask = Ask(ask.intent, found[0], ask.clause)
        if all((a.intent, a.subject) != (ask.intent, ask.subject) for a in out):
            out.append(ask)
    return out


async def _answer_one(ctx: Context, ask: Ask, subjects: Subjects, original: str) -> list[Reply]:
    intent = ask.intent
    if intent == "out_of_scope":
        return [smalltalk.out_of_scope(ctx)]
    if intent == "events":
        return _tag(await events.events(ctx), "events")
    if intent in FACT_TOPICS:
        return _tag(await about.about(ctx, FACT_TOPICS[intent]), "facts")
    if intent == "count":
        return [counts.answer(ctx, ask.subject)]
    strict = intent in ("product", "list")
    named = ctx.snapshot.place_names.find(ask.clause, kind_said=strict) if ask.clause else []
    if named and intent in ("product", "list", "near", "where_to_buy", "hours"):
        return [places.place_info(ctx, named)]
    subject = await subjects.get(ask.subject)
    if subject.state == "suggest":
        return [products.did_you_mean(ctx, original, list(subject.suggestions))]
    for group, job in JOBS:
        if intent in group:
            return await job(ctx, intent, subject, original)
    return await _search(ctx, intent, subject, original)


async def _search(ctx: Context, intent: str, subject: Subject, original: str) -> list[Reply]:
    """A product named, or a list asked for: the search's own answer (card, results, list)."""
    if not subject.text:
        return (
            [smalltalk.which_product(ctx, intent)]
            if subject.product is None
            else await products.card(ctx, subject.product.id)
        )
    if subject.state == "weak" and subject.result is not None and subject.result.hits:
        # Only look-alikes matched ("rảnh" ~ "rang"): offer what is plausible, never a card.
        doubtful = replace(subject.result, suggestions=subject.hits[:3])
        return [products.not_found(ctx, original, doubtful)]
    result = subject.result
    if subject.state == "listing" and result is not None and not result.hits and result.query.place:
        # "phường Cam Đường": no product of ours comes from there, but places there sell others.
        area = result.query.place.district or result.query.place.province or result.query.place.label
        city = any(loc.name == area and loc.kind == "city" for loc in ctx.snapshot.catalogue.localities)
        shown = ctx.t("place.city", name=area) if city and result.query.place.district else area
        note = Reply(ctx.t("lists.none_from_area", area=shown), language=ctx.lang, kind="list")
        return [note, *await places.for_subject(ctx, subject.text)]
    key = None if intent in ("product", "list") or subject.state == "listing" else "search.which"
    return await products.search(ctx, subject.text, echo=original, heading_key=key)


async def _stars(ctx: Context, intent: str, subject: Subject, original: str) -> list[Reply]:
    if subject.named:  # "chè Hương Lý và chè Đại Hưng cái nào nhiều sao hơn"
        return [products.several_stars(ctx, list(subject.named), None)]
    if subject.text:  # the words may carry a claim ("có phải 4 sao không")
        return await products.star_question(ctx, subject.text, echo=original)
    if subject.product is not None:
        return [products.star_answer(ctx, subject.product, None)]
    return [smalltalk.which_product(ctx, intent)]


async def _where(ctx: Context, intent: str, subject: Subject, original: str) -> list[Reply]:
    state = subject.state
    if state == "product":
        return await products.where_to_buy(ctx, subject.product.id, pins=False)
    if state == "several":
        return await places.for_products(ctx, subject.hits)
    if state == "listing" or intent == "near":
        return await places.for_subject(ctx, subject.text)
    if state == "none":
        return _tag(await places.menu(ctx), "places")
    return await _search(ctx, intent, subject, original)


async def _validity(ctx: Context, intent: str, subject: Subject, original: str) -> list[Reply]:
    state = subject.state
    if state == "product":
        return [validity.status(ctx, subject.product)]
    if state == "several":
        return [validity.several(ctx, subject.hits[: products.MAX_STAR_ANSWERS])]
    if intent in ("expiring", "expired") and state in ("none", "listing"):
        return [validity.listing(ctx, intent, subject.result.query if subject.result else None)]
    if state == "none":
        return _tag(await about.about(ctx, "validity"), "facts")
    return await _search(ctx, intent, subject, original)


async def _trade(ctx: Context, intent: str, subject: Subject, original: str) -> list[Reply]:
    """Price, shipping, wholesale, payment, export, online: about the product, or in general."""
    state = subject.state
    if state == "product":
        if intent == "online":
            return [commerce.online(ctx, subject.product)]
        return [commerce.about_product(ctx, intent, subject.product)]
    if state == "several":
        return [commerce.about_products(ctx, intent, subject.hits[: products.MAX_STAR_ANSWERS])]
    if state == "weak" and subject.text and intent != "online":  # "nem chua Thanh Hóa giá bao nhiêu"
        return await _search(ctx, intent, subject, original)
    if intent == "online":
        return [commerce.online(ctx, None)]
    return [commerce.general(ctx, intent)]


async def _producer(ctx: Context, intent: str, subject: Subject, original: str) -> list[Reply]:
    if subject.state == "product":
        return await products.card(ctx, subject.product.id)
    return await _search(ctx, intent, subject, original)


JOBS = (
    ({"stars"}, _stars),
    ({"where_to_buy", "hours", "near"}, _where),
    ({"validity", "expiring", "expired"}, _validity),
    ({*commerce.TOPICS, "online"}, _trade),
    ({"producer", "info"}, _producer),
)


def _tag(replies: list[Reply], kind: str) -> list[Reply]:
    return [reply if reply.kind else replace(reply, kind=kind) for reply in replies]
