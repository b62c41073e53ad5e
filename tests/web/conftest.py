"""`ocop-bot serve`'s app on a real socket (uvicorn, 127.0.0.1, free port) with fake platforms behind it."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import BroadcastSection, Config, DatabaseSection, TelegramSection, ZaloSection
from bot.runtime import Runtime
from bot.services import Services
from bot.web.serve import WebService
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
    runtime: Runtime


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
    max_pending: int | None = None,
    telegram_base_url: str | None = None,
    ready: bool = True,
    broadcast: BroadcastSection | None = None,
) -> AsyncIterator[Served]:
    """What `ocop-bot serve` runs (bot.runtime), on 127.0.0.1:<free port>.

    `telegram_base_url` points Telegram somewhere else than the fake (e.g. a closed port);
    `ready` waits until every configured platform answered its first getMe.
    """
    sections: dict[str, Any] = {}
    env = {"OCOP_WEBHOOK_SECRET": SECRET}
    if telegram is not None or telegram_base_url is not None:
        base_url = telegram_base_url or telegram.base_url  # type: ignore[union-attr]
        file_url = telegram.base_file_url if telegram is not None else base_url
        sections["telegram"] = TelegramSection(base_url=base_url, base_file_url=file_url)
        env["TELEGRAM_BOT_TOKEN"] = TELEGRAM_TOKEN
    if broadcast is not None:
        sections["broadcast"] = broadcast
    if zalo is not None:
        sections["zalo"] = ZaloSection(base_url=zalo.base_url)
        env["ZALO_BOT_TOKEN"] = ZALO_TOKEN
    config = Config(database=DatabaseSection(path=str(tmp_path / "web.sqlite3")), base_dir=tmp_path, **sections)
    seeded_db(config.database_path)
    async with Runtime(config, env=env, today=lambda: TODAY, retry_delays=(0.1, 1.0)) as runtime:
        services = await runtime.open_services()
        runtime.add_platforms(
            {"telegram": env.get("TELEGRAM_BOT_TOKEN"), "zalo": env.get("ZALO_BOT_TOKEN")}, mode="webhook"
        )
        web = await runtime.start_web(SECRET, host="127.0.0.1", port=0, max_pending=max_pending)
        await runtime.go_live()  # platforms, announcement senders, signals: all that serve starts
        if ready:
            await wait_until_ok(runtime, 10.0)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{web.port}", timeout=10.0) as http:
            yield Served(web, http, services, zalo, telegram, runtime)


async def wait_until_ok(runtime: Runtime, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not all(p.health.ok for p in runtime.platforms.values()):
        states = {name: p.health.describe() for name, p in runtime.platforms.items()}
        assert time.monotonic() < deadline, f"platforms not ok after {timeout}s: {states}"
        await asyncio.sleep(0.02)
