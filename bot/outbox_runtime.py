"""Running the outbox in a bot process: one leased sender per platform, staff progress
messages updated in place, and fair reminders."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
from datetime import timedelta

from bot.health import PlatformHealth, SenderStatus
from bot.outbox import Lease, OutboxSender, Transport
from bot.services import Services

log = logging.getLogger(__name__)

LEASE_TTL = 10.0
PROGRESS_EVERY = 2.0
REMINDER_CHECK_EVERY = 60.0
# After the platform rejected the token: try one delivery again after this long, doubling to
# the maximum (the token may be fixed on the platform's side; a restart with a new one
# resumes at once).
AUTH_RETRY_FIRST = 30.0
AUTH_RETRY_MAX = 600.0


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine: trust its lease until it lapses
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sender_concurrency(rate: float) -> int:
    """The most sends one platform's sender may have in flight. The sender keeps only
    ceil(rate x observed latency) in flight (1-2 at Telegram's ~30/s and 50 ms); this cap
    holds even when the platform answers slowly, and bounds what a crash can repeat."""
    return max(1, min(32, math.ceil(rate / 10)))


def progress_bar(done: int, total: int, width: int = 10) -> str:
    filled = round(width * done / total) if total else width
    return "▓" * filled + "░" * (width - filled)


def format_count(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # Vietnamese thousands separator, fine in English too


class ProgressReporter:
    """Tells the staff member who confirmed an announcement how it goes, on their platform."""

    def __init__(self, services: Services, transport: Transport) -> None:
        self.services = services
        self.transport = transport
        self._last_edit: dict[int, tuple[float, str]] = {}

    async def tick(self) -> None:
        repo = self.services.repo
        for broadcast in await repo.broadcasts(author_platform=self.transport.platform):
            if broadcast.reported or not broadcast.author_chat:
                continue
            counts = await repo.delivery_counts(broadcast.id)
            lang = await repo.user_language(broadcast.author_platform, broadcast.author_user) or "vi"
            if broadcast.status == "done":
                if await repo.mark_reported(broadcast.id):
                    await self._safe_send(broadcast.author_chat, self._report(lang, broadcast, counts))
                continue
            await self._progress(lang, broadcast, counts)

    async def _progress(self, lang: str, broadcast, counts: dict[str, int]) -> None:
        total = sum(counts.values())
        done = total - counts["pending"]
        pct = int(100 * done / total) if total else 100
        text = self.services.i18n.t(
            lang, "outbox.progress", id=broadcast.id, done=format_count(done), total=format_count(total),
            bar=progress_bar(done, total), pct=pct,
        )  # fmt: skip
        last = self._last_edit.get(broadcast.id)
        now = time.monotonic()
        if last and (last[1] == text or now - last[0] < PROGRESS_EVERY):
            return
        if broadcast.progress_message_id is None:
            message_id = await self._safe_send(broadcast.author_chat, text)
            if message_id:
                await self.services.repo.set_progress_message(broadcast.id, message_id)
        elif self.transport.can_edit:
            try:
                await self.transport.edit(broadcast.author_chat, broadcast.progress_message_id, text)
            except Exception:
                log.warning("could not update the progress message of broadcast %d", broadcast.id)
        self._last_edit[broadcast.id] = (now, text)

    def _report(self, lang: str, broadcast, counts: dict[str, int]) -> str:
        seconds = (broadcast.finished_at or time.time()) - (broadcast.started_at or time.time())
        return self.services.i18n.t(
            lang, "outbox.report", id=broadcast.id, sent=format_count(counts["sent"]),
            blocked=format_count(counts["blocked"]), failed=format_count(counts["failed"]),
            duration=str(timedelta(seconds=round(max(seconds, 0)))),
        )  # fmt: skip

    async def _safe_send(self, chat_id: str, text: str) -> str | None:
        try:
            return await self.transport.send(chat_id, text)
        except Exception:
            log.warning("could not tell the author of a broadcast how it went")
            return None


async def schedule_reminders(services: Services) -> int:
    """Queue reminders for fairs starting within [broadcast] reminder_days; idempotent."""
    days = services.config.broadcast.reminder_days
    if days <= 0:
        return 0
    today = services.today()
    snapshot = await services.catalogue.get()
    added = 0
    i18n = services.i18n
    for event in snapshot.catalogue.events:
        if event.start_date is None or not 0 < (event.start_date - today).days <= days:
            continue
        when = event.start_date.strftime("%d/%m/%Y")
        texts = [
            i18n.t(lang, "outbox.reminder", name=event.name, date=when, place=event.place) for lang in ("vi", "en")
        ]
        added += await services.repo.ensure_reminder(event.id, texts[0], texts[1])
    return added


async def run_sender(
    services: Services,
    transport: Transport,
    stop: asyncio.Event,
    *,
    rate: float,
    health: PlatformHealth | None = None,
    status: SenderStatus | None = None,
    lease_ttl: float | None = None,
    owner: str | None = None,
    auth_retry: tuple[float, float] | None = None,
) -> None:
    """The platform's sender, active only while this process holds the platform's lease.

    The lease is renewed by its own task, so a long 429 wait or a slow round cannot let it
    lapse, and the sender checks it before each send. Progress is reported from a side task
    every PROGRESS_EVERY seconds; a reporter error is logged, never stops the sender. With
    `health`, the sender waits while its platform is not usable (starting, unreachable,
    disabled) instead of spending the deliveries' attempts on an outage, and stops a round
    as soon as it goes down. A rejected token pauses the platform's announcements (nothing
    is marked failed) and is tried again with backoff. `status` tells /healthz what it does.
    """
    repo = services.repo
    owner = owner or owner_id()
    status = status or SenderStatus(transport.platform)
    config = services.config.broadcast
    auth_retry = auth_retry or (AUTH_RETRY_FIRST, AUTH_RETRY_MAX)

    def platform_down() -> bool:
        return health is not None and not health.ok

    lease = Lease(repo, transport.platform, owner, lease_ttl or LEASE_TTL, owner_alive)
    sender = OutboxSender(
        repo, transport, rate=rate, max_attempts=config.max_attempts, retry_for=config.retry_hours * 3600,
        concurrency=sender_concurrency(rate), paused=platform_down, lease=lease,
    )  # fmt: skip
    reporter = ProgressReporter(services, transport)
    state = {
        "next_reminder_check": 0.0,
        "auth_wait": auth_retry[0],
        "auth_until": 0.0,
        "sent_at_pause": 0,
        "paused": False,
        "pause_checked": False,
    }

    def wanted() -> bool:
        # Paused on a rejected token: not the lease either, so a process with a working
        # token (e.g. a `sender` started after the fix while this one runs on) can send.
        return not platform_down() and sender.auth_error is None

    async def tick() -> None:
        try:
            await reporter.tick()
        except Exception:
            log.exception("%s progress report failed", transport.platform)

    async def report_progress() -> None:
        while not stop.is_set():
            if lease.valid():
                await tick()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=PROGRESS_EVERY)

    progress = asyncio.create_task(report_progress())
    renewal = asyncio.create_task(lease.keep(stop, wanted))
    try:
        while not stop.is_set():
            if platform_down():
                # Not even the lease: another process that can reach the platform may send.
                status.set(f"waiting: {transport.platform} {health.describe()}")
                if lease.valid():
                    with contextlib.suppress(Exception):
                        await lease.release()
                await health.wait_change(stop, within=5.0)
                continue
            if sender.auth_error is not None:
                if time.monotonic() < state["auth_until"]:
                    status.set(f"paused: {transport.platform} rejected the token ({sender.auth_error})")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=min(1.0, state["auth_until"] - time.monotonic()))
                    continue
                sender.clear_auth_error()  # one delivery tries the token again
            worked = False
            try:
                if not lease.valid():
                    await lease.renew()
                holding = lease.valid()
                status.set("active" if holding else "standby: another process holds the lease")
                if holding:
                    if time.monotonic() >= state["next_reminder_check"]:
                        # Fairs are days away: once a minute is plenty, not a write every round.
                        await schedule_reminders(services)
                        state["next_reminder_check"] = time.monotonic() + REMINDER_CHECK_EVERY
                    worked = await sender.send_round(batch=max(20, int(rate * 2)))
            except Exception:
                log.exception("%s sender round failed", transport.platform)
                status.set("error: last round failed (see the log)")
            if sender.auth_error is not None:
                state["auth_until"] = time.monotonic() + state["auth_wait"]
                state["auth_wait"] = min(auth_retry[1], state["auth_wait"] * 2)
                state["sent_at_pause"] = sender.stats.sent
                status.set(f"paused: {transport.platform} rejected the token ({sender.auth_error})")
                with contextlib.suppress(Exception):
                    await lease.release()
                    if not state["paused"]:
                        await repo.pause_platform(transport.platform, f"token rejected: {sender.auth_error}")
                        state["paused"] = True
                continue
            if sender.stats.sent > state["sent_at_pause"]:
                state["auth_wait"] = auth_retry[0]  # the token works (again)
                if state["paused"] or not state["pause_checked"]:
                    # Also a pause left by an earlier process, once this one's token works.
                    with contextlib.suppress(Exception):
                        if await repo.resume_platform(transport.platform):
                            log.info("%s announcements resumed: the token works", transport.platform)
                        state["paused"], state["pause_checked"] = False, True
            if worked:
                continue
            if lease.valid():
                await tick()  # the final report as soon as a broadcast is done
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.5 if lease.valid() else 2.0)
    finally:
        status.set("stopped")
        await progress
        renewal.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewal
        with contextlib.suppress(Exception):
            await lease.release()  # only ever deletes this owner's lease and claims
