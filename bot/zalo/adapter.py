"""The Zalo chat: one `ZaloUpdate` in, plain-text messages out, through the shared Router.

Zalo has no buttons, so the last numbered list of each chat is kept in SQLite
(`choice_sessions`): "2" still means item 2 after a restart, until
`[bot] choice_ttl_minutes` runs out. Polling and webhooks both call `ZaloBot.handle`.
"""

from __future__ import annotations

import asyncio
import logging

from bot.numbered import chosen_number
from bot.replies import Reply, Request
from bot.services import Services
from bot.text import fold
from bot.zalo.client import ZaloClient
from bot.zalo.errors import ZaloForbidden, ZaloRateLimited
from bot.zalo.render import render_reply
from bot.zalo.types import ZaloUpdate
from handlers.router import Router

log = logging.getLogger(__name__)

PLATFORM = "zalo"
TEXT_EVENT = "message.text.received"
NO_SESSION_AGE = float("inf")  # load_choices with this age tells "expired" from "never had a list"


class ZaloBot:
    def __init__(
        self,
        services: Services,
        client: ZaloClient,
        *,
        send_attempts: int = 3,
        max_retry_after: float = 30.0,
    ) -> None:
        self.services = services
        self.client = client
        self.router = Router(services)
        self.send_attempts = send_attempts
        self.max_retry_after = max_retry_after

    @property
    def choice_ttl_seconds(self) -> float:
        return self.services.config.bot.choice_ttl_minutes * 60.0

    async def handle(self, update: ZaloUpdate) -> None:
        """Answer one update. Send failures propagate: the poller or webhook worker logs them."""
        replies = await self.replies_for(update)
        await self.send_replies(update.chat_id, replies)

    async def replies_for(self, update: ZaloUpdate) -> list[Reply]:
        if update.event_name != TEXT_EVENT or update.text is None:
            # Images, stickers, voice, "unsupported" (protected senders): we only read text.
            return [await self._own_text(update.user_id, "zalo.non_text")]
        request = await self._request(update)
        if isinstance(request, Reply):
            return [request]
        try:
            return await self.router.handle(request)
        except Exception:
            # A handler bug must still leave the user with an answer, and the loop alive.
            log.exception("zalo: handler failed for message %s", update.message_id)
            return [await self._own_text(update.user_id, "error.generic")]

    async def _request(self, update: ZaloUpdate) -> Request | Reply:
        """The neutral request, or a ready reply when a typed number cannot be used."""
        text = update.text or ""
        number = chosen_number(text)
        if number is not None:
            actions = await self._choices(update.chat_id)
            if actions is None:
                if await self.services.repo.load_choices(PLATFORM, update.chat_id, NO_SESSION_AGE) is not None:
                    return await self._own_text(update.user_id, "choice.expired")
                return _request(update, text=text)  # no list was ever shown: just text
            if not 1 <= number <= len(actions):
                key = "choice.out_of_range_one" if len(actions) == 1 else "choice.out_of_range"
                return await self._own_text(update.user_id, key, n=number, max=len(actions))
            return _request(update, action=actions[number - 1][0])
        action = await self._label_choice(update.chat_id, text)
        if action is not None:
            return _request(update, action=action)
        return _request(update, text=text)

    async def _choices(self, chat_id: str) -> list[tuple[str, str]] | None:
        """The chat's last list as (action, label) pairs, or None when absent or expired."""
        stored = await self.services.repo.load_choices(PLATFORM, chat_id, self.choice_ttl_seconds)
        return None if stored is None else [_unpack(entry) for entry in stored]

    async def _label_choice(self, chat_id: str, text: str) -> str | None:
        """Typing an option's words ("nơi mua", "tiếp") picks it, like typing its number."""
        folded = fold(text)
        if not folded or len(folded) > 60:
            return None
        matches = [action for action, label in await self._choices(chat_id) or () if fold(label) == folded]
        return matches[0] if len(matches) == 1 else None

    async def _own_text(self, user_id: str, key: str, **values: object) -> Reply:
        lang = await self.language(user_id)
        return Reply(self.services.i18n.t(lang, key, **values), language=lang)

    async def language(self, user_id: str) -> str:
        stored = await self.services.repo.user_language(PLATFORM, user_id)
        return stored if stored in ("vi", "en") else self.services.config.bot.default_language

    async def send_replies(self, chat_id: str, replies: list[Reply]) -> None:
        rendered = [render_reply(reply, self.services.i18n) for reply in replies]
        with_choices = next((reply for reply in reversed(replies) if reply.choices), None)
        for item in rendered:
            for text in item.messages:
                if not await self.send(chat_id, text):
                    return
        if with_choices is not None:
            # Saved once the list is out, so the reply never waits on a write (a staff import
            # holds the write lock for its whole transaction). The chat's next message, the
            # "2", is handled only after this one is done (one update per chat at a time).
            entries = [_pack(choice.action, choice.label) for choice in with_choices.choices]
            await self.services.repo.save_choices(PLATFORM, chat_id, entries)

    async def send(self, chat_id: str, text: str) -> bool:
        """Send one message; False when the chat refuses us (the rest of the answer is skipped)."""
        for attempt in range(1, self.send_attempts + 1):
            try:
                await self.client.send_message(chat_id, text)
                return True
            except ZaloRateLimited as exc:
                if attempt == self.send_attempts:
                    raise
                await asyncio.sleep(min(exc.retry_after or float(attempt), self.max_retry_after))
            except ZaloForbidden:
                # Blocked or otherwise closed chat: stop announcing to it, as broadcasts do.
                log.info("zalo: chat %s refuses messages; marked inactive", chat_id)
                await self.services.repo.mark_inactive(PLATFORM, chat_id, "forbidden")
                return False
        return False  # not reached: the last attempt returns or raises


def _request(update: ZaloUpdate, *, text: str = "", action: str | None = None) -> Request:
    # No language hint: Zalo sends none; the Router uses the stored choice, else guesses, else vi.
    return Request(
        PLATFORM, update.chat_id, update.user_id, text=text, action=action, display_name=update.display_name,
        is_group=update.chat_type == "GROUP",
    )  # fmt: skip


# The label rides along with each stored action ("p:12\x1fMật ong ..."), so typing an
# option's words works too, without a schema change; actions are ASCII, never \x1f.
_SEP = "\x1f"


def _pack(action: str, label: str) -> str:
    return f"{action}{_SEP}{label}"


def _unpack(entry: str) -> tuple[str, str]:
    action, _, label = entry.partition(_SEP)
    return action, label
