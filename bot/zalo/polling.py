"""`ocop-bot zalo`: long polling with getUpdates (one update per call).

Nothing that happens to one update may stop the loop: handler and send errors are
logged; network and server errors back off a little; 429 waits what Zalo asks.
Only a rejected token (401) ends it, because retrying never fixes that.

With an `inbox` (the platform's), each update is written to the durable inbox and
answered from there; without one (tests of the loop itself), it is answered here.

Stopping: getUpdates has no offset, so an update Zalo hands to a poll we abandoned
is lost. A stop request therefore lets the poll in flight finish (and answers what
it brings); only a second request (`force`) abandons it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from bot.health import Backoff, PlatformHealth, sleep_unless
from bot.zalo.adapter import ZaloBot
from bot.zalo.client import ZaloClient
from bot.zalo.errors import (
    ZaloBadRequest,
    ZaloError,
    ZaloNetworkError,
    ZaloRateLimited,
    ZaloServerError,
    ZaloUnauthorized,
)
from bot.zalo.types import ZaloUpdate

if TYPE_CHECKING:
    from bot.zalo.inbox import ZaloInbox

log = logging.getLogger(__name__)

EXIT_TOKEN_REJECTED = 1

__all__ = ["Backoff", "EXIT_TOKEN_REJECTED", "handle_safely", "poll_forever"]


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
    health: PlatformHealth | None = None,
    inbox: ZaloInbox | None = None,
) -> int:
    """Poll and answer until `stop` is set; returns an exit status (0, or 1 for a bad token).

    After `stop`, the poll in flight still completes (up to `poll_timeout` s) unless
    `force` is set too. With `health` (fed by the client's observer), an outage is logged
    there once per change of state instead of once per failed poll here.
    """
    backoff = backoff or Backoff()
    force = force or asyncio.Event()
    warn = log.debug if health is not None else log.warning
    while not stop.is_set():
        try:
            update = await _next_update(client, force, poll_timeout)
        except ZaloUnauthorized as exc:
            log.error("zalo: the bot token was rejected (%s); check ZALO_BOT_TOKEN", exc)
            return EXIT_TOKEN_REJECTED
        except ZaloRateLimited as exc:
            await sleep_unless(stop, exc.retry_after if exc.retry_after is not None else backoff.next())
            continue
        except ZaloBadRequest as exc:
            # Typically "webhook is active": polling and webhook exclude each other on Zalo.
            log.error("zalo: getUpdates refused (%s); is a webhook set? (`ocop-bot serve` uses it)", exc)
            await sleep_unless(stop, backoff.next())
            continue
        except ZaloError as exc:  # network, 5xx, proxy pages, anything else from Zalo
            warn("zalo: getUpdates failed (%s); retrying", exc)
            await sleep_unless(stop, backoff.next())
            continue
        except ValueError as exc:  # a malformed update; it is consumed, go on
            log.warning("zalo: skipped a malformed update: %s", exc)
            continue
        except Exception:
            log.exception("zalo: unexpected error while polling; retrying")
            await sleep_unless(stop, backoff.next())
            continue
        backoff.reset()
        if update is None:
            continue
        if inbox is None:
            await handle_safely(bot, update, stop)
            continue
        try:
            await inbox.take(update)
        except Exception as exc:  # not stored: answer it now rather than lose it
            log.error("zalo: update %s not stored (%s); answered at once", update.message_id, exc)
            await handle_safely(bot, update, stop)
        while inbox.workers.full() and not stop.is_set():
            await sleep_unless(stop, 1.0)  # the answers are behind: Zalo holds the updates meanwhile
    return 0


async def handle_safely(
    bot: ZaloBot, update: ZaloUpdate, stop: asyncio.Event | None = None, *, quiet_outage: bool = False
) -> bool:
    """Answer one update; log any failure instead of raising (shared with the webhook workers).

    Returns False when Zalo did not answer (network, 5xx): the caller may try again once
    Zalo is back; `quiet_outage` leaves that case to the platform's health to report.
    """
    try:
        await bot.handle(update)
    except ZaloRateLimited as exc:
        log.warning("zalo: rate limited while answering %s (%s)", update.message_id, exc)
        if stop is not None:
            await sleep_unless(stop, min(exc.retry_after or 1.0, bot.max_retry_after))
    except (ZaloNetworkError, ZaloServerError) as exc:
        if not quiet_outage:
            log.exception("zalo: answering message %s in chat %s failed", update.message_id, update.chat_id)
        else:
            log.info("zalo: answering message %s failed (%s)", update.message_id, exc)
        return False
    except Exception:
        log.exception("zalo: answering message %s in chat %s failed", update.message_id, update.chat_id)
    return True
