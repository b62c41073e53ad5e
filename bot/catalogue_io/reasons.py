"""Why an import refused a file or a row, in the reader's language: a key of [import_reason]
in data/locales/ and its values. str() gives the English text (logs, `ocop-bot import`); a
staff member's upload in chat gets their language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from bot.config import DATA_DIR


@lru_cache(maxsize=1)
def _texts():
    from bot.i18n import I18n

    return I18n.load(DATA_DIR / "locales")


@dataclass(frozen=True)
class Reason:
    key: str
    values: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, key: str, **values: object) -> Reason:
        return cls(key, tuple(values.items()))

    def text(self, t: Callable[..., str]) -> str:
        """In the language of `t` (a Context.t, or i18n.t bound to a language)."""
        return t(f"import_reason.{self.key}", **dict(self.values))

    def __str__(self) -> str:
        return self.text(lambda key, **values: _texts().t("en", key, **values))


class FileRefused(ValueError):
    """A file that is not read: one line, for the person who sent it."""

    def __init__(self, key: str, **values: object) -> None:
        self.reason = Reason.of(key, **values)
        super().__init__(str(self.reason))
