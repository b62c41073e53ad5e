"""Keep bot tokens out of every log line, whichever logger produced it.

Both platforms put the token in the request URL, and httpx logs each URL at INFO.
A filter on a *logger* only sees records created there, so the filter goes on every
root handler (all propagating loggers pass through them) and on "httpx" itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import quote

REDACTED = "<redacted>"


def redact(text: str, token: str) -> str:
    """Replace the token (raw and percent-encoded, as it may appear in a URL) by <redacted>."""
    if not token:
        return text
    for form in {token, quote(token, safe="")}:
        text = text.replace(form, REDACTED)
    return text


class TokenRedactingFilter(logging.Filter):
    """Scrub the token from log records; never drops a record.

    httpx logs `HTTP Request: POST https://.../bot<TOKEN>/sendMessage ...` at INFO,
    with the URL as a %-argument, so the message is rendered here and args cleared.
    Add it to the "httpx" logger (records are filtered where they are created) or to
    a handler (covers every logger feeding it).
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self._token)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # Pre-render the traceback: Formatter uses exc_text when it is set.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._token)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._token)
        return True


def redact_tokens_in_logs(*tokens: str | None) -> Callable[[], None]:
    """Install redaction for the non-empty `tokens`; returns a function that removes it."""
    installed: list[tuple[logging.Filterer, logging.Filter]] = []
    targets: list[logging.Filterer] = [*logging.getLogger().handlers, logging.getLogger("httpx")]
    for token in tokens:
        if not token:
            continue
        for target in targets:
            token_filter = TokenRedactingFilter(token)
            target.addFilter(token_filter)
            installed.append((target, token_filter))

    def remove() -> None:
        for target, token_filter in installed:
            target.removeFilter(token_filter)

    return remove
