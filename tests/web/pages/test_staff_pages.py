"""Staff pages: refused without the password, limited guessing, a strict session cookie, and
read-only statistics, announcements and catalogue health once signed in."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.config import ConfigError, load_config
from bot.passwords import hash_password, token_hash, verify_password
from bot.web.pages.staff import MAX_FAILURES_PER_CLIENT
from tests.web.pages.conftest import ADMIN_ID, PASSWORD, PASSWORD_HASH, Web, client


def test_hashes_verify_only_their_password() -> None:
    stored = hash_password("a good password")
    assert stored.startswith("scrypt$") and verify_password("a good password", stored)
    assert not verify_password("a good passwore", stored)
    assert not verify_password("", stored) and not verify_password("x", "scrypt$bad")
    assert hash_password("same") != hash_password("same")  # salted


def test_hash_password_command_and_config_check(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "hash-password"], input="pass word 1\n", capture_output=True, text=True,
        check=True, timeout=30,
    )  # fmt: skip
    stored = done.stdout.strip()
    assert verify_password("pass word 1", stored) and "pass word 1" not in done.stdout
    config = tmp_path / "c.toml"
    config.write_text(f'[web]\nstaff_password_hash = "{stored}"\n')
    assert load_config(config).web.staff_password_hash == stored
    config.write_text('[web]\nstaff_password_hash = "hunter2"\n')
    with pytest.raises(ConfigError, match="staff_password_hash"):
        load_config(config)


async def test_no_password_configured_refuses_every_login(services) -> None:
    async with client(services) as web:  # staff_password_hash = ""
        http = web.http
        page = await http.get("/staff")
        assert 'name="password"' not in page.text and "staff_password_hash" in page.text
        refused = await http.post("/staff/login", data={"password": PASSWORD})
        assert refused.status_code == 403 and "ocop_staff" not in refused.headers.get("set-cookie", "")


async def test_login_refused_then_limited_then_signed_in(web: Web) -> None:
    page = await web.http.get("/staff")
    assert page.status_code == 200 and 'name="password"' in page.text
    assert page.headers["cache-control"] == "no-store"
    refused = await web.http.post("/staff/login", data={"password": "wrong"})
    assert refused.status_code == 403 and "set-cookie" not in refused.headers
    empty = await web.http.post("/staff/login", data={})
    assert empty.status_code == 403
    for _ in range(MAX_FAILURES_PER_CLIENT - 2):
        await web.http.post("/staff/login", data={"password": "wrong"})
    limited = await web.http.post("/staff/login", data={"password": PASSWORD})  # even the right one, for now
    assert limited.status_code == 429
    # Behind a proxy on this host, each forwarded address is limited on its own.
    other = await web.http.post("/staff/login", data={"password": "wrong"}, headers={"X-Forwarded-For": "203.0.113.9"})
    assert other.status_code == 403
    web.site.staff_sessions.failures.clear()  # the window has passed
    signed = await web.http.post("/staff/login", data={"password": PASSWORD})
    assert signed.status_code == 303 and signed.headers["location"] == "/staff"
    cookie = signed.headers["set-cookie"]
    for flag in ("HttpOnly", "SameSite=strict", "Path=/staff", "Secure"):
        assert flag.lower() in cookie.lower(), flag
    assert PASSWORD_HASH not in cookie


async def test_dashboard_shows_searches_announcements_and_health(web: Web) -> None:
    repo = web.services.repo
    await web.http.get("/", params={"q": "mật ong"})
    await web.http.get("/", params={"q": "kẹo dừa Bến Tre"})
    await repo.log_search("trà shan", "en", "zalo", 3)
    await repo.subscribe("telegram", "555", "vi")
    draft = await repo.create_draft("telegram", str(ADMIN_ID), str(ADMIN_ID), "Hội chợ OCOP", "", None)
    await repo.confirm_broadcast(draft)
    await web.http.post("/staff/login", data={"password": PASSWORD})
    page = (await web.http.get("/staff")).text
    assert page.count('<svg class="chart"') == 4  # top, nothing found, by week, by language
    assert "kẹo dừa bến tre" in page and "mật ong" in page
    assert f"#{draft}:" in page and "<progress" in page and "Hội chợ OCOP" in page
    assert "Sản phẩm chưa xác nhận số sao" in page and "Địa điểm chưa có tọa độ riêng" in page
    assert str(ADMIN_ID) not in page.replace(f"#{draft}", "")
    out = await web.http.post("/staff/logout")
    assert out.status_code == 303
    assert 'name="password"' in (await web.http.get("/staff")).text


async def test_a_one_time_link_from_the_bot_signs_an_admin_in_once(web: Web) -> None:
    from bot.replies import Request
    from handlers.router import Router

    router = Router(web.services)
    refused = await router.handle(Request("telegram", "55", "55", text="/web"))
    assert "/staff/login" not in refused[0].text  # not an admin
    in_group = await router.handle(Request("telegram", "-100", str(ADMIN_ID), text="/web", is_group=True))
    assert "/staff/login" not in in_group[0].text and "/web" in in_group[0].text
    [reply] = await router.handle(Request("telegram", str(ADMIN_ID), str(ADMIN_ID), text="/web"))
    url = next(word for word in reply.text.split() if word.startswith("https://"))
    path = url.removeprefix("https://ocop.example.vn")
    token = path.split("token=")[1]
    stored = await web.services.repo.db.fetchall("SELECT token_hash FROM staff_links", tuples=True)
    assert token not in str([tuple(r) for r in stored])  # only its hash is kept
    landing = await web.http.get(path)  # what a link preview would fetch: nothing is used up
    assert landing.status_code == 200 and f'value="{token}"' in landing.text and "set-cookie" not in landing.headers
    signed = await web.http.post("/staff/login", data={"token": token})
    assert signed.status_code == 303 and "ocop_staff=" in signed.headers["set-cookie"]
    assert "Tình trạng danh mục" in (await web.http.get("/staff")).text  # the dashboard
    web.http.cookies.clear()
    again = await web.http.post("/staff/login", data={"token": token})
    assert again.status_code == 403 and "set-cookie" not in again.headers
    assert (await web.http.post("/staff/login", data={"token": "made-up"})).status_code == 403
    # Expired: a link past its ten minutes signs nobody in.
    await web.services.repo.staff.create_login_link(token_hash("old"), "telegram", str(ADMIN_ID), -1)
    assert (await web.http.post("/staff/login", data={"token": "old"})).status_code == 403
    # Forgetting the admin removes the links made for them.
    await web.services.repo.forget("telegram", str(ADMIN_ID), str(ADMIN_ID))
    assert not await web.services.repo.db.fetchall("SELECT 1 FROM staff_links", tuples=True)
