"""Zalo as one isolated platform of the runtime: it starts, fails and recovers on its own.

Modes: `polling` (`ocop-bot zalo`), `webhook` (`ocop-bot serve`), `send` (`ocop-bot
sender`). In both receiving modes updates go to the durable inbox first (`ZaloInbox`) and
are answered from there, waiting while Zalo is unreachable. Zalo's getUpdates has no
offset, so a polled update is Zalo's to forget as soon as it is handed over: it is written
to the inbox at once, the closest polling can come to "confirmed after it is handled".

The client reports the outcome of every call to `health`, so the state follows real
traffic. In webhook and send modes nothing else calls Zalo while it is down, so getMe is
retried with capped backoff until it answers; in polling mode the poll loop does that.
Only a rejected token (401 to getMe or getUpdates) disables the platform.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.health import SupervisedPlatform, TokenRejected, describe_error
from bot.services import Services
from bot.transports import ZaloTransport
from bot.zalo.adapter import ZaloBot
from bot.zalo.client import ZaloClient
from bot.zalo.errors import ZaloError, ZaloNetworkError, ZaloServerError, ZaloUnauthorized
from bot.zalo.inbox import ZaloInbox
from bot.zalo.polling import EXIT_TOKEN_REJECTED, poll_forever

log = logging.getLogger(__name__)

TOKEN_REJECTED = "ZALO_BOT_TOKEN was rejected by Zalo (401): check the token"
TOKEN_CHECKS = frozenset({"getMe", "getUpdates"})


class ZaloPlatform(SupervisedPlatform):
    name = "zalo"

    def __init__(
        self,
        services: Services,
        token: str,
        *,
        force: asyncio.Event | None = None,
        timeout: float = 10.0,
        max_pending: int = 10_000,
        **common: Any,  # mode, health, stop, retry_delays: see SupervisedPlatform
    ) -> None:
        super().__init__(**common)
        self.force = force or asyncio.Event()
        self.poll_timeout = services.config.zalo.poll_timeout
        self.client = ZaloClient(token, services.config.zalo.base_url, timeout=timeout, observer=self._observe)
        self.bot = ZaloBot(services, self.client)
        self.transport = ZaloTransport(self.client)
        self.inbox = ZaloInbox(self.bot, max_pending=max_pending, health=self.health, stop=self.stop)

    def _observe(self, method: str, error: ZaloError | None) -> None:
        if isinstance(error, ZaloUnauthorized):
            if method in TOKEN_CHECKS:
                self.health.reject(TOKEN_REJECTED)
        elif isinstance(error, (ZaloNetworkError, ZaloServerError)):
            self.health.unreachable(describe_error(error))
        else:  # an answer: the result, 408 "no update", a refusal about one chat, 429
            self.health.reachable()

    # -- lifecycle ---------------------------------------------------------------------

    async def _run(self) -> None:
        if self.mode == "polling":
            await self._poll()  # the poll loop retries by itself
        else:
            await self._keep_reachable(self._probe, self._probe)

    async def close(self, grace: float | None = 1.0) -> None:
        # Polling: the poll in flight finishes (see bot.zalo.polling) unless `force` is set.
        await super().close(None if self.mode == "polling" else grace)
        if self.mode == "polling":
            await self.inbox.workers.stop()
        await self.client.close()

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
        await self.inbox.workers.start()
        status = await poll_forever(
            self.bot, self.client, self.stop, poll_timeout=self.poll_timeout, force=self.force, health=self.health,
            inbox=self.inbox,
        )  # fmt: skip
        if status == EXIT_TOKEN_REJECTED:
            self.health.reject(TOKEN_REJECTED)

    async def set_webhook(self, url: str, secret: str) -> None:
        await self.client.set_webhook(url, secret)
