import os
import sqlite3
import subprocess
import sys
import time

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo


@pytest.fixture
def fake_telegram():
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def fake_zalo():
    with FakeZalo() as fake:
        yield fake


def add_subscribers(db_path, telegram: int, zalo: int, *, english_every: int = 0) -> tuple[list[str], list[str]]:
    """Subscribers written straight to the database (setup, not the thing under test)."""
    tg = [str(100_000 + i) for i in range(telegram)]
    za = [f"z{i:05x}" for i in range(zalo)]
    rows = [("telegram", c) for c in tg] + [("zalo", c) for c in za]
    with sqlite3.connect(db_path) as conn:
        conn.executemany(
            "INSERT INTO subscribers (platform, chat_id, language) VALUES (?, ?, ?)",
            [(p, c, "en" if english_every and i % english_every == 0 else "vi") for i, (p, c) in enumerate(rows)],
        )
    return tg, za


def delivered(fake, chat_ids) -> dict[str, int]:
    """How many copies each chat really received (successful sendMessage calls)."""
    counts = dict.fromkeys(chat_ids, 0)
    for call in fake.calls:
        ok = not getattr(call, "failed", False) and getattr(call, "ok", True)
        if call.method == "sendMessage" and ok:
            chat = str(call.params.get("chat_id"))
            if chat in counts:
                counts[chat] += 1
    return counts


def start_sender(config, db, zalo_token: str, *, output=subprocess.PIPE) -> subprocess.Popen:
    """The real `ocop-bot sender` process, for both platforms."""
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": "123:ABC", "ZALO_BOT_TOKEN": zalo_token}
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "--config", str(config), "--db", str(db), "sender"],
        env=env,
        stdout=output,
        stderr=output,
    )


def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False
