"""One place that maps what a user did to the handler for that job."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from dataclasses import dataclass

from bot.i18n import LANGUAGES, pick_language
from bot.replies import Location, Reply, Request
from bot.search import fuzzy_budget
from bot.services import Services
from bot.text import clean_input, fold
from bot.understanding.language import borrowed_only
from bot.understanding.message import has_cjk
from handlers import about, actions, chat, events, lists, places, products, staff, start, subscriptions, validity
from handlers.actions import MapPins, ProductCard, WhereToBuy
from handlers.context import Context

log = logging.getLogger(__name__)

MAX_TEXT = 300  # longer messages are cut: no product name is near this long

# Answers that show products together as the answer (not a place's wares): "which one" asks of them.
TOGETHER = ("stars", "results", "list", "validity", "commerce", "price", "places")
REMEMBERED = 10
GROUP_COMMANDS = ("unsubscribe", "stop", "forget")  # change the whole chat: a group admin's call
LANG_ACTIONS = {"lang_en": "en", "lang_vi": "vi", "lang_zh": "zh", "lang_ko": "ko", "lang_menu": None}


@dataclass
class ChatMemory:
    """What a chat was last about, in this process only (a restart forgets it): the language of
    its last reply (a pressed button or a typed "2" carries no words to tell it by), the product
    it last saw ("mua ở đâu?" after a card), or the products it was shown together ("loại nào 4
    sao"), the questions last asked ("còn mật ong thì sao"), the area ("what do they sell there")
    and the one place ("what time does it open")."""

    language: str = ""
    product: int | None = None
    products: tuple[int, ...] = ()
    asked: tuple[str, ...] = ()
    area: str = ""
    place: int | None = None


class Router:
    def __init__(self, services: Services) -> None:
        self.services = services
        # What each chat was last about (see ChatMemory), the most recent chats kept.
        self._chats: OrderedDict[tuple[str, str], ChatMemory] = OrderedDict()
        # The announcement draft a staff member was just shown, per (platform, chat, user): a typed
        # "ok" confirms it only as that person's next message. Any other message clears it.
        self._previewed: OrderedDict[tuple[str, str, str], int] = OrderedDict()

    async def handle(self, request: Request) -> list[Reply]:
        text = clean_input(request.text, MAX_TEXT * 4)
        truncated = len(text) > MAX_TEXT
        text = text[:MAX_TEXT]
        stored = await self.services.repo.user_language(request.platform, request.user_id)
        chat = (request.platform, request.chat_id)
        hint = request.language
        # A pressed button, a command or a bare command word ("subscribe", "huỷ") carries no
        # sentence to tell the language from: the chat goes on in the language it had.
        whole = self.services.understander.whole_message(text) if text.strip() else None
        command_word = whole in ("subscribe", "unsubscribe", "forget")
        quiet = request.action or request.command or not text.strip() or text.strip()[:1] == "/" or command_word
        # "thanks", "ok", "bye" from someone who has been writing Vietnamese (or Korean): still theirs.
        memory = self._chats.get(chat)
        borrowed = memory is not None and bool(memory.language) and borrowed_only(text)
        if stored is None and (quiet or text.strip().isdigit() or borrowed):
            hint = (memory.language if memory else "") or hint
            lang = pick_language(stored, hint, "", self.services.config.bot.default_language)
        else:
            lang = pick_language(stored, hint, text, self.services.config.bot.default_language)
        snapshot = await self.services.catalogue.get()
        ctx = Context(self.services, request, lang, snapshot)
        author = (request.platform, request.chat_id, request.user_id)
        just_previewed = self._previewed.pop(author, None)
        with fuzzy_budget():  # one time budget for all the searches this message leads to
            replies = await self._dispatch(ctx, request, text, just_previewed)
        draft = staff.previewed_draft(replies)
        if draft is not None:
            _remember(self._previewed, author, draft)
        if truncated:
            replies.insert(0, Reply(ctx.t("input.truncated", n=MAX_TEXT), language=ctx.lang))
        if any(r.kind == "forget" for r in replies):
            # "Forget me" covers what this process remembers too, not only the database.
            self._chats.pop(chat, None)
            return replies
        memory = memory or ChatMemory()
        _remember(self._chats, chat, memory)
        memory.language = ctx.lang
        shown = [r.product_ids[0] for r in replies if len(r.product_ids) == 1 and r.kind != "results"]
        together = next((r.product_ids for r in replies if r.kind in TOGETHER and len(r.product_ids) > 1), ())
        if len(set(shown)) > 1:  # "loại 4 sao ấy": two answers, one each, shown together
            together = tuple(dict.fromkeys(shown))
            shown = []
        if shown:
            memory.product, memory.products = shown[-1], ()
        elif together:  # the latest of them is what "which one", "còn hạn ko" ask about
            memory.product, memory.products = None, together[:REMEMBERED]
        memory.asked = ctx.asked or memory.asked
        memory.area = ctx.area or memory.area
        if ctx.place is not None:
            memory.place = ctx.place
        elif shown:  # a product since: "it" is no longer the place
            memory.place = None
        return replies

    async def _dispatch(
        self, ctx: Context, request: Request, text: str, just_previewed: int | None = None
    ) -> list[Reply]:
        if request.action:
            return await self.action(ctx, request.action)
        if request.location is not None:
            return await places.nearest(ctx, request.location)
        if request.attachment is not None:
            return await staff.upload(ctx)
        if request.command:
            return await self.command(ctx, request.command.lower(), text)
        return await self.free_text(ctx, text, just_previewed)

    async def command(self, ctx: Context, command: str, args: str) -> list[Reply]:
        if command == "start":
            deep = re.fullmatch(r"p_(\d{1,9})", args.strip())
            if deep:
                return await products.card(ctx, int(deep.group(1)))
            return await start.start(ctx)
        if command == "help":
            return await start.help_(ctx)
        if command == "search":
            return (
                await products.search(ctx, args) if fold(args) else [Reply(ctx.t("search.prompt"), language=ctx.lang)]
            )
        if command == "stars":
            return await products.star_question(ctx, args) if fold(args) else await lists.menu(ctx)
        if command == "places":
            if fold(args):
                found = await places.near_named(ctx, args)
                if found is not None:
                    return found
            return await places.menu(ctx)
        if command == "events":
            return await events.events(ctx)
        if command in ("lang", "language"):
            lang = fold(args)[:2]
            return await start.set_language(ctx, lang) if lang in LANGUAGES else await start.language_menu(ctx)
        if command == "subscribe":
            return await subscriptions.subscribe(ctx)
        if command in ("unsubscribe", "stop"):
            return await subscriptions.unsubscribe(ctx)
        if command == "forget":
            return await subscriptions.forget(ctx)
        if command in ("about", "ocop"):
            return await about.about(ctx)
        if command == "announce":
            return await staff.announce(ctx, args)
        if command == "stats":
            return await staff.stats(ctx, args)
        if command == "web":
            return await staff.web_link(ctx)
        return [Reply(ctx.t("command.unknown", command=command[:32]), language=ctx.lang)]

    def changes_the_group(self, request: Request) -> bool:
        """Whether this request would unsubscribe or forget its chat: in a group, adapters then
        ask the platform whether the sender is a group admin (Request.is_group_admin)."""
        if request.command:
            return request.command.lower() in GROUP_COMMANDS
        text = clean_input(request.text, MAX_TEXT * 4)[:MAX_TEXT].strip()
        if text.startswith("/"):
            return text[1:].partition(" ")[0].split("@")[0].lower() in GROUP_COMMANDS
        return bool(text) and self.services.understander.whole_message(text) in ("unsubscribe", "forget")

    async def action(self, ctx: Context, data: str) -> list[Reply]:
        """A pressed button or a chosen number: its typed action, or the polite "expired"."""
        match actions.unpack(data):
            case ProductCard(id=product_id):
                return await products.card(ctx, product_id)
            case WhereToBuy(id=product_id):
                return await products.where_to_buy(ctx, product_id, pins=False)
            case MapPins(id=product_id):
                return await products.where_to_buy(ctx, product_id, pins=True)
            case products.SearchPage(query=query_id, page=page):
                text = await self.services.repo.saved_query(query_id)
                if text is not None:
                    return await products.search(ctx, text, page=page)
            case lists.StarList(star=star, area=area, category=category, page=page):
                return await lists.listing(ctx, star, area, category, page)
            case places.PlacesInArea(area=area, page=page):
                return await places.by_area(ctx, area, page)
            case places.NearestPlaces(lat=lat, lon=lon, page=page):
                return await places.nearest(ctx, Location(lat, lon), page)
            case start.SetLanguage(lang=lang):
                return await start.set_language(ctx, lang)
            case start.Menu(item=item):
                return await self._menu(ctx, item)
            case validity.RunningOut(which=which):
                return [validity.listing(ctx, which)]
            case about.AboutTopic(topic=topic):
                return await about.about(ctx, topic)
            case subscriptions.Subscribe():
                return await subscriptions.subscribe(ctx)
            case staff.AnnouncementChoice(verb=verb, id=broadcast_id):
                return await (staff.confirm(ctx, broadcast_id) if verb == "ok" else staff.cancel(ctx, broadcast_id))
            case staff.UploadChoice(verb=verb, id=import_id):
                return await staff.apply_upload(ctx, import_id, remove_missing=verb == "rm", cancel=verb == "no")
            case None:
                log.info("unknown action %r", data[:64])
        return [Reply(ctx.t("action.expired"), language=ctx.lang)]

    async def _menu(self, ctx: Context, item: str) -> list[Reply]:
        if item == "search":
            return [Reply(ctx.t("search.prompt"), language=ctx.lang)]
        if item == "stars":
            return await lists.menu(ctx)
        if item == "near":
            return await places.menu(ctx)
        if item == "events":
            return await events.events(ctx)
        if item == "lang":
            return await start.language_menu(ctx)
        return await start.start(ctx)

    async def free_text(self, ctx: Context, text: str, just_previewed: int | None = None) -> list[Reply]:
        folded = fold(text)
        if not text.strip():
            return [Reply(ctx.t("input.empty"), start.main_menu(ctx), language=ctx.lang, kind="help")]
        if text.strip().startswith("/"):
            command, _, args = text.strip()[1:].partition(" ")
            return await self.command(ctx, command.split("@")[0], args)
        if staff.is_yes(text):
            confirmed = await staff.confirm_typed(ctx, just_previewed)
            if confirmed is not None:
                return confirmed
        memory = self._chats.get((ctx.request.platform, ctx.request.chat_id)) or ChatMemory()
        ctx.last_area, ctx.last_place, ctx.last_products = memory.area, memory.place, memory.products
        said = text
        text = self._there(ctx, text)
        understood = self.services.understander.understand(text, ctx.snapshot.index)
        understood.original = said  # replies echo what the person wrote, not the area read into it
        if understood.whole:
            return await self._whole_message(ctx, understood.whole)
        if not folded and not understood.asks and not understood.smalltalk and not understood.unread:
            return [Reply(ctx.t("input.no_words"), start.main_menu(ctx), language=ctx.lang, kind="help")]
        return await chat.answer(ctx, understood, memory.product, memory.asked)

    def _there(self, ctx: Context, text: str) -> str:
        """ "what do they sell there" after "Bac Ha market…": there is the area last spoken of,
        unless the message names a place of its own."""
        area = ctx.last_area
        if not area:
            return text
        said = f" {fold(text)} "
        there = self.services.understander.lexicon.words.get("there", frozenset())
        if not any(phrase in text if has_cjk(phrase) else f" {phrase} " in said for phrase in there):
            return text
        read = self.services.understander.read_cjk(text, ctx.snapshot.index)  # "那里" beside "沙坝"
        if ctx.snapshot.index.parse(read).place is not None or ctx.snapshot.place_names.find(read):
            return text
        body = text.rstrip(" ?？!！.。")
        return f"{body} {area}{text[len(body) :]}"  # before the question mark: one clause

    async def _whole_message(self, ctx: Context, action: str) -> list[Reply]:
        if action in LANG_ACTIONS:
            lang = LANG_ACTIONS[action]
            return await start.set_language(ctx, lang) if lang else await start.language_menu(ctx)
        if action == "subscribe":
            return await subscriptions.subscribe(ctx)
        if action == "unsubscribe":
            return await subscriptions.unsubscribe(ctx)
        return await subscriptions.forget(ctx)


def _remember(table: OrderedDict, chat: tuple[str, str], value) -> None:
    table[chat] = value
    table.move_to_end(chat)
    while len(table) > 10_000:
        table.popitem(last=False)
