"""The ASGI app of `ocop-bot serve`: both webhooks and /healthz (model: PTB's starlettebot).

Every webhook is acknowledged as soon as it is checked and queued; the answer to
the user is sent in the background. A redelivery (same Zalo message_id, same
Telegram update_id) is recognised through `Repository.claim_update` and skipped.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.health import DatabaseProbe, PlatformHealth, SenderStatus, describe_error
from bot.services import Services
from bot.web.guard import Rejected, read_json
from bot.web.workers import ShardedWorkers
from bot.zalo.adapter import ZaloBot
from bot.zalo.polling import handle_safely
from bot.zalo.types import MalformedUpdateError, ZaloUpdate, parse_update

if TYPE_CHECKING:
    from bot.telegram.platform import TelegramPlatform

log = logging.getLogger(__name__)

TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ZALO_SECRET_HEADER = "X-Bot-Api-Secret-Token"
TELEGRAM_PATH = "/telegram/webhook"
ZALO_PATH = "/zalo/webhook"
MAX_REPLAYS = 3  # times a Zalo update is tried again after Zalo failed to take its answer


class ZaloWebhook:
    """Zalo deliveries: queued per chat, de-duplicated by message_id, answered by `ZaloBot`."""

    def __init__(
        self,
        bot: ZaloBot,
        *,
        shards: int = 8,
        capacity: int = 256,
        health: PlatformHealth | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.bot = bot
        self.health = health
        self.stop = stop or asyncio.Event()
        self.workers: ShardedWorkers[ZaloUpdate] = ShardedWorkers(
            self._process, shards=shards, capacity=capacity, name="zalo-webhook"
        )

    async def _process(self, update: ZaloUpdate) -> None:
        # While Zalo is unreachable the answer could not be sent: wait (the queues fill up
        # and further deliveries get 503, so Zalo retries them) and answer once it is back.
        if not await self._usable(update):
            return
        # Claimed in the worker, not the request: a 503 (queue full) must leave the id
        # unclaimed, so the platform's retry is still answered.
        if not await self.bot.services.repo.claim_update("zalo", update.message_id):
            log.info("zalo: message %s delivered again; skipped", update.message_id)
            return
        for attempt in range(MAX_REPLAYS + 1):
            last = self.health is None or attempt == MAX_REPLAYS
            if await handle_safely(self.bot, update, quiet_outage=not last) or last:
                return
            # Zalo did not answer: try again once it is back (a reply in several parts may
            # then repeat its first parts; better than no answer).
            if not await self._usable(update):
                return

    async def _usable(self, update: ZaloUpdate) -> bool:
        if self.health is None or await self.health.wait_usable(self.stop):
            return True
        log.warning("zalo: message %s not answered: stopping while Zalo is unreachable", update.message_id)
        return False


@dataclass
class WebState:
    services: Services
    secret: str
    max_body_bytes: int
    zalo: ZaloWebhook | None = None
    telegram: TelegramPlatform | None = None
    # For /healthz: every platform's state (configured or not), each sender's, and the write check.
    health: dict[str, PlatformHealth] = field(default_factory=dict)
    senders: dict[str, SenderStatus] = field(default_factory=dict)
    database: DatabaseProbe | None = None
    database_problem: str | None = None


def _ok(**extra: Any) -> JSONResponse:
    return JSONResponse({"ok": True, **extra})


def build_app(state: WebState) -> Starlette:
    async def zalo_webhook(request: Request) -> Response:
        assert state.zalo is not None
        try:
            data = await read_json(
                request, header=ZALO_SECRET_HEADER, secret=state.secret, max_bytes=state.max_body_bytes
            )
            update = _zalo_update(data)
        except Rejected as rejected:
            return rejected.response
        if update is None:
            return _ok(ignored=True)
        if not state.zalo.workers.submit(update.chat_id, update):
            log.warning("zalo: webhook queue full; answered 503 so Zalo retries")
            return JSONResponse({"ok": False, "error": "busy"}, status_code=503, headers={"Retry-After": "1"})
        return _ok()

    async def telegram_webhook(request: Request) -> Response:
        assert state.telegram is not None
        try:
            data = await read_json(
                request, header=TELEGRAM_SECRET_HEADER, secret=state.secret, max_bytes=state.max_body_bytes
            )
            update = _telegram_update(data, state.telegram.bot)
        except Rejected as rejected:
            return rejected.response
        if not state.telegram.accepts():
            # Checked before the claim: a refused update must stay unclaimed for the retry.
            log.warning("telegram: cannot take updates now (%s); answered 503", state.telegram.health.describe())
            return JSONResponse({"ok": False, "error": "busy"}, status_code=503, headers={"Retry-After": "5"})
        if not await state.services.repo.claim_update("telegram", str(update.update_id)):
            log.info("telegram: update %s delivered again; skipped", update.update_id)
            return _ok(duplicate=True)
        state.telegram.submit(update)  # answered now, or held until Telegram answers again
        return _ok()

    async def healthz(request: Request) -> Response:
        return await _health(state)

    routes = [Route("/healthz", healthz, methods=["GET"])]
    if state.zalo is not None:
        routes.append(Route(ZALO_PATH, zalo_webhook, methods=["POST"]))
    if state.telegram is not None:
        routes.append(Route(TELEGRAM_PATH, telegram_webhook, methods=["POST"]))
    # No route for a disabled platform: its webhook path answers 404.
    return Starlette(routes=routes)


def _zalo_update(data: Any) -> ZaloUpdate | None:
    """The update, None for a well-formed event we don't model, Rejected(400) otherwise."""
    try:
        return parse_update(data)
    except MalformedUpdateError as exc:
        result = data.get("result", data) if isinstance(data, dict) else None
        if isinstance(result, dict) and isinstance(result.get("event_name"), str) and data.get("ok", True) is True:
            # A real Zalo event of a kind we can't use (e.g. no message): acknowledge it,
            # or Zalo would redeliver something we will never be able to handle.
            log.warning("zalo: ignored event %r: %s", result["event_name"][:64], exc)
            return None
        raise Rejected(400, "not a Zalo update") from None


def _telegram_update(data: Any, bot: Any) -> Any:
    from telegram import Update

    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        raise Rejected(400, "not a Telegram update")
    try:
        return Update.de_json(data, bot)
    except Exception:
        raise Rejected(400, "not a Telegram update") from None


async def _health(state: WebState) -> JSONResponse:
    """200 while the process can serve, with each platform's and sender's state; 503 when
    the database cannot be read or written, with the reason."""
    body: dict[str, Any] = {
        "status": "ok",
        "platforms": {name: health.describe() for name, health in state.health.items()},
        "sender": {name: status.describe() for name, status in state.senders.items()},
        "queues": {},
    }
    reasons = {name: h.reason for name, h in state.health.items() if h.reason and not h.ok}
    if reasons:
        body["reasons"] = reasons
    if state.zalo is not None:
        body["queues"]["zalo"] = {"size": state.zalo.workers.qsize(), "capacity": state.zalo.workers.capacity}
    if state.telegram is not None:
        body["queues"]["telegram"] = {"size": state.telegram.queue_size(), "held": state.telegram.held}
    try:
        repo = state.services.repo
        body["database"] = {"ok": True, "schema_version": await repo.schema_version()}
        body["catalogue_version"] = await repo.catalogue_version()
        problem = await state.database.check() if state.database is not None else None
    except Exception as exc:  # any failure here means "not healthy", whatever its kind
        problem = f"cannot read: {describe_error(exc)}"
    if problem != state.database_problem:  # logged when it changes, not on every request
        if problem is not None:
            log.error("healthz: database check failed: %s", problem)
        else:
            log.warning("healthz: database writable again")
        state.database_problem = problem
    if problem is not None:
        body["database"] = {"ok": False, "error": problem}
        body["status"] = "error"
        body["reason"] = f"database: {problem}"
        return JSONResponse(body, status_code=503)
    body["database"]["writable"] = state.database is not None
    return JSONResponse(body)
