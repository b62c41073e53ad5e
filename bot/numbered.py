"""Choices as numbered lines, for chats without buttons (console, Zalo)."""

from __future__ import annotations

import re

from bot.i18n import I18n
from bot.replies import Reply

_NUMBER_RE = re.compile(r"^\s*#?\s*(\d{1,3})\s*[.)]?\s*$")


def render_plain(reply: Reply, i18n: I18n) -> tuple[str, list[str]]:
    """The reply as plain text with its choices numbered, and the actions in that order."""
    lines = [reply.text]
    actions = []
    if reply.choices:
        lines.append("")
        lines.append(i18n.t(reply.language, "choice.pick"))
        for number, choice in enumerate(reply.choices, start=1):
            lines.append(f"{number}. {choice.label}")
            actions.append(choice.action)
    return "\n".join(lines), actions


def chosen_number(text: str) -> int | None:
    match = _NUMBER_RE.match(text or "")
    return int(match.group(1)) if match else None
