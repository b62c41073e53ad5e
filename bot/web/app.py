"""The ASGI app of `ocop-bot serve`: both webhooks and /healthz (model: PTB's starlettebot).

Every webhook update is acknowledged (200) only once it is checked and stored in the
durable inbox (`bot.storage.inbox`); the answer to the user is sent from there in the
background (`bot.web.workers.InboxWorkers`). A redelivery (same Zalo message_id, same
Telegram update_id) is recognised by the inbox's unique key and skipped. A full inbox or
a failing database answers 503, so the platform delivers the update again later.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from bot.health import DatabaseProbe, PlatformHealth, SenderStatus, describe_error
from bot.services import Services
from bot.web.guard import Rejected, read_json
from bot.web.workers import InboxWorkers
from bot.zalo.inbox import ZaloInbox
from bot.zalo.types import MalformedUpdateError, ZaloUpdate, parse_update

if TYPE_CHECKING:
    from bot.telegram.platform import TelegramPlatform

log = logging.getLogger(__name__)

TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ZALO_SECRET_HEADER = "X-Bot-Api-Secret-Token"
TELEGRAM_PATH = "/telegram/webhook"
ZALO_PATH = "/zalo/webhook"
REFUSED_LOG_EVERY = 100  # one warning line per this many updates refused with 503


@dataclass
class WebState:
    services: Services
    secret: str
    max_body_bytes: int
    zalo: ZaloInbox | None = None
    telegram: TelegramPlatform | None = None
    telegram_inbox: InboxWorkers | None = None
    # For /healthz: every platform's state (configured or not), each sender's, and the write check.
    health: dict[str, PlatformHealth] = field(default_factory=dict)
    senders: dict[str, SenderStatus] = field(default_factory=dict)
    database: DatabaseProbe | None = None
    inbox: DatabaseProbe | None = None  # the inbox's own file
    database_problem: str | None = None
    pages: Any = None  # the web catalogue's ASGI app (bot.web.pages), mounted after the webhooks


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
        return await _take(state.zalo.workers, update.message_id, update.chat_id, data)

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
            # A disabled platform (token rejected) can never answer: don't take the update.
            log.warning("telegram: cannot take updates now (%s); answered 503", state.telegram.health.describe())
            return JSONResponse({"ok": False, "error": "busy"}, status_code=503, headers={"Retry-After": "5"})
        assert state.telegram_inbox is not None
        from bot.telegram.poller import update_chat_key  # telegram is imported only when served

        return await _take(state.telegram_inbox, str(update.update_id), update_chat_key(update), data)

    async def healthz(request: Request) -> Response:
        return await _health(state)

    routes = [Route("/healthz", healthz, methods=["GET"])]
    if state.zalo is not None:
        routes.append(Route(ZALO_PATH, zalo_webhook, methods=["POST"]))
    if state.telegram is not None:
        routes.append(Route(TELEGRAM_PATH, telegram_webhook, methods=["POST"]))
    # No route for a disabled platform: its webhook path answers 404.
    if state.pages is not None:
        # The pages answer every other path; a webhook path keeps answering other methods 405.
        async def not_allowed(request: Request) -> Response:
            return JSONResponse(
                {"ok": False, "error": "method not allowed"}, status_code=405, headers={"Allow": "POST"}
            )

        others = ["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"]
        routes += [Route(route.path, not_allowed, methods=others) for route in routes if route.path != "/healthz"]
        routes.append(Mount("/", app=state.pages))
    return Starlette(routes=routes)


async def _take(workers: InboxWorkers, key: str, chat: str, data: Any) -> Response:
    """Store the update in the inbox, then acknowledge it (200); 503 when it cannot be stored
    (inbox full, database failing) so the platform delivers it again later."""
    name = workers.platform
    if workers.full():
        workers.refused += 1
        if workers.refused % REFUSED_LOG_EVERY == 1:
            log.warning(
                "%s: inbox holds %d pending updates; answering 503 so %s delivers again later (%d refused)",
                name, workers.pending, name, workers.refused,
            )  # fmt: skip
        return JSONResponse({"ok": False, "error": "busy"}, status_code=503, headers={"Retry-After": "5"})
    try:
        stored = await workers.submit(key, chat, json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    except Exception as exc:
        log.error("%s: update %s not stored (%s); answered 503", name, key, describe_error(exc))
        return JSONResponse({"ok": False, "error": "unavailable"}, status_code=503, headers={"Retry-After": "5"})
    if not stored:
        log.info("%s: update %s delivered again; skipped", name, key)
        return _ok(duplicate=True)
    return _ok()


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
    for name, workers in (("zalo", state.zalo.workers if state.zalo else None), ("telegram", state.telegram_inbox)):
        if workers is not None:
            body["queues"][name] = {"pending": workers.pending, "capacity": workers.capacity}
    try:
        repo = state.services.repo
        body["database"] = {"ok": True, "schema_version": await repo.schema_version()}
        body["catalogue_version"] = await repo.catalogue_version()
        problem = await state.database.check() if state.database is not None else None
        if problem is None and state.inbox is not None:
            inbox_problem = await state.inbox.check()
            problem = f"inbox file: {inbox_problem}" if inbox_problem else None
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
