"""Telegram as one isolated platform of the runtime: it starts, fails and recovers on its own.

Modes: `polling` (`ocop-bot telegram`), `webhook` (`ocop-bot serve` feeds updates through
`submit`), `send` (`ocop-bot sender`: a Bot for announcements, no updates).

Start-up runs in the background (`keep_reachable`): while the Bot API cannot be reached,
it is retried with capped exponential backoff and the state is logged once per change;
only a rejected token (401/404 to getMe) disables the platform. Updates that cannot be
answered now are kept: in webhook mode in the durable inbox (`inbox_workers`, answered
from there once Telegram answers again, also after a restart); in polling mode an update
whose answer failed on the network is held in memory and handed back a few times.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict, deque
from datetime import timedelta
from typing import Any

from telegram import Bot, Update
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError

from bot.health import DISABLED, SupervisedPlatform, TokenRejected
from bot.services import Services
from bot.telegram.app import ALLOWED_UPDATES, build_application
from bot.telegram.network import TOKEN_REJECTED, ObservedRequest
from bot.transports import TelegramTransport
from bot.web.workers import InboxWorkers

log = logging.getLogger(__name__)

HOLD_CAPACITY = 10_000  # polled updates held for another try after a network failure
MAX_REPLAYS = 3  # times one update is handed back after its answer failed on the network
REPLAY_DELAY = 1.0  # seconds before a failed update is retried when Telegram already looks fine


class TelegramPlatform(SupervisedPlatform):
    name = "telegram"

    def __init__(
        self,
        services: Services,
        token: str,
        *,
        poll_timeout: int = 10,
        hold_capacity: int = HOLD_CAPACITY,
        **common: Any,  # mode, health, stop, retry_delays: see SupervisedPlatform
    ) -> None:
        super().__init__(**common)
        self.poll_timeout = poll_timeout
        self.hold_capacity = hold_capacity
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
        self._held: deque[Update] = deque()  # polling mode only
        self._from_inbox: set[int] = set()  # update ids being answered from the inbox
        self._failed: set[int] = set()  # ... whose answer Telegram did not take
        self._replays: OrderedDict[int, int] = OrderedDict()
        self._initialized = False
        self._post_init_done = False
        self._last_polling_error = ""

    # -- lifecycle ---------------------------------------------------------------------

    async def _run(self) -> None:
        polling = self.mode == "polling"  # then the Updater retries getUpdates by itself: no probe
        await self._keep_reachable(self._start_once, None if polling else self._probe, on_ok=self._flush)

    async def close(self, grace: float | None = 1.0) -> None:
        """Stop polling, answer what is queued, shut the application down."""
        await super().close(grace)
        if self._held:
            log.warning("telegram: %d held update(s) not answered at shutdown", len(self._held))
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
            if not app.running:
                await app.start()
            if app.updater is not None and not app.updater.running:
                await app.updater.start_polling(
                    poll_interval=0, timeout=timedelta(seconds=self.poll_timeout),
                    allowed_updates=list(ALLOWED_UPDATES), error_callback=self._polling_error,
                )  # fmt: skip
        except InvalidToken:
            raise TokenRejected(TOKEN_REJECTED) from None

    async def _probe(self) -> None:
        try:
            await self.bot.get_me()
        except InvalidToken:
            raise TokenRejected(TOKEN_REJECTED) from None

    def _polling_error(self, exc: TelegramError) -> None:
        # The Updater retries getUpdates by itself (backoff up to 30 s) and calls this on
        # every failure. Network trouble is already in `health`; anything else (409: a
        # webhook is set or another poller runs) is logged when it changes, not each time.
        if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):
            return
        text = f"{type(exc).__name__}: {exc}"
        if text != self._last_polling_error:
            self._last_polling_error = text
            log.warning("telegram: getUpdates failed (%s); retrying", text)

    # -- updates -----------------------------------------------------------------------

    @property
    def held(self) -> int:
        return len(self._held)

    def accepts(self) -> bool:
        """Can a webhook update be taken now? (Not when the token was rejected.)"""
        return self.health.state != DISABLED

    def inbox_workers(self, *, max_pending: int = 10_000, concurrency: int = 8) -> InboxWorkers:
        """The workers that answer webhook updates from the durable inbox (`ocop-bot serve`)."""
        return InboxWorkers(
            "telegram", self.services.repo.inbox, self.answer_stored, ready=self._can_answer, health=self.health,
            concurrency=concurrency, max_pending=max_pending,
        )  # fmt: skip

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
        """An answer failed on the network: try the update again. From the inbox: it stays
        pending there; polled: held in memory for another try (a few at most)."""
        if isinstance(update, Update) and update.update_id in self._from_inbox:
            self._failed.add(update.update_id)
            return True
        if not isinstance(update, Update) or self.health.state == DISABLED or len(self._held) >= self.hold_capacity:
            return False
        tries = self._replays.get(update.update_id, 0)
        if tries >= MAX_REPLAYS:
            return False
        self._replays[update.update_id] = tries + 1
        while len(self._replays) > self.hold_capacity:
            self._replays.popitem(last=False)
        self._held.append(update)
        if self.health.ok:  # no state change will come to flush it: try again shortly
            asyncio.get_running_loop().call_later(REPLAY_DELAY, self._flush)
        return True

    def _flush(self) -> None:
        app = self.application
        if app is None or not self._held:
            return
        moved = 0
        while self._held and self.health.ok and app.running:
            app.update_queue.put_nowait(self._held.popleft())
            moved += 1
        if moved:
            log.info("telegram: %d held update(s) handed over for answering", moved)

    # -- webhook registration ----------------------------------------------------------

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.bot.set_webhook(url=url, secret_token=secret, allowed_updates=list(ALLOWED_UPDATES))
