"""The web catalogue in a real browser: Debian's Chromium (installed by .ci/run) driven by
Playwright, against the app served by uvicorn on 127.0.0.1, tiles from the server itself.

Screenshots at phone width go to $OCOP_SCREENSHOTS_DIR when it is set (the committed ones in
bench/screenshots/ were made with OCOP_SCREENSHOTS_DIR=bench/screenshots), else to a temporary
folder.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright import sync_api as playwright  # a test dependency: missing is an error, not a skip

from bot.config import Config, DatabaseSection
from bot.services import build_services
from bot.web.app import WebState
from bot.web.pages import build_pages
from bot.web.serve import WebService
from tests.conftest import TODAY, seeded_db
from tests.web.pages.conftest import PASSWORD_HASH, web_config

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
PHONE = {"width": 390, "height": 844}
SA_PA = {"latitude": 22.336, "longitude": 103.844}
AXE = Path(__file__).parent / "vendor" / "axe.min.js"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium (.ci/run installs it)")


class Server(threading.Thread):
    """`serve`'s web service (uvicorn, real socket) in a thread with its own event loop."""

    def __init__(self, tmp: Path) -> None:
        super().__init__(daemon=True)
        self.tmp = tmp
        self.ready = threading.Event()
        self.port = 0
        self.error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopping: asyncio.Event | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported by the fixture
            self.error = exc
            self.ready.set()

    async def _serve(self) -> None:
        config = Config(database=DatabaseSection(path=str(self.tmp / "browser.sqlite3")), base_dir=self.tmp)
        seeded_db(config.database_path)
        services = await build_services(config, today=lambda: TODAY)
        web_config(services, public_url="", staff_password_hash=PASSWORD_HASH)
        state = WebState(services, "browser-secret-123", 1_000_000)
        state.pages = build_pages(services, bot_username=lambda: "ocop_laocai_bot")
        self.loop, self.stopping = asyncio.get_running_loop(), asyncio.Event()
        try:
            async with WebService(state, host="127.0.0.1", port=0) as web:
                self.port = web.port
                self.ready.set()
                await self.stopping.wait()
        finally:
            await services.close()

    def stop(self) -> None:
        if self.loop is not None and self.stopping is not None:
            self.loop.call_soon_threadsafe(self.stopping.set)
        self.join(10)


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    server = Server(tmp_path_factory.mktemp("browser"))
    server.start()
    server.ready.wait(30)
    if server.error is not None:
        raise server.error
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    wanted = os.environ.get("OCOP_SCREENSHOTS_DIR")
    folder = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def phone(browser, **options):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True, **options)
    context.set_default_timeout(10_000)
    return context


def snap(page, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=False)
    # Mobile first: nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name


def test_search_open_a_product_and_read_it_in_chinese(browser, base_url: str, shots: Path) -> None:
    context = phone(browser, locale="vi-VN")
    page = context.new_page()
    page.goto(base_url + "/")
    snap(page, shots, "home")
    page.fill("#q", "mật ong Bảo Yên mua ở đâu")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"\?q="))
    snap(page, shots, "search")
    page.click(".products li:first-child a")
    page.wait_for_url(re.compile(r"/p/36$"))
    assert page.inner_text("h1") == "Mật ong"
    snap(page, shots, "product")
    page.click("a[hreflang=zh]")
    page.wait_for_url(re.compile(r"lang=zh"))
    assert page.get_attribute("html", "lang") == "zh"
    assert "购买或参观地点" in page.inner_text("#buy")  # "where to buy", from zh.toml
    assert "蜂蜜" in page.inner_text("main")  # our Chinese gloss of the name
    snap(page, shots, "product-zh")
    page.goto(base_url + "/events")  # the cookie keeps Chinese
    assert page.get_attribute("html", "lang") == "zh"
    context.close()


def test_near_me_near_sa_pa_lists_sa_pa_first_on_the_map(browser, base_url: str, shots: Path) -> None:
    context = phone(browser, geolocation=SA_PA, permissions=["geolocation"], locale="en-US")
    page = context.new_page()
    errors: list[str] = []  # a CSP violation, a missing file or a script error shows up here
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(base_url + "/places?lang=en")
    page.wait_for_selector(".leaflet-marker-icon")  # the map, from this server's Leaflet
    page.click("#near-me")
    page.wait_for_url(re.compile(r"lat=22\.33600&lon=103\.84400"))
    first = page.locator("#places li").first
    assert "Sa Pa" in first.inner_text()
    assert "town or district centre" in first.inner_text()  # approximate, as the chat says
    assert page.inner_text("h1").startswith("Places nearest to you")
    page.wait_for_selector(".leaflet-marker-icon")
    snap(page, shots, "places-near-sa-pa")
    page.goto(base_url + "/events")
    snap(page, shots, "events")
    assert not errors, errors
    context.close()


def test_staff_login_is_refused_without_the_password(browser, base_url: str, shots: Path) -> None:
    context = phone(browser, locale="vi-VN")
    page = context.new_page()
    page.goto(base_url + "/staff")
    page.fill("#password", "not the password")
    with page.expect_response(lambda r: r.url.endswith("/staff/login")) as answer:
        page.click("form.login button")
    assert answer.value.status == 403
    assert page.locator(".error").inner_text() == "Không đăng nhập được: sai mật khẩu."
    assert not [c for c in context.cookies() if c["name"] == "ocop_staff"]
    snap(page, shots, "staff-refused")
    context.close()


@pytest.mark.parametrize("path", ["/", "/?q=mật+ong", "/p/36", "/places", "/events", "/staff", "/p/36?lang=ko"])
def test_no_serious_accessibility_violations(browser, base_url: str, path: str) -> None:
    context = phone(browser, bypass_csp=True)  # only so that axe can be injected
    page = context.new_page()
    page.goto(base_url + path)
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help}))"
    )
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, serious
    context.close()
