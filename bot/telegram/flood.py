"""Per-user flood control: a sliding window of accepted messages, one warning per episode."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import Enum


class Verdict(Enum):
    ALLOW = "allow"
    WARN = "warn"  # over the limit: say "slow down" once
    DROP = "drop"  # over the limit and already warned: stay silent


class FloodGate:
    """More than `limit` messages in `window` seconds -> WARN once, then DROP until room frees up.

    Only accepted messages count, so a user who pauses gets served again as soon as the
    oldest accepted message leaves the window. State is in memory: a restart forgives all.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = max(1, limit)
        self.window = max(0.001, float(window))
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._warned: set[str] = set()
        self._next_prune = 0.0

    def check(self, user_id: str) -> Verdict:
        now = self._clock()
        self._prune(now)
        times = self._seen.setdefault(user_id, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) < self.limit:
            times.append(now)
            self._warned.discard(user_id)
            return Verdict.ALLOW
        if user_id in self._warned:
            return Verdict.DROP
        self._warned.add(user_id)
        return Verdict.WARN

    def _prune(self, now: float) -> None:
        # Forget idle users now and then, so memory follows active users, not all users ever.
        if now < self._next_prune:
            return
        self._next_prune = now + self.window
        idle = [uid for uid, times in self._seen.items() if not times or now - times[-1] >= self.window]
        for uid in idle:
            del self._seen[uid]
            self._warned.discard(uid)
