"""`ocop-bot zalo`: long polling with getUpdates (one update per call).

Nothing that happens to one update may stop the loop: handler and send errors are
logged; network and server errors back off a little; 429 waits what Zalo asks.
Only a rejected token (401) ends it, because retrying never fixes that.

Stopping: getUpdates has no offset, so an update Zalo hands to a poll we abandoned
is lost. A stop request therefore lets the poll in flight finish (and answers what
it brings); only a second request (`force`) abandons it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.config import Config, ConfigError, require_secret
from bot.zalo.adapter import ZaloBot
from bot.zalo.client import ZaloClient
from bot.zalo.errors import ZaloBadRequest, ZaloError, ZaloRateLimited, ZaloUnauthorized
from bot.zalo.types import ZaloUpdate

log = logging.getLogger(__name__)

EXIT_TOKEN_REJECTED = 1


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


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _next_update(client: ZaloClient, force: asyncio.Event, poll_timeout: int) -> ZaloUpdate | None:
    """One long poll, abandoned only when `force` is set (see the module docstring)."""
    poll = asyncio.ensure_future(client.get_updates(poll_timeout))
    forced = asyncio.ensure_future(force.wait())
    try:
        await asyncio.wait({poll, forced}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        forced.cancel()
    if not poll.done():
        poll.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poll
        return None
    return poll.result()


async def poll_forever(
    bot: ZaloBot,
    client: ZaloClient,
    stop: asyncio.Event,
    *,
    poll_timeout: int = 30,
    backoff: Backoff | None = None,
    force: asyncio.Event | None = None,
) -> int:
    """Poll and answer until `stop` is set; returns an exit status (0, or 1 for a bad token).

    After `stop`, the poll in flight still completes (up to `poll_timeout` s) unless
    `force` is set too.
    """
    backoff = backoff or Backoff()
    force = force or asyncio.Event()
    while not stop.is_set():
        try:
            update = await _next_update(client, force, poll_timeout)
        except ZaloUnauthorized as exc:
            log.error("zalo: the bot token was rejected (%s); check ZALO_BOT_TOKEN", exc)
            return EXIT_TOKEN_REJECTED
        except ZaloRateLimited as exc:
            await _sleep_unless(stop, exc.retry_after if exc.retry_after is not None else backoff.next())
            continue
        except ZaloBadRequest as exc:
            # Typically "webhook is active": polling and webhook exclude each other on Zalo.
            log.error("zalo: getUpdates refused (%s); is a webhook set? (`ocop-bot serve` uses it)", exc)
            await _sleep_unless(stop, backoff.next())
            continue
        except ZaloError as exc:  # network, 5xx, proxy pages, anything else from Zalo
            log.warning("zalo: getUpdates failed (%s); retrying", exc)
            await _sleep_unless(stop, backoff.next())
            continue
        except ValueError as exc:  # a malformed update; it is consumed, go on
            log.warning("zalo: skipped a malformed update: %s", exc)
            continue
        except Exception:
            log.exception("zalo: unexpected error while polling; retrying")
            await _sleep_unless(stop, backoff.next())
            continue
        backoff.reset()
        if update is not None:
            await handle_safely(bot, update, stop)
    return 0


async def handle_safely(bot: ZaloBot, update: ZaloUpdate, stop: asyncio.Event | None = None) -> None:
    """Answer one update; log any failure instead of raising (shared with the webhook workers)."""
    try:
        await bot.handle(update)
    except ZaloRateLimited as exc:
        log.warning("zalo: rate limited while answering %s (%s)", update.message_id, exc)
        if stop is not None:
            await _sleep_unless(stop, min(exc.retry_after or 1.0, bot.max_retry_after))
    except Exception:
        log.exception("zalo: answering message %s in chat %s failed", update.message_id, update.chat_id)


def install_stop_signals(stop: asyncio.Event, force: asyncio.Event | None = None) -> None:
    """The first SIGINT/SIGTERM sets `stop` (finish cleanly), a second one sets `force`."""
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set() and force is not None:
            force.set()
            return
        stop.set()
        if force is not None:
            log.warning("stopping after the current long poll; signal again to stop at once")

    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on this platform/thread
            loop.add_signal_handler(sig, on_signal)


async def run_zalo(config: Config) -> int:
    """The `ocop-bot zalo` command."""
    from bot.outbox_runtime import run_sender
    from bot.redaction import redact_tokens_in_logs
    from bot.services import build_services
    from bot.transports import ZaloTransport

    token = require_secret("ZALO_BOT_TOKEN")
    remove_redaction = redact_tokens_in_logs(token)
    services = await build_services(config)
    client = ZaloClient(token, config.zalo.base_url)
    try:
        try:
            me = await client.get_me()
            log.info("zalo: polling as %s", me.get("account_name") or me.get("id"))
        except ZaloUnauthorized:
            raise ConfigError("ZALO_BOT_TOKEN was rejected by Zalo (401): check the token") from None
        except ZaloError as exc:
            log.warning("zalo: getMe failed (%s); polling anyway", exc)
        stop, force = asyncio.Event(), asyncio.Event()
        install_stop_signals(stop, force)
        bot = ZaloBot(services, client)
        # Announcements to Zalo subscribers go out from this process too, paced and leased.
        sender = asyncio.create_task(run_sender(services, ZaloTransport(client), stop, rate=config.broadcast.zalo_rate))
        try:
            return await poll_forever(bot, client, stop, poll_timeout=config.zalo.poll_timeout, force=force)
        finally:
            stop.set()
            await sender
    finally:
        await client.close()
        await services.close()
        remove_redaction()
