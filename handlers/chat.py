"""A chat message's questions, answered in the order they were asked.

The router hands over an `Understanding` (what is asked, about what); this module resolves
each subject once (search, named places) and calls the handler for each job.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.models import Place, Product
from bot.replies import Reply
from bot.search import SearchResult
from bot.search.plausible import leave_one_out, matched_share, plausible
from bot.understanding.message import Ask, Understanding
from handlers import about, commerce, counts, events, places, products, smalltalk, validity
from handlers.context import Context

RESCUE_SHARE = 0.7  # a rescued match answers when it carries this much of what was typed
MAX_ANSWERS = 4  # a pasted paragraph does not get a wall of replies
FACT_TOPICS = {
    "what_is_ocop": "count",
    "stars_meaning": "stars",
    "certifier": "certifier",
    "validity_rule": "validity",
    "merger": "merger",
}
PRODUCT_JOBS = {"stars", "where_to_buy", "price", "shipping", "wholesale", "payment", "export", "validity",
                "expiring", "expired", "online", "hours", "producer"}  # fmt: skip


@dataclass
class Subject:
    text: str
    result: SearchResult | None
    product: Product | None  # one product clearly meant
    named_places: list[Place]
    suggestions: tuple[Product, ...] = ()  # found only once words unknown to us were left out

    @property
    def several(self) -> bool:
        return self.result is not None and len(self.result.hits) > 1 and not self.result.listing

    @property
    def is_listing(self) -> bool:
        return self.result is not None and self.result.listing


class Subjects:
    """Each subject is searched once per message, however many questions it carries."""

    def __init__(self, ctx: Context, last_product: int | None, named_places: list[Place]) -> None:
        self.ctx = ctx
        self.last_product = last_product
        self.named_places = named_places
        self._cache: dict[str, Subject] = {}

    async def get(self, text: str) -> Subject:
        if text in self._cache:
            return self._cache[text]
        ctx = self.ctx
        if not text:
            product = ctx.snapshot.index.products.get(self.last_product) if self.last_product else None
            subject = Subject("", None, product, [])
        else:
            named = self.named_places
            # Not logged here: the handler that answers logs the search it runs.
            result = ctx.snapshot.index.search(text, limit=None, ignore_stars=True, fillers=ctx.fillers)
            suggestions: tuple[Product, ...] = ()
            if not result.hits and not any(plausible(result.query, p) for p in result.suggestions):
                text, result, suggestions = self._rescue(text, result)
            product = result.hits[0].product if result.hits and products.clearly_one(result) else None
            if result.listing:
                product = None
            subject = Subject(text, result, product, named, suggestions)
        self._cache[text] = subject
        return subject

    def _rescue(self, text: str, result: SearchResult) -> tuple[str, SearchResult, tuple[Product, ...]]:
        """ "Ba mình uống rượu nếp Cường Thịnh thấy êm": leave out one word at a time, rarest first,
        and search again. What that finds answers only when it carries most of what was typed;
        otherwise it is a "did you mean", and "kẹo dừa Bến Tre" stays not found."""
        index = self.ctx.snapshot.index
        for shorter in leave_one_out(text, result.query):
            again = index.search(shorter, limit=None, ignore_stars=True, fillers=self.ctx.fillers)
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
    subjects = Subjects(ctx, last_product, ctx.snapshot.place_names.find(understood.original))
    if any(a.intent == "out_of_scope" for a in asks):
        # "vé cáp treo bao nhiêu": off topic unless a product of ours is clearly named.
        named = [a for a in asks if a.subject and (await subjects.get(a.subject)).product is not None]
        if not named:
            return [smalltalk.out_of_scope(ctx)]
        asks = [a for a in asks if a.intent != "out_of_scope"]
    asks = await _borrow_subjects(asks, subjects)
    asks = await _drop_stray_mentions(asks, subjects)
    replies: list[Reply] = []
    for ask in asks[:MAX_ANSWERS]:
        for reply in await _answer_one(ctx, ask, subjects, understood.original):
            if all(reply.text != earlier.text for earlier in replies):  # two phrasings, one answer
                replies.append(reply)
    return replies


async def _drop_stray_mentions(asks: list[Ask], subjects: Subjects) -> list[Ask]:
    """In a story ("Hè rồi đi Sa Pa ăn su su…, su su Sa Pa có OCOP không") the bare mentions that
    find nothing are scenery, not questions: only the questions get answers."""
    if len(asks) < 2:
        return asks
    kept = []
    for ask in asks:
        if ask.intent == "product":
            subject = await subjects.get(ask.subject)
            if subject.result is not None and not subject.result.hits:
                continue
        kept.append(ask)
    return kept or asks[:1]


async def _borrow_subjects(asks: list[Ask], subjects: Subjects) -> list[Ask]:
    """ "Tương ớt Mường Khương bao nhiêu tiền, ship ra HN được ko": the shipping question is about
    the sauce, not about "HN". A question whose own words find nothing borrows a found product."""
    found = [a.subject for a in asks if a.subject and (await subjects.get(a.subject)).product is not None]
    if not found:
        return asks
    out = []
    for ask in asks:
        if ask.intent in PRODUCT_JOBS and ask.subject and ask.subject not in found:
            result = (await subjects.get(ask.subject)).result
            if result is not None and not result.hits:
                ask = Ask(ask.intent, found[0])
        if ask not in out:
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
    subject = await subjects.get(ask.subject)
    if subject.suggestions:
        return [products.did_you_mean(ctx, original, list(subject.suggestions))]
    if subject.text != ask.subject:  # rescued: search the words that found it
        ask = Ask(intent, subject.text)
    if intent in ("product", "list"):
        if subject.named_places and (subject.product is None or intent == "list"):
            return [places.place_info(ctx, subject.named_places)]
        return await products.search(ctx, ask.subject, echo=original)
    if intent in ("near", "where_to_buy", "hours") and subject.named_places:
        return [places.place_info(ctx, subject.named_places)]
    if intent == "near" or (intent in ("where_to_buy", "hours") and subject.product is None and subject.is_listing):
        return await places.for_subject(ctx, ask.subject)
    if intent in ("expiring", "expired") and subject.product is None and not subject.several:
        return [validity.listing(ctx, intent, subject.result.query if subject.result else None)]
    if intent == "online" and subject.product is None and not subject.several:
        return [commerce.online(ctx, None)]
    if intent in commerce.TOPICS and subject.product is None and not subject.several and not subject.text:
        return [commerce.general(ctx, intent)]
    if intent == "validity" and not subject.text and subject.product is None:
        return _tag(await about.about(ctx, "validity"), "facts")
    if subject.product is None and subject.several and intent in ("where_to_buy", "hours"):
        return await places.for_products(ctx, [hit.product for hit in subject.result.hits])
    if subject.product is None and subject.several and intent in ("validity", "expiring", "expired"):
        return [validity.several(ctx, [hit.product for hit in subject.result.hits][: products.MAX_STAR_ANSWERS])]
    if subject.product is None:
        if not subject.text:
            if intent in ("where_to_buy", "hours"):
                return _tag(await places.menu(ctx), "places")
            return [smalltalk.which_product(ctx, intent)]
        if intent == "stars":
            return await products.star_question(ctx, ask.subject, echo=original)
        return await products.search(ctx, ask.subject, echo=original, heading_key="search.which")
    product = subject.product
    if intent == "stars":
        return await products.star_question(ctx, ask.subject, echo=original) if subject.text else [
            products.star_answer(ctx, product, None)
        ]
    if intent in ("where_to_buy", "hours"):
        return await products.where_to_buy(ctx, product.id, pins=False)
    if intent == "producer":
        return await products.card(ctx, product.id)
    if intent in ("validity", "expiring", "expired"):
        return [validity.status(ctx, product)]
    if intent == "online":
        return [commerce.online(ctx, product)]
    if intent in commerce.TOPICS:
        return [commerce.about_product(ctx, intent, product)]
    return await products.card(ctx, product.id)


def _tag(replies: list[Reply], kind: str) -> list[Reply]:
    return [reply if reply.kind else replace(reply, kind=kind) for reply in replies]
