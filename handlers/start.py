"""Greeting, help and the language switch."""

from __future__ import annotations

import dataclasses
from typing import Literal

from bot.i18n import LANGUAGES
from bot.replies import Choice, Reply
from handlers.about import AboutTopic
from handlers.actions import Action, action
from handlers.context import Context


@action("menu")
@dataclasses.dataclass(frozen=True)
class Menu(Action):
    """A main-menu entry ("start": the greeting and menu again)."""

    item: Literal["search", "stars", "near", "events", "lang", "start"]


@action("lang")
@dataclasses.dataclass(frozen=True)
class SetLanguage(Action):
    lang: Literal["vi", "en", "zh", "ko"]


def main_menu(ctx: Context) -> tuple[Choice, ...]:
    return (
        Choice(ctx.t("menu.search"), Menu("search").pack()),
        Choice(ctx.t("menu.stars"), Menu("stars").pack()),
        Choice(ctx.t("menu.near"), Menu("near").pack()),
        Choice(ctx.t("menu.events"), Menu("events").pack()),
        Choice(ctx.t("menu.about"), AboutTopic("count").pack()),
        Choice(ctx.t("menu.language"), Menu("lang").pack()),
    )


async def start(ctx: Context) -> list[Reply]:
    total = len(ctx.snapshot.catalogue.products)
    return [Reply(ctx.t("start.greeting", total=total), main_menu(ctx), language=ctx.lang, kind="help")]


async def help_(ctx: Context) -> list[Reply]:
    return [Reply(ctx.t(f"help.{ctx.request.platform}"), main_menu(ctx), language=ctx.lang, kind="help")]


async def language_menu(ctx: Context) -> list[Reply]:
    choices = (
        Choice("🇻🇳 Tiếng Việt", SetLanguage("vi").pack()),
        Choice("🇬🇧 English", SetLanguage("en").pack()),
        Choice("🇨🇳 中文", SetLanguage("zh").pack()),
        Choice("🇰🇷 한국어", SetLanguage("ko").pack()),
    )
    return [Reply(ctx.t("lang.choose"), choices, language=ctx.lang)]


async def set_language(ctx: Context, lang: str) -> list[Reply]:
    if lang not in LANGUAGES:
        return await language_menu(ctx)
    await ctx.services.repo.set_user_language(ctx.request.platform, ctx.request.user_id, lang)
    ctx.lang = lang
    return [Reply(ctx.t("lang.set"), main_menu(ctx), language=lang, kind="language")]
