"""The web catalogue over HTTP (in-process): pages say what the chat says, in the reader's
language, small, cacheable and with strict headers."""

from __future__ import annotations

import dataclasses
import gzip
import html
import re

import pytest

from bot.replies import Location, Request
from handlers import products
from handlers.context import Context
from handlers.router import Router
from tests.web.pages.conftest import ADMIN_ID, PUBLIC, SECRET, Web

PAGES = ["/", "/?q=mật+ong", "/?star=4", "/?area=Sa+Pa", "/?category=food", "/p/36", "/places", "/places/16", "/events"]


def text_of(page: str) -> str:
    """The page's text as a reader sees it (tags dropped, entities decoded, spaces joined)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_is_small_described_and_locked_down(web: Web, path: str) -> None:
    response = await web.http.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-encoding"] == "gzip"
    page = response.text
    assert '<html lang="vi">' in page
    assert re.search(r"<title>[^<]+</title>", page)
    for tag in ("description", "og:title", "og:description", "og:url", "og:type"):
        assert re.search(rf'<meta (name|property)="{tag}" content="[^"]+">', page), tag
    assert f'<meta property="og:url" content="{PUBLIC}' in page
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"]
    assert "geolocation=(self)" in response.headers["permissions-policy"]
    assert "<script>" not in page and " style=" not in page and "<style" not in page  # nothing inline
    # Under 60 KB transferred with its stylesheet, compressed (the map's script is not counted).
    css = await web.http.get(re.search(r'href="(/static/site.css\?v=\w+)"', page).group(1))
    weight = len(gzip.compress(response.content)) + len(gzip.compress(css.content))
    assert weight < 60_000
    # Nothing about staff or secrets.
    assert str(ADMIN_ID) not in page and "zalo-admin-7" not in page and SECRET not in page


async def test_etags_answer_304_and_static_files_are_cached_for_a_year(web: Web) -> None:
    first = await web.http.get("/p/36", headers={"Accept-Encoding": "identity"})
    etag = first.headers["etag"]
    packed = await web.http.get("/p/36", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["etag"] != etag  # another representation, another tag
    assert (await web.http.get("/p/36", headers={"If-None-Match": packed.headers["etag"]})).status_code == 304
    assert "max-age" in first.headers["cache-control"]
    again = await web.http.get("/p/36", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    css_url = re.search(r'href="(/static/site.css\?v=\w+)"', first.text).group(1)
    css = await web.http.get(css_url)
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert (await web.http.get(css_url, headers={"If-None-Match": css.headers["etag"]})).status_code == 304
    assert (await web.http.get("/static/nothing.css")).status_code == 404


async def test_language_from_query_then_cookie_else_accept_language(web: Web) -> None:
    page = await web.http.get("/p/36?lang=zh")
    assert '<html lang="zh">' in page.text and "蜂蜜" in page.text  # our Chinese gloss of "mật ong"
    assert "lang=zh" in page.headers["set-cookie"]
    assert '<html lang="zh">' in (await web.http.get("/events")).text  # the cookie remembers it
    web.http.cookies.clear()
    assert '<html lang="ko">' in (await web.http.get("/", headers={"Accept-Language": "ko-KR,ko;q=0.9"})).text
    assert '<html lang="en">' in (await web.http.get("/", headers={"Accept-Language": "fr, en;q=0.5"})).text
    assert '<html lang="vi">' in (await web.http.get("/", headers={"Accept-Language": "fr"})).text


async def test_the_search_box_understands_as_the_chat_does(web: Web) -> None:
    message = "ad ơi mật ong Bảo Yên mua ở đâu vậy"
    page = await web.http.get("/", params={"q": message})
    ids = [int(i) for i in re.findall(r'<li><a href="/p/(\d+)"', page.text)]
    [chat] = await Router(web.services).handle(Request("console", "c", "c", text=message))
    assert ids and ids[0] == chat.product_ids[0] == 36
    # A chatty listing, and something we do not have, worded as the chat words it.
    listing = await web.http.get("/", params={"q": "sp 4 sao ở Sa Pa"})
    assert re.findall(r'<li><a href="/p/(\d+)"', listing.text)
    missing = await web.http.get("/", params={"q": "kẹo dừa Bến Tre"})
    assert not re.findall(r'<li><a href="/p/(\d+)"', missing.text)
    [said] = await Router(web.services).handle(Request("console", "c2", "c2", text="kẹo dừa Bến Tre"))
    assert said.kind == "not_found" and said.text.splitlines()[0] in text_of(missing.text)
    await web.services.repo.flush_search_log()  # written behind the reply
    logged = await web.services.repo.db.fetchall("SELECT query, platform, results FROM search_log", tuples=True)
    logged = [tuple(row) for row in logged]
    again = await web.http.get("/", params={"q": "kẹo dừa Bến Tre"})  # from the cache, still a search
    assert again.text == missing.text
    await web.services.repo.flush_search_log()
    twice = await web.services.repo.db.fetchall("SELECT count(*) FROM search_log WHERE platform = 'web'", tuples=True)
    assert twice[0][0] == len([row for row in logged if row[1] == "web"]) + 1
    assert ("kẹo dừa bến tre", "web", 0) in logged and any(p == "web" and n > 0 for _, p, n in logged)


async def test_product_page_says_what_the_card_says(web: Web) -> None:
    snapshot = await web.services.catalogue.get()
    for lang in ("vi", "en"):
        ctx = Context(web.services, Request("console", "c", "c"), lang, snapshot)
        card = products.card_reply(ctx, snapshot.index.products[36])
        page = text_of((await web.http.get(f"/p/36?lang={lang}")).text)
        for line in card.text.splitlines():
            if "Where to buy" not in line and "Nơi mua" not in line and "places_count" not in line:
                if line.startswith("🛒"):
                    continue  # "3 places…: choose Where to buy": the page lists them instead
                assert line.strip().removeprefix("🏷 ").strip("()") in page, line
    page = (await web.http.get("/p/36")).text
    assert "https://t.me/ocop_laocai_bot?start=p_36" in page
    assert 'href="/places?product=36"' in page and "/p/36/qr.svg" in page
    assert (await web.http.get("/p/99999")).status_code == 404


async def test_places_nearest_first_with_honest_distances(web: Web) -> None:
    sa_pa = (22.336, 103.844)
    page = await web.http.get("/places", params={"lat": sa_pa[0], "lon": sa_pa[1], "lang": "en"})
    names = re.findall(r'data-name="([^"]+)"', page.text)
    snapshot = await web.services.catalogue.get()
    ctx = Context(web.services, Request("console", "c", "c"), "en", snapshot)
    [chat] = await Router(web.services).handle(Request("telegram", "c", "c", location=Location(*sa_pa), language="en"))
    assert chat.text.splitlines()[0] in text_of(page.text)
    first = next(p for p in snapshot.catalogue.places if html.escape(p.name, quote=True) == names[0])
    assert first.area == "Sa Pa"
    assert "measured to the town or district centre" in page.text  # approximate, as the chat says
    assert 'data-approx="1"' in page.text
    product = await web.http.get("/places?product=36&lang=en")
    assert "Where to buy or see" in text_of(product.text)
    assert (await web.http.get("/places?product=99999")).status_code == 404
    assert ctx.t("place.approx_note") in text_of(product.text)


async def test_place_events_sitemap_robots_qr(web: Web) -> None:
    place = await web.http.get("/places/16")
    assert "Chợ đêm Sa Pa" in place.text and "16:00-22:00" in place.text
    assert (await web.http.get("/places/9999")).status_code == 404
    events = text_of((await web.http.get("/events?lang=en")).text)
    assert "Upcoming" in events or "No upcoming" in events
    sitemap = await web.http.get("/sitemap.xml")
    assert sitemap.headers["content-type"].startswith("application/xml")
    assert f"<loc>{PUBLIC}/p/36</loc>" in sitemap.text and f"<loc>{PUBLIC}/places/16</loc>" in sitemap.text
    robots = await web.http.get("/robots.txt")
    assert "Disallow: /staff" in robots.text and f"Sitemap: {PUBLIC}/sitemap.xml" in robots.text
    qr = await web.http.get("/p/36/qr.svg")
    assert qr.headers["content-type"].startswith("image/svg+xml") and "<svg" in qr.text
    assert (await web.http.get("/p/99999/qr.svg")).status_code == 404


async def test_the_webhooks_and_healthz_are_untouched(web: Web) -> None:
    health = await web.http.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert health.status_code == 200 and "content-encoding" not in health.headers
    assert health.json()["status"] == "ok"
    # No platform configured here: its webhook path is not served (404, as before the pages).
    assert (await web.http.post("/zalo/webhook", json={})).status_code == 404
    assert (await web.http.post("/telegram/webhook", json={})).status_code == 404


async def test_html_is_escaped(web: Web) -> None:
    page = await web.http.get("/", params={"q": '<script>alert("x")</script>'})
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text


async def test_the_page_cache_is_bounded(web: Web, monkeypatch) -> None:
    from bot.web.pages import site as site_module

    monkeypatch.setattr(site_module, "PAGE_CACHE_BYTES", 200_000)
    for n in range(40):  # any query string is a page of its own: ~50 KB each
        assert (await web.http.get("/places", params={"lat": 22 + n / 100, "lon": 104})).status_code == 200
    assert web.site._cached_bytes <= 200_000 and len(web.site._cache) < 40
    assert web.site._cached_bytes == sum(len(b.raw) + len(b.gz or b"") for b in web.site._cache.values())


async def test_zalo_button_only_with_a_chat_link_and_near_a_named_town(services) -> None:
    from bot.config import ZaloSection
    from tests.web.pages.conftest import client

    async with client(services) as web:
        assert "zalo.me" not in (await web.http.get("/p/36")).text
        near = await web.http.get("/places", params={"lat": "22.336", "lon": "103.844", "near": "Sa Pa", "lang": "en"})
        assert "Places to buy near Sa Pa" in text_of(near.text)
        odd = await web.http.get("/places", params={"lat": "22.336", "lon": "103.844", "near": "<b>x</b>"})
        assert "<b>x</b>" not in odd.text and "&lt;b&gt;" not in odd.text  # an unknown town is not echoed
    services.config = dataclasses.replace(services.config, zalo=ZaloSection(chat_url="https://zalo.me/123456"))
    async with client(services) as web:
        assert 'href="https://zalo.me/123456"' in (await web.http.get("/p/36")).text
