"""Bounded background queues for webhook work, one worker per shard.

Why shards: items with the same key (a chat) always land on the same worker, so a
chat's messages are answered in order ("mật ong" before "2") while different chats
run in parallel. Why bounded: a full shard makes `submit` return False and the
webhook answers 503, so the platform retries instead of us holding unbounded work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class ShardedWorkers(Generic[T]):
    def __init__(
        self,
        handler: Callable[[T], Awaitable[None]],
        *,
        shards: int = 8,
        capacity: int = 256,
        name: str = "webhook",
    ) -> None:
        if shards < 1 or capacity < 1:
            raise ValueError("shards and capacity must be at least 1")
        self._handler = handler
        self._name = name
        self._queues: list[asyncio.Queue[T]] = [asyncio.Queue(capacity) for _ in range(shards)]
        self._tasks: list[asyncio.Task[None]] = []
        self.capacity = shards * capacity

    def submit(self, key: str, item: T) -> bool:
        """Queue `item` on its key's shard; False when that shard is full (never blocks)."""
        queue = self._queues[zlib.crc32(key.encode()) % len(self._queues)]
        try:
            queue.put_nowait(item)
        except asyncio.QueueFull:
            return False
        return True

    def qsize(self) -> int:
        return sum(queue.qsize() for queue in self._queues)

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._work(queue), name=f"{self._name}-worker-{i}")
                for i, queue in enumerate(self._queues)
            ]

    async def stop(self, drain_seconds: float = 10.0) -> None:
        """Finish what is queued (up to `drain_seconds`), then end the workers."""
        if not self._tasks:
            return
        joined = asyncio.gather(*(queue.join() for queue in self._queues))
        try:
            await asyncio.wait_for(joined, drain_seconds)
        except TimeoutError:
            log.warning("%s: %d queued item(s) not processed at shutdown", self._name, self.qsize())
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _work(self, queue: asyncio.Queue[T]) -> None:
        while True:
            item = await queue.get()
            try:
                await self._handler(item)
            except Exception:
                log.exception("%s: processing failed", self._name)
            finally:
                queue.task_done()
