"""Parsing of Zalo Bot Platform updates (webhook bodies and getUpdates results).

Zalo sends one update per webhook POST or getUpdates answer, shaped
`{"ok": true, "result": {"event_name": ..., "message": {...}}}`; some senders
(and our own tests) pass the unwrapped `result`, so both are accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class MalformedUpdateError(ValueError):
    """The body is not a Zalo update we can use (a ValueError, so plain handlers work)."""


@dataclass(frozen=True)
class ZaloUpdate:
    """One inbound event. Ids are opaque strings; reply to `chat_id`, not `user_id`."""

    event_name: str  # "message.text.received", "message.image.received", ...
    message_id: str  # hex string; de-duplicate redeliveries on it
    chat_id: str
    chat_type: str  # "PRIVATE" | "GROUP" ("" when Zalo left it out)
    user_id: str
    display_name: str
    text: str | None  # None for images, stickers, voice and "unsupported" events
    date_ms: int | None  # Zalo timestamps are milliseconds since the epoch
    # The unwrapped `result`, for fields we don't model (photo, caption, sticker...).
    # Kept out of eq/hash/repr: a dict is unhashable and would flood logs.
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


def parse_update(obj: object) -> ZaloUpdate:
    """Build a `ZaloUpdate` from a decoded JSON body; `MalformedUpdateError` says what is wrong."""
    result = _unwrap(obj)
    event_name = result.get("event_name")
    if not isinstance(event_name, str) or not event_name:
        raise MalformedUpdateError("Zalo update: 'event_name' missing or not a string")
    message = result.get("message")
    if not isinstance(message, dict):
        raise MalformedUpdateError(f"Zalo update {event_name!r}: 'message' missing or not an object")
    chat = message.get("chat")
    if not isinstance(chat, dict):
        raise MalformedUpdateError(f"Zalo update {event_name!r}: 'message.chat' missing or not an object")
    sender = message.get("from")
    if not isinstance(sender, dict):
        raise MalformedUpdateError(f"Zalo update {event_name!r}: 'message.from' missing or not an object")
    text = message.get("text")
    chat_type = chat.get("chat_type")
    display_name = sender.get("display_name")
    return ZaloUpdate(
        event_name=event_name,
        message_id=_id(message.get("message_id"), "message.message_id"),
        chat_id=_id(chat.get("id"), "message.chat.id"),
        chat_type=chat_type if isinstance(chat_type, str) else "",
        user_id=_id(sender.get("id"), "message.from.id"),
        display_name=display_name if isinstance(display_name, str) else "",
        text=text if isinstance(text, str) else None,
        date_ms=_millis(message.get("date")),
        raw=result,
    )


def _unwrap(obj: object) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise MalformedUpdateError(f"Zalo update must be a JSON object, got {type(obj).__name__}")
    if "ok" in obj and obj["ok"] is not True:
        code = obj.get("error_code")
        raise MalformedUpdateError(f"Zalo update: envelope is not ok (error_code={code!r})")
    if "result" in obj:
        result = obj["result"]
        if not isinstance(result, dict):
            raise MalformedUpdateError(f"Zalo update: 'result' must be an object, got {type(result).__name__}")
        return result
    if "ok" in obj:
        raise MalformedUpdateError("Zalo update: ok envelope without 'result'")
    return obj


def _id(value: object, name: str) -> str:
    # Zalo ids are strings; accept ints too (hand-written fixtures), never bools or blanks.
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
        raise MalformedUpdateError(f"Zalo update: {name!r} missing or not a string id")
    return str(value)


def _millis(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
