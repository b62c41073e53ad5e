"""User-facing text, looked up by key in data/locales/<lang>.toml (Vietnamese first)."""

from __future__ import annotations

import tomllib
from pathlib import Path

LANGUAGES = ("vi", "en")
ENGLISH_HINTS = {
    "where", "buy", "what", "which", "how", "stars", "star", "is", "really", "the", "honey", "tea",
    "show", "find", "near", "me", "hello", "hi", "please", "products", "product", "fair", "fairs", "help",
    "salmon", "wine", "rice", "can", "i", "to", "in", "of", "any", "events", "places", "shop",
}  # fmt: skip


class I18n:
    def __init__(self, texts: dict[str, dict[str, str]]) -> None:
        self.texts = texts

    @classmethod
    def load(cls, directory: Path) -> I18n:
        texts = {}
        for lang in LANGUAGES:
            with (directory / f"{lang}.toml").open("rb") as fh:
                texts[lang] = _flatten(tomllib.load(fh))
        return cls(texts)

    def t(self, lang: str, key: str, **values: object) -> str:
        table = self.texts.get(lang) or self.texts["vi"]
        template = table.get(key)
        if template is None:
            template = self.texts["vi"][key]
        return template.format(**values) if values else template


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = str(value)
    return out


def pick_language(stored: str | None, platform_hint: str | None, text: str, default: str) -> str:
    """Stored choice, else the platform's language, else a guess from the message, else default."""
    if stored in LANGUAGES:
        return stored
    if platform_hint:
        return "vi" if platform_hint.lower().startswith("vi") else "en"
    return "en" if looks_english(text) else default


def looks_english(text: str) -> bool:
    from bot.text import fold, words

    tokens = words(text)
    if not tokens or any(fold(w) != w for w in tokens):
        return False  # Vietnamese marks: Vietnamese
    return sum(w in ENGLISH_HINTS for w in tokens) >= 1
