"""Nothing acknowledged is lost: webhook updates go to the durable inbox before the 200.

Issue 10, reproduced item 12: while a platform answered 5xx, updates were acknowledged and
then dropped after a few tries (Zalo) or held in memory (Telegram) and lost on a restart.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections import Counter
from pathlib import Path

import httpx
import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.web.conftest import (
    TELEGRAM_HEADER,
    TELEGRAM_TOKEN,
    ZALO_HEADER,
    ZALO_TOKEN,
    serving,
    telegram_update,
    zalo_event,
)
from tests.web.test_cli import start, stop, wait_until
from tests.web.test_isolation import SERVE_ENV, health, write_config

FOREVER = 10**6


async def test_zalo_5xx_for_a_while_every_acknowledged_update_answered_once(
    tmp_path: Path, fake_zalo: FakeZalo
) -> None:
    async with serving(tmp_path, zalo=fake_zalo) as served:
        fake_zalo.fail("sendMessage", 500, http_status=500, times=FOREVER)  # getMe still answers
        users = [f"o{i}" for i in range(5)]
        for n in range(3):
            for user in users:
                body = zalo_event(user, "mật ong" if n % 2 == 0 else "xin chào", f"{user}-{n}")
                assert (await served.http.post("/zalo/webhook", json=body, headers=ZALO_HEADER)).status_code == 200
        await asyncio.sleep(3)  # many failed tries (the old code gave up after three)
        assert not any(c.ok for c in fake_zalo.calls_to("sendMessage"))
        fake_zalo.clear_faults()
        for user in users:
            await fake_zalo.wait_for_messages(user, 3, timeout=20)
        await asyncio.sleep(0.3)
        for user in users:
            texts = fake_zalo.messages_to(user)
            assert len(texts) == 3, texts  # each once, in the order sent
            assert "mật ong" in texts[0] and texts[1].startswith("Xin chào") and "mật ong" in texts[2]
        assert served.web.state.zalo.workers.pending == 0


async def test_telegram_5xx_for_a_while_every_acknowledged_update_answered_once(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    async with serving(tmp_path, telegram=fake_telegram) as served:
        fake_telegram.fail("sendMessage", 502, times=None)
        users = [5101, 5102, 5103]
        update_id = 100
        for user in users:
            for _ in range(2):
                update_id += 1
                body = telegram_update(update_id, user, "/help")
                response = await served.http.post("/telegram/webhook", json=body, headers=TELEGRAM_HEADER)
                assert response.status_code == 200
        await asyncio.sleep(3)  # the old code gave up after three tries of each
        fake_telegram.clear_faults()
        for user in users:
            await fake_telegram.wait_for(lambda u=user: len(fake_telegram.messages_to(u)) >= 2, 20)
        await asyncio.sleep(0.3)
        for user in users:
            assert len(fake_telegram.messages_to(user)) == 2


async def test_duplicate_delivery_is_answered_once(
    tmp_path: Path, fake_zalo: FakeZalo, fake_telegram: FakeTelegram
) -> None:
    async with serving(tmp_path, zalo=fake_zalo, telegram=fake_telegram) as served:
        zalo_body = zalo_event("dup1", "mật ong", "dup-m1")
        tg_body = telegram_update(777, 5201, "/help")
        for _ in range(3):  # at once, then again while the first is answered
            responses = await asyncio.gather(
                served.http.post("/zalo/webhook", json=zalo_body, headers=ZALO_HEADER),
                served.http.post("/telegram/webhook", json=tg_body, headers=TELEGRAM_HEADER),
            )
            assert [r.status_code for r in responses] == [200, 200]
        await fake_zalo.wait_for_messages("dup1", 1)
        await fake_telegram.wait_for(lambda: fake_telegram.messages_to(5201), 10)
        await asyncio.sleep(0.5)
        assert len(fake_zalo.messages_to("dup1")) == 1
        assert len(fake_telegram.messages_to(5201)) == 1
        # And once more after it was answered (Zalo's redelivery after a lost 200).
        await served.http.post("/zalo/webhook", json=zalo_body, headers=ZALO_HEADER)
        await asyncio.sleep(0.3)
        assert len(fake_zalo.messages_to("dup1")) == 1


async def test_full_inbox_or_failing_database_answers_503(
    tmp_path: Path, fake_zalo: FakeZalo, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with serving(tmp_path, zalo=fake_zalo, max_pending=2) as served:
        fake_zalo.fail("sendMessage", 500, http_status=500, times=FOREVER)
        codes = []
        for n in range(4):
            body = zalo_event("full1", "mật ong", f"full-{n}")
            codes.append((await served.http.post("/zalo/webhook", json=body, headers=ZALO_HEADER)).status_code)
        assert codes == [200, 200, 503, 503]
        assert (await served.http.get("/healthz")).json()["queues"]["zalo"] == {"pending": 2, "capacity": 2}

        async def disk_full(*args: object) -> bool:
            raise sqlite3.OperationalError("database or disk is full")

        monkeypatch.setattr(served.services.repo.inbox, "enqueue", disk_full)
        served.web.state.zalo.workers.capacity = 100
        body = zalo_event("full2", "mật ong", "full-x")
        response = await served.http.post("/zalo/webhook", json=body, headers=ZALO_HEADER)
        assert response.status_code == 503  # not stored: not acknowledged, so Zalo delivers it again
        monkeypatch.undo()
        fake_zalo.clear_faults()
        assert (await served.http.post("/zalo/webhook", json=body, headers=ZALO_HEADER)).status_code == 200
        await fake_zalo.wait_for_messages("full2", 1, timeout=10)
        await fake_zalo.wait_for_messages("full1", 2, timeout=10)


def test_sigkill_with_pending_updates_answered_after_restart(tmp_path: Path) -> None:
    with FakeTelegram() as telegram, FakeZalo(ZALO_TOKEN) as zalo:
        telegram.fail("sendMessage", 502, times=None)
        zalo.fail("sendMessage", 500, http_status=500, times=FOREVER)
        port = write_config(tmp_path, telegram_url=telegram.base_url, zalo=zalo)
        env = {**SERVE_ENV, "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "ZALO_BOT_TOKEN": ZALO_TOKEN}
        process = start(tmp_path, "serve", env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            health(port, process)
            for n in range(3):
                tg = telegram_update(300 + n, 5300 + n, "/help")
                assert httpx.post(base + "/telegram/webhook", json=tg, headers=TELEGRAM_HEADER).status_code == 200
                za = zalo_event(f"k{n}", "mật ong", f"kill-{n}")
                assert httpx.post(base + "/zalo/webhook", json=za, headers=ZALO_HEADER).status_code == 200
        finally:
            process.send_signal(signal.SIGKILL)
            process.communicate(timeout=10)
        assert not any(c.ok for c in zalo.calls_to("sendMessage"))
        telegram.clear_faults()
        zalo.clear_faults()
        process = start(tmp_path, "serve", env=env)
        try:
            wait_until(lambda: all(telegram.messages_to(5300 + n) for n in range(3)))
            wait_until(lambda: all(zalo.messages_to(f"k{n}") for n in range(3)))
            assert health(port, process)["queues"]["zalo"]["pending"] == 0
            # Telegram and Zalo redeliver what they never got a 200 for; those are answered once too.
            httpx.post(base + "/zalo/webhook", json=zalo_event("k0", "mật ong", "kill-0"), headers=ZALO_HEADER)
            wait_until(lambda: health(port, process)["queues"]["telegram"]["pending"] == 0)
        finally:
            status, stderr = stop(process)
        assert status == 0, stderr
        sent = Counter(c.params["chat_id"] for c in zalo.calls_to("sendMessage") if c.ok)
        assert sent == Counter({"k0": 1, "k1": 1, "k2": 1})
        for n in range(3):
            assert len(telegram.messages_to(5300 + n)) == 1


async def test_zalo_still_rate_limiting_after_the_adapters_waits_is_tried_again(
    tmp_path: Path, fake_zalo: FakeZalo
) -> None:
    async with serving(tmp_path, zalo=fake_zalo) as served:
        fake_zalo.fail("sendMessage", 429, times=5, retry_after=0.05)  # more than the adapter's 3 tries
        body = zalo_event("rl1", "mật ong", "rl-1")
        assert (await served.http.post("/zalo/webhook", json=body, headers=ZALO_HEADER)).status_code == 200
        [answer] = await fake_zalo.wait_for_messages("rl1", 1, timeout=15)
        assert "mật ong" in answer
        await asyncio.sleep(0.3)
        assert len(fake_zalo.messages_to("rl1")) == 1
