"""Checks every webhook request passes before anything is processed.

Order matters: the secret first (403, body unread: a stranger gets nothing read or
parsed), then the size (413, by Content-Length and by counting the streamed bytes,
since chunked bodies carry no length), then JSON (400, also for nesting deeper than
`MAX_DEPTH`: a deeply nested body used to be a RecursionError and a 500).
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

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
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise Rejected(413, "body too large")
        chunks.append(chunk)
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
