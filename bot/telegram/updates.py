"""The PTB callbacks: convert, check flood, ask the Router, render. Stateless apart from the flood gate."""

from __future__ import annotations

import dataclasses
import logging
import traceback
from collections.abc import Sequence

from telegram import Bot, CallbackQuery, ChatMember, Update, User
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import ContextTypes

from bot.i18n import pick_language
from bot.redaction import redact
from bot.replies import Attachment, Reply, Request
from bot.services import Services
from bot.telegram import convert, inline, render
from bot.telegram.convert import PLATFORM
from bot.telegram.flood import FloodGate, Verdict
from handlers.router import Router

log = logging.getLogger(__name__)


class Callbacks:
    def __init__(self, services: Services, router: Router) -> None:
        self.services = services
        self.router = router
        section = services.config.telegram
        self.flood = FloodGate(section.flood_messages, section.flood_window_seconds)

    # -- updates ----------------------------------------------------------------------

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message is None:
            return
        bot = context.bot
        if message.document is not None and convert.is_private(message):
            request = await self._upload_request(message)
        else:
            request = convert.message_request(message, bot.id, bot.username)
        if request is None:
            return
        private = convert.is_private(message)
        if not await self._admit(bot, request, message.chat.id, private):
            return
        if not private and self.router.changes_the_group(request):
            request = dataclasses.replace(request, is_group_admin=await self._is_admin(bot, message.chat.id, request))
        replies = await self.router.handle(request)
        await self._deliver(bot, message.chat.id, replies, private=private, quote=message.message_id)

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        await self._answer(query)  # first, and whatever happens next: the button stops spinning
        request = convert.callback_request(query)
        private = query.message is None or query.message.chat.type == "private"
        chat_id = int(request.chat_id)
        if not await self._admit(context.bot, request, chat_id, private):
            return
        replies = await self.router.handle(request)
        await self._deliver(context.bot, chat_id, replies, private=private)

    async def on_inline_query(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        if query is None:
            return
        results = await inline.inline_results(self.services, query, context.bot.username)
        await query.answer(results, cache_time=inline.CACHE_SECONDS, is_personal=True)

    async def on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        change = update.my_chat_member
        if change is None:
            return
        status = change.new_chat_member.status
        if status in (ChatMember.BANNED, ChatMember.LEFT):
            reason = "blocked" if change.chat.type == "private" else "removed"
            await self.services.repo.mark_inactive(PLATFORM, str(change.chat.id), reason)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        if error is None:
            return
        chat = update.effective_chat if isinstance(update, Update) else None
        if isinstance(error, Forbidden) and chat is not None:
            await self._mark_blocked(chat.id)
            return
        requeue = context.application.bot_data.get("requeue")
        if _network_trouble(error) and requeue is not None and requeue(update):
            # Telegram did not answer: the platform holds the update and answers it once
            # Telegram is back (no apology: it could not be delivered either).
            log.info("update %s held for another try: %s", getattr(update, "update_id", None), type(error).__name__)
            return
        token = context.bot.token
        printed = "".join(traceback.format_exception(error))
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("update %s failed: %s", update_id, redact(printed, token))
        if chat is None or not isinstance(update, Update):
            return
        try:
            lang = await self._language(update.effective_user)
            await context.bot.send_message(chat.id, self.services.i18n.t(lang, "error.generic"))
        except Forbidden:
            await self._mark_blocked(chat.id)
        except Exception as exc:  # the apology is best effort; the error is already logged
            log.warning("could not send the apology to chat %s: %s", chat.id, redact(str(exc), token))

    # -- helpers ----------------------------------------------------------------------

    async def _upload_request(self, message) -> Request | None:
        """A staff member's catalogue sheet. Only staff files are downloaded; anyone else's
        upload reaches the router empty and gets its polite refusal there."""
        document = message.document
        name = document.file_name or "upload"
        if not name.lower().endswith((".csv", ".xlsx", ".xlsm")):
            return None
        base = convert.message_request_base(message)
        content = b""
        if message.from_user and message.from_user.id in self.services.config.admins.telegram:
            if (document.file_size or 0) > self.services.config.import_.max_file_bytes:
                return Request(**base, attachment=Attachment(name, b"", too_large=True))
            file = await document.get_file()
            content = bytes(await file.download_as_bytearray())
        return Request(**base, attachment=Attachment(name, content))

    async def _is_admin(self, bot: Bot, chat_id: int, request: Request) -> bool | None:
        """Whether the sender administers this group (None when Telegram cannot tell us now)."""
        try:
            member = await bot.get_chat_member(chat_id, int(request.user_id))
        except (TelegramError, ValueError) as exc:
            log.info("getChatMember failed for chat %s: %s", chat_id, exc.__class__.__name__)
            return None
        return member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)

    async def _admit(self, bot: Bot, request: Request, chat_id: int, private: bool) -> bool:
        verdict = self.flood.check(request.user_id)
        if verdict is Verdict.WARN:
            log.info("flood control: user %s slowed down", request.user_id)
            stored = await self.services.repo.user_language(PLATFORM, request.user_id)
            lang = pick_language(stored, request.language, "", self.services.config.bot.default_language)
            text = self.services.i18n.t(lang, "error.slow_down")
            await self._deliver(bot, chat_id, [Reply(text, language=lang)], private=private)
        return verdict is Verdict.ALLOW

    async def _deliver(
        self, bot: Bot, chat_id: int, replies: Sequence[Reply], *, private: bool, quote: int | None = None
    ) -> None:
        try:
            for reply in replies:
                await render.send_reply(bot, chat_id, reply, self.services.i18n, private=private, quote=quote)
                quote = None
        except Forbidden:
            await self._mark_blocked(chat_id)

    async def _mark_blocked(self, chat_id: int) -> None:
        # Blocked (or removed from the group): never retried; announcements skip this chat.
        log.info("chat %s blocked the bot; marked inactive", chat_id)
        await self.services.repo.mark_inactive(PLATFORM, str(chat_id), "blocked")

    async def _answer(self, query: CallbackQuery) -> None:
        try:
            await query.answer()
        except TelegramError as exc:  # e.g. "query is too old": nothing left to do about it
            log.info("answerCallbackQuery failed: %s", exc)

    async def _language(self, user: User | None) -> str:
        default = self.services.config.bot.default_language
        if user is None:
            return default
        try:
            stored = await self.services.repo.user_language(PLATFORM, str(user.id))
        except Exception:  # the database may be what failed
            stored = None
        return pick_language(stored, user.language_code, "", default)


def _network_trouble(error: BaseException) -> bool:
    """No usable answer from Telegram (connection, timeout, 5xx), as opposed to a refusal."""
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)
