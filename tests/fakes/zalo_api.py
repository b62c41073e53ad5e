"""A fake Zalo Bot Platform API: real HTTP on 127.0.0.1 for tests.

Why real HTTP: the bot's own httpx client, timeouts and error mapping are what we
want to exercise, so tests point `base_url` here instead of mocking the client.

Starlette + uvicorn run in a daemon thread with their own event loop; all shared
state sits behind one lock, so tests may drive it from any thread or loop.
Behaviour follows shared/research/platforms.md section A: errors come back as
HTTP 200 + `{"ok": false, ...}` (configurable), getUpdates hands out ONE update
per call and answers 408 "Request timeout" when nothing arrived in `timeout` s.

    with FakeZalo() as fake:
        client = ZaloClient(fake.token, fake.base_url)
        fake.push_text("u1", "mật ong")
        ...
        await fake.wait_for_messages("u1", 1)
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import secrets
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

MAX_TEXT = 2000
DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request timeout",
    429: "Quota exceeded",
    500: "Internal Server Error",
}


@dataclass(frozen=True)
class Call:
    """One request the fake answered. `ok` is False for every error answer."""

    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None = None
    http_status: int = 200
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Fault:
    method: str
    times: int
    error_code: int | None = None  # None: a delay rule, not a failure
    http_status: int = 200
    retry_after: float | None = None
    chat_id: str | None = None
    description: str | None = None
    body: str | None = None  # raw non-JSON body instead of an envelope
    seconds: float = 0.0


class _Reply(Exception):
    """Raised inside a handler to answer with an error envelope."""

    def __init__(
        self,
        error_code: int,
        description: str | None = None,
        *,
        status: int | None = None,
    ) -> None:
        super().__init__(error_code)
        self.error_code = error_code
        self.description = description
        self.status = status  # None: FakeZalo.error_status decides


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2  # same measure as bot.zalo.client


class FakeZalo:
    """Fake Bot API for one bot token. See module doc for the shape of answers."""

    def __init__(
        self,
        token: str = "zalo-test-token",
        *,
        error_status: int | None = 200,
        auth_error_status: int | None = None,
    ) -> None:
        # error_status: HTTP status for error envelopes (None = same as error_code).
        # auth_error_status: override for the wrong-token answer only.
        self.token = token
        self.error_status = error_status
        self.auth_error_status = auth_error_status
        self._lock = threading.Lock()
        self._calls: list[Call] = []
        self._updates: collections.deque[dict[str, Any]] = collections.deque()
        self._faults: list[_Fault] = []
        self._blocked: set[str] = set()
        self._rate_every = 0
        self._send_count = 0
        self._webhook: dict[str, Any] = {"url": "", "secret_token": "", "updated_at": 0}
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None  # lives on the server loop
        self._closing: asyncio.Event | None = None
        self._port = 0
        self._methods: dict[str, Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "sendMessage": self._send_message,
            "sendChatAction": self._send_chat_action,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
        }

    # --- lifecycle ---

    @property
    def base_url(self) -> str:
        if not self._port:
            raise RuntimeError("FakeZalo is not started")
        return f"http://127.0.0.1:{self._port}"

    def start(self) -> Self:
        if self._thread is not None:
            return self
        # Bind first, hand the socket to uvicorn: no race for a "free" port.
        # proto=IPPROTO_TCP: accepted sockets inherit it and asyncio then sets TCP_NODELAY
        # (without it every response waits ~40 ms on Nagle + delayed ACK).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self._port = sock.getsockname()[1]
        app = Starlette(routes=[Route("/bot{token}/{method}", self._handle, methods=["GET", "POST"])])
        config = uvicorn.Config(
            app,
            lifespan="off",
            access_log=False,
            log_config=None,  # leave the test process's logging alone
            log_level="warning",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(sock, ready), name="FakeZalo", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("FakeZalo server did not start")
            time.sleep(0.005)
        ready.wait(1)
        return self

    def _run(self, sock: socket.socket, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)

        async def main() -> None:
            self._wakeup = asyncio.Event()
            self._closing = asyncio.Event()
            ready.set()
            assert self._server is not None
            await self._server.serve(sockets=[sock])

        try:
            loop.run_until_complete(main())
        finally:
            loop.close()

    def stop(self) -> None:
        if self._thread is None or self._server is None:
            return
        loop, closing = self._loop, self._closing
        if loop is not None and closing is not None and not loop.is_closed():
            # Release long-polls first, otherwise shutdown waits for them.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(closing.set)
        self._server.should_exit = True
        self._thread.join(5)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(5)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- what tests feed in ---

    def push_text(
        self,
        user_id: str,
        text: str,
        *,
        chat_id: str | None = None,
        display_name: str = "Khách",
    ) -> str:
        """Queue a real-shaped text update; returns its message_id."""
        message_id = secrets.token_hex(10)
        self.push_raw(
            {
                "event_name": "message.text.received",
                "message": {
                    "from": {
                        "id": user_id,
                        "display_name": display_name,
                        "is_bot": False,
                    },
                    "chat": {"id": chat_id or user_id, "chat_type": "PRIVATE"},
                    "text": text,
                    "message_id": message_id,
                    "date": int(time.time() * 1000),
                },
            }
        )
        return message_id

    def push_raw(self, obj: Any) -> None:
        """Queue any object as the next getUpdates `result` (for malformed cases)."""
        with self._lock:
            self._updates.append(obj)
        self._wake()

    def fail(
        self,
        method: str,
        error_code: int,
        *,
        times: int = 1,
        http_status: int = 200,
        retry_after: float | None = None,
        chat_id: str | None = None,
        description: str | None = None,
        body: str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (to `chat_id`, if given) with an error.

        `body` sends that raw text instead of a JSON envelope (proxy error pages).
        """
        fault = _Fault(
            method,
            times,
            error_code,
            http_status,
            retry_after,
            chat_id,
            description,
            body,
        )
        with self._lock:
            self._faults.append(fault)

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """Hold the next `times` calls of `method` for `seconds` before answering."""
        with self._lock:
            self._faults.append(_Fault(method, times, seconds=seconds))

    def clear_faults(self) -> None:
        """Zalo answers normally again."""
        with self._lock:
            self._faults.clear()

    def block_user(self, chat_id: str) -> None:
        """Sends to this chat get 403, as when the user blocked the bot."""
        with self._lock:
            self._blocked.add(chat_id)

    def unblock_user(self, chat_id: str) -> None:
        with self._lock:
            self._blocked.discard(chat_id)

    def rate_limit_every(self, n: int) -> None:
        """Every n-th sendMessage gets 429 "Quota exceeded" (0 turns it off)."""
        with self._lock:
            self._rate_every = n
            self._send_count = 0

    # --- what tests read back ---

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def messages_to(self, chat_id: str) -> list[str]:
        """Texts successfully sent to `chat_id`, in order."""
        return [c.params["text"] for c in self.calls_to("sendMessage") if c.ok and c.params.get("chat_id") == chat_id]

    @property
    def pending_updates(self) -> int:
        with self._lock:
            return len(self._updates)

    @property
    def webhook(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._webhook)

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Poll `predicate` from the caller's loop until true; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout}s")
            await asyncio.sleep(0.01)

    async def wait_for_messages(self, chat_id: str, n: int, timeout: float = 5.0) -> list[str]:
        """Wait until at least `n` texts reached `chat_id`; return them all."""
        try:
            await self.wait_for(lambda: len(self.messages_to(chat_id)) >= n, timeout)
        except TimeoutError:
            got = self.messages_to(chat_id)
            raise TimeoutError(f"{chat_id}: wanted {n} messages, got {len(got)}: {got!r}") from None
        return self.messages_to(chat_id)

    # --- server side (runs on the server loop) ---

    def _wake(self) -> None:
        loop, wakeup = self._loop, self._wakeup
        if loop is not None and wakeup is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wakeup.set)

    async def _params(self, request: Request) -> dict[str, Any]:
        # Zalo takes query string, form or JSON; merge them like it does.
        params: dict[str, Any] = dict(request.query_params)
        body = await request.body()
        ctype = request.headers.get("content-type", "")
        if body and "json" in ctype:
            try:
                data = await request.json()
            except ValueError:
                raise _Reply(400, "Bad Request: invalid JSON") from None
            if not isinstance(data, dict):
                raise _Reply(400, "Bad Request: JSON body must be an object")
            params.update(data)
        elif body and "x-www-form-urlencoded" in ctype:
            # Parsed by hand: Starlette's form() needs python-multipart, not installed.
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        elif body:
            raise _Reply(400, f"Bad Request: unsupported content type {ctype!r}")
        return params

    async def _handle(self, request: Request) -> Response:
        method = request.path_params["method"]
        params: dict[str, Any] = {}
        try:
            if request.path_params["token"] != self.token:
                raise _Reply(401, status=self.auth_error_status)
            params = await self._params(request)
            await self._apply_delay(method)
            fault = self._take_fault(method, params)
            if fault is not None:
                return self._fault_response(method, params, fault)
            handler = self._methods.get(method)
            if handler is None:
                raise _Reply(404, f"Not Found: unknown method {method}")
            payload = await handler(params)
        except _Reply as reply:
            status = reply.status or self._status(reply.error_code)
            self._record(method, params, False, reply.error_code, status)
            body = self._error_body(reply.error_code, reply.description)
            return JSONResponse(body, status)
        self._record(method, params, True, None, 200)
        return JSONResponse(payload)

    def _fault_response(self, method: str, params: dict[str, Any], fault: _Fault) -> Response:
        code = fault.error_code or 500
        self._record(method, params, False, code, fault.http_status)
        if fault.body is not None:
            return Response(fault.body, fault.http_status, media_type="text/html")
        payload = self._error_body(code, fault.description)
        if fault.retry_after is not None:
            payload["parameters"] = {"retry_after": fault.retry_after}
        return JSONResponse(payload, fault.http_status)

    def _status(self, error_code: int) -> int:
        return self.error_status if self.error_status is not None else error_code

    @staticmethod
    def _error_body(error_code: int, description: str | None) -> dict[str, Any]:
        text = description or DESCRIPTIONS.get(error_code, "Error")
        return {"ok": False, "error_code": error_code, "description": text}

    def _record(
        self,
        method: str,
        params: dict[str, Any],
        ok: bool,
        code: int | None,
        status: int,
    ) -> None:
        with self._lock:
            self._calls.append(Call(method, dict(params), ok, code, status))

    async def _apply_delay(self, method: str) -> None:
        with self._lock:
            rule = next(
                (f for f in self._faults if f.method == method and f.error_code is None),
                None,
            )
            if rule is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self._faults.remove(rule)
        if rule is not None:
            await self._sleep(rule.seconds)

    def _take_fault(self, method: str, params: dict[str, Any]) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method != method or fault.error_code is None:
                    continue
                if fault.chat_id is not None and fault.chat_id != params.get("chat_id"):
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    async def _sleep(self, seconds: float) -> None:
        # Wakes early when the server stops, so stop() never waits on a test's delay.
        assert self._closing is not None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    def _chat(self, params: dict[str, Any]) -> str:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            raise _Reply(400, "Bad Request: chat_id is required")
        with self._lock:
            if chat_id in self._blocked:
                raise _Reply(403)
        return chat_id

    # --- methods: each returns the success body ---

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        bot_id = self.token.split(":", 1)[0] if ":" in self.token else "1234567890"
        result = {
            "id": bot_id,
            "account_name": "bot.fake",
            "account_type": "BASIC",
            "can_join_groups": False,
            "display_name": "Bot Fake",
        }
        return {"ok": True, "result": result}

    async def _get_updates(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self._webhook["url"]:
                raise _Reply(400, "Bad Request: webhook is active, delete it first")
        try:
            timeout = float(params.get("timeout", 30))
        except (TypeError, ValueError):
            raise _Reply(400, "Bad Request: timeout must be a number") from None
        assert self._wakeup is not None and self._closing is not None
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            self._wakeup.clear()
            with self._lock:
                if self._updates:
                    return {"ok": True, "result": self._updates.popleft()}
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing.is_set():
                raise _Reply(408)
            waiters = {
                asyncio.ensure_future(self._wakeup.wait()),
                asyncio.ensure_future(self._closing.wait()),
            }
            _, pending = await asyncio.wait(waiters, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        self._chat(params)
        with self._lock:
            self._send_count += 1
            if self._rate_every and self._send_count % self._rate_every == 0:
                raise _Reply(429)
        text = params.get("text")
        if not isinstance(text, str) or not 1 <= _units(text) <= MAX_TEXT:
            raise _Reply(400, f"Bad Request: text must be 1..{MAX_TEXT} characters")
        if params.get("parse_mode") not in (None, "markdown", "html"):
            raise _Reply(400, "Bad Request: parse_mode must be markdown or html")
        result = {"message_id": secrets.token_hex(10), "date": int(time.time() * 1000)}
        return {"ok": True, "result": result}

    async def _send_chat_action(self, params: dict[str, Any]) -> dict[str, Any]:
        self._chat(params)
        if params.get("action") not in ("typing", "upload_photo"):
            raise _Reply(400, "Bad Request: unsupported action")
        return {"ok": True}  # Zalo sends no `result` here

    async def _set_webhook(self, params: dict[str, Any]) -> dict[str, Any]:
        url, secret = params.get("url"), params.get("secret_token")
        if not isinstance(url, str) or not url:
            raise _Reply(400, "Bad Request: url is required")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            raise _Reply(400, "Bad Request: secret_token must be 8-256 characters")
        now = int(time.time() * 1000)
        with self._lock:
            self._webhook = {"url": url, "secret_token": secret, "updated_at": now}
        return {"ok": True, "result": {"url": url, "updated_at": now}}

    async def _delete_webhook(self, params: dict[str, Any]) -> dict[str, Any]:
        now = int(time.time() * 1000)
        with self._lock:
            self._webhook = {"url": "", "secret_token": "", "updated_at": now}
        return {"ok": True, "result": {"url": "", "updated_at": now}}

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            hook = self._webhook
            return {
                "ok": True,
                "result": {"url": hook["url"], "updated_at": hook["updated_at"]},
            }
