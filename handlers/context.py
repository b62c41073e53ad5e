"""What every handler gets: the services, the request, the language and a catalogue snapshot."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.replies import Request
from bot.services import Services, Snapshot


@dataclass
class Context:
    services: Services
    request: Request
    lang: str
    snapshot: Snapshot
    fillers: frozenset[str] = frozenset()  # this message's chat words that are also catalogue words
    searched: dict = field(default_factory=dict)  # (text, ignore_stars) -> result, for this message
    asked: tuple[str, ...] = ()  # the questions about a product this message asked, for a follow-up
    area: str = ""  # the area this message was about (a market's, a list's), for "there" in the next
    last_area: str = ""  # the area the chat was last about, before this message
    place: int | None = None  # the one place this message answered about, for "what time does it open"
    last_place: int | None = None  # the one place the chat was last shown
    last_products: tuple[int, ...] = ()  # the products the chat was last shown together ("loại nào 4 sao")

    def t(self, key: str, **values: object) -> str:
        return self.services.i18n.t(self.lang, key, **values)

    @property
    def page_size(self) -> int:
        return self.services.config.bot.page_size
