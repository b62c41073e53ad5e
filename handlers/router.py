"""One place that maps what a user did to the handler for that job."""

from __future__ import annotations

import logging
import re
from collections import OrderedDict

from bot.i18n import pick_language
from bot.replies import Location, Reply, Request
from bot.services import Services
from bot.text import clean_input, fold
from handlers import about, events, lists, places, products, staff, start, subscriptions
from handlers.context import Context

log = logging.getLogger(__name__)

MAX_TEXT = 300  # longer messages are cut: no product name is near this long

# Folded phrases that decide the job. Checked on whole words, longest lists first.
STAR_QUESTION = (
    "may sao", "bao nhieu sao", "how many star", "how many stars", "co phai", "that khong", "co that",
    "really", "is it ocop", "la ocop", "co dat", "dat ocop", "certified", "what star", "which star",
    "star rating", "hang sao", "xep hang", "is ocop", "ocop khong",
)  # fmt: skip
ABOUT = {
    "count": ("bao nhieu san pham", "how many products", "co bao nhieu", "so luong san pham", "ocop la gi",
              "what is ocop", "chuong trinh ocop", "about ocop", "gioi thieu ocop", "thong ke"),
    "stars": ("sao nghia la gi", "sao la gi", "what do the stars mean", "stars mean", "y nghia sao", "cach cham diem",
              "what does 3 star mean", "star mean"),
    "certifier": ("ai cap", "ai cong nhan", "who certifies", "who certified", "co quan nao", "ai cham"),
    "validity": ("bao lau", "how long", "hieu luc", "thoi han", "het han", "expire", "valid for"),
    "merger": ("sap nhap", "merger", "merged", "yen bai cu"),
}  # fmt: skip
EVENTS = ("hoi cho", "tuan le", "tuan hang", "su kien", "le hoi", "festival", "fair", "fairs", "trade week", "events",
          "event", "trien lam", "expo")  # fmt: skip
NEAR = ("gan day", "gan toi", "gan nhat", "near me", "nearby", "nearest", "xung quanh", "quanh day")
NEAR_NAMED = re.compile(r"^(?:gan|near|around|o gan|quanh)\s+(.+)$")
PLACES = ("diem ban", "cho ban", "cua hang", "dia diem mua", "noi ban", "where to buy ocop", "shops", "stores",
          "places to buy", "diem gioi thieu")  # fmt: skip
GREETINGS = {"hi", "hello", "hey", "xin chao", "chao", "alo", "start", "menu", "bat dau", "chao ban", "hello bot"}
HELP = {"help", "giup", "huong dan", "tro giup", "?", "giup do"}
LANG_WORDS = {"english": "en", "tieng anh": "en", "tieng viet": "vi", "vietnamese": "vi", "ngon ngu": None,
              "language": None}  # fmt: skip
SUBSCRIBE = {"subscribe", "dang ky", "dang ki", "nhan tin", "theo doi"}
UNSUBSCRIBE = {"unsubscribe", "huy dang ky", "huy dang ki", "huy", "stop", "dung", "bo theo doi"}
FORGET = {"forget", "forget me", "xoa du lieu", "xoa thong tin", "xoa toi", "quen toi"}


def _has(folded: str, phrases) -> bool:
    padded = f" {folded} "
    return any(f" {p} " in padded for p in phrases)


class Router:
    def __init__(self, services: Services) -> None:
        self.services = services
        # The language of the last reply per chat: a pressed button or a typed "2" carries no
        # words to guess from, so it continues in the language the list was shown in.
        self._last_language: OrderedDict[tuple[str, str], str] = OrderedDict()

    async def handle(self, request: Request) -> list[Reply]:
        text = clean_input(request.text, MAX_TEXT * 4)
        truncated = len(text) > MAX_TEXT
        text = text[:MAX_TEXT]
        stored = await self.services.repo.user_language(request.platform, request.user_id)
        chat = (request.platform, request.chat_id)
        hint = request.language
        if stored is None and hint is None and (request.action or not fold(text)):
            hint = self._last_language.get(chat)
        lang = pick_language(stored, hint, text, self.services.config.bot.default_language)
        snapshot = await self.services.catalogue.get()
        ctx = Context(self.services, request, lang, snapshot)
        replies = await self._dispatch(ctx, request, text)
        if truncated:
            replies.insert(0, Reply(ctx.t("input.truncated", n=MAX_TEXT), language=ctx.lang))
        self._remember_language(chat, ctx.lang)
        return replies

    def _remember_language(self, chat: tuple[str, str], lang: str) -> None:
        self._last_language[chat] = lang
        self._last_language.move_to_end(chat)
        while len(self._last_language) > 10_000:
            self._last_language.popitem(last=False)

    async def _dispatch(self, ctx: Context, request: Request, text: str) -> list[Reply]:
        if request.action:
            return await self.action(ctx, request.action)
        if request.location is not None:
            return await places.nearest(ctx, request.location)
        if request.attachment is not None:
            return await staff.upload(ctx)
        if request.command:
            return await self.command(ctx, request.command.lower(), text)
        return await self.free_text(ctx, text)

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
            return await start.set_language(ctx, lang) if lang in ("vi", "en") else await start.language_menu(ctx)
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
        return [Reply(ctx.t("command.unknown", command=command[:32]), language=ctx.lang)]

    async def action(self, ctx: Context, action: str) -> list[Reply]:
        parts = action.split(":")
        try:
            kind = parts[0]
            if kind == "p":
                return await products.card(ctx, int(parts[1]))
            if kind in ("b", "m"):
                return await products.where_to_buy(ctx, int(parts[1]), pins=kind == "m")
            if kind == "q":
                text = await self.services.repo.saved_query(int(parts[1]))
                if text is None:
                    return [Reply(ctx.t("action.expired"), language=ctx.lang)]
                return await products.search(ctx, text, page=int(parts[2]))
            if kind == "l":
                return await lists.listing(ctx, parts[1], parts[2], parts[3], int(parts[4]))
            if kind == "pl":
                return await places.by_area(ctx, parts[1], int(parts[2]))
            if kind == "nr":
                return await places.nearest(ctx, Location(float(parts[1]), float(parts[2])), int(parts[3]))
            if kind == "lang":
                return await start.set_language(ctx, parts[1])
            if kind == "about":
                return await about.about(ctx, parts[1] if parts[1] in about.TOPICS else "count")
            if kind == "menu":
                return await self._menu(ctx, parts[1])
            if kind == "sub":
                return await subscriptions.subscribe(ctx)
            if kind == "ann":
                broadcast_id = int(parts[2])
                return await (staff.confirm(ctx, broadcast_id) if parts[1] == "ok" else staff.cancel(ctx, broadcast_id))
            if kind == "imp":
                import_id = int(parts[2])
                return await staff.apply_upload(
                    ctx, import_id, remove_missing=parts[1] == "rm", cancel=parts[1] == "no"
                )
        except (IndexError, ValueError):
            pass
        log.info("unknown action %r", action[:64])
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

    async def free_text(self, ctx: Context, text: str) -> list[Reply]:
        folded = fold(text)
        if not folded:
            key = "input.empty" if not text.strip() else "input.no_words"
            return [Reply(ctx.t(key), start.main_menu(ctx), language=ctx.lang)]
        if text.strip().startswith("/"):
            command, _, args = text.strip()[1:].partition(" ")
            return await self.command(ctx, command.split("@")[0], args)
        if folded in GREETINGS:
            return await start.start(ctx)
        if folded in HELP:
            return await start.help_(ctx)
        if folded in LANG_WORDS:
            lang = LANG_WORDS[folded]
            return await start.set_language(ctx, lang) if lang else await start.language_menu(ctx)
        if staff.is_yes(text):
            confirmed = await staff.confirm_latest(ctx)
            if confirmed is not None:
                return confirmed
        if folded in SUBSCRIBE:
            return await subscriptions.subscribe(ctx)
        if folded in UNSUBSCRIBE:
            return await subscriptions.unsubscribe(ctx)
        if folded in FORGET:
            return await subscriptions.forget(ctx)
        for topic, phrases in ABOUT.items():
            if _has(folded, phrases) and (topic != "validity" or not ctx.snapshot.index.search(text).hits):
                return await about.about(ctx, topic)
        if _has(folded, NEAR):
            return await places.menu(ctx)
        named = NEAR_NAMED.match(folded)
        if named:
            found = await places.near_named(ctx, named.group(1))
            if found is not None:
                return found
        if _has(folded, STAR_QUESTION):
            return await products.star_question(ctx, text)
        if _has(folded, EVENTS):
            return await events.events(ctx)
        if _has(folded, PLACES) and not ctx.snapshot.index.search(text).hits:
            return await places.menu(ctx)
        return await products.search(ctx, text)
