"""Fair announcements on request, and forgetting a person entirely."""

from __future__ import annotations

import dataclasses

from bot.replies import Reply
from handlers.actions import Action, action
from handlers.context import Context
from handlers.staff import is_staff


@action("sub")
@dataclasses.dataclass(frozen=True)
class Subscribe(Action):
    """The "subscribe" button (no fields: "sub")."""


async def subscribe(ctx: Context) -> list[Reply]:
    request = ctx.request
    added = await ctx.services.repo.subscribe(request.platform, request.chat_id, ctx.lang)
    return [Reply(ctx.t("sub.done" if added else "sub.already"), language=ctx.lang)]


def group_admin_needed(ctx: Context) -> list[Reply] | None:
    """In a group, unsubscribing or forgetting the chat is for its admins (and OCOP staff): a
    polite refusal for anyone else, and when the platform cannot tell who administers the group
    (Zalo)."""
    request = ctx.request
    if not request.is_group or request.is_group_admin or is_staff(ctx):
        return None
    return [Reply(ctx.t("sub.group_admin_only"), language=ctx.lang)]


async def unsubscribe(ctx: Context) -> list[Reply]:
    request = ctx.request
    refused = group_admin_needed(ctx)
    if refused:
        return refused
    removed = await ctx.services.repo.unsubscribe(request.platform, request.chat_id)
    return [Reply(ctx.t("sub.removed" if removed else "sub.not_subscribed"), language=ctx.lang)]


async def forget(ctx: Context) -> list[Reply]:
    request = ctx.request
    refused = group_admin_needed(ctx)
    if refused:
        return refused
    await ctx.services.repo.forget(request.platform, request.user_id, request.chat_id)
    return [Reply(ctx.t("forget.done"), language=ctx.lang, kind="forget")]
