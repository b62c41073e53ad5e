"""The workers that answer webhook updates from the durable inbox.

A chat's updates are answered one at a time, in the order received ("mật ong" before
"2"), while different chats run in parallel. Bounded: past `max_pending` rows the
webhook answers 503, so the platform retries instead of us holding unbounded work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.health import PlatformHealth
    from bot.storage.inbox import InboxRepository

log = logging.getLogger(__name__)

EXPIRE_CHECK_SECONDS = 60.0


class InboxWorkers:
    """Answer webhook updates from the durable inbox (`bot.storage.inbox`), one platform.

    The webhook stores an update (`submit`) before it answers 200; these workers take the
    due rows, at most one per chat at a time and oldest first (a chat's answers stay in
    order), and call `answer(payload)`: True when the platform took the answer (or the
    update needs none), then the row is done; False when the platform did not answer (5xx,
    unreachable), then it is tried again with backoff, and at once when the platform's
    health says it is back. A row in flight when the process dies is still pending: it is
    answered after the restart (at least once; at most the in-flight answers can repeat).
    A row not answered within `expire_after` seconds of its arrival is given up (`expired`).
    """

    def __init__(
        self,
        platform: str,
        inbox: InboxRepository,
        answer: Callable[[str], Awaitable[bool]],
        *,
        ready: Callable[[], bool] = lambda: True,
        health: PlatformHealth | None = None,
        concurrency: int = 8,
        max_pending: int = 10_000,
        backoff: tuple[float, float] = (1.0, 300.0),
        poll_seconds: float = 1.0,
        max_errors: int = 3,
        expire_after: float = 24 * 3600.0,
    ) -> None:
        if concurrency < 1 or max_pending < 1:
            raise ValueError("concurrency and max_pending must be at least 1")
        self.platform = platform
        self.inbox = inbox
        self._answer = answer
        self._ready = ready
        self.health = health
        self.concurrency = concurrency
        self.capacity = max_pending
        self.first_delay, self.longest_delay = backoff
        self.poll_seconds = poll_seconds
        self.max_errors = max_errors
        self.expire_after = expire_after
        self.expired = 0  # rows given up since the start
        self._expire_checked = 0.0
        self.pending = 0  # rows not done; kept in memory so the webhook need not count
        self.refused = 0  # updates answered 503 because the inbox was full
        self._busy: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- the webhook side ----------------------------------------------------------------

    def full(self) -> bool:
        return self.pending >= self.capacity

    def qsize(self) -> int:
        return self.pending

    async def submit(self, key: str, chat: str, payload: str) -> bool:
        """Store the update durably (raises on a storage error: then no 200); False for a
        redelivery of an update already stored."""
        self.pending += 1  # counted before the write: concurrent requests see each other
        try:
            stored = await self.inbox.enqueue(self.platform, key, chat, payload)
        except BaseException:
            self.pending -= 1
            raise
        if not stored:
            self.pending -= 1
            return False
        self._wake.set()
        return True

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        if self._task is None:
            self.pending = await self.inbox.pending_count(self.platform)
            if self.pending:
                await self.inbox.release(self.platform)  # a new start: no waiting out old backoffs
                log.info("%s: %d update(s) waiting in the inbox", self.platform, self.pending)
            self._stopping.clear()
            self._task = asyncio.create_task(self._run(), name=f"{self.platform}-inbox")

    async def stop(self, drain_seconds: float = 10.0) -> None:
        """Stop taking rows, let the answers in flight finish (up to `drain_seconds`)."""
        if self._task is None:
            return
        self._stopping.set()
        self._wake.set()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task
        self._task = None
        busy = list(self._busy.values())
        if busy:
            _done, left = await asyncio.wait(busy, timeout=drain_seconds)
            for task in left:
                task.cancel()
            for task in left:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if self.pending:
            log.warning("%s: %d update(s) left in the inbox; answered after the restart", self.platform, self.pending)

    # -- the workers ---------------------------------------------------------------------

    async def _run(self) -> None:
        was_ready = True
        ok_since = self.health.since if self.health is not None else None
        while not self._stopping.is_set():
            self._wake.clear()
            ready = self._ready()
            # The platform is back (a new `ok` period, even one that began and ended between
            # two turns of this loop): what waited out the outage is due now, not after its backoff.
            back = ready and not was_ready
            if self.health is not None and self.health.ok and self.health.since != ok_since:
                ok_since, back = self.health.since, ready
            try:
                await self._expire_old()
                if back:
                    await self.inbox.release(self.platform)
                if ready and self.pending and len(self._busy) < self.concurrency:
                    rows = await self.inbox.due(
                        self.platform, self.concurrency - len(self._busy), skip=list(self._busy)
                    )
                    for row_id, chat, payload, attempts in rows:
                        task = asyncio.create_task(self._one(row_id, chat, payload, attempts))
                        self._busy[chat] = task
            except Exception:
                log.exception("%s: inbox read failed; trying again", self.platform)
            was_ready = ready
            await self._sleep()

    async def _expire_old(self) -> None:
        now = time.monotonic()
        if not self.pending or now - self._expire_checked < EXPIRE_CHECK_SECONDS:
            return
        self._expire_checked = now
        given_up = await self.inbox.expire(self.platform, time.time() - self.expire_after, skip=list(self._busy))
        if given_up:
            self.expired += given_up
            self.pending = max(0, self.pending - given_up)
            log.warning(
                "%s: %d update(s) not answered within %.0f h given up (%d since the start)",
                self.platform, given_up, self.expire_after / 3600, self.expired,
            )  # fmt: skip

    async def _sleep(self) -> None:
        waits = [asyncio.ensure_future(self._wake.wait())]
        if self.health is not None:
            waits.append(asyncio.ensure_future(self.health.wait_change(self._stopping)))
        try:
            await asyncio.wait(waits, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waits:
                waiter.cancel()

    async def _one(self, row_id: int, chat: str, payload: str, attempts: int) -> None:
        try:
            try:
                answered = await self._answer(payload)
            except Exception:
                log.exception("%s: answering inbox row %d failed", self.platform, row_id)
                answered = attempts + 1 >= self.max_errors  # a bug is not healed by retrying forever
            if answered:
                await self.inbox.mark_done(row_id)
                self.pending = max(0, self.pending - 1)
            else:
                delay = min(self.longest_delay, self.first_delay * 2 ** min(attempts, 30))
                await self.inbox.retry_later(row_id, delay)
        except Exception:
            log.exception("%s: inbox row %d could not be updated", self.platform, row_id)
        finally:
            self._busy.pop(chat, None)
            self._wake.set()
