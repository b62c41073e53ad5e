"""The pages from what `ocop-bot serve` runs, over a real socket, beside a live webhook."""

from __future__ import annotations

from pathlib import Path

from tests.fakes.telegram_api import BOT_USERNAME, FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.web.conftest import ZALO_HEADER, serving, zalo_event


async def test_serve_answers_pages_and_webhooks_on_one_port(tmp_path: Path, fake_zalo: FakeZalo) -> None:
    async with serving(tmp_path, zalo=fake_zalo) as served:
        home = await served.http.get("/", headers={"Accept-Encoding": "gzip"})
        assert home.status_code == 200 and home.headers["content-encoding"] == "gzip"
        assert "<form" in home.text and 'action="/"' in home.text
        product = await served.http.get("/p/36", headers={"If-None-Match": '"nothing"'})
        assert product.status_code == 200 and "Mật ong" in product.text
        assert (await served.http.get("/p/36", headers={"If-None-Match": product.headers["etag"]})).status_code == 304
        webhook = await served.http.post("/zalo/webhook", json=zalo_event("s1", "mật ong", "m1"), headers=ZALO_HEADER)
        assert webhook.status_code == 200 and "content-encoding" not in webhook.headers
        [answer] = await fake_zalo.wait_for_messages("s1", 1)
        assert "🌐" not in answer  # no [web] public_url: no links
        assert (await served.http.get("/healthz")).json()["status"] == "ok"


async def test_ask_the_bot_links_use_the_username_telegram_gives(tmp_path: Path, fake_telegram: FakeTelegram) -> None:
    async with serving(tmp_path, telegram=fake_telegram) as served:
        page = await served.http.get("/p/36")
        assert f"https://t.me/{BOT_USERNAME}?start=p_36" in page.text
