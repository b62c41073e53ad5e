"""`ocop-bot telegram` as an operator runs it: a child process polling the fake Bot API."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.fakes.telegram_api import FakeTelegram

from .conftest import TOKEN, USER

REPO = Path(__file__).resolve().parents[2]


def _start(tmp_path: Path, fake: FakeTelegram, token: str | None) -> subprocess.Popen:
    config = tmp_path / "config.toml"
    config.write_text(f'[telegram]\nbase_url = "{fake.base_url}"\nbase_file_url = "{fake.base_file_url}"\n')
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    if token is not None:
        env["TELEGRAM_BOT_TOKEN"] = token
    command = [sys.executable, "-m", "bot.cli", "-v", "--config", str(config), "--db", str(tmp_path / "t.db")]
    return subprocess.Popen(
        [*command, "telegram"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_polls_answers_and_stops_cleanly_on_sigterm(tmp_path: Path, fake: FakeTelegram) -> None:
    bot = _start(tmp_path, fake, TOKEN)
    try:
        fake.wait_for_calls_sync("deleteWebhook", 1, timeout=15)  # polling starts right after
        fake.push_text(USER, "/start")
        (greeting,) = fake.wait_for_calls_sync("sendMessage", 1, chat_id=USER, timeout=10)
        assert greeting.text.startswith("Xin chào")
    finally:
        bot.send_signal(signal.SIGTERM)
        _, stderr = bot.communicate(timeout=15)
    assert bot.returncode == 0, stderr
    assert "telegram bot stopped" in stderr  # post_shutdown ran: a clean stop, not a kill
    assert TOKEN not in stderr and TOKEN.split(":")[1] not in stderr  # -v logs every request URL


def test_missing_or_rejected_token_is_one_line_and_exit_2(tmp_path: Path, fake: FakeTelegram) -> None:
    missing = _start(tmp_path, fake, None)
    _, stderr = missing.communicate(timeout=15)
    assert missing.returncode == 2 and stderr.strip().count("\n") == 0
    assert "TELEGRAM_BOT_TOKEN" in stderr and "Traceback" not in stderr

    strict = FakeTelegram(valid_token="999:RIGHT").start()
    try:
        rejected = _start(tmp_path, strict, "999:WRONG-secret")
        _, stderr = rejected.communicate(timeout=15)
    finally:
        strict.stop()
    assert rejected.returncode == 2, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("ocop-bot: TELEGRAM_BOT_TOKEN was rejected") and "WRONG-secret" not in stderr
