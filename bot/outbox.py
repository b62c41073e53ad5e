"""The announcement sender: works through the durable outbox at a set rate per platform.

A delivery is marked sent right after the platform accepts it, so after a crash at most the
sends that were in flight (`concurrency`) can go out twice; nothing is lost, because every
recipient stays 'pending' until then.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.storage import Delivery

log = logging.getLogger(__name__)


class SendError(Exception):
    pass


class RateLimited(SendError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after}s")
        self.retry_after = retry_after


class Blocked(SendError):
    """The user blocked the bot, or the chat does not exist: never retried."""


class Transient(SendError):
    """Network trouble or a server error: worth a bounded number of retries."""


class Transport(Protocol):
    platform: str
    can_edit: bool

    async def send(self, chat_id: str, text: str) -> str | None: ...

    async def edit(self, chat_id: str, message_id: str, text: str) -> None: ...


@dataclass
class SenderStats:
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    retried: int = 0
    rate_limited: int = 0


class Pacer:
    """Evenly spaced sends at `rate` per second; a 429 pauses everyone for retry_after."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self._next = 0.0
        self._paused_until = 0.0

    async def wait_turn(self) -> None:
        now = self.clock()
        slot = max(self._next, now, self._paused_until)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)

    def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self.clock() + seconds)
        self._next = max(self._next, self._paused_until)


class OutboxSender:
    def __init__(
        self,
        repo,
        transport: Transport,
        *,
        rate: float,
        max_attempts: int = 5,
        concurrency: int = 4,
        base_backoff: float = 1.0,
        paused: Callable[[], bool] | None = None,
    ) -> None:
        self.repo = repo
        self.transport = transport
        self.pacer = Pacer(rate)
        self.max_attempts = max_attempts
        self.concurrency = concurrency
        self.base_backoff = base_backoff
        self.stats = SenderStats()
        # True while the platform is down: the round stops taking deliveries (they stay due).
        self.paused = paused or (lambda: False)
        self._in_flight: set[tuple[int, str]] = set()

    @property
    def platform(self) -> str:
        return self.transport.platform

    async def drain(self, *, within: float = 60.0) -> SenderStats:
        """Send everything due now (and retries as they fall due); for the CLI and tests."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if not await self.send_round():
                if not await self.repo.due_deliveries(self.platform, 1) and not await self.repo.has_pending(
                    self.platform
                ):
                    break
                await asyncio.sleep(0.05)
        return self.stats

    async def send_round(self, batch: int = 200) -> bool:
        due = await self.repo.due_deliveries(self.platform, batch)
        if not due:
            await self.repo.finish_broadcasts()
            return False
        for broadcast_id in {d.broadcast_id for d in due}:
            await self.repo.start_broadcast_clock(broadcast_id)
        queue: asyncio.Queue[Delivery] = asyncio.Queue()
        for delivery in due:
            queue.put_nowait(delivery)
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(self.concurrency)]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
        await self.repo.finish_broadcasts()
        return True

    async def _worker(self, queue: asyncio.Queue[Delivery]) -> None:
        while not queue.empty() and not self.paused():
            delivery = queue.get_nowait()
            await self._deliver(delivery)

    async def _deliver(self, delivery: Delivery) -> None:
        while True:
            await self.pacer.wait_turn()
            try:
                await self.transport.send(delivery.chat_id, delivery.text)
            except RateLimited as exc:
                # Same recipient again after the platform's wait; not counted as an attempt.
                self.stats.rate_limited += 1
                self.pacer.pause(exc.retry_after)
                continue
            except Blocked as exc:
                self.stats.blocked += 1
                await self.repo.mark_delivery(delivery, "blocked", error=str(exc)[:200])
                return
            except (Transient, SendError) as exc:
                await self._retry_or_fail(delivery, str(exc))
                return
            except Exception as exc:  # an adapter bug must not stop the broadcast
                log.exception("unexpected error sending to a %s chat", self.platform)
                await self._retry_or_fail(delivery, f"{exc.__class__.__name__}")
                return
            self.stats.sent += 1
            await self.repo.mark_delivery(delivery, "sent")
            return

    async def _retry_or_fail(self, delivery: Delivery, error: str) -> None:
        if delivery.attempts + 1 >= self.max_attempts:
            self.stats.failed += 1
            await self.repo.mark_delivery(delivery, "failed", error=error[:200])
            return
        self.stats.retried += 1
        backoff = self.base_backoff * (2**delivery.attempts) * (1 + random.random() / 4)
        await self.repo.mark_delivery(delivery, "retry", error=error[:200], retry_at=time.time() + backoff)
