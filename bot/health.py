"""What `/healthz` reports, and the pieces that keep each platform going on its own.

- `PlatformHealth`: one platform's state (`starting`, `ok`, `unreachable since …`,
  `disabled`), fed by the outcome of every API call that platform makes. It logs once per
  change of state, never once per retry.
- `keep_reachable`: starts a platform and, while it is not `ok`, retries in the background
  with capped exponential backoff. Only `TokenRejected` (401/404 from getMe) gives up, and
  only for that platform.
- `SenderStatus`: what the announcement sender of one platform is doing.
- `DatabaseProbe`: a tiny, time-bounded write in a transaction on its own connection, so
  `/healthz` can say 503 when the database cannot be written, and why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

STARTING = "starting"
OK = "ok"
UNREACHABLE = "unreachable"
DISABLED = "disabled"


class TokenRejected(Exception):
    """The platform refused the bot token (Telegram 401/404 or Zalo 401 on getMe)."""


class Backoff:
    """Exponential delay for consecutive failures, reset by any success."""

    def __init__(self, first: float = 0.5, longest: float = 30.0) -> None:
        self.first, self.longest = first, longest
        self._next = first

    def next(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self.longest)
        return delay

    def reset(self) -> None:
        self._next = self.first


async def sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class PlatformHealth:
    """One platform's state, changed by what its API calls return; logged once per change."""

    def __init__(self, name: str, *, clock: Callable[[], float] = time.time) -> None:
        self.name = name
        self._clock = clock
        self.state = DISABLED
        self.reason = "not configured"
        self.since = clock()
        self.rejected = False  # disabled because the platform refused the token
        self._changed = asyncio.Event()

    # -- transitions -------------------------------------------------------------------

    def starting(self) -> None:
        if self.state != STARTING:
            self.rejected = False
            self._set(STARTING, "", logging.INFO, f"{self.name}: starting")

    def reachable(self) -> None:
        """An answer came back (any answer that is not a server error)."""
        if self.state == OK or self.state == DISABLED:
            return
        if self.state == UNREACHABLE:
            down = _duration(self._clock() - self.since)
            self._set(OK, "", logging.WARNING, f"{self.name}: reachable again after {down}")
        else:
            self._set(OK, "", logging.INFO, f"{self.name}: ok")

    def unreachable(self, reason: str) -> None:
        """No usable answer: connection refused or reset, timeout, 5xx."""
        if self.state == DISABLED:
            return
        if self.state == UNREACHABLE:
            self.reason = reason  # the latest cause, without another log line
            return
        self._set(
            UNREACHABLE, reason, logging.WARNING, f"{self.name}: unreachable ({reason}); retrying in the background"
        )

    def reject(self, reason: str) -> None:
        """The token was refused: retrying never fixes that, so this platform stops here."""
        if self.state == DISABLED and self.rejected:
            return
        self.rejected = True
        self._set(DISABLED, reason, logging.ERROR, f"{self.name}: disabled: {reason}")

    def disable(self, reason: str) -> None:
        """Not configured (no token): quietly off."""
        self.state, self.reason, self.since = DISABLED, reason, self._clock()
        self._wake()

    def _set(self, state: str, reason: str, level: int, message: str) -> None:
        self.state, self.reason, self.since = state, reason, self._clock()
        log.log(level, "%s", message)
        self._wake()

    def _wake(self) -> None:
        # Each waiter holds the event current when it started waiting; swapping wakes them all.
        self._changed.set()
        self._changed = asyncio.Event()

    # -- waiting -----------------------------------------------------------------------

    async def wait_change(self, stop: asyncio.Event, within: float | None = None) -> None:
        """Until the state changes, `stop` is set, or `within` seconds pass."""
        changed = asyncio.ensure_future(self._changed.wait())
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({changed, stopped}, timeout=within, return_when=asyncio.FIRST_COMPLETED)
        finally:
            changed.cancel()
            stopped.cancel()

    async def wait_usable(self, stop: asyncio.Event) -> bool:
        """Until the platform is not unreachable (True), or `stop` is set (False)."""
        while self.state == UNREACHABLE and not stop.is_set():
            await self.wait_change(stop)
        return not stop.is_set()

    # -- reporting ---------------------------------------------------------------------

    @property
    def ok(self) -> bool:
        return self.state == OK

    def describe(self) -> str:
        """`ok`, `starting`, `unreachable since <ISO time>` or `disabled`."""
        if self.state == UNREACHABLE:
            return f"unreachable since {_iso(self.since)}"
        return self.state

    def details(self) -> dict[str, str]:
        out = {"state": self.describe(), "since": _iso(self.since)}
        if self.reason:
            out["reason"] = self.reason
        return out


async def keep_reachable(
    health: PlatformHealth,
    stop: asyncio.Event,
    *,
    start: Callable[[], Awaitable[None]],
    probe: Callable[[], Awaitable[None]] | None = None,
    on_ok: Callable[[], None] | None = None,
    first_delay: float = 1.0,
    longest_delay: float = 60.0,
) -> None:
    """Start the platform, retrying with capped backoff; then bring it back whenever it goes down.

    `start` runs until it succeeds once. Afterwards, while the platform is unreachable,
    `probe` (e.g. getMe) is retried with the same backoff until it answers; `probe=None`
    means something else already retries (a long-polling loop) and this only waits.
    `on_ok` runs every time the platform is (again) usable. Returns when `stop` is set
    or the token is rejected. Exceptions other than `TokenRejected` count as unreachable.
    """
    backoff = Backoff(first_delay, longest_delay)
    started = False
    health.starting()
    while not stop.is_set() and health.state != DISABLED:
        if started and health.state != UNREACHABLE:
            if on_ok is not None and health.ok:
                on_ok()
            backoff.reset()
            await health.wait_change(stop)
            continue
        if started and probe is None:
            await health.wait_change(stop)
            continue
        try:
            await (probe() if started and probe is not None else start())
        except TokenRejected as exc:
            health.reject(str(exc))
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            health.unreachable(describe_error(exc))
            await sleep_unless(stop, backoff.next())
            continue
        started = True
        health.reachable()


async def end_task(task: asyncio.Task[None], grace: float | None) -> None:
    """Let a background task end by itself (its stop event is set) within `grace` seconds,
    then cancel it; `grace=None` waits as long as it takes. Its failure is logged, not raised."""
    if grace is None:
        await asyncio.wait({task})
    elif grace > 0:
        await asyncio.wait({task}, timeout=grace)
    if not task.done():
        if grace:
            log.warning("%s did not stop within %.0f s; cancelled", task.get_name(), grace)
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    if not task.cancelled() and task.exception() is not None:
        log.error("%s failed: %s", task.get_name(), describe_error(task.exception()))  # type: ignore[arg-type]


class SupervisedPlatform:
    """What every platform shares: its mode, its health, the process's stop event, and one
    background task (`_run`) that starts it and keeps it going; `close` ends that task."""

    name = "platform"

    def __init__(
        self,
        *,
        mode: Literal["polling", "webhook", "send"],
        health: PlatformHealth,
        stop: asyncio.Event,
        retry_delays: tuple[float, float],
    ) -> None:
        self.mode = mode
        self.health = health
        self.stop = stop
        self.retry_delays = retry_delays  # first and longest wait between attempts to reach it
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start in the background; returns at once, whether the platform answers or not."""
        self._task = asyncio.create_task(self._run(), name=f"{self.name}-platform")

    async def _run(self) -> None:
        raise NotImplementedError

    def _keep_reachable(
        self,
        start: Callable[[], Awaitable[None]],
        probe: Callable[[], Awaitable[None]] | None,
        on_ok: Callable[[], None] | None = None,
    ) -> Awaitable[None]:
        first, longest = self.retry_delays
        return keep_reachable(
            self.health, self.stop, start=start, probe=probe, on_ok=on_ok, first_delay=first, longest_delay=longest
        )

    async def close(self, grace: float | None = 1.0) -> None:
        """End the background task: it stops by itself once `stop` is set, unless it is in the
        middle of a start attempt (cancelled after `grace` seconds; None: wait)."""
        if self._task is not None:
            await end_task(self._task, grace)
            self._task = None


def describe_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


class SenderStatus:
    """What one platform's announcement sender is doing, for /healthz."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        self.state = "starting"
        self.since = time.time()

    def set(self, state: str) -> None:
        if state != self.state:
            self.state, self.since = state, time.time()

    def describe(self) -> str:
        return self.state


class DatabaseProbe:
    """Can the database be written? A one-row write in its own transaction, time-bounded.

    It runs on a separate short-lived sqlite3 connection in a thread: never inside a
    transaction of the bots' shared connection, and a stuck disk cannot block the loop.
    At most one check runs at a time and a result is reused for `cache_seconds`, so a
    flood of /healthz requests costs one write a second at most.
    """

    HEARTBEAT_SQL = (
        "INSERT INTO meta (key, value) VALUES ('heartbeat', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )

    def __init__(self, path: Path, *, timeout: float = 5.0, cache_seconds: float = 1.0) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self._last: tuple[float, str | None] | None = None  # (monotonic time, error or None)
        self._running: asyncio.Future[str | None] | None = None
        self._running_since = 0.0

    async def check(self) -> str | None:
        """None when a write committed, else why not (one line)."""
        now = time.monotonic()
        if self._last is not None and now - self._last[0] < self.cache_seconds:
            return self._last[1]
        if self._running is None:
            self._running = self._in_thread()
            self._running_since = now
        try:
            error = await asyncio.wait_for(asyncio.shield(self._running), self.timeout + 1.0)
        except TimeoutError:
            # The thread may still finish; a later check picks its result up.
            return f"a write has not finished after {time.monotonic() - self._running_since:.0f} s"
        self._running = None
        self._last = (time.monotonic(), error)
        return error

    def _in_thread(self) -> asyncio.Future[str | None]:
        # A daemon thread, not the default executor: asyncio.run() joins that executor at
        # exit, and a write stuck on a dead disk must not keep the process from exiting.
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()

        def settle(result: str | None) -> None:
            if not future.done():
                future.set_result(result)

        def work() -> None:
            try:
                result = self._write()
            except Exception as exc:  # reported, never raised in a thread
                result = describe_error(exc)
            with contextlib.suppress(RuntimeError):  # the loop may be closed by now
                loop.call_soon_threadsafe(settle, result)

        threading.Thread(target=work, name="healthz-db-write", daemon=True).start()
        return future

    def _write(self) -> str | None:
        if str(self.path) != ":memory:" and not self.path.exists():
            return f"{self.path}: database file is missing"
        try:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            return f"cannot open: {exc}"
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(self.HEARTBEAT_SQL, (datetime.now(UTC).isoformat(timespec="seconds"),))
            conn.execute("COMMIT")
            return None
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            return f"cannot write: {exc}"
        finally:
            conn.close()
