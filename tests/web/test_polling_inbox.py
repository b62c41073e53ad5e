"""Polling keeps what it took: `ocop-bot telegram` and `ocop-bot zalo` write each update to
the durable inbox before Telegram is told it was received (the next getUpdates offset) or,
for Zalo, as soon as getUpdates hands it over. Reproduced before: a polled update whose
answer failed was held in memory and lost when the process died."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.web.conftest import TELEGRAM_TOKEN, ZALO_TOKEN
from tests.web.test_cli import NO_SECRETS, start, stop, wait_until
from tests.web.test_isolation import write_config

FOREVER = 10**9


def _kill(process) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=10)


def test_telegram_polled_updates_survive_a_kill_and_are_answered_once(tmp_path: Path) -> None:
    with FakeTelegram() as telegram:
        telegram.fail("sendMessage", 502, times=None)
        write_config(tmp_path, telegram_url=telegram.base_url)
        env = {**NO_SECRETS, "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN}
        process = start(tmp_path, "telegram", env=env)
        try:
            for n in range(3):
                telegram.push_text(6300 + n, "/help")
            # Telegram considers them received (a later getUpdates' offset confirmed them) and no
            # answer went out.
            wait_until(lambda: not telegram.pending_updates())
            wait_until(lambda: len(telegram.calls_for("sendMessage")) >= 3)
        finally:
            _kill(process)
        assert not any(c.status == 200 for c in telegram.calls_for("sendMessage"))
        telegram.clear_faults()
        process = start(tmp_path, "telegram", env=env)
        try:
            wait_until(lambda: all(telegram.messages_to(6300 + n) for n in range(3)), timeout=30)
        finally:
            status, stderr = stop(process)
        assert status == 0, stderr
        assert [len(telegram.messages_to(6300 + n)) for n in range(3)] == [1, 1, 1]


def test_zalo_polled_updates_survive_a_kill_and_are_answered_once(tmp_path: Path) -> None:
    with FakeTelegram() as telegram, FakeZalo(ZALO_TOKEN) as zalo:
        zalo.fail("sendMessage", 500, http_status=500, times=FOREVER)
        write_config(tmp_path, telegram_url=telegram.base_url, zalo=zalo)
        with (tmp_path / "config.toml").open("a", encoding="utf-8") as config:
            config.write("poll_timeout = 1\n")  # in [zalo], the last section: a stop waits out the poll in flight
        env = {**NO_SECRETS, "ZALO_BOT_TOKEN": ZALO_TOKEN}
        process = start(tmp_path, "zalo", env=env)
        try:
            for n in range(3):
                zalo.push_text(f"z{n}", "mật ong")
            wait_until(lambda: zalo.pending_updates == 0)  # handed over: Zalo will not give them again
            wait_until(lambda: len(zalo.calls_to("sendMessage")) >= 3)
        finally:
            _kill(process)
        assert not any(c.ok for c in zalo.calls_to("sendMessage"))
        zalo.clear_faults()
        process = start(tmp_path, "zalo", env=env)
        try:
            wait_until(lambda: all(zalo.messages_to(f"z{n}") for n in range(3)), timeout=30)
        finally:
            status, stderr = stop(process)
        assert status == 0, stderr
        sent = Counter(c.params["chat_id"] for c in zalo.calls_to("sendMessage") if c.ok)
        assert sent == Counter({"z0": 1, "z1": 1, "z2": 1})
