"""`ocop-bot serve`'s app on a real socket (uvicorn, 127.0.0.1, free port) with fake platforms behind it."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import Config, DatabaseSection, TelegramSection
from bot.services import Services, build_services
from bot.web.app import WebState, ZaloWebhook
from bot.web.serve import WebService, telegram_application
from bot.zalo.adapter import ZaloBot
from bot.zalo.client import ZaloClient
from tests.conftest import TODAY, seeded_db
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo

SECRET = "webhook-secret_0123456789"
ZALO_TOKEN = "1234567890:zalo-web-token"
TELEGRAM_TOKEN = "123456:TELEGRAM-web-token"
ZALO_HEADER = {"X-Bot-Api-Secret-Token": SECRET}
TELEGRAM_HEADER = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


@dataclass
class Served:
    web: WebService
    http: httpx.AsyncClient
    services: Services
    zalo: FakeZalo | None
    telegram: FakeTelegram | None


def zalo_event(user: str, text: str, message_id: str, *, wrapped: bool = True) -> dict[str, Any]:
    result = {
        "event_name": "message.text.received",
        "message": {
            "from": {"id": user, "display_name": "Khách", "is_bot": False},
            "chat": {"id": user, "chat_type": "PRIVATE"},
            "text": text,
            "message_id": message_id,
            "date": int(time.time() * 1000),
        },
    }
    return {"ok": True, "result": result} if wrapped else result


def telegram_update(update_id: int, user: int, text: str) -> dict[str, Any]:
    sender = {"id": user, "is_bot": False, "first_name": "T", "language_code": "vi"}
    chat = {"id": user, "type": "private", "first_name": "T"}
    message = {"message_id": update_id, "date": int(time.time()), "chat": chat, "from": sender, "text": text}
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": message}


@pytest.fixture
def fake_zalo() -> Iterator[FakeZalo]:
    with FakeZalo(ZALO_TOKEN) as server:
        yield server


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@contextlib.asynccontextmanager
async def serving(
    tmp_path: Path,
    *,
    zalo: FakeZalo | None = None,
    telegram: FakeTelegram | None = None,
    shards: int = 8,
    capacity: int = 256,
) -> AsyncIterator[Served]:
    """Build the state as `run_serve` does, then serve it on 127.0.0.1:<free port>."""
    section = TelegramSection(base_url=telegram.base_url, base_file_url=telegram.base_file_url) if telegram else None
    config = Config(
        database=DatabaseSection(path=str(tmp_path / "web.sqlite3")),
        base_dir=tmp_path,
        **({"telegram": section} if section else {}),
    )
    seeded_db(config.database_path)
    services = await build_services(config, today=lambda: TODAY)
    client = ZaloClient(ZALO_TOKEN, zalo.base_url, timeout=5.0) if zalo else None
    state = WebState(services, SECRET, config.web.max_body_bytes)
    if client is not None:
        state.zalo = ZaloWebhook(ZaloBot(services, client), shards=shards, capacity=capacity)
    if telegram is not None:
        state.telegram = telegram_application(services, TELEGRAM_TOKEN)
    try:
        async with (
            WebService(state, host="127.0.0.1", port=0) as web,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{web.port}", timeout=10.0) as http,
        ):
            yield Served(web, http, services, zalo, telegram)
    finally:
        if client is not None:
            await client.close()
        await services.close()
