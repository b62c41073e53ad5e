"""Thin async client for the Zalo Bot Platform (https://bot-api.zaloplatforms.com).

Why our own: the PyPI SDKs either ignore the `ok` envelope, call `asyncio.run()`
inside running loops, or need Python 3.14 (see shared/research/platforms.md, A.5).
The API is small: POST JSON to `{base_url}/bot{token}/{method}`, read
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": ..., "description": ...}`.

The token is part of every URL, so anything that can print a URL (exceptions,
httpx's own INFO log line) goes through `redact` / `TokenRedactingFilter`.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

import httpx

from bot.redaction import REDACTED, TokenRedactingFilter, redact
from bot.zalo.errors import (
    ZaloBadRequest,
    ZaloError,
    ZaloForbidden,
    ZaloNetworkError,
    ZaloRateLimited,
    ZaloServerError,
    ZaloUnauthorized,
)
from bot.zalo.types import ZaloUpdate, parse_update

__all__ = ["REDACTED", "TokenRedactingFilter", "ZaloClient", "redact", "split_text"]

DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com"
MAX_TEXT = 2000  # sendMessage text limit
PARSE_MODES = frozenset({"markdown", "html"})  # lower case, unlike Telegram's

log = logging.getLogger(__name__)


# --- text splitting ----------------------------------------------------------------


def _units(text: str) -> int:
    # Count UTF-16 code units: Zalo's backend is Java, and for the BMP (all of
    # Vietnamese) this equals len(); emoji count 2, which errs on the safe side.
    return len(text.encode("utf-16-le")) // 2


def _cut(word: str, limit: int) -> int:
    """Index to hard-cut an over-long word at, within `limit` units, not before a mark."""
    used = 0
    cut = 0
    while cut < len(word) and used + _units(word[cut]) <= limit:
        used += _units(word[cut])
        cut += 1
    # Don't orphan a combining mark (NFD Vietnamese), ZWJ or variation selector.
    while cut > 1 and cut < len(word) and _joins_previous(word[cut]):
        cut -= 1
    return max(cut, 1)


def _joins_previous(ch: str) -> bool:
    return unicodedata.category(ch).startswith("M") or ch in "\u200d\ufe0e\ufe0f"


def _split_line(line: str, limit: int) -> list[str]:
    pieces: list[str] = []
    current = ""
    for word in line.split(" "):
        candidate = f"{current} {word}" if current else word
        if _units(candidate) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        while _units(word) > limit:
            cut = _cut(word, limit)
            pieces.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        pieces.append(current)
    return pieces


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split `text` into non-empty chunks of at most `limit` UTF-16 units.

    Prefers line boundaries, then spaces, then a hard cut. Whitespace at a cut is
    dropped and whitespace-only chunks are never produced (Zalo rejects them).
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")  # room for one surrogate pair
    chunks: list[str] = []
    current = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if _units(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        pieces = _split_line(line, limit) or [""]
        chunks.extend(pieces[:-1])
        current = pieces[-1]
    chunks.append(current)
    return [c.rstrip().lstrip("\n") for c in chunks if c.strip()]


# --- client ------------------------------------------------------------------------


def _check_text(text: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    size = _units(text)
    if not 1 <= size <= MAX_TEXT:
        raise ValueError(f"text must be 1..{MAX_TEXT} characters (got {size}); use split_text()")


class ZaloClient:
    """Async Zalo Bot Platform client over one shared `httpx.AsyncClient`.

    Errors: `bot.zalo.errors`. By default it installs a `TokenRedactingFilter` on
    the "httpx" logger for its lifetime, because httpx logs every request URL.
    """

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 10.0,
        redact_httpx_logs: bool = True,
        observer: Callable[[str, ZaloError | None], None] | None = None,
    ) -> None:
        if not token or not isinstance(token, str):
            raise ValueError("Zalo bot token is empty")
        if httpx.URL(base_url).scheme not in ("http", "https"):
            raise ValueError(f"base_url must be http(s): {base_url!r}")
        self._token = token
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._http = httpx.AsyncClient(timeout=timeout)
        self._log_filter: TokenRedactingFilter | None = None
        # Told the outcome of every call (method, None or the error): the platform's health.
        self._observer = observer
        if redact_httpx_logs:
            self._log_filter = TokenRedactingFilter(token)
            logging.getLogger("httpx").addFilter(self._log_filter)

    @property
    def base_url(self) -> str:
        return self._base_url

    def redact(self, text: str) -> str:
        return redact(text, self._token)

    async def close(self) -> None:
        await self._http.aclose()
        if self._log_filter is not None:
            logging.getLogger("httpx").removeFilter(self._log_filter)
            self._log_filter = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # --- API methods ---

    async def get_me(self) -> dict[str, Any]:
        return await self._call("getMe")

    async def get_updates(self, timeout: int = 30) -> ZaloUpdate | None:
        """Long-poll for ONE update; None when Zalo answers 408 (nothing within `timeout`).

        A malformed update raises ValueError (from `parse_update`); it is already consumed.
        """
        if timeout < 0:
            raise ValueError("timeout must be >= 0")
        # The server holds the request up to `timeout` s; give the read 10 s slack.
        read = httpx.Timeout(self._timeout, read=timeout + 10)
        try:
            result = await self._call("getUpdates", {"timeout": timeout}, timeout=read)
        except ZaloError as exc:
            if exc.error_code == 408 and not isinstance(exc, ZaloNetworkError):
                return None
            raise
        if not result:
            return None
        return parse_update(result)

    async def send_message(self, chat_id: str, text: str, *, parse_mode: str | None = None) -> dict[str, Any]:
        """Send one message (1..2000 chars; split longer text with `split_text`).

        Returns `{"message_id": str, "date": ms}`.
        """
        _check_text(text)
        payload: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if parse_mode is not None:
            if parse_mode not in PARSE_MODES:
                raise ValueError(f"parse_mode must be one of {sorted(PARSE_MODES)}")
            payload["parse_mode"] = parse_mode
        return await self._call("sendMessage", payload)

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        await self._call("sendChatAction", {"chat_id": chat_id, "action": action})

    async def set_webhook(self, url: str, secret_token: str) -> dict[str, Any]:
        """Zalo echoes the secret in header X-Bot-Api-Secret-Token on every delivery."""
        if not 8 <= len(secret_token) <= 256:
            raise ValueError("secret_token must be 8..256 characters")
        return await self._call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> dict[str, Any]:
        return await self._call("deleteWebhook")

    async def get_webhook_info(self) -> dict[str, Any]:
        return await self._call("getWebhookInfo")

    # --- transport ---

    async def _call(
        self,
        method: str,
        payload: dict[str, Any] | None = None,
        *,
        timeout: httpx.Timeout | None = None,
    ) -> Any:
        if self._observer is None:
            return await self._request(method, payload, timeout)
        try:
            result = await self._request(method, payload, timeout)
        except ZaloError as exc:
            self._observer(method, exc)
            raise
        self._observer(method, None)
        return result

    async def _request(self, method: str, payload: dict[str, Any] | None, timeout: httpx.Timeout | None) -> Any:
        url = f"{self._base_url}/bot{self._token}/{method}"
        failure: ZaloNetworkError | None = None
        try:
            response = await self._http.post(url, json=payload or {}, timeout=timeout or self._timeout)
        except httpx.HTTPError as exc:
            detail = self.redact(str(exc)) or "no detail"
            failure = ZaloNetworkError(None, f"{type(exc).__name__}: {detail}", method=method)
        if failure is not None:
            # Raised outside the except block so __context__ stays empty: the httpx
            # exception carries the request URL (token) and would show in tracebacks.
            raise failure
        status = response.status_code
        retry_header = response.headers.get("retry-after")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("ok"), bool):
            # Proxy/CDN error pages: classify by HTTP status, else call it a server fault.
            description = f"HTTP {status}: response is not a Zalo JSON envelope"
            raise _error(method, status, description, retry_header, fallback=ZaloServerError)
        # Trust the envelope, not the HTTP status: Zalo answers errors with 200 too.
        if body["ok"]:
            log.debug("zalo %s ok", method)
            return body.get("result")
        code = body.get("error_code")
        if isinstance(code, str) and code.isdigit():
            code = int(code)
        if not isinstance(code, int) or isinstance(code, bool):
            code = status
        description = self.redact(str(body.get("description") or f"HTTP {status}"))
        params = body.get("parameters")
        retry = params.get("retry_after") if isinstance(params, dict) else None
        raise _error(method, code, description, retry if retry is not None else retry_header)


_KINDS: dict[int, type[ZaloError]] = {
    400: ZaloBadRequest,
    404: ZaloBadRequest,
    401: ZaloUnauthorized,
    403: ZaloForbidden,
}


def _error(
    method: str,
    code: int,
    description: str,
    retry_after: object,
    *,
    fallback: type[ZaloError] = ZaloError,
) -> ZaloError:
    if code == 429:
        return ZaloRateLimited(code, description, method=method, retry_after=_seconds(retry_after))
    if code in _KINDS:
        return _KINDS[code](code, description, method=method)
    if code >= 500:
        return ZaloServerError(code, description, method=method)
    return fallback(code, description, method=method)


def _seconds(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return seconds if seconds >= 0 else None
