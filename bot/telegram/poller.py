"""`ocop-bot telegram`: long polling into the durable inbox.

Telegram confirms a batch of updates when the next getUpdates asks from an offset past
them. This loop asks for that offset only after each update of the batch is written to the
inbox, and the inbox workers answer from there, exactly as for a webhook: an update that
was confirmed is on disk, answered after an outage or a restart, once (the inbox's unique
key drops a batch Telegram hands over again). A poll abandoned at shutdown loses nothing:
what it would have brought is still unconfirmed at Telegram.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence

from telegram import Bot, Update
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot.health import Backoff, PlatformHealth, sleep_unless
from bot.web.workers import InboxWorkers

log = logging.getLogger(__name__)

FULL_WAIT = 1.0  # seconds between looks while the inbox is full: Telegram keeps the updates


def update_chat_key(update: Update) -> str:
    """One chat's updates are answered in order; an update without a chat is its own queue."""
    return str(update.effective_chat.id) if update.effective_chat is not None else f"u{update.update_id}"


def update_payload(update: Update) -> str:
    return json.dumps(update.to_dict(), ensure_ascii=False, separators=(",", ":"))


class InboxPoller:
    def __init__(
        self,
        bot: Bot,
        workers: InboxWorkers,
        stop: asyncio.Event,
        *,
        health: PlatformHealth,
        ready: Callable[[], bool],
        on_token_rejected: Callable[[], None],
        poll_timeout: int,
        allowed_updates: Sequence[str],
        backoff: Backoff,
    ) -> None:
        self.bot = bot
        self.workers = workers
        self.stop = stop
        self.health = health
        self.ready = ready
        self.on_token_rejected = on_token_rejected
        self.poll_timeout = poll_timeout
        self.allowed_updates = list(allowed_updates)
        self.backoff = backoff
        self.offset: int | None = None
        self._last_error = ""

    async def run(self) -> None:
        while not self.stop.is_set():
            if not self.ready() or self.workers.full():
                # Not started yet (the platform retries getMe), or the answers are behind:
                # Telegram holds the updates meanwhile.
                await sleep_unless(self.stop, FULL_WAIT)
                continue
            try:
                updates = await self.bot.get_updates(
                    offset=self.offset, timeout=self.poll_timeout, allowed_updates=self.allowed_updates
                )
            except InvalidToken:
                self.on_token_rejected()
                return
            except RetryAfter as exc:
                wait = exc.retry_after
                await sleep_unless(self.stop, wait if isinstance(wait, float | int) else wait.total_seconds())
                continue
            except TelegramError as exc:
                self._report(exc)
                await sleep_unless(self.stop, self.backoff.next())
                continue
            self.backoff.reset()
            self._last_error = ""
            await self._store(updates)

    async def _store(self, updates: Sequence[Update]) -> None:
        for update in updates:
            try:
                await self.workers.submit(str(update.update_id), update_chat_key(update), update_payload(update))
            except Exception as exc:
                # Not stored: not confirmed either. The next poll asks from this update again.
                log.error("telegram: update %s not stored (%s); asked for again", update.update_id, exc)
                await sleep_unless(self.stop, self.backoff.next())
                return
            self.offset = update.update_id + 1

    def _report(self, exc: TelegramError) -> None:
        # Network trouble is already in `health` (logged once per change of state). Anything
        # else (409: a webhook is set, or another poller runs) is logged when it changes.
        if isinstance(exc, NetworkError) and not isinstance(exc, BadRequest):
            return
        text = f"{type(exc).__name__}: {exc}"
        if text != self._last_error:
            self._last_error = text
            log.warning("telegram: getUpdates failed (%s); retrying", text)
