"""Checks every webhook request passes before anything is processed.

Order matters: the secret first (403, body unread: a stranger gets nothing read or
parsed), then the size (413, by Content-Length and by counting the streamed bytes,
since chunked bodies carry no length), then JSON (400, also for nesting deeper than
`MAX_DEPTH`: a deeply nested body used to be a RecursionError and a 500).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import h11
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

conn_log = logging.getLogger("bot.web.connections")

# Real updates nest a few levels (update > message > reply_to_message > ...); this is far
# above that and far below what would make later code (PTB's de_json, json.dumps) recurse.
MAX_DEPTH = 32


class Rejected(Exception):
    """The request fails a check; `response` is what to answer."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.response = JSONResponse({"ok": False, "error": error}, status_code=status)


def check_secret(request: Request, header: str, secret: str) -> None:
    given = request.headers.get(header)
    # compare_digest on bytes: constant time, and no TypeError on non-ASCII input.
    if given is None or not hmac.compare_digest(given.encode(), secret.encode()):
        raise Rejected(403, "forbidden")


async def read_body(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.strip().isdigit():
            raise Rejected(400, "bad Content-Length")
        if int(declared) > max_bytes:
            raise Rejected(413, "body too large")
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > max_bytes:
                raise Rejected(413, "body too large")
            chunks.append(chunk)
    except ClientDisconnect:  # gone, or closed for sending too slowly: no one to answer
        raise Rejected(400, "request incomplete") from None
    return b"".join(chunks)


async def read_json(request: Request, *, header: str, secret: str, max_bytes: int) -> Any:
    """The decoded JSON body of a request that passed the secret and size checks."""
    check_secret(request, header, secret)
    body = await read_body(request, max_bytes)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        raise Rejected(400, "malformed JSON") from None
    if too_deep(data, MAX_DEPTH):
        raise Rejected(400, "JSON nested too deep")
    return data


def too_deep(data: Any, limit: int) -> bool:
    """Is any list or object nested deeper than `limit`? (Iterative: no recursion to exhaust.)"""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth >= limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


# -- connections ---------------------------------------------------------------------------
#
# uvicorn alone has no header or body timeout (any byte received resets its keep-alive
# timer), and accepts connections until the process runs out of descriptors; then every
# accept fails and is logged, and /healthz cannot get in either. `GuardedH11Protocol`
# bounds both: a request must arrive whole (headers and body) within `request_seconds`
# of the connection opening (or of the previous response), and at most `max_connections`
# are open at once. Past that, the oldest connection still sending its request is closed
# to make room (a slow client loses, a quick one such as a /healthz probe gets in); when
# every connection is busy with a whole request, the new one is closed at once.

DESCRIPTOR_RESERVE = 128  # descriptors kept for the database, the platform clients, logs
ACCEPT_BATCH = 32  # the listen backlog, which asyncio also accepts at once before any check


def connection_cap(configured: int = 0) -> int:
    """Connections allowed at once: `configured`, or from the descriptor limit."""
    import resource

    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = 65536
    # asyncio accepts a batch per loop turn and looks at them a turn or two later: keep
    # room for a few batches in flight beside the cap.
    room = max(16, soft - DESCRIPTOR_RESERVE - 4 * ACCEPT_BATCH)
    return min(configured, room) if configured > 0 else room


@dataclass
class ConnectionLimits:
    max_connections: int
    request_seconds: float
    log_seconds: float = 60.0  # at most one warning line per kind in this time
    waiting: OrderedDict[Any, None] = field(default_factory=OrderedDict)  # still sending a request
    counts: dict[str, int] = field(default_factory=dict)
    _logged: dict[str, tuple[float, int]] = field(default_factory=dict)

    def count(self, what: str, message: str) -> None:
        """Counted; one warning line per kind per `log_seconds`, with how many since the
        last line (a flood of connections must not flood the log)."""
        n = self.counts[what] = self.counts.get(what, 0) + 1
        now = time.monotonic()
        at, then = self._logged.get(what, (-1e9, 0))
        if now - at >= self.log_seconds:
            self._logged[what] = (now, n)
            conn_log.warning("%s (%d since the last such line, %d in all)", message, n - then, n)


class FloodFilter(logging.Filter):
    """Log lines a stranger can cause once per connection (asyncio's failed accept with its
    traceback, uvicorn's "Invalid HTTP request received.", "Exceeded concurrency limit."):
    one per kind per `seconds`, with the count of those left out, and no traceback."""

    PREFIXES = (
        "socket.accept() out of system resource",
        "Invalid HTTP request received.",
        "Exceeded concurrency limit.",
    )

    def __init__(self, seconds: float = 60.0) -> None:
        super().__init__()
        self.seconds = seconds
        self._state: dict[str, tuple[float, int]] = {}  # prefix: (last line at, left out since)

    def filter(self, record: logging.LogRecord) -> bool:
        text = str(record.msg)
        prefix = next((p for p in self.PREFIXES if text.startswith(p)), None)
        if prefix is None:
            return True
        now = time.monotonic()
        last, left_out = self._state.get(prefix, (-1e9, 0))
        if now - last < self.seconds:
            self._state[prefix] = (last, left_out + 1)
            return False
        self._state[prefix] = (now, 0)
        record.msg = "%s (%d more like it left out since the last such line; one line per %g s)"
        record.args = (prefix, left_out, self.seconds)
        record.exc_info = None
        return True


def install_flood_filter() -> None:
    for name in ("asyncio", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, FloodFilter) for f in logger.filters):
            logger.addFilter(FloodFilter())


def guarded_protocol(limits: ConnectionLimits) -> type[asyncio.Protocol]:
    """An h11 protocol class for uvicorn (`Config(http=...)`) bound to `limits`."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class GuardedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > limits.max_connections and not self._make_room():
                limits.count("refused", f"web: {limits.max_connections} connections busy; refusing new ones")
                transport.abort()
                return
            self._arm()

        def _make_room(self) -> bool:
            for oldest in limits.waiting:
                if oldest is not self:
                    limits.count("evicted", "web: connection limit reached; closing the slowest clients")
                    oldest._close_now()
                    return True
            return False

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(limits.request_seconds, self._too_slow)
            limits.waiting[self] = None

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None
            limits.waiting.pop(self, None)

        def _too_slow(self) -> None:
            self._deadline = None
            limits.count("timed_out", f"web: request not complete within {limits.request_seconds:g} s; closed")
            self._close_now()

        def _close_now(self) -> None:
            self._disarm()
            if not self.transport.is_closing():
                self.transport.abort()  # no lingering close: the descriptor is freed at once

        def handle_events(self) -> None:
            super().handle_events()
            if self._deadline is not None and self.conn.their_state in (h11.DONE, h11.MUST_CLOSE, h11.CLOSED):
                self._disarm()  # the whole request is in

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing() and self.conn.their_state is not h11.DONE:
                self._arm()  # the next request on this connection gets the same time

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return GuardedH11Protocol
