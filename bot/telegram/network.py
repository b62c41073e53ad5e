"""How requests leave and updates are processed: retries, rate limits, per-chat order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.ext import AIORateLimiter, BaseUpdateProcessor
from telegram.request import HTTPXRequest

from bot.health import PlatformHealth, describe_error

log = logging.getLogger(__name__)

TOKEN_REJECTED = "TELEGRAM_BOT_TOKEN was rejected by Telegram (401/404): check the token"
# A 401/404 answer to these means the token is wrong; to other methods it can mean other things.
TOKEN_CHECKS = frozenset({"getMe", "getUpdates"})


class ObservedRequest(HTTPXRequest):
    """HTTPXRequest that tells the platform's health what each call came back with.

    Every Bot API call (getUpdates included) passes here, so the state follows real
    traffic: a server error or no answer at all makes Telegram unreachable, any other
    answer makes it reachable again, a 401/404 to getMe or getUpdates disables it.
    """

    def __init__(self, health: PlatformHealth | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.health = health

    async def post(self, url: str, *args: Any, **kwargs: Any) -> Any:
        health = self.health
        if health is None:
            return await super().post(url, *args, **kwargs)
        try:
            result = await super().post(url, *args, **kwargs)
        except InvalidToken:
            if url.rsplit("/", 1)[-1] in TOKEN_CHECKS:
                health.reject(TOKEN_REJECTED)
            raise
        except BadRequest:  # a NetworkError subclass in PTB, but Telegram did answer
            health.reachable()
            raise
        except TimedOut as exc:
            if "pool timeout" not in str(exc).lower():  # our own pool is busy: not Telegram's fault
                health.unreachable(describe_error(exc))
            raise
        except NetworkError as exc:  # connection refused/reset, 5xx
            health.unreachable(describe_error(exc))
            raise
        except TelegramError:  # Forbidden, Conflict, RetryAfter...: an answer, so reachable
            health.reachable()
            raise
        health.reachable()
        return result


class RetryingRateLimiter(AIORateLimiter):
    """AIORateLimiter (429 -> wait retry_after, retry) plus a bounded retry of network errors.

    PTB maps 5xx answers and dropped connections to NetworkError and never retries them
    itself. Those are retried here `network_retries` times with a short back-off. Not
    retried: BadRequest (a NetworkError subclass in PTB, but our fault), and TimedOut
    (Telegram may already have delivered the message; a retry could send it twice).
    Forbidden and the other non-network errors pass straight through. getUpdates never
    comes here (ExtBot bypasses the limiter for it; the Updater has its own retry loop).

    `max_in_flight` (the HTTP connection pool size) gates requests before they reach
    httpx: httpcore rescans every queued request against every connection whenever one
    frees up, which costs more CPU than the request itself once hundreds are queued.
    """

    def __init__(self, *, max_in_flight: int, network_retries: int = 2, backoff: float = 0.25, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self._network_retries = network_retries
        self._backoff = backoff

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        attempt = 0
        while True:
            try:
                async with self._in_flight:
                    return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except (BadRequest, TimedOut):
                raise
            except NetworkError as exc:
                if attempt >= self._network_retries:
                    raise
                attempt += 1
                # INFO: an outage is reported once by the platform's health, not per request.
                log.info("%s failed (%s); retry %d of %d", endpoint, exc, attempt, self._network_retries)
                await asyncio.sleep(self._backoff * 2 ** (attempt - 1))


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Updates run concurrently across chats, one at a time (in arrival order) within a chat.

    The per-chat lock is taken before the concurrency semaphore, so a chat with a queue of
    waiting updates does not hold slots other chats could use. asyncio.Lock wakes waiters
    first-in first-out, and PTB starts one task per update in arrival order.
    """

    def __init__(self, max_concurrent_updates: int = 256) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}
        self.in_flight = 0  # updates handed over and not finished, waiting ones included

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        self.in_flight += 1
        try:
            key = _chat_key(update)
            if key is None:
                await super().process_update(update, coroutine)
                return
            lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
            self._locks[key] = (lock, users + 1)
            try:
                async with lock:
                    await super().process_update(update, coroutine)
            finally:
                lock, users = self._locks[key]
                if users <= 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)
        finally:
            self.in_flight -= 1

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _chat_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.inline_query is not None:
        return None  # typing in inline mode: each keystroke is independent, no order needed
    return update.effective_user.id if update.effective_user is not None else None
