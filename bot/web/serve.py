"""The web server of `ocop-bot serve`: webhooks for Telegram and Zalo and /healthz.

The runtime (`bot.runtime`) builds the platforms and starts them on their own; this only
serves HTTP. As in PTB's custom-webhook example the PTB Application has no Updater and
is fed by our Starlette route; uvicorn serves the app on a socket we bind ourselves (a
clear error if the port is taken, and port 0 works for tests). Signals are the runtime's:
uvicorn's own handler would re-raise SIGTERM after its shutdown and kill the process
before queued work is finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
from collections.abc import Iterator
from types import TracebackType
from typing import Self

import uvicorn

from bot.config import ConfigError
from bot.web.app import TELEGRAM_PATH, ZALO_PATH, WebState, build_app
from bot.web.guard import (
    ACCEPT_BATCH,
    ConnectionLimits,
    connection_cap,
    guarded_protocol,
    install_flood_filter,
)
from bot.web.workers import InboxWorkers

log = logging.getLogger(__name__)

# Telegram allows 1-256 of [A-Za-z0-9_-]; Zalo wants 8-256 characters: both hold for this.
SECRET_RE = re.compile(r"[A-Za-z0-9_-]{8,256}")
# Also how many connections asyncio accepts in one go, before any of them is looked at:
# kept small so the connection cap (bot.web.guard) acts before descriptors run out.
BACKLOG = ACCEPT_BATCH
KERNEL_BACKLOG = 2048
WEBHOOK_PATHS = {"telegram": TELEGRAM_PATH, "zalo": ZALO_PATH}


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # Our loop-level handlers stop the server; see the module docstring.
        yield


class WebService:
    """Starts the inbox workers and uvicorn; stops them in the reverse order."""

    def __init__(
        self, state: WebState, *, host: str, port: int, max_connections: int = 0, request_seconds: float = 5.0,
        keep_alive_seconds: int = 5,
    ) -> None:  # fmt: skip
        self.state = state
        self.host = host
        self.port = port
        self.limits = ConnectionLimits(connection_cap(max_connections), request_seconds)
        self.keep_alive_seconds = keep_alive_seconds
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        install_flood_filter()
        sock = _bind(self.host, self.port)
        self.port = sock.getsockname()[1]
        for workers in self._inboxes():
            await workers.start()  # pending rows from before a restart are answered first
        config = uvicorn.Config(
            build_app(self.state),
            lifespan="off",
            log_config=None,  # our logging (with token redaction), not uvicorn's own handlers
            timeout_graceful_shutdown=5,
            server_header=False,
            # Hostile connections are bounded (see bot.web.guard): whole requests within
            # request_seconds, idle keep-alive closed, connections capped below the
            # descriptor limit, headers at most 16 KiB, requests in progress capped too.
            http=guarded_protocol(self.limits),
            timeout_keep_alive=self.keep_alive_seconds,
            limit_concurrency=self.limits.max_connections + 1,
            h11_max_incomplete_event_size=16 * 1024,
            backlog=BACKLOG,
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="uvicorn")
        while not self._server.started:
            if self._task.done():
                await self._task  # raises what went wrong
                raise RuntimeError("web server stopped during startup")
            await asyncio.sleep(0.01)
        # asyncio used the backlog for both listen() and its accept batch; the kernel's
        # queue may be long (connections wait there without a descriptor of ours).
        sock.listen(KERNEL_BACKLOG)
        log.info("serving on http://%s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            # Stop taking requests first, then finish what was already accepted.
            self._server.should_exit = True
            with contextlib.suppress(Exception):
                await self._task
        for workers in self._inboxes():
            await workers.stop()

    def _inboxes(self) -> list[InboxWorkers]:
        found = [self.state.zalo.workers] if self.state.zalo is not None else []
        if self.state.telegram_inbox is not None:
            found.append(self.state.telegram_inbox)
        return found

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
        return socket.create_server((host, port), family=family, backlog=KERNEL_BACKLOG)
    except OSError as exc:
        raise ConfigError(f"[web] cannot listen on {host}:{port} ({exc.strerror or exc})") from None
