"""Greeting, help and the language switch."""

from __future__ import annotations

from bot.i18n import LANGUAGES
from bot.replies import Choice, Reply
from handlers.context import Context


def main_menu(ctx: Context) -> tuple[Choice, ...]:
    return (
        Choice(ctx.t("menu.search"), "menu:search"),
        Choice(ctx.t("menu.stars"), "menu:stars"),
        Choice(ctx.t("menu.near"), "menu:near"),
        Choice(ctx.t("menu.events"), "menu:events"),
        Choice(ctx.t("menu.about"), "about:count"),
        Choice(ctx.t("menu.language"), "menu:lang"),
    )


async def start(ctx: Context) -> list[Reply]:
    total = len(ctx.snapshot.catalogue.products)
    return [Reply(ctx.t("start.greeting", total=total), main_menu(ctx), language=ctx.lang, kind="help")]


async def help_(ctx: Context) -> list[Reply]:
    return [Reply(ctx.t(f"help.{ctx.request.platform}"), main_menu(ctx), language=ctx.lang, kind="help")]


async def language_menu(ctx: Context) -> list[Reply]:
    choices = (
        Choice("🇻🇳 Tiếng Việt", "lang:vi"),
        Choice("🇬🇧 English", "lang:en"),
        Choice("🇨🇳 中文", "lang:zh"),
        Choice("🇰🇷 한국어", "lang:ko"),
    )
    return [Reply(ctx.t("lang.choose"), choices, language=ctx.lang)]


async def set_language(ctx: Context, lang: str) -> list[Reply]:
    if lang not in LANGUAGES:
        return await language_menu(ctx)
    await ctx.services.repo.set_user_language(ctx.request.platform, ctx.request.user_id, lang)
    ctx.lang = lang
    return [Reply(ctx.t("lang.set"), main_menu(ctx), language=lang, kind="language")]
