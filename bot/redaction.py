"""Keep bot tokens out of every log line, whichever logger produced it.

Both platforms put the token in the request URL, and httpx logs each URL at INFO.
A filter on a *logger* only sees records created there, so the filter goes on every
root handler (all propagating loggers pass through them) and on "httpx" itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.zalo.client import TokenRedactingFilter


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
