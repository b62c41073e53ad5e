"""The web catalogue in-process (httpx over ASGI), on a seeded database with today fixed."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from bot.config import AdminsSection, WebSection
from bot.passwords import hash_password
from bot.services import Services
from bot.web.app import WebState, build_app
from bot.web.pages import build_pages
from bot.web.pages.site import Site

PUBLIC = "https://ocop.example.vn"
PASSWORD = "staff password 42"
ADMIN_ID = 987654321
SECRET = "webhook-secret_0123456789"
# One hash for the whole run (scrypt takes ~50 ms): salt fixed, so it is the same every time.
PASSWORD_HASH = hash_password(PASSWORD, salt=b"0123456789abcdef")


@dataclass
class Web:
    http: httpx.AsyncClient
    services: Services
    site: Site


def web_config(services: Services, **web) -> None:
    values = {"public_url": PUBLIC, "tile_url": "/static/offline-tile.png?{z}/{x}/{y}", **web}
    services.config = dataclasses.replace(
        services.config, web=WebSection(**values), admins=AdminsSection(telegram=(ADMIN_ID,), zalo=("zalo-admin-7",))
    )


@contextlib.asynccontextmanager
async def client(services: Services, **web) -> AsyncIterator[Web]:
    """The app as `serve` builds it (webhooks, /healthz, pages), with `[web]` keys set."""
    web_config(services, **web)
    state = WebState(services, SECRET, 1_000_000)
    state.pages = build_pages(services, bot_username=lambda: "ocop_laocai_bot")
    app = build_app(state)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver") as http:
        yield Web(http, services, state.pages.state.site)


@pytest.fixture
async def web(services: Services) -> AsyncIterator[Web]:
    async with client(services, staff_password_hash=PASSWORD_HASH) as built:
        yield built
