"""User-facing text, looked up by key in data/locales/<lang>.toml (Vietnamese first)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot.understanding.language import detect_language

LANGUAGES = ("vi", "en", "zh", "ko")


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
    """The person's own choice, else the language of this message, else the platform's, else default.

    The message wins over the platform: a Vietnamese phone set to English still gets Vietnamese
    answers to Vietnamese messages.
    """
    if stored in LANGUAGES:
        return stored
    # A blob with no word of human length ("aaaa…") says nothing about the person's language.
    has_words = any(len(word) <= 30 for word in text.split())
    detected = detect_language(text) if text and has_words else None
    if detected in LANGUAGES:
        return detected
    if platform_hint:
        hint = platform_hint.lower()[:2]
        return hint if hint in LANGUAGES else "en"
    return default
