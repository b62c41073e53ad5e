"""Links from the bot to the web pages: only when `[web] public_url` is set."""

from __future__ import annotations

import dataclasses
from urllib.parse import parse_qs, urlsplit

from bot.config import WebSection
from bot.replies import Location, Request
from bot.services import Services
from bot.telegram import render as telegram_render
from bot.zalo.render import render_reply
from handlers.router import Router
from tests.fakes.zalo_api import FakeZalo
from tests.web.pages.conftest import PUBLIC, client
from tests.zalo.test_bot import TOKEN, running_bot, say


def set_public_url(services: Services, url: str) -> None:
    services.config = dataclasses.replace(services.config, web=WebSection(public_url=url))


async def ask(services: Services, text: str = "", **kwargs) -> list:
    return await Router(services).handle(Request("zalo", "z1", "z1", text=text, **kwargs))


async def test_replies_carry_the_page_they_are_about(services: Services) -> None:
    set_public_url(services, PUBLIC)
    [card] = await ask(services, "mật ong Bảo Yên")
    assert card.kind == "card" and card.web_url == f"{PUBLIC}/p/36"
    [buy] = await ask(services, "mật ong Bảo Yên mua ở đâu")
    assert buy.web_url == f"{PUBLIC}/places?product=36"
    [near] = await ask(services, "gần Sa Pa")
    link = urlsplit(near.web_url)
    assert link.path == "/places" and parse_qs(link.query)["near"] == ["Sa Pa"]
    [located] = await Router(services).handle(Request("telegram", "t", "t", location=Location(22.336, 103.844)))
    assert located.web_url == f"{PUBLIC}/places?lat=22.33600&lon=103.84400"
    # Zalo: the link is a line of the text; Telegram: a URL button.
    rendered = render_reply(card, services.i18n)
    assert f"🌐 Trang web: {PUBLIC}/p/36" in rendered.messages[-1]
    keyboard = telegram_render.inline_keyboard(card, services.i18n)
    urls = [b.url for row in keyboard.inline_keyboard for b in row if b.url]
    assert urls == [f"{PUBLIC}/p/36"]


async def test_without_public_url_nothing_changes(services: Services) -> None:
    for text in ("mật ong Bảo Yên", "mật ong Bảo Yên mua ở đâu", "gần Sa Pa", "hội chợ"):
        for reply in await ask(services, text):
            assert reply.web_url == ""
            assert "🌐" not in "\n".join(render_reply(reply, services.i18n).messages)
            keyboard = telegram_render.inline_keyboard(reply, services.i18n)
            assert not keyboard or not any(b.url for row in keyboard.inline_keyboard for b in row)


async def test_a_zalo_chat_gets_the_link_and_the_page_answers_it(services: Services) -> None:
    set_public_url(services, PUBLIC)
    with FakeZalo(TOKEN) as fake:
        async with running_bot(services, fake):
            [card] = await say(fake, "u-link", "mật ong Bảo Yên")
    line = next(line for line in card.splitlines() if line.startswith("🌐"))
    path = urlsplit(line.split(": ", 1)[1]).path
    async with client(services) as web:
        page = await web.http.get(path)
    assert page.status_code == 200 and "Mật ong" in page.text
