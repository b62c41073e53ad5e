"""POST /telegram/webhook over real HTTP, with the real PTB application answering the fake Bot API."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.web.conftest import TELEGRAM_HEADER, ZALO_HEADER, serving, telegram_update, zalo_event

PATH = "/telegram/webhook"


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


async def test_update_is_answered_once_even_when_delivered_twice(tmp_path: Path, fake_telegram: FakeTelegram) -> None:
    async with serving(tmp_path, telegram=fake_telegram) as served:
        update = telegram_update(101, 555, "mật ong")
        first = await served.http.post(PATH, json=update, headers=TELEGRAM_HEADER)
        assert first.status_code == 200
        await fake_telegram.wait_for(lambda: fake_telegram.messages_to(555))
        second = await served.http.post(PATH, json=update, headers=TELEGRAM_HEADER)
        assert second.status_code == 200
        await asyncio.sleep(0.3)
        [reply] = fake_telegram.messages_to(555)
        assert "mật ong" in reply.text
        assert reply.params.get("reply_markup")  # Telegram gets buttons, not numbers
        assert fake_telegram.calls_for("getUpdates") == []  # webhook mode: nobody polls


async def test_conversation_over_the_webhook(tmp_path: Path, fake_telegram: FakeTelegram) -> None:
    async with serving(tmp_path, telegram=fake_telegram) as served:
        for update_id, text in ((201, "/start"), (202, "/subscribe")):
            response = await served.http.post(PATH, json=telegram_update(update_id, 556, text), headers=TELEGRAM_HEADER)
            assert response.status_code == 200
        await fake_telegram.wait_for(lambda: len(fake_telegram.messages_to(556)) >= 2)
        assert await served.services.repo.is_subscribed("telegram", "556")


async def test_wrong_secret_is_403_and_nothing_processed(tmp_path: Path, fake_telegram: FakeTelegram) -> None:
    async with serving(tmp_path, telegram=fake_telegram) as served:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}, ZALO_HEADER):
            response = await served.http.post(PATH, json=telegram_update(301, 557, "mật ong"), headers=headers)
            assert response.status_code == 403, headers
        await asyncio.sleep(0.3)
        assert fake_telegram.messages_to(557) == []
        # Nothing was claimed either: the genuine delivery is still answered.
        good = await served.http.post(PATH, json=telegram_update(301, 557, "mật ong"), headers=TELEGRAM_HEADER)
        assert good.status_code == 200
        await fake_telegram.wait_for(lambda: fake_telegram.messages_to(557))


async def test_malformed_update_is_400(tmp_path: Path, fake_telegram: FakeTelegram) -> None:
    async with serving(tmp_path, telegram=fake_telegram) as served:
        headers = {**TELEGRAM_HEADER, "Content-Type": "application/json"}
        for body in (b"{oops", b"[]", b'{"message": {}}', b'{"update_id": "7"}', b'{"update_id": true}'):
            assert (await served.http.post(PATH, content=body, headers=headers)).status_code == 400, body


async def test_oversized_update_is_413(tmp_path: Path, fake_telegram: FakeTelegram) -> None:
    async with serving(tmp_path, telegram=fake_telegram) as served:
        body = b'{"update_id": 1, "pad": "' + b"x" * 1_000_000 + b'"}'
        assert (await served.http.post(PATH, content=body, headers=TELEGRAM_HEADER)).status_code == 413
        # Zalo is not configured in this server: its webhook does not exist.
        zalo = await served.http.post("/zalo/webhook", json=zalo_event("z", "x", "1"), headers=ZALO_HEADER)
        assert zalo.status_code == 404


async def test_both_platforms_in_one_server(tmp_path: Path, fake_telegram: FakeTelegram, fake_zalo: FakeZalo) -> None:
    async with serving(tmp_path, telegram=fake_telegram, zalo=fake_zalo) as served:
        tg = await served.http.post(PATH, json=telegram_update(401, 558, "mật ong"), headers=TELEGRAM_HEADER)
        za = await served.http.post("/zalo/webhook", json=zalo_event("z558", "mật ong", "401"), headers=ZALO_HEADER)
        assert tg.status_code == za.status_code == 200
        await fake_telegram.wait_for(lambda: fake_telegram.messages_to(558))
        await fake_zalo.wait_for_messages("z558", 1)
        health = (await served.http.get("/healthz")).json()
        assert health["platforms"] == {"telegram": "ok", "zalo": "ok"}
        assert set(health["queues"]) == {"telegram", "zalo"}
