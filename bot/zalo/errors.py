"""Exceptions raised by the Zalo Bot Platform client.

Callers branch on the class, not on numbers: the broadcast worker backs off on
`ZaloRateLimited`, deactivates a recipient on `ZaloForbidden`, retries a bounded
number of times on `ZaloNetworkError`/`ZaloServerError`, and stops on
`ZaloUnauthorized` (a reset token never heals by retrying).

Messages never contain the bot token: the client redacts them before building
an exception, because the token sits in every request URL.
"""

from __future__ import annotations


class ZaloError(Exception):
    """An API call failed. `error_code` is Zalo's (or the HTTP status when Zalo sent none)."""

    def __init__(self, error_code: int | None, description: str, *, method: str | None = None) -> None:
        self.error_code = error_code
        self.description = description
        self.method = method
        where = f"{method}: " if method else ""
        code = f" (error_code={error_code})" if error_code is not None else ""
        super().__init__(f"{where}{description}{code}")


class ZaloBadRequest(ZaloError):
    """400/404: bad parameters, unknown method, unknown chat. Retrying the same call won't help."""


class ZaloUnauthorized(ZaloError):
    """401: the token is wrong or was reset in Bot Creator."""


class ZaloForbidden(ZaloError):
    """403: the docs call it "internal server error", but in practice a chat we may not write to."""


class ZaloRateLimited(ZaloError):
    """429 "Quota exceeded". `retry_after` (seconds) only when the response said so."""

    def __init__(
        self,
        error_code: int | None,
        description: str,
        *,
        method: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(error_code, description, method=method)
        self.retry_after = retry_after


class ZaloServerError(ZaloError):
    """5xx, or a body that is not a Zalo JSON envelope (proxy error pages and the like)."""


class ZaloNetworkError(ZaloError):
    """The request never got an answer: connection refused/reset, DNS, TLS or timeout.

    For sendMessage a timeout is ambiguous: the message may have been delivered.
    """
