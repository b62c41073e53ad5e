"""Builds the PTB Application (all handler registration is here); `running` polls with it.

The runtime runs it through `bot.telegram.platform.TelegramPlatform`; `running` is the
same for tests and benchmarks that want the Application without the rest of a process.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import AsyncIterator
from datetime import timedelta

from telegram import BotCommand
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.health import PlatformHealth
from bot.i18n import LANGUAGES
from bot.services import Services
from bot.telegram.convert import KNOWN_COMMANDS, MENU_COMMANDS
from bot.telegram.network import ChatOrderedProcessor, ObservedRequest, RetryingRateLimiter
from bot.telegram.updates import Callbacks
from handlers.router import Router

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ("message", "callback_query", "inline_query", "my_chat_member")
TELEGRAM_OVERALL_RATE = 30.0  # messages/s, Telegram's published bulk limit
POOL_TIMEOUT = 10.0  # seconds to wait for a free connection (PTB's 1 s default drops replies under load)


def build_application(
    services: Services,
    token: str,
    *,
    overall_rate: float | None = TELEGRAM_OVERALL_RATE,
    concurrency: int = 64,
    connections: int = 8,
    polling: bool = True,
    health: PlatformHealth | None = None,
) -> Application:
    """The Application for `services` (built once by the composition root, never here).

    `concurrency` updates are handled at once (one at a time per chat); `connections` HTTP
    requests are in flight at once. 8 keeps up with Telegram's ~30 msg/s at a 250 ms round
    trip; more connections cost CPU in httpcore's pool bookkeeping (quadratic in its size).
    `overall_rate=None` lifts our own global send limit (benchmarks against a local
    server); per-group limits and 429 handling stay. `polling=False` builds it without an
    Updater, for a webhook server that puts updates on `application.update_queue` itself.
    `health`, when given, follows the outcome of every Bot API call (see `ObservedRequest`).
    """
    # RetryAfter.retry_after as a timedelta, without PTB's deprecation warning on every 429.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    section = services.config.telegram
    limiter = RetryingRateLimiter(max_in_flight=connections, max_retries=3, overall_max_rate=overall_rate or 0)
    builder = Application.builder()
    builder = (
        builder.get_updates_request(ObservedRequest(health, connection_pool_size=1))
        if polling
        else builder.updater(None)
    )
    application = (
        builder.token(token)
        .base_url(section.base_url)
        .base_file_url(section.base_file_url)
        .rate_limiter(limiter)
        .concurrent_updates(ChatOrderedProcessor(concurrency))
        .request(ObservedRequest(health, connection_pool_size=connections, pool_timeout=POOL_TIMEOUT))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    callbacks = Callbacks(services, Router(services))
    application.bot_data["services"] = services
    message = filters.UpdateType.MESSAGE  # edited messages are not answered again
    application.add_handlers(
        [
            CommandHandler(KNOWN_COMMANDS, callbacks.on_message, filters=message),
            MessageHandler(message & filters.TEXT, callbacks.on_message),  # free text, other commands
            MessageHandler(message & filters.LOCATION, callbacks.on_message),
            MessageHandler(message & filters.Document.ALL, callbacks.on_message),  # staff catalogue sheets
            CallbackQueryHandler(callbacks.on_callback),
            InlineQueryHandler(callbacks.on_inline_query),
            ChatMemberHandler(callbacks.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
        ]
    )
    application.add_error_handler(callbacks.on_error)
    return application


async def _post_init(application: Application) -> None:
    """Per-language command menus: Vietnamese, English, and the default for everyone else."""
    services: Services = application.bot_data["services"]
    i18n = services.i18n

    def commands(lang: str) -> list[BotCommand]:
        return [BotCommand(name, i18n.t(lang, f"telegram.cmd_{name}")) for name in MENU_COMMANDS]

    for lang in LANGUAGES:
        await application.bot.set_my_commands(commands(lang), language_code=lang)
    await application.bot.set_my_commands(commands(services.config.bot.default_language))
    log.info("telegram bot @%s ready", application.bot.username)


async def _post_shutdown(application: Application) -> None:
    # The services belong to the composition root, which closes them; nothing else is held.
    log.info("telegram bot stopped")


@contextlib.asynccontextmanager
async def running(application: Application, *, poll_timeout: int = 10) -> AsyncIterator[Application]:
    """Initialise, start long polling, and stop everything cleanly on exit.

    `run_polling` cannot run inside an event loop that is already running (ours), so this
    is its manual equivalent, post_init and post_shutdown included.
    """
    updater = application.updater
    assert updater is not None
    async with application:  # initialize() ... shutdown()
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        await updater.start_polling(
            poll_interval=0, timeout=timedelta(seconds=poll_timeout), allowed_updates=list(ALLOWED_UPDATES)
        )
        try:
            yield application
        finally:
            if updater.running:
                await updater.stop()
            if application.running:
                await application.stop()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)
