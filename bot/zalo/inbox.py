"""The Zalo side of the durable inbox (`bot.storage.inbox`, `bot.web.workers.InboxWorkers`)."""

from __future__ import annotations

import asyncio
import json
import logging

from bot.health import DISABLED, UNREACHABLE, PlatformHealth
from bot.web.workers import InboxWorkers
from bot.zalo.adapter import ZaloBot
from bot.zalo.errors import ZaloNetworkError, ZaloRateLimited, ZaloServerError
from bot.zalo.types import ZaloUpdate, parse_update

log = logging.getLogger(__name__)


class ZaloInbox:
    """Zalo updates, from the webhook or from polling: stored in the inbox (deduplicated by
    message_id), answered by `ZaloBot` from there, tried again while Zalo does not take the answer."""

    def __init__(
        self,
        bot: ZaloBot,
        *,
        max_pending: int = 10_000,
        concurrency: int = 8,
        health: PlatformHealth | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.bot = bot
        self.health = health
        self.stop = stop or asyncio.Event()
        self.workers = InboxWorkers(
            "zalo", bot.services.repo.inbox, self._answer, ready=self._ready, health=health,
            concurrency=concurrency, max_pending=max_pending,
            expire_after=bot.services.config.web.inbox_answer_hours * 3600,
        )  # fmt: skip

    def _ready(self) -> bool:
        return self.health is None or self.health.state not in (UNREACHABLE, DISABLED)

    async def _answer(self, payload: str) -> bool:
        update = parse_update(json.loads(payload))
        if update is None:
            return True
        try:
            await self.bot.handle(update)
        except ZaloRateLimited as exc:  # still limited after the adapter's own waits
            log.warning("zalo: rate limited while answering %s (%s); tried again later", update.message_id, exc)
            return False
        except (ZaloNetworkError, ZaloServerError) as exc:  # Zalo did not answer: tried again
            log.info("zalo: answering message %s failed (%s); tried again later", update.message_id, exc)
            return False
        except Exception:  # a refusal about this chat, or a bug: retrying would not help
            log.exception("zalo: answering message %s in chat %s failed", update.message_id, update.chat_id)
        return True

    async def take(self, update: ZaloUpdate) -> None:
        """A polled update: into the inbox (Zalo has handed it over and will not again)."""
        payload = json.dumps(dict(update.raw), ensure_ascii=False, separators=(",", ":"))
        await self.workers.submit(update.message_id, update.chat_id, payload)
