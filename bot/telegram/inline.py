"""Inline mode: `@bot query` in any chat offers product cards, each linking back to the bot."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
)

from bot.i18n import pick_language
from bot.replies import Request
from bot.services import Services
from bot.telegram.convert import PLATFORM
from bot.telegram.render import NO_PREVIEW, split_text
from bot.text import clean_input, fold
from handlers.context import Context
from handlers.products import card_reply

MAX_RESULTS = 10
CACHE_SECONDS = 60


def deep_link(bot_username: str, product_id: int) -> str:
    return f"https://t.me/{bot_username}?start=p_{product_id}"


async def inline_results(services: Services, query: InlineQuery, bot_username: str) -> list[InlineQueryResultArticle]:
    text = clean_input(query.query, 256)
    if not fold(text):
        return []
    user = query.from_user
    stored = await services.repo.user_language(PLATFORM, str(user.id))
    lang = pick_language(stored, user.language_code, text, services.config.bot.default_language)
    snapshot = await services.catalogue.get()
    request = Request(PLATFORM, str(user.id), str(user.id), text=text, language=user.language_code)
    ctx = Context(services, request, lang, snapshot)
    results = []
    for hit in snapshot.index.search(text, limit=MAX_RESULTS).hits[:MAX_RESULTS]:
        card = card_reply(ctx, hit.product).share
        if card is None:
            continue
        button = InlineKeyboardButton(ctx.t("button.open_bot"), url=deep_link(bot_username, card.product_id))
        results.append(
            InlineQueryResultArticle(
                id=str(card.product_id),
                title=card.title,
                description=card.description,
                input_message_content=InputTextMessageContent(
                    split_text(card.text)[0], link_preview_options=NO_PREVIEW
                ),
                reply_markup=InlineKeyboardMarkup([[button]]),
            )
        )
    return results
