"""The bot in a terminal: `ocop-bot chat` (stdin/stdout, works with pipes) and `ocop-bot ask`."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from bot.numbered import chosen_number, render_plain
from bot.replies import Reply, Request
from bot.services import Services
from handlers.router import Router

log = logging.getLogger(__name__)

CONSOLE_USER = "console"


class ConsoleChat:
    def __init__(self, services: Services, out: TextIO = sys.stdout, *, language: str | None = None) -> None:
        self.services = services
        self.router = Router(services)
        self.out = out
        self.language = language
        self.actions: list[str] = []  # the last numbered list, answered by typing a number

    def request_for(self, line: str) -> Request:
        number = chosen_number(line)
        if number is not None and 1 <= number <= len(self.actions):
            return Request("console", CONSOLE_USER, CONSOLE_USER, action=self.actions[number - 1])
        return Request("console", CONSOLE_USER, CONSOLE_USER, text=line, language=self.language)

    async def say(self, line: str) -> list[Reply]:
        number = chosen_number(line)
        if number is not None and self.actions and not 1 <= number <= len(self.actions):
            lang = self.language or "vi"
            key = "choice.out_of_range_one" if len(self.actions) == 1 else "choice.out_of_range"
            self.out.write(self.services.i18n.t(lang, key, n=number, max=len(self.actions)) + "\n")
            return []
        try:
            replies = await self.router.handle(self.request_for(line))
        except Exception:
            # As on Zalo and Telegram: a handler bug is logged, the person gets a polite line.
            log.exception("console: handler failed")
            self.out.write(self.services.i18n.t(self.language or "vi", "error.generic") + "\n\n")
            self.out.flush()
            return []
        for reply in replies:
            text, actions = render_plain(reply, self.services.i18n)
            self.out.write(text + "\n\n")
            if actions:
                self.actions = actions
        self.out.flush()
        return replies

    async def run(self, stdin: TextIO = sys.stdin) -> None:
        interactive = stdin.isatty()
        if interactive:
            await self.say("/start")
        while True:
            if interactive:
                self.out.write("> ")
                self.out.flush()
            line = stdin.readline()
            if not line:
                break
            await self.say(line.rstrip("\n"))
