"""The real PTB Application, built by our adapter, polling the fake Bot API over real HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import pytest_asyncio
from telegram.ext import Application

from bot.config import Config, DatabaseSection, TelegramSection
from bot.services import Services, build_services
from bot.telegram.app import build_application, running
from bot.telegram.network import ChatOrderedProcessor
from tests.conftest import seeded_db
from tests.fakes.telegram_api import Call, FakeTelegram

TOKEN = "123456:TEST-telegram-token-never-logged"
TODAY = date(2026, 11, 29)
USER = 4242


@dataclass
class Bot:
    fake: FakeTelegram
    services: Services
    app: Application

    async def settle(self, timeout: float = 8.0) -> None:
        """Wait until every pushed update has been fetched and fully handled."""
        processor = self.app.update_processor
        assert isinstance(processor, ChatOrderedProcessor)
        deadline = time.monotonic() + timeout
        quiet = 0
        while quiet < 3:  # three quiet looks in a row, 20 ms apart
            busy = self.fake.pending_updates() or not self.app.update_queue.empty() or processor.in_flight
            quiet = 0 if busy else quiet + 1
            if time.monotonic() > deadline:
                raise AssertionError(f"bot still busy after {timeout}s\n{self.fake.dump()}")
            await asyncio.sleep(0.02)

    async def said(self, chat_id: int, n: int = 1, *, since: int = 0, timeout: float = 5.0) -> list[Call]:
        """Wait for at least n new messages in the chat (after the first `since`); return the new ones."""
        await self.fake.wait_for(lambda: len(self.fake.messages_to(chat_id)) >= since + n, timeout)
        return self.fake.messages_to(chat_id)[since:]

    def seen(self, chat_id: int) -> int:
        return len(self.fake.messages_to(chat_id))


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@contextlib.asynccontextmanager
async def start_bot(fake: FakeTelegram, tmp_path: Path, **telegram: object) -> AsyncIterator[Bot]:
    section = TelegramSection(base_url=fake.base_url, base_file_url=fake.base_file_url, **telegram)  # type: ignore[arg-type]
    config = Config(database=DatabaseSection(path=str(tmp_path / "t.db")), telegram=section, base_dir=tmp_path)
    seeded_db(config.database_path)
    services = await build_services(config, today=lambda: TODAY)
    try:
        app = build_application(services, TOKEN)
        async with running(app, poll_timeout=1):
            yield Bot(fake, services, app)
    finally:
        await services.close()


@pytest_asyncio.fixture
async def bot(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[Bot]:
    async with start_bot(fake, tmp_path) as running_bot:
        yield running_bot


def buttons(call: Call) -> list[dict]:
    markup = call.params.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", []) for button in row]


def button_data(call: Call) -> list[str]:
    return [b["callback_data"] for b in buttons(call) if "callback_data" in b]
