"""The announcement sender: works through the durable outbox at a set rate per platform.

Deliveries are claimed (by the holder of the platform's lease) before they are sent, the
lease is checked right before each send, and a delivery is marked sent right after the
platform accepts it. So after a crash or a lost lease at most the sends in flight can go out
twice, and the sender keeps only as many in flight as the rate needs: ceil(rate x observed
latency), 1-2 at Telegram's rate. Nothing is lost: every recipient stays 'pending' until then.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
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
    """Network trouble or a server error: retried with backoff up to [broadcast] retry_hours."""


class AuthFailed(SendError):
    """The platform rejected our token (401; revoked or reset): no recipient's fault. The
    sender pauses the platform's announcements, to resume once the token works again."""


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
    lease_stops: int = 0  # rounds cut short because the lease was no longer ours
    auth_failures: int = 0
    max_in_flight: int = 0  # the most sends in flight at once, observed


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


class Lease:
    """This process's hold on a platform's sender lease, as far as it can be sure of it.

    `renew()` takes or renews it in the database (its own task calls it every `ttl / 3`);
    `valid()` is true only until `ttl - margin` after the start of the last successful
    renewal, measured on this process's monotonic clock: a renewal that fails, or a loop that
    stalls, lets it lapse here before another process can take it over there.
    """

    def __init__(
        self, repo, platform: str, owner: str, ttl: float, owner_alive: Callable[[str], bool],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self.repo = repo
        self.platform = platform
        self.owner = owner
        self.ttl = ttl
        self.margin = min(2.0, ttl / 4)
        self.owner_alive = owner_alive
        self.clock = clock
        self._valid_until = 0.0

    def valid(self) -> bool:
        return self.clock() < self._valid_until

    async def renew(self) -> bool:
        started = self.clock()
        try:
            held = await self.repo.acquire_lease(self.platform, self.owner, self.ttl, self.owner_alive)
        except Exception:
            log.warning("%s sender lease could not be renewed", self.platform, exc_info=True)
            return self.valid()  # it lapses on its own
        self._valid_until = started + self.ttl - self.margin if held else 0.0
        return held

    async def keep(self, stop: asyncio.Event, wanted: Callable[[], bool] = lambda: True) -> None:
        """The renewal task: take or renew the lease every ttl / 3 while `wanted()`."""
        while not stop.is_set():
            if wanted():
                await self.renew()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=min(2.0, self.ttl / 3))

    async def release(self) -> None:
        self._valid_until = 0.0
        await self.repo.release_lease(self.platform, self.owner)
        await self.repo.release_claims(self.platform, self.owner)


def retry_delay(attempts: int, base: float, retry_for: float) -> float:
    """Exponential backoff with jitter, capped at an hour (and at a quarter of the window)."""
    cap = max(base, min(3600.0, retry_for / 4))
    return min(cap, base * (2 ** min(attempts, 30))) * (1 + random.random() / 4)


class OutboxSender:
    """Sends one platform's due deliveries.

    With a `lease`, only what it claimed while holding the lease, and each send only while
    the lease is still valid. Without one (a single process, e.g. tests or a one-off run)
    it still claims, so two of them would not share a row.
    """

    def __init__(
        self,
        repo,
        transport: Transport,
        *,
        rate: float,
        max_attempts: int = 5,
        concurrency: int = 32,
        base_backoff: float = 1.0,
        retry_for: float = 6 * 3600.0,
        paused: Callable[[], bool] | None = None,
        lease: Lease | None = None,
        owner: str | None = None,
    ) -> None:
        self.repo = repo
        self.transport = transport
        self.rate = rate
        self.pacer = Pacer(rate)
        self.max_attempts = max_attempts
        # The most sends in flight ever; the working limit is ceil(rate x observed latency).
        self.concurrency = max(1, concurrency)
        self.base_backoff = base_backoff
        self.retry_for = retry_for
        self.stats = SenderStats()
        # True while the platform is down: the round stops taking deliveries (they stay due).
        self.paused = paused or (lambda: False)
        self.lease = lease
        self.owner = lease.owner if lease else (owner or f"local:{id(self):x}")
        self.latency: float | None = None  # seconds, moving average of accepted sends
        self.auth_error: str | None = None  # set by a rejected token until clear_auth_error()

    @property
    def platform(self) -> str:
        return self.transport.platform

    def in_flight_limit(self) -> int:
        """Sends to keep in flight: enough for the rate at the latency seen, never more."""
        if self.latency is None:
            return 1
        return max(1, min(self.concurrency, math.ceil(self.rate * self.latency)))

    def may_send(self) -> bool:
        if self.auth_error is not None or self.paused():
            return False
        return self.lease is None or self.lease.valid()

    def clear_auth_error(self) -> None:
        self.auth_error = None

    async def drain(self, *, within: float = 60.0) -> SenderStats:
        """Send everything due now (and retries as they fall due); for the CLI and tests."""
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and self.auth_error is None:
            if not await self.send_round():
                if not await self.repo.due_deliveries(self.platform, 1) and not await self.repo.has_pending(
                    self.platform
                ):
                    break
                await asyncio.sleep(0.05)
        return self.stats

    async def send_round(self, batch: int = 200) -> bool:
        if not self.may_send():
            return False
        due = await self.repo.claim_deliveries(
            self.platform, self.owner, batch, self._claim_ttl(), require_lease=self.lease is not None
        )
        if not due:
            await self.repo.finish_broadcasts()
            return False
        for broadcast_id in {d.broadcast_id for d in due}:
            await self.repo.start_broadcast_clock(broadcast_id)
        queue = collections.deque(due)
        running: set[asyncio.Task] = set()
        try:
            while queue or running:
                if queue and self.may_send() and len(running) < self.in_flight_limit():
                    await self.pacer.wait_turn()
                    if not self.may_send():
                        continue  # a long 429 wait may have outlived the lease: check again
                    delivery = queue.popleft()
                    running.add(asyncio.create_task(self._deliver(delivery)))
                    self.stats.max_in_flight = max(self.stats.max_in_flight, len(running))
                elif running:
                    done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        again = task.result()
                        if again is not None:
                            queue.appendleft(again)
                else:
                    break  # may not send now: lease lost, platform down or token rejected
        finally:
            for task in running:
                task.cancel()
            if queue:
                if self.lease is not None and not self.lease.valid():
                    self.stats.lease_stops += 1
                # Not sent: give them back (a no-op for rows another holder took over).
                with contextlib.suppress(Exception):
                    await self.repo.release_claims(self.platform, self.owner, list(queue))
        await self.repo.finish_broadcasts()
        return True

    def _claim_ttl(self) -> float:
        return self.lease.ttl if self.lease is not None else 60.0

    async def _deliver(self, delivery: Delivery) -> Delivery | None:
        """One send; returns the delivery when it must go back to the queue (429, bad token)."""
        if not self.may_send():
            return delivery
        started = time.monotonic()
        try:
            await self.transport.send(delivery.chat_id, delivery.text)
        except RateLimited as exc:
            # Same recipient again after the platform's wait; not counted as an attempt.
            self.stats.rate_limited += 1
            self.pacer.pause(exc.retry_after)
            return delivery
        except AuthFailed as exc:
            if self.auth_error is None:
                log.error("%s rejected the bot token: announcements paused (%s)", self.platform, exc)
            self.stats.auth_failures += 1
            self.auth_error = str(exc)[:200] or "token rejected"
            return delivery
        except Blocked as exc:
            self.stats.blocked += 1
            await self.repo.mark_delivery(delivery, "blocked", error=str(exc)[:200])
            return None
        except (Transient, SendError) as exc:
            await self._retry_or_fail(delivery, str(exc))
            return None
        except Exception as exc:  # an adapter bug must not stop the broadcast
            log.exception("unexpected error sending to a %s chat", self.platform)
            await self._retry_or_fail(delivery, f"{exc.__class__.__name__}")
            return None
        took = time.monotonic() - started
        self.latency = took if self.latency is None else 0.8 * self.latency + 0.2 * took
        self.stats.sent += 1
        await self.repo.mark_delivery(delivery, "sent")
        return None

    async def _retry_or_fail(self, delivery: Delivery, error: str) -> None:
        now = time.time()
        first = delivery.first_failed_at or now
        if delivery.attempts + 1 >= self.max_attempts and now - first >= self.retry_for:
            self.stats.failed += 1
            await self.repo.mark_delivery(delivery, "failed", error=error[:200])
            return
        self.stats.retried += 1
        backoff = retry_delay(delivery.attempts, self.base_backoff, self.retry_for)
        await self.repo.mark_delivery(delivery, "retry", error=error[:200], retry_at=now + backoff)
