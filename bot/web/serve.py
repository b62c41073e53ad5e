"""`ocop-bot serve`: webhooks for Telegram and Zalo and /healthz, in one process and loop.

As in PTB's custom-webhook example: the PTB Application is built without an Updater,
initialised and started by us, and fed by our Starlette route; uvicorn serves the app
on a socket we bind ourselves (a clear error if the port is taken, and port 0 works
for tests). Signals are ours too: uvicorn's own handler would re-raise SIGTERM after
its shutdown and kill the process before queued work is finished.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
import socket
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Self

import uvicorn

from bot.config import Config, ConfigError, require_secret
from bot.web.app import TELEGRAM_PATH, ZALO_PATH, WebState, ZaloWebhook, build_app
from bot.zalo.adapter import ZaloBot
from bot.zalo.client import ZaloClient
from bot.zalo.errors import ZaloError, ZaloUnauthorized
from bot.zalo.polling import install_stop_signals

if TYPE_CHECKING:
    from telegram.ext import Application

    from bot.services import Services

log = logging.getLogger(__name__)

# Telegram allows 1-256 of [A-Za-z0-9_-]; Zalo wants 8-256 characters: both hold for this.
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{8,256}")
EXIT_WEBHOOK_FAILED = 1


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Our loop-level handlers stop the server; see the module docstring.
        yield


class WebService:
    """Starts workers, the PTB application and uvicorn; stops them in the reverse order."""

    def __init__(self, state: WebState, *, host: str, port: int) -> None:
        self.state = state
        self.host = host
        self.port = port
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._telegram_started = False

    async def start(self) -> None:
        sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        telegram = self.state.telegram
        if telegram is not None:
            # What run_polling/run_webhook would do, without an Updater: we feed update_queue.
            await telegram.initialize()
            self._telegram_started = True
            if telegram.post_init is not None:
                await telegram.post_init(telegram)
            await telegram.start()
        if self.state.zalo is not None:
            self.state.zalo.workers.start()
        config = uvicorn.Config(
            build_app(self.state),
            lifespan="off",
            log_config=None,  # our logging (with token redaction), not uvicorn's own handlers
            timeout_graceful_shutdown=5,
            server_header=False,
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="uvicorn")
        while not self._server.started:
            if self._task.done():
                await self._task  # raises what went wrong
                raise RuntimeError("web server stopped during startup")
            await asyncio.sleep(0.01)
        log.info("serving on http://%s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            # Stop taking requests first, then finish what was already accepted.
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await self._task
        if self.state.zalo is not None:
            await self.state.zalo.workers.stop()
        telegram = self.state.telegram
        if telegram is not None and self._telegram_started:
            if telegram.running:
                await telegram.stop()  # answers what is left in update_queue first
            await telegram.shutdown()
            if telegram.post_shutdown is not None:
                await telegram.post_shutdown(telegram)
            self._telegram_started = False

    async def __aenter__(self) -> Self:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise ConfigError(f"[web] cannot listen on {host}:{port} ({exc.strerror or exc})") from None


def _optional_secret(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


async def set_webhooks(state: WebState, zalo_client: ZaloClient | None, public_url: str) -> None:
    """Register https://PUBLIC/telegram/webhook and https://PUBLIC/zalo/webhook."""
    base = public_url.rstrip("/")
    if state.telegram is not None:
        from bot.telegram.app import ALLOWED_UPDATES

        await state.telegram.bot.set_webhook(
            url=base + TELEGRAM_PATH, secret_token=state.secret, allowed_updates=list(ALLOWED_UPDATES)
        )
        log.warning("telegram webhook set to %s", base + TELEGRAM_PATH)
    if zalo_client is not None:
        await zalo_client.set_webhook(base + ZALO_PATH, state.secret)
        log.warning("zalo webhook set to %s", base + ZALO_PATH)


def telegram_application(services: Services, token: str) -> Application:
    """The Telegram adapter's application, in webhook mode (no Updater: we feed update_queue)."""
    from bot.telegram.app import build_application

    return build_application(services, token, polling=False)


async def _start(web: WebService, zalo_client: ZaloClient | None) -> None:
    """Start serving; a rejected token is a configuration error (exit 2), as for the pollers."""
    if zalo_client is not None:
        try:
            await zalo_client.get_me()
        except ZaloUnauthorized:
            raise ConfigError("ZALO_BOT_TOKEN was rejected by Zalo (401): check the token") from None
        except ZaloError as exc:
            log.warning("zalo: getMe failed (%s); serving anyway", exc)
    try:
        await web.start()
    except Exception as exc:
        from telegram.error import InvalidToken

        if isinstance(exc, InvalidToken):
            raise ConfigError("TELEGRAM_BOT_TOKEN was rejected by Telegram (401/404): check the token") from None
        raise


def _start_senders(services, state: WebState, zalo_client: ZaloClient | None, stop: asyncio.Event) -> list:
    """Announcements go out from the webhook process too (leased: one sender per platform)."""
    from bot.outbox_runtime import run_sender
    from bot.transports import TelegramTransport, ZaloTransport

    rates = services.config.broadcast
    tasks = []
    if state.telegram is not None:
        transport = TelegramTransport(state.telegram.bot)
        tasks.append(asyncio.create_task(run_sender(services, transport, stop, rate=rates.telegram_rate)))
    if zalo_client is not None:
        transport = ZaloTransport(zalo_client)
        tasks.append(asyncio.create_task(run_sender(services, transport, stop, rate=rates.zalo_rate)))
    return tasks


async def run_serve(args: argparse.Namespace, config: Config) -> int:
    """The `ocop-bot serve` command."""
    from bot.redaction import redact_tokens_in_logs
    from bot.services import build_services

    secret = require_secret("OCOP_WEBHOOK_SECRET")
    if not SECRET_RE.fullmatch(secret):
        raise ConfigError("OCOP_WEBHOOK_SECRET must be 8-256 characters of A-Z, a-z, 0-9, _ and -")
    telegram_token = _optional_secret("TELEGRAM_BOT_TOKEN")
    zalo_token = _optional_secret("ZALO_BOT_TOKEN")
    if telegram_token is None and zalo_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN and ZALO_BOT_TOKEN are both unset: serve needs at least one")
    public_url = args.set_webhook
    if public_url and not public_url.startswith(("https://", "http://")):
        raise ConfigError(f"--set-webhook: {public_url!r} is not an http(s) URL")
    remove_redaction = redact_tokens_in_logs(telegram_token, zalo_token, secret)
    services = await build_services(config)
    zalo_client = ZaloClient(zalo_token, config.zalo.base_url) if zalo_token else None
    try:
        state = WebState(services, secret, config.web.max_body_bytes)
        if zalo_client is not None:
            state.zalo = ZaloWebhook(ZaloBot(services, zalo_client))
        if telegram_token is not None:
            state.telegram = telegram_application(services, telegram_token)
        stop = asyncio.Event()
        install_stop_signals(stop)
        web = WebService(state, host=config.web.host, port=config.web.port)
        try:
            await _start(web, zalo_client)
            if public_url:
                # After we listen: Zalo may probe the URL while registering it.
                try:
                    await set_webhooks(state, zalo_client, public_url)
                except Exception as exc:
                    log.error("setting the webhooks failed: %s", exc)
                    return EXIT_WEBHOOK_FAILED
            senders = _start_senders(services, state, zalo_client, stop)
            await stop.wait()
            await asyncio.gather(*senders)
        finally:
            await web.stop()
        return 0
    finally:
        if zalo_client is not None:
            await zalo_client.close()
        await services.close()
        remove_redaction()
