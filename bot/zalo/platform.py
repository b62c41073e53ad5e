"""Zalo as one isolated platform of the runtime: it starts, fails and recovers on its own.

Modes: `polling` (`ocop-bot zalo`), `webhook` (`ocop-bot serve`: updates come through
`ZaloWebhook`, which waits while Zalo is unreachable), `send` (`ocop-bot sender`).

The client reports the outcome of every call to `health`, so the state follows real
traffic. In webhook and send modes nothing else calls Zalo while it is down, so getMe is
retried with capped backoff until it answers; in polling mode the poll loop does that.
Only a rejected token (401 to getMe or getUpdates) disables the platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType
from typing import Literal, Self

from bot.health import PlatformHealth, TokenRejected, describe_error, keep_reachable
from bot.services import Services
from bot.transports import ZaloTransport
from bot.zalo.adapter import ZaloBot
from bot.zalo.client import ZaloClient
from bot.zalo.errors import ZaloError, ZaloNetworkError, ZaloServerError, ZaloUnauthorized
from bot.zalo.polling import EXIT_TOKEN_REJECTED, poll_forever

log = logging.getLogger(__name__)

Mode = Literal["polling", "webhook", "send"]
TOKEN_REJECTED = "ZALO_BOT_TOKEN was rejected by Zalo (401): check the token"
TOKEN_CHECKS = frozenset({"getMe", "getUpdates"})


class ZaloPlatform:
    name = "zalo"

    def __init__(
        self,
        services: Services,
        token: str,
        *,
        mode: Mode,
        health: PlatformHealth,
        stop: asyncio.Event,
        force: asyncio.Event | None = None,
        timeout: float = 10.0,
        retry_delays: tuple[float, float] = (1.0, 60.0),
    ) -> None:
        self.mode = mode
        self.health = health
        self.stop = stop
        self.force = force or asyncio.Event()
        self.retry_delays = retry_delays
        self.poll_timeout = services.config.zalo.poll_timeout
        self.client = ZaloClient(token, services.config.zalo.base_url, timeout=timeout, observer=self._observe)
        self.bot = ZaloBot(services, self.client)
        self.transport = ZaloTransport(self.client)
        self._task: asyncio.Task[None] | None = None

    def _observe(self, method: str, error: ZaloError | None) -> None:
        if isinstance(error, ZaloUnauthorized):
            if method in TOKEN_CHECKS:
                self.health.reject(TOKEN_REJECTED)
        elif isinstance(error, (ZaloNetworkError, ZaloServerError)):
            self.health.unreachable(describe_error(error))
        else:  # an answer: the result, 408 "no update", a refusal about one chat, 429
            self.health.reachable()

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Start in the background; returns at once, whether Zalo answers or not."""
        if self.mode == "polling":
            self._task = asyncio.create_task(self._poll(), name="zalo-poller")
            return
        first, longest = self.retry_delays
        self._task = asyncio.create_task(
            keep_reachable(
                self.health, self.stop, start=self._probe, probe=self._probe,
                first_delay=first, longest_delay=longest,
            ),
            name="zalo-supervisor",
        )  # fmt: skip

    async def close(self) -> None:
        if self._task is not None:
            if self.mode != "polling":
                await asyncio.wait({self._task}, timeout=1.0)
                if not self._task.done():
                    self._task.cancel()  # in the middle of a getMe
            # Polling: the poll in flight finishes (see bot.zalo.polling) unless `force` is set.
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.client.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def _probe(self) -> None:
        try:
            me = await self.client.get_me()
        except ZaloUnauthorized:
            raise TokenRejected(TOKEN_REJECTED) from None
        log.info("zalo: bot %s", me.get("account_name") or me.get("id") if isinstance(me, dict) else me)

    async def _poll(self) -> None:
        self.health.starting()
        try:
            await self._probe()
        except TokenRejected as exc:
            self.health.reject(str(exc))
            return
        except ZaloError:
            pass  # unreachable (already in `health`): the poll loop keeps trying
        status = await poll_forever(
            self.bot, self.client, self.stop, poll_timeout=self.poll_timeout, force=self.force, health=self.health
        )
        if status == EXIT_TOKEN_REJECTED:
            self.health.reject(TOKEN_REJECTED)

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.client.set_webhook(url, secret)
