"""Telegram as one isolated platform of the runtime: it starts, fails and recovers on its own.

Modes: `polling` (`ocop-bot telegram`: `InboxPoller` writes updates to the durable inbox),
`webhook` (`ocop-bot serve` writes them there through the webhook), `send` (`ocop-bot
sender`: a Bot for announcements, no updates). In both receiving modes the inbox workers
answer from the inbox, so an update taken from Telegram is answered once Telegram takes
answers again, also after a restart.

Start-up runs in the background (`keep_reachable`): while the Bot API cannot be reached,
it is retried with capped exponential backoff and the state is logged once per change;
only a rejected token (401/404 to getMe) disables the platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from telegram import Bot, Update
from telegram.error import InvalidToken

from bot.health import DISABLED, Backoff, SupervisedPlatform, TokenRejected, end_task
from bot.services import Services
from bot.telegram.app import ALLOWED_UPDATES, build_application
from bot.telegram.network import TOKEN_REJECTED, ObservedRequest
from bot.telegram.poller import InboxPoller
from bot.transports import TelegramTransport
from bot.web.workers import InboxWorkers

log = logging.getLogger(__name__)


class TelegramPlatform(SupervisedPlatform):
    name = "telegram"

    def __init__(
        self,
        services: Services,
        token: str,
        *,
        poll_timeout: int = 10,
        max_pending: int = 10_000,
        **common: Any,  # mode, health, stop, retry_delays: see SupervisedPlatform
    ) -> None:
        super().__init__(**common)
        self.poll_timeout = poll_timeout
        self.max_pending = max_pending
        self.application = None
        if self.mode == "send":
            section = services.config.telegram
            self.bot: Bot = Bot(
                token,
                base_url=section.base_url,
                base_file_url=section.base_file_url,
                request=ObservedRequest(self.health, connection_pool_size=16),
            )
        else:
            self.application = build_application(services, token, polling=self.mode == "polling", health=self.health)
            self.application.bot_data["requeue"] = self.requeue
            self.bot = self.application.bot
        self.transport = TelegramTransport(self.bot)
        self.services = services
        self._from_inbox: set[int] = set()  # update ids being answered from the inbox
        self._failed: set[int] = set()  # ... whose answer Telegram did not take
        self._initialized = False
        self._post_init_done = False
        self._polling: tuple[InboxWorkers, asyncio.Task[None]] | None = None

    # -- lifecycle ---------------------------------------------------------------------

    async def _run(self) -> None:
        if self.mode == "polling":
            await self._start_polling()  # the poller retries getUpdates by itself: no probe
        await self._keep_reachable(self._start_once, None if self.mode == "polling" else self._probe)

    async def _start_polling(self) -> None:
        workers = self.inbox_workers(max_pending=self.max_pending)
        await workers.start()
        first, longest = self.retry_delays
        poller = InboxPoller(
            self.bot, workers, self.stop, health=self.health, ready=self._started,
            on_token_rejected=lambda: self.health.reject(TOKEN_REJECTED), poll_timeout=self.poll_timeout,
            allowed_updates=ALLOWED_UPDATES, backoff=Backoff(first, longest),
        )  # fmt: skip
        self._polling = (workers, asyncio.create_task(poller.run(), name="telegram-poller"))

    async def close(self, grace: float | None = 1.0) -> None:
        """Stop polling, answer what is in flight, shut the application down."""
        await super().close(grace)
        if self._polling is not None:
            workers, poller = self._polling
            await end_task(poller, 0.0)  # a poll abandoned loses nothing: it is not confirmed
            await workers.stop()
            self._polling = None
        app = self.application
        if app is None:
            with contextlib.suppress(Exception):
                await self.bot.shutdown()
            return
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()  # answers what is left in update_queue first
        if self._initialized:
            await app.shutdown()
            if app.post_shutdown is not None:
                await app.post_shutdown(app)
        else:
            with contextlib.suppress(Exception):
                await app.bot.shutdown()  # the HTTP clients opened by a failed start

    async def _start_once(self) -> None:
        try:
            if self.application is None:
                await self.bot.initialize()  # getMe
                return
            app = self.application
            await app.initialize()  # getMe
            self._initialized = True
            if not self._post_init_done and app.post_init is not None:
                await app.post_init(app)  # the command menus
            self._post_init_done = True
            if self.mode == "polling":
                await app.bot.delete_webhook()  # getUpdates is refused (409) while a webhook is set
            if not app.running:
                await app.start()
        except InvalidToken:
            raise TokenRejected(TOKEN_REJECTED) from None

    async def _probe(self) -> None:
        try:
            await self.bot.get_me()
        except InvalidToken:
            raise TokenRejected(TOKEN_REJECTED) from None

    # -- updates -----------------------------------------------------------------------

    def accepts(self) -> bool:
        """Can a webhook update be taken now? (Not when the token was rejected.)"""
        return self.health.state != DISABLED

    def inbox_workers(self, *, max_pending: int = 10_000, concurrency: int = 8) -> InboxWorkers:
        """The workers that answer webhook updates from the durable inbox (`ocop-bot serve`)."""
        return InboxWorkers(
            "telegram", self.services.repo.inbox, self.answer_stored, ready=self._can_answer, health=self.health,
            concurrency=concurrency, max_pending=max_pending,
            expire_after=self.services.config.web.inbox_answer_hours * 3600,
        )  # fmt: skip

    def _started(self) -> bool:
        # Polling goes on while answers fail: getUpdates is what tells that Telegram is back.
        return self.application is not None and self._initialized and self.application.running

    def _can_answer(self) -> bool:
        return self.application is not None and self.health.ok and self._initialized and self.application.running

    async def answer_stored(self, payload: str) -> bool:
        """Answer one update from the inbox; False when Telegram did not take the answer."""
        assert self.application is not None
        update = Update.de_json(json.loads(payload), self.bot)
        self._from_inbox.add(update.update_id)
        try:
            await self.application.process_update(update)
        finally:
            self._from_inbox.discard(update.update_id)
        if update.update_id in self._failed:
            self._failed.discard(update.update_id)
            return False
        return True

    def requeue(self, update: object) -> bool:
        """An answer failed on the network: the update stays pending in the inbox and is
        answered again once Telegram takes answers (no apology: it could not arrive either)."""
        if isinstance(update, Update) and update.update_id in self._from_inbox:
            self._failed.add(update.update_id)
            return True
        return False

    # -- webhook registration ----------------------------------------------------------

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(url=url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES))
