"""Typed action data: what a button (Telegram) or a numbered option (Zalo, console) does.

Each action is a small frozen dataclass declared beside the handler that owns it, with a short
wire prefix (aiogram's CallbackData is the model):

    @action("p")
    @dataclass(frozen=True)
    class ProductCard(Action):
        id: int

    ProductCard(12).pack() == "p:12";  unpack("p:12") == ProductCard(12)

Fields are int (0 .. 2**31-1), float (finite, packed with 4 decimals), str (a short ASCII
token) or a Literal of strings. `pack()` asserts the result fits Telegram's 64-byte
callback_data; `unpack()` returns None for anything malformed, unknown or out of range, so
forged data gets the polite "expired" reply and never an exception. The wire strings are the
positional ones used before ("p:12", "l:4:-:-:1", "ann:ok:3"), so old buttons keep working.
"""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from typing import ClassVar, Literal, get_args, get_origin, get_type_hints

MAX_BYTES = 64  # Telegram's callback_data limit
MAX_ID = 2**31 - 1
_SEP = ":"
_INT_RE = re.compile(r"[0-9]{1,10}")
_FLOAT_RE = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{1,8})?")
_TOKEN_RE = re.compile(r"[A-Za-z0-9_.\-]{1,40}")

_REGISTRY: dict[str, type[Action]] = {}


class Action:
    """Base of every typed action; subclasses are frozen dataclasses registered with @action."""

    prefix: ClassVar[str] = ""
    _fields: ClassVar[tuple[tuple[str, typing.Any], ...]] = ()

    def pack(self) -> str:
        parts = [self.prefix]
        for name, kind in self._fields:
            value = getattr(self, name)
            parts.append(f"{value:.4f}" if kind is float else str(value))
        packed = _SEP.join(parts)
        assert len(packed.encode()) <= MAX_BYTES, f"action {packed[:80]!r} is over {MAX_BYTES} bytes"
        assert type(self).unpack(packed) is not None, f"action {packed!r} would not unpack"
        return packed

    @classmethod
    def unpack(cls, data: str) -> Action | None:
        """This class's action from `data`, or None when it is not one (or not a valid one)."""
        if not isinstance(data, str) or len(data.encode("utf-8", "replace")) > MAX_BYTES:
            return None
        prefix, *parts = data.split(_SEP)
        if prefix != cls.prefix or len(parts) != len(cls._fields):
            return None
        values = {}
        for (name, kind), raw in zip(cls._fields, parts, strict=True):
            value = _parse(raw, kind)
            if value is None:
                return None
            values[name] = value
        made = cls(**values)
        return made if made.valid() else None

    def valid(self) -> bool:
        """A hook for cross-field or range checks beyond the field types."""
        return True


def _parse(raw: str, kind: typing.Any) -> object | None:
    if kind is int:
        if not _INT_RE.fullmatch(raw):
            return None
        value = int(raw)
        return value if value <= MAX_ID else None
    if kind is float:
        if not _FLOAT_RE.fullmatch(raw):
            return None
        number = float(raw)
        return number if math.isfinite(number) else None
    if kind is str:
        return raw if _TOKEN_RE.fullmatch(raw) else None
    if get_origin(kind) is Literal:
        return raw if raw in get_args(kind) else None
    raise TypeError(f"unsupported action field type {kind!r}")  # a programming error, at import time


def action(prefix: str):
    """Register a frozen dataclass as the action with this wire prefix."""

    def register(cls: type[Action]) -> type[Action]:
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, cls  # type: ignore[attr-defined]
        assert prefix not in _REGISTRY and _SEP not in prefix, prefix
        hints = get_type_hints(cls)
        fields = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))
        for _, kind in fields:
            if kind not in (int, float, str) and get_origin(kind) is not Literal:
                raise TypeError(f"{cls.__name__}: unsupported field type {kind!r}")
        cls.prefix = prefix
        cls._fields = fields
        _REGISTRY[prefix] = cls
        return cls

    return register


def unpack(data: str | None) -> Action | None:
    """Whichever registered action `data` is, or None (unknown prefix, malformed, out of range)."""
    if not data or not isinstance(data, str):
        return None
    cls = _REGISTRY.get(data.split(_SEP, 1)[0])
    return cls.unpack(data) if cls is not None else None


# -- the product actions every handler offers (a card, where to buy it, its map pins) -------------


@action("p")
@dataclasses.dataclass(frozen=True)
class ProductCard(Action):
    id: int


@action("b")
@dataclasses.dataclass(frozen=True)
class WhereToBuy(Action):
    id: int


@action("m")
@dataclasses.dataclass(frozen=True)
class MapPins(Action):
    id: int
