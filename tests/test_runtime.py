"""The runtime root: a failed start is one line and a prompt exit, secrets never logged."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bot.runtime import _exit_if_threads_linger
from bot.services import build_services
from bot.storage import Repository
from tests.conftest import make_config, run_cli
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.web.test_cli import NO_SECRETS, start, wait_until, write_config

TELEGRAM_TOKEN = "123456:TELEGRAM-sender-token-never-logged"
ZALO_TOKEN = "1234567890:zalo-sender-token"


def test_bad_timezone_is_one_line_and_a_prompt_exit(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[bot]\ntimezone = "Mars/Olympus"\n', encoding="utf-8")
    started = time.monotonic()
    result = run_cli("--config", str(config), "ask", "mật ong", db=tmp_path / "ocop.sqlite3", timeout=20)
    assert time.monotonic() - started < 10
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "ocop-bot: [bot] timezone: unknown time zone 'Mars/Olympus' (e.g. 'Asia/Ho_Chi_Minh')"
    ]


async def test_failed_start_after_the_database_is_open_closes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Repository] = []
    real_open = Repository.open

    async def spy(*args: Any, **kwargs: Any) -> Repository:
        opened.append(await real_open(*args, **kwargs))
        return opened[-1]

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("locale files unreadable")

    monkeypatch.setattr(Repository, "open", spy)
    monkeypatch.setattr("bot.services.I18n.load", broken)
    with pytest.raises(RuntimeError):
        await build_services(make_config(tmp_path))
    # Closed at once, not whenever the garbage collector gets to it: until then its
    # non-daemon worker thread keeps the process from exiting.
    [repo] = opened
    assert repo.db._closed


def test_a_thread_left_running_cannot_keep_the_process_alive(monkeypatch: pytest.MonkeyPatch) -> None:
    # A safety net under every command: whatever a failed start forgets to close (an
    # aiosqlite connection runs in a non-daemon thread), the process still exits.
    exits: list[int] = []
    monkeypatch.setattr("bot.runtime._hard_exit", exits.append)
    before = set(threading.enumerate())
    release = threading.Event()
    forgotten = threading.Thread(target=release.wait, name="forgotten", daemon=False)
    forgotten.start()
    try:
        _exit_if_threads_linger(before, 1, grace=0.1)
    finally:
        release.set()
        forgotten.join()
    assert exits == [1]
    _exit_if_threads_linger(before, 0, grace=0.1)  # nothing left: returns normally
    assert exits == [1]


def test_verbose_sender_never_logs_the_tokens(tmp_path: Path) -> None:
    with FakeTelegram() as telegram, FakeZalo(ZALO_TOKEN) as zalo:
        write_config(tmp_path, zalo=zalo, telegram=telegram)
        env = {**NO_SECRETS, "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "ZALO_BOT_TOKEN": ZALO_TOKEN}
        process = start(tmp_path, "sender", env=env)
        try:
            wait_until(lambda: (telegram.calls_for("getMe") and zalo.calls_to("getMe")) or process.poll() is not None)
            time.sleep(0.3)  # a round of lease and outbox work after getMe
            assert process.poll() is None
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr
    assert "HTTP Request" in stderr and "/getMe" in stderr  # -v: httpx logged the URLs...
    for secret in (TELEGRAM_TOKEN, TELEGRAM_TOKEN.split(":")[1], ZALO_TOKEN.split(":")[1]):
        assert secret not in stderr  # ...without the tokens
