"""Fake Telegram Bot API server for integration tests.

Point the real python-telegram-bot Application at it with
``ApplicationBuilder().base_url(fake.base_url).base_file_url(fake.base_file_url)`` so
the whole HTTP path (httpx, PTB's error mapping, the Updater's polling) is exercised.

uvicorn runs in a daemon thread with its own event loop: the server must keep answering
while the test's loop awaits, whatever loop pytest-asyncio hands each test. Shared state
sits behind one ``threading.Lock``; nothing awaits while holding it.

Recorded ``params`` mirror the wire: PTB form-encodes scalars as text, so they stay
strings ("5", "true"); JSON objects/arrays are decoded; ``chat_id`` is always a str;
uploads become ``UploadedFile``. Calls are recorded when answered (so status is final).
"""

import asyncio
import contextlib
import itertools
import json
import logging
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

BOT_ID = 1000
BOT_USERNAME = "ocop_test_bot"
BOT_USER: dict[str, Any] = {"id": BOT_ID, "is_bot": True, "first_name": "OCOP", "username": BOT_USERNAME}
BOT_USER |= {"can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": True}
# Calls that leave a visible message in a chat (what messages_to() reports).
MESSAGE_METHOD = re.compile(r"send(message|venue|location|document|photo|mediagroup)|edit\w+|copy\w+|forward\w+")
# Calls that Telegram refuses for blocked users and counts against flood limits.
SEND_METHOD = re.compile(r"send\w+|edit\w+|copymessages?|forwardmessages?")
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
}
_DROP = "fake_telegram.drop"
Json = dict[str, Any]


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    content: bytes


@dataclass
class Call:
    method: str
    params: Json
    time: float  # time.monotonic() when the request arrived
    status: int = 200  # 0 = connection dropped without a response
    failed: bool = False
    result: Any = None
    description: str | None = None

    @property
    def chat_id(self) -> str | None:
        return self.params.get("chat_id")

    @property
    def text(self) -> str | None:
        return self.params.get("text")


@dataclass
class _Rule:
    method: str  # lower-case, "*" = any
    remaining: int | None  # None = forever
    status: int | None = None  # None and not drop = delay-only rule
    drop: bool = False
    delay: float = 0.0
    retry_after: int | None = None
    description: str | None = None
    chat_id: str | None = None

    def take(self, method: str, chat_id: str | None, delay_only: bool) -> bool:
        if self.remaining == 0 or self.method not in ("*", method) or self.chat_id not in (None, chat_id):
            return False
        if delay_only != (self.status is None and not self.drop):
            return False
        if self.remaining is not None:
            self.remaining -= 1
        return True


class _ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


class _Silent(Response):
    # Writes nothing; _asgi then makes uvicorn close the connection.
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        return None


class _SilenceDrops(logging.Filter):
    # uvicorn logs an error for the non-None ASGI return that drop() relies on.
    def filter(self, record: logging.LogRecord) -> bool:
        return "should return None" not in str(record.msg)


def _decode(value: str) -> Any:
    if value[:1] in "{[":
        with contextlib.suppress(ValueError):
            return json.loads(value)
    return value


def _parse_multipart(body: bytes, boundary: bytes) -> Json:
    # Hand-rolled: Starlette's form parser needs python-multipart, which we don't ship.
    out: Json = {}
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, _, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        lines = (ln.partition(":") for ln in head.decode().split("\r\n"))
        headers = {k.strip().lower(): v.strip() for k, _, v in lines}
        disposition = headers.get("content-disposition", "")
        disp = dict(re.findall(r'(\w+)="([^"]*)"', disposition))
        if "filename" in disp:
            ctype = headers.get("content-type", "application/octet-stream")
            out[disp["name"]] = UploadedFile(disp["filename"], ctype, data)
        elif "name" in disp:
            out[disp["name"]] = _decode(data.decode())
    return out


def _location(p: Json) -> dict[str, float]:
    return {"latitude": float(p["latitude"]), "longitude": float(p["longitude"])}


class FakeTelegram:
    def __init__(self, valid_token: str | None = None, host: str = "127.0.0.1") -> None:
        self.valid_token, self.host, self.port = valid_token, host, 0
        self.calls: list[Call] = []
        self.delivered: list[int] = []  # update_ids of every getUpdates answer, repeats kept
        self.webhook_url = ""
        self.commands: dict[str, Any] = {}  # "<scope json>|<language>" -> commands
        # getChatMember: (chat id, user id) -> status; anyone else is a plain "member".
        self.member_status: dict[tuple[int, int], str] = {}
        self._lock = threading.Lock()
        self._updates: list[Json] = []
        self._last_update_id = 0
        self._ids = itertools.count(1)  # query ids, generated file ids/paths
        self._last_mid: dict[str, int] = {}
        self._messages: dict[tuple[str, int], Json] = {}
        self._last_bot_mid: dict[str, int] = {}
        self._chats: dict[str, Json] = {}
        self._files: dict[str, tuple[bytes, str]] = {}  # file_id -> (content, path)
        self._rules: list[_Rule] = []
        self._blocked: set[str] = set()
        self._rate_every, self._rate_retry_after, self._send_count = 0, 1, 0
        self._poll_gen = 0
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        # Placeholders; start() makes fresh ones inside the server loop.
        self._update_evt, self._stop_evt = asyncio.Event(), asyncio.Event()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._log_filter = _SilenceDrops()
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
            ]
        )

    # ------------------------------------------------------------------ lifecycle
    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    def start(self) -> Self:
        # Binding the socket ourselves gives a free port without a find-then-bind race.
        # proto=IPPROTO_TCP matters: accepted sockets inherit it, and asyncio sets TCP_NODELAY
        # only on sockets whose proto says TCP. With proto 0, Nagle + delayed ACK add ~40 ms
        # to every answer (uvicorn writes headers and body separately).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._asgi,
            interface="asgi3",
            http="h11",  # drop() relies on h11_impl's handling of the ASGI return value
            ws="none",
            lifespan="off",
            proxy_headers=False,
            log_level="warning",
            access_log=False,
            # Longer than any test, so the server never closes a keep-alive connection
            # just as httpx reuses it (that race shows up as random NetworkErrors).
            timeout_keep_alive=600,
            timeout_graceful_shutdown=2,
        )
        server = self._server = uvicorn.Server(config)
        logging.getLogger("uvicorn.error").addFilter(self._log_filter)
        self._stopping = False

        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            self._update_evt, self._stop_evt = asyncio.Event(), asyncio.Event()
            await server.serve(sockets=[sock])

        self._thread = threading.Thread(target=asyncio.run, args=(serve(),))
        self._thread.daemon = True
        self._thread.start()
        deadline = time.monotonic() + 10
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("fake Telegram server failed to start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._stopping = True
        # Release long polls and delays first so uvicorn's graceful shutdown is instant.
        self._call_in_loop(self._stop_evt.set)
        self._call_in_loop(self._wake)
        self._server.should_exit = True
        self._thread.join(timeout=10)
        logging.getLogger("uvicorn.error").removeFilter(self._log_filter)
        self._server = self._thread = self._loop = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call_in_loop(self, fn: Callable[[], None]) -> None:
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                self._loop.call_soon_threadsafe(fn)

    def _wake(self) -> None:
        # Each long poll waits on the event current at its check; swapping wakes them all.
        self._update_evt.set()
        self._update_evt = asyncio.Event()

    # ------------------------------------------------------------------ faults
    def fail(
        self,
        method: str,
        status: int,
        *,
        times: int | None = 1,
        retry_after: int | None = None,
        description: str | None = None,
        chat_id: int | str | None = None,
        delay: float = 0.0,
    ) -> None:
        """The next ``times`` (None = all) matching calls get an HTTP error.

        ``method="*"`` matches any method. A 429 without ``retry_after`` gets 1, since
        Telegram always sends one (PTB only raises RetryAfter when it is present).
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        cid = None if chat_id is None else str(chat_id)
        rule = _Rule(method.lower(), times, status, False, delay, retry_after)
        rule.description, rule.chat_id = description, cid
        self._add(rule)

    def delay(self, method: str, seconds: float, times: int | None = 1) -> None:
        self._add(_Rule(method.lower(), times, delay=seconds))

    def drop(self, method: str, times: int | None = 1) -> None:
        """Close the connection without a response (httpx.RemoteProtocolError -> PTB NetworkError); status 0."""
        self._add(_Rule(method.lower(), times, drop=True))

    def _add(self, rule: _Rule) -> None:
        with self._lock:
            self._rules.append(rule)

    def block_user(self, chat_id: int | str) -> None:
        """Every send/edit to ``chat_id`` gets 403 until unblock_user()."""
        with self._lock:
            self._blocked.add(str(chat_id))

    def unblock_user(self, chat_id: int | str) -> None:
        with self._lock:
            self._blocked.discard(str(chat_id))

    def rate_limit_every(self, n: int, retry_after: int = 1) -> None:
        """Every n-th send/edit call (any chat) gets 429; n=0 switches it off."""
        with self._lock:
            self._rate_every, self._rate_retry_after = n, retry_after
            self._send_count = 0

    def clear_faults(self) -> None:
        with self._lock:
            self._rules.clear()
            self._blocked.clear()
            self._rate_every = 0

    def add_file(self, file_id: str, content: bytes, file_name: str = "f.bin") -> str:
        """Make ``file_id`` known to getFile and downloadable; returns its file_path."""
        path = f"documents/{next(self._ids)}_{file_name}"
        with self._lock:
            self._files[file_id] = (content, path)
        return path

    # ------------------------------------------------------------------ updates
    def push_raw(self, update: Json) -> int:
        with self._lock:
            if "update_id" not in update:
                update = {"update_id": self._last_update_id + 1, **update}
            self._last_update_id = max(self._last_update_id, int(update["update_id"]))
            self._updates.append(update)
        self._call_in_loop(self._wake)
        return int(update["update_id"])

    def push_text(
        self,
        user_id: int,
        text: str,
        *,
        chat_id: int | None = None,
        language_code: str = "vi",
        chat_type: str = "private",
        username: str | None = None,
        first_name: str = "Test",
    ) -> int:
        user = _user(user_id, language_code, first_name, username)
        cid = str(user_id if chat_id is None else chat_id)
        if chat_type != "private":
            with self._lock:
                self._chats.setdefault(cid, {"id": int(cid), "type": chat_type, "title": "Test"})
        entities = None
        if text.startswith("/"):  # "/cmd@bot" too; ASCII, so len() = UTF-16 length
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._push_message(cid, user, text=text, entities=entities)

    def push_callback(
        self,
        user_id: int,
        data: str,
        *,
        message_id: int | None = None,
        chat_id: int | None = None,
        language_code: str = "vi",
    ) -> int:
        """Press a button on ``message_id`` (default: the bot's last message there)."""
        cid = str(user_id if chat_id is None else chat_id)
        with self._lock:
            mid = self._last_bot_mid.get(cid) if message_id is None else message_id
            if mid is None:
                raise ValueError(f"the bot sent nothing to chat {cid}; pass message_id")
            message = self._messages.get((cid, mid)) or self._stub(cid, mid)
        # A copy: later edits of the stored message must not rewrite an already queued update.
        query = {"id": str(next(self._ids)), "from": _user(user_id, language_code), "chat_instance": f"ci{cid}"}
        query |= {"data": data, "message": dict(message)}
        return self.push_raw({"callback_query": query})

    def push_location(self, user_id: int, lat: float, lon: float) -> int:
        location = {"latitude": lat, "longitude": lon}
        return self._push_message(str(user_id), _user(user_id), location=location)

    def push_inline_query(self, user_id: int, query: str, offset: str = "") -> int:
        inline = {"id": str(next(self._ids)), "from": _user(user_id), "query": query}
        inline |= {"offset": offset, "chat_type": "sender"}
        return self.push_raw({"inline_query": inline})

    def push_document(
        self,
        user_id: int,
        file_id: str,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        *,
        content: bytes | None = None,
    ) -> int:
        """``content`` also registers the bytes for getFile/download (add_file)."""
        if content is not None:
            self.add_file(file_id, content, file_name)
        doc = {"file_id": file_id, "file_unique_id": f"u{file_id}"[:32], "file_name": file_name}
        doc |= {"mime_type": mime_type, "file_size": len(content or b"")}
        return self._push_message(str(user_id), _user(user_id), document=doc, caption=caption)

    def _push_message(self, cid: str, user: Json, **content: Any) -> int:
        chat = {"id": int(cid), "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        with self._lock:
            self._chats.setdefault(cid, chat)
        return self.push_raw({"message": self._new_message(cid, user, **content)})

    def _chat(self, chat_id: str) -> Json:
        if chat_id in self._chats:
            return self._chats[chat_id]
        if chat_id.lstrip("-").isdigit():
            return {"id": int(chat_id), "type": "private" if int(chat_id) > 0 else "supergroup"}
        return {"id": -1001, "type": "channel", "username": chat_id.lstrip("@")}

    def _stub(self, cid: str, mid: int) -> Json:
        return {"message_id": mid, "date": int(time.time()), "chat": self._chat(cid), "from": BOT_USER}

    def _new_message(self, cid: str, sender: Json, **content: Any) -> Json:
        # Telegram numbers messages per chat, shared by the user's and the bot's messages.
        with self._lock:
            mid = self._last_mid[cid] = self._last_mid.get(cid, 0) + 1
            msg = self._stub(cid, mid) | {"from": sender}
            msg |= {k: v for k, v in content.items() if v is not None}
            self._messages[(cid, mid)] = msg
            if sender is BOT_USER:
                self._last_bot_mid[cid] = mid
        return dict(msg)  # callers (Call.result, queued updates) get a snapshot

    # ------------------------------------------------------------------ inspection
    def calls_for(
        self, method: str | None = None, chat_id: int | str | None = None, *, failed: bool | None = None
    ) -> list[Call]:
        with self._lock:
            calls = list(self.calls)
        return [
            c
            for c in calls
            if (method is None or c.method.lower() == method.lower())
            and (chat_id is None or c.chat_id == str(chat_id))
            and (failed is None or c.failed == failed)
        ]

    def messages_to(self, chat_id: int | str) -> list[Call]:
        """Successful message-producing calls (send*/edit*/copy/forward) to the chat."""
        calls = self.calls_for(chat_id=chat_id, failed=False)
        return [c for c in calls if MESSAGE_METHOD.fullmatch(c.method.lower())]

    def texts_to(self, chat_id: int | str) -> list[str]:
        return [c.params.get("text") or c.params.get("caption") or "" for c in self.messages_to(chat_id)]

    def pending_updates(self) -> list[Json]:
        """Updates not yet confirmed by a getUpdates offset."""
        with self._lock:
            return list(self._updates)

    def dump(self, last: int = 20) -> str:
        calls = [c for c in self.calls_for() if c.method.lower() != "getupdates"]
        lines = [f"  {c.method} [{c.status}] {json.dumps(c.params, default=str)[:300]}" for c in calls[-last:]]
        return "last calls (getUpdates omitted):\n" + ("\n".join(lines) or "  <none>")

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:  # noqa: ASYNC109
        """Poll until ``predicate()`` is truthy and return it, else AssertionError."""
        deadline = time.monotonic() + timeout
        # Polling, not an Event: predicates are arbitrary and state changes on the server thread.
        while not (result := self._check(predicate, deadline, timeout)):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        return result

    def wait_for_sync(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        deadline = time.monotonic() + timeout
        while not (result := self._check(predicate, deadline, timeout)):
            time.sleep(0.01)
        return result

    def _check(self, predicate: Callable[[], Any], deadline: float, tmo: float) -> Any:
        if not (result := predicate()) and time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {tmo}s\n{self.dump()}")
        return result

    async def wait_for_calls(
        self,
        method: str,
        n: int = 1,
        chat_id: int | str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> list[Call]:
        """Wait until >= n calls (failed ones included) match; return them all."""
        return await self.wait_for(lambda: self._at_least(method, n, chat_id), timeout)

    def wait_for_calls_sync(
        self, method: str, n: int = 1, chat_id: int | str | None = None, timeout: float = 5.0
    ) -> list[Call]:
        return self.wait_for_sync(lambda: self._at_least(method, n, chat_id), timeout)

    def _at_least(self, method: str, n: int, chat_id: int | str | None) -> Any:
        calls = self.calls_for(method, chat_id)
        return calls if len(calls) >= n else None

    # ------------------------------------------------------------------ HTTP layer
    async def _asgi(self, scope: Scope, receive: Receive, send: Send) -> Any:
        await self.app(scope, receive, send)
        # uvicorn's h11 protocol closes the transport without writing a byte when the app returns
        # non-None: a real "server disconnected without sending a response", no private API needed.
        return "drop" if scope.get(_DROP) else None

    async def _read_params(self, request: Request) -> Json:
        params: Json = {k: _decode(v) for k, v in request.query_params.items()}
        body, ctype = await request.body(), request.headers.get("content-type", "")
        if body and ctype.startswith("application/json"):
            params.update(json.loads(body))
        elif body and (m := re.search(r"multipart/.*boundary=\"?([^\";]+)", ctype)):
            params.update(_parse_multipart(body, m.group(1).encode()))
        elif body:
            params.update((k, _decode(v)) for k, v in urllib.parse.parse_qsl(body.decode()))
        if params.get("chat_id") is not None:
            params["chat_id"] = str(params["chat_id"])
        return params

    def _error(self, status: int, desc: str | None = None, retry: int | None = None) -> Any:
        if desc is None and status == 429:
            desc = f"Too Many Requests: retry after {retry}"
        elif desc is None:
            default = "Internal Server Error" if status >= 500 else "Error"
            desc = DEFAULT_DESCRIPTIONS.get(status, default)
        body: Json = {"ok": False, "error_code": status, "description": desc}
        if retry is not None:
            body["parameters"] = {"retry_after": retry}
        return JSONResponse(body, status_code=status)

    def _pick_faults(self, method: str, cid: str | None) -> tuple[float, _Rule | None]:
        """Consume the first matching delay rule and the first matching fail/drop rule."""
        with self._lock:
            delay = next((r.delay for r in self._rules if r.take(method, cid, True)), 0)
            fault = next((r for r in self._rules if r.take(method, cid, False)), None)
            if fault is None and SEND_METHOD.fullmatch(method):
                if cid in self._blocked:
                    fault = _Rule(method, None, status=403)
                elif self._rate_every:
                    self._send_count += 1
                    if self._send_count % self._rate_every == 0:
                        fault = _Rule(method, None, 429, retry_after=self._rate_retry_after)
        return delay + (fault.delay if fault else 0.0), fault

    async def _endpoint(self, request: Request) -> Response:
        call = Call(request.path_params["method"], {}, time.monotonic())
        call.params = await self._read_params(request)
        response: Response
        if self.valid_token is not None and request.path_params["token"] != self.valid_token:
            response = self._error(401)
        else:
            delay, fault = self._pick_faults(call.method.lower(), call.chat_id)
            if delay > 0:  # cut short by stop()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop_evt.wait(), delay)
            if fault is not None and fault.drop:
                request.scope[_DROP] = True
                response = _Silent()
            elif fault is not None:
                assert fault.status is not None
                response = self._error(fault.status, fault.description, fault.retry_after)
            else:
                try:
                    call.result = await self._dispatch(call.method.lower(), call.params)
                    response = JSONResponse({"ok": True, "result": call.result})
                except _ApiError as err:
                    response = self._error(err.status, err.description)
        call.status = 0 if request.scope.get(_DROP) else response.status_code
        call.failed = call.status != 200
        if call.failed and isinstance(response, JSONResponse):
            call.description = json.loads(bytes(response.body))["description"]
        with self._lock:
            self.calls.append(call)
        return response

    async def _download(self, request: Request) -> Response:
        path = request.path_params["path"]
        with self._lock:
            self.calls.append(Call("fileDownload", {"file_path": path}, time.monotonic()))
            found = next((data for data, p in self._files.values() if p == path), None)
        if found is None:
            return self._error(404, "Not Found: file not found")
        return Response(found, media_type="application/octet-stream")

    # ------------------------------------------------------------------ Bot API methods
    async def _get_updates(self, params: Json) -> list[Json]:
        if self.webhook_url:
            raise _ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        deadline = time.monotonic() + float(params.get("timeout") or 0)
        # A newer getUpdates ends an older one with 409, as Telegram does (only the server loop
        # touches _poll_gen). This also frees the server side of a poll PTB cancelled client-side.
        self._poll_gen += 1
        gen = self._poll_gen
        self._wake()
        while True:
            with self._lock:
                # offset confirms (drops) older updates; negative keeps the last -offset.
                if offset < 0:
                    self._updates = self._updates[offset:]
                elif offset:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                batch = self._updates[:limit]
                self.delivered.extend(u["update_id"] for u in batch)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self._stopping:
                return batch
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_evt.wait(), remaining)
            if gen != self._poll_gen:
                raise _ApiError(409, DEFAULT_DESCRIPTIONS[409])

    def _send(self, p: Json, **content: Any) -> Json:
        markup = p.get("reply_markup")
        # Messages only ever carry inline keyboards (reply keyboards are not echoed back).
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            content["reply_markup"] = markup
        return self._new_message(str(p.get("chat_id")), BOT_USER, **content)

    def _edit(self, p: Json, **changes: Any) -> Json | bool:
        if p.get("inline_message_id"):
            return True
        cid, mid = str(p.get("chat_id")), int(p.get("message_id") or 0)
        markup = p.get("reply_markup")
        with self._lock:
            msg = self._messages.setdefault((cid, mid), self._stub(cid, mid))
            msg |= {k: v for k, v in changes.items() if v is not None}
            msg["edit_date"] = int(time.time())
            # An edit without reply_markup removes the inline keyboard.
            msg.pop("reply_markup", None)
            if isinstance(markup, dict) and "inline_keyboard" in markup:
                msg["reply_markup"] = markup
            return dict(msg)

    def _file(self, value: Any, default_name: str) -> Json:
        file_id, name, size = str(value), default_name, 1
        if isinstance(value, UploadedFile):  # uploads become downloadable right away
            file_id, name, size = f"F{next(self._ids)}", value.filename or name, len(value.content)
            self.add_file(file_id, value.content, name)
        return {"file_id": file_id, "file_unique_id": f"u{file_id}"[:32], "file_name": name, "file_size": size}

    async def _dispatch(self, method: str, p: Json) -> Any:
        match method:
            case "getupdates":
                return await self._get_updates(p)
            case "getme":
                return BOT_USER
            case "setwebhook":
                self.webhook_url = str(p.get("url", ""))
            case "deletewebhook":
                self.webhook_url = ""
                if p.get("drop_pending_updates") in ("true", True):
                    with self._lock:
                        self._updates.clear()
            case "getwebhookinfo":
                pending = len(self.pending_updates())
                return {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": pending}
            case "setmycommands" | "getmycommands" | "deletemycommands":
                key = f"{json.dumps(p.get('scope'), sort_keys=True)}|{p.get('language_code', '')}"
                with self._lock:
                    if method == "getmycommands":
                        return self.commands.get(key, [])
                    if method == "setmycommands":
                        self.commands[key] = p.get("commands") or []
                    else:
                        self.commands.pop(key, None)
            case "sendmessage":
                return self._send(p, text=p.get("text", ""), entities=p.get("entities"))
            case "sendlocation":
                return self._send(p, location=_location(p))
            case "sendvenue":
                venue = {"location": _location(p), "title": p.get("title"), "address": p.get("address")}
                return self._send(p, venue=venue, location=_location(p))
            case "senddocument":
                doc = self._file(p.get("document"), "document")
                return self._send(p, document=doc, caption=p.get("caption"))
            case "sendphoto":
                f = self._file(p.get("photo"), "photo.jpg")
                del f["file_name"]
                return self._send(p, photo=[f | {"width": 800, "height": 600}], caption=p.get("caption"))
            case "editmessagetext":
                return self._edit(p, text=p.get("text"), entities=p.get("entities"))
            case "editmessagereplymarkup" | "editmessagecaption":
                return self._edit(p, caption=p.get("caption"))
            case "getchatmember":
                user_id = int(p.get("user_id", 0))
                with self._lock:
                    status = self.member_status.get((int(p.get("chat_id", 0)), user_id), "member")
                member: Json = {"status": status, "user": _user(user_id)}
                if status == "administrator":
                    rights = ("can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                              "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                              "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
                              "can_delete_stories")  # fmt: skip
                    member |= dict.fromkeys(rights, False)
                elif status == "creator":
                    member["is_anonymous"] = False
                return member
            case "getfile":
                with self._lock:
                    stored = self._files.get(str(p.get("file_id")))
                if stored is None:
                    raise _ApiError(400, "Bad Request: invalid file_id")
                file_id, (content, path) = p["file_id"], stored
                return {
                    "file_id": file_id,
                    "file_unique_id": f"u{file_id}"[:32],
                    "file_size": len(content),
                    "file_path": path,
                }
        # deleteMessage, answerCallbackQuery, answerInlineQuery, sendChatAction, logOut,
        # close, setChatMenuButton, set*/delete* above and unknown methods: plain True.
        return True


def _user(uid: int, lang: str = "vi", name: str = "Test", username: str | None = None) -> Json:
    user: Json = {"id": uid, "is_bot": False, "first_name": name}
    if username:
        user["username"] = username
    if lang:
        user["language_code"] = lang
    return user
