"""Small talk and what the bot cannot help with: short, friendly, in the person's language."""

from __future__ import annotations

from bot.replies import Reply
from handlers import start
from handlers.context import Context

# The first small-talk intent of a message decides the answer; a greeting gets the welcome.
# Thanks before help: "cảm ơn, giúp được nhiều lắm" thanks for the help.
ORDER = (
    "greeting",
    "thanks",
    "compliment",
    "bye",
    "help",
    "who_are_you",
    "speak_language",
    "dont_understand",
    "no",
    "today",
    "ok",
)


async def reply(ctx: Context, intents: list[str]) -> list[Reply]:
    present = set(intents)
    intent = next((i for i in ORDER if i in present), "ok")
    if intent == "greeting":
        (welcome,) = await start.start(ctx)
        return [_kind(welcome, "smalltalk")]
    if intent == "help":
        (help_reply,) = await start.help_(ctx)
        return [_kind(help_reply, "help")]
    if intent == "today":  # "hôm nay thứ mấy"
        today = ctx.services.today()
        text = ctx.t("chat.today", day=ctx.t(f"days.{today.weekday()}"), date=today.strftime("%d/%m/%Y"))
        return [Reply(text, language=ctx.lang, kind="smalltalk")]
    if intent == "thanks" and "bye" in present:
        intent = "bye"
    return [Reply(ctx.t(f"chat.{intent}"), start.main_menu(ctx) if intent == "dont_understand" else (),
                  language=ctx.lang, kind="smalltalk")]  # fmt: skip


def aside(ctx: Context, intents: list[str]) -> Reply:
    """A short "you're welcome" or "bye" beside answers: the long one would bury them."""
    key = "chat.bye_aside" if "bye" in intents else "chat.thanks_aside"
    return Reply(ctx.t(key), language=ctx.lang, kind="smalltalk")


def out_of_scope(ctx: Context, *, aside: bool = False, first: bool = False) -> Reply:
    """`aside`: the off-topic part of a message whose other questions were answered; `first`: it
    was asked before them."""
    key = ("chat.out_of_scope_first" if first else "chat.out_of_scope_aside") if aside else "chat.out_of_scope"
    return Reply(ctx.t(key), language=ctx.lang, kind="out_of_scope")


def unread(ctx: Context) -> Reply:
    return Reply(ctx.t("chat.unread"), language=ctx.lang, kind="smalltalk")


def not_understood(ctx: Context, original: str) -> Reply:
    return Reply(ctx.t("chat.not_understood", query=original[:80]), start.main_menu(ctx), language=ctx.lang,
                 kind="smalltalk")  # fmt: skip


def which_product(ctx: Context) -> Reply:
    """A question about "it" with no product named and none shown before."""
    return Reply(ctx.t("chat.which_product"), language=ctx.lang, kind="help")


def _kind(reply: Reply, kind: str) -> Reply:
    from dataclasses import replace

    return replace(reply, kind=kind)
