"""Platforms start, fail and recover on their own; /healthz says how each one is.

Real processes (`ocop-bot serve`, `ocop-bot telegram`) against the fake servers, with the
Telegram API on a closed port, answering 5xx for a while, or refusing the token.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import BroadcastSection
from bot.health import DatabaseProbe
from bot.storage.inbox import inbox_path
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.outbox.conftest import add_subscribers, delivered
from tests.web.conftest import (
    SECRET,
    TELEGRAM_HEADER,
    TELEGRAM_TOKEN,
    ZALO_HEADER,
    ZALO_TOKEN,
    serving,
    telegram_update,
    zalo_event,
)
from tests.web.test_cli import NO_SECRETS, free_port, start, stop, wait_until

SERVE_ENV = {**NO_SECRETS, "OCOP_WEBHOOK_SECRET": SECRET}


def write_config(tmp_path: Path, *, telegram_url: str, zalo: FakeZalo | None = None) -> int:
    port = free_port()
    lines = ["[web]", 'host = "127.0.0.1"', f"port = {port}", "[telegram]", f'base_url = "{telegram_url}"']
    if zalo is not None:
        lines += ["[zalo]", f'base_url = "{zalo.base_url}"']
    (tmp_path / "config.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return port


def health(port: int, process: subprocess.Popen[str]) -> dict[str, Any]:
    """/healthz once the server listens (fails if the process dies first)."""
    answer: list[httpx.Response] = []

    def up() -> bool:
        assert process.poll() is None, process.communicate(timeout=5)[1]
        try:
            answer.append(httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5))
        except httpx.TransportError:
            return False
        return True

    wait_until(up)
    assert answer[-1].status_code == 200, answer[-1].text
    return answer[-1].json()


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}/bot"  # nothing listens there


def test_serve_keeps_zalo_and_healthz_while_telegram_is_unreachable(tmp_path: Path) -> None:
    with FakeZalo(ZALO_TOKEN) as zalo:
        port = write_config(tmp_path, telegram_url=closed_port_url(), zalo=zalo)
        env = {**SERVE_ENV, "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "ZALO_BOT_TOKEN": ZALO_TOKEN}
        process = start(tmp_path, "serve", env=env)
        try:
            wait_until(lambda: health(port, process)["platforms"]["telegram"] != "starting")
            body = health(port, process)
            assert body["platforms"]["telegram"].startswith("unreachable since "), body
            assert body["platforms"]["zalo"] == "ok"
            assert body["reasons"]["telegram"]  # why, e.g. "NetworkError: httpx.ConnectError: ..."
            assert set(body["sender"]) == {"telegram", "zalo"}
            assert body["sender"]["telegram"].startswith("waiting: telegram unreachable")

            base = f"http://127.0.0.1:{port}"
            answer = httpx.post(base + "/zalo/webhook", json=zalo_event("z1", "mật ong", "m1"), headers=ZALO_HEADER)
            assert answer.status_code == 200
            wait_until(lambda: zalo.messages_to("z1"))

            # Telegram's webhook still checks the secret, and takes updates to answer later.
            update = telegram_update(7, 4242, "/help")
            assert httpx.post(base + "/telegram/webhook", json=update, headers=ZALO_HEADER).status_code == 403
            assert httpx.post(base + "/telegram/webhook", json=update, headers=TELEGRAM_HEADER).status_code == 200
            assert health(port, process)["queues"]["telegram"]["pending"] == 1

            time.sleep(2)  # more getMe retries (after 1 s, then 2 s): the old code died within a second
            assert health(port, process)["platforms"]["zalo"] == "ok"
        finally:
            status, stderr = stop(process)
    assert status == 0, stderr
    assert "Traceback" not in stderr
    assert stderr.count("telegram: unreachable") == 1, stderr  # once per change of state, not per retry


def test_serve_answers_telegram_after_a_5xx_outage_without_restart(tmp_path: Path) -> None:
    with FakeTelegram() as telegram:
        telegram.fail("*", 502, times=None)  # down from the start
        port = write_config(tmp_path, telegram_url=telegram.base_url)
        process = start(tmp_path, "serve", env={**SERVE_ENV, "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN})
        try:
            wait_until(lambda: health(port, process)["platforms"]["telegram"].startswith("unreachable"))
            assert health(port, process)["platforms"]["zalo"] == "disabled"
            update = telegram_update(8, 4243, "/help")
            response = httpx.post(f"http://127.0.0.1:{port}/telegram/webhook", json=update, headers=TELEGRAM_HEADER)
            assert response.status_code == 200
            assert not telegram.messages_to(4243)
            telegram.clear_faults()  # Telegram is back
            wait_until(lambda: telegram.messages_to(4243))
            assert health(port, process)["platforms"]["telegram"] == "ok"
            time.sleep(0.3)
            [reply] = telegram.messages_to(4243)  # answered once
            assert reply.text.startswith("Gõ tên sản phẩm")
        finally:
            status, stderr = stop(process)
    assert status == 0, stderr
    assert "telegram: reachable again" in stderr


def test_serve_with_a_rejected_telegram_token_disables_only_telegram(tmp_path: Path) -> None:
    with FakeTelegram(valid_token="999:RIGHT") as telegram, FakeZalo(ZALO_TOKEN) as zalo:
        port = write_config(tmp_path, telegram_url=telegram.base_url, zalo=zalo)
        env = {**SERVE_ENV, "TELEGRAM_BOT_TOKEN": "999:WRONG-secret", "ZALO_BOT_TOKEN": ZALO_TOKEN}
        process = start(tmp_path, "serve", env=env)
        try:
            wait_until(lambda: health(port, process)["platforms"]["telegram"] == "disabled")
            body = health(port, process)
            assert body["platforms"]["zalo"] == "ok"
            assert "TELEGRAM_BOT_TOKEN was rejected" in body["reasons"]["telegram"]
            base = f"http://127.0.0.1:{port}"
            answer = httpx.post(base + "/zalo/webhook", json=zalo_event("z2", "mật ong", "m2"), headers=ZALO_HEADER)
            assert answer.status_code == 200
            wait_until(lambda: zalo.messages_to("z2"))
            assert len(telegram.calls_for("getMe")) == 1  # a refused token is not retried
        finally:
            status, stderr = stop(process)
    assert status == 0, stderr
    assert "WRONG-secret" not in stderr


def test_telegram_polling_waits_out_an_outage_then_answers(tmp_path: Path) -> None:
    with FakeTelegram() as telegram:
        telegram.fail("*", 500, times=None)
        write_config(tmp_path, telegram_url=telegram.base_url)
        process = start(tmp_path, "telegram", env={**NO_SECRETS, "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN})
        try:
            wait_until(lambda: len(telegram.calls_for("getMe")) >= 3 or process.poll() is not None)
            assert process.poll() is None  # the old code exited after two retries of getMe
            telegram.clear_faults()
            telegram.push_text(4244, "/start")
            wait_until(lambda: telegram.messages_to(4244) or process.poll() is not None, timeout=30)
            assert telegram.messages_to(4244)[0].text.startswith("Xin chào")
        finally:
            status, stderr = stop(process)
    assert status == 0, stderr
    assert stderr.count("telegram: unreachable") == 1, stderr


def test_telegram_polling_on_a_closed_port_keeps_trying(tmp_path: Path) -> None:
    write_config(tmp_path, telegram_url=closed_port_url())
    process = start(tmp_path, "telegram", env={**NO_SECRETS, "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN})
    try:
        time.sleep(2)  # the old code exited within a second (two retries of getMe)
        assert process.poll() is None
    finally:
        status, stderr = stop(process)
    assert status == 0, stderr
    assert "Traceback" not in stderr
    assert stderr.count("telegram: unreachable") == 1, stderr


# -- in process: the database check, and a platform going down while running -------------------


async def test_healthz_is_503_with_the_reason_when_the_database_cannot_be_written(
    tmp_path: Path, fake_zalo: FakeZalo
) -> None:
    async with serving(tmp_path, zalo=fake_zalo) as served:
        state = served.web.state
        state.database = DatabaseProbe(served.services.config.database_path, timeout=0.3, cache_seconds=0)
        assert (await served.http.get("/healthz")).status_code == 200

        locked, release = threading.Event(), threading.Event()

        def hold_the_write_lock() -> None:
            conn = sqlite3.connect(served.services.config.database_path, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
            locked.set()
            release.wait(10)
            conn.execute("ROLLBACK")
            conn.close()

        holder = threading.Thread(target=hold_the_write_lock)
        holder.start()
        try:
            await asyncio.to_thread(locked.wait, 5)
            response = await served.http.get("/healthz")
            assert response.status_code == 503
            body = response.json()
            assert body["database"]["ok"] is False and "locked" in body["database"]["error"]
            assert body["reason"].startswith("database: cannot write")
            assert body["platforms"]["zalo"] == "ok"  # platforms are reported all the same
        finally:
            release.set()
            await asyncio.to_thread(holder.join)
        assert (await served.http.get("/healthz")).status_code == 200

        # The inbox's own file (bot.storage.inbox) is checked too: updates are stored there.
        inbox_file = inbox_path(served.services.config.database_path)
        state.inbox = DatabaseProbe(inbox_file, timeout=0.3, cache_seconds=0)
        assert (await served.http.get("/healthz")).status_code == 200
        inbox_file.rename(inbox_file.with_suffix(".moved"))
        response = await served.http.get("/healthz")
        assert response.status_code == 503 and response.json()["reason"].startswith("database: inbox file:")
        inbox_file.with_suffix(".moved").rename(inbox_file)

        served.services.config.database_path.rename(served.services.config.database_path.with_suffix(".moved"))
        response = await served.http.get("/healthz")
        assert response.status_code == 503 and "missing" in response.json()["database"]["error"]


async def test_telegram_going_down_mid_run_holds_updates_and_pauses_announcements(
    tmp_path: Path, fake_telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    # Two attempts per delivery: the old sender marked them failed within ~1 s of an outage.
    broadcast = BroadcastSection(telegram_rate=50, max_attempts=2)
    async with serving(tmp_path, telegram=fake_telegram, broadcast=broadcast) as served:
        repo = served.services.repo
        subscribers, _ = await asyncio.to_thread(add_subscribers, served.services.config.database_path, 10, 0)

        fake_telegram.fail("*", 502, times=None)  # Telegram goes down
        draft = await repo.create_draft("cli", "staff", "", "Hội chợ OCOP", "", None)
        await repo.confirm_broadcast(draft)
        update = telegram_update(9, 4245, "/help")
        response = await served.http.post("/telegram/webhook", json=update, headers=TELEGRAM_HEADER)
        assert response.status_code == 200
        sender = served.runtime.senders["telegram"]
        await fake_telegram.wait_for(lambda: sender.state.startswith("waiting: telegram unreachable"), 10)
        body = (await served.http.get("/healthz")).json()
        assert body["status"] == "ok" and body["platforms"]["telegram"].startswith("unreachable since ")
        assert body["sender"]["telegram"].startswith("waiting: telegram unreachable")
        await asyncio.sleep(3)  # two failed tries, 1 s apart, each retried twice: the old sender had failed them
        assert (await repo.delivery_counts(draft))["failed"] == 0

        fake_telegram.clear_faults()  # back
        await fake_telegram.wait_for(lambda: fake_telegram.messages_to(4245), 10)
        await fake_telegram.wait_for(lambda: all(n == 1 for n in delivered(fake_telegram, subscribers).values()), 15)
        for _ in range(100):  # the platform accepted them all; the rows are marked just after
            counts = await repo.delivery_counts(draft)
            if counts["sent"] == 10:
                break
            await asyncio.sleep(0.05)
        assert counts["sent"] == 10 and counts["failed"] == 0
        assert len(fake_telegram.messages_to(4245)) == 1
        assert (await served.http.get("/healthz")).json()["platforms"]["telegram"] == "ok"


async def test_zalo_webhook_update_is_answered_after_zalo_fails_to_take_the_answer(
    tmp_path: Path, fake_zalo: FakeZalo, caplog: pytest.LogCaptureFixture
) -> None:
    async with serving(tmp_path, zalo=fake_zalo) as served:
        fake_zalo.fail("sendMessage", 500, http_status=500)  # the answer is refused once...
        fake_zalo.fail("getMe", 500, times=2, http_status=500)  # ...and Zalo stays down a little
        response = await served.http.post("/zalo/webhook", json=zalo_event("z3", "mật ong", "m3"), headers=ZALO_HEADER)
        assert response.status_code == 200
        [answer] = await fake_zalo.wait_for_messages("z3", 1, timeout=10)
        assert "1. " in answer
        await asyncio.sleep(0.3)
        assert len(fake_zalo.messages_to("z3")) == 1
        assert "zalo: reachable again" in caplog.text
        assert (await served.http.get("/healthz")).json()["platforms"]["zalo"] == "ok"
