"""An update the platform would not take an answer for, for longer than
`[web] inbox_answer_hours`, is given up: counted, logged, no longer pending."""

from __future__ import annotations

import asyncio
import logging
import sqlite3

import pytest

from bot.storage.inbox import inbox_path
from bot.web import workers as workers_module
from bot.web.workers import InboxWorkers


async def test_an_update_never_answered_is_given_up_after_the_window(services, monkeypatch, caplog) -> None:
    monkeypatch.setattr(workers_module, "EXPIRE_CHECK_SECONDS", 0.0)
    tries: list[str] = []

    async def platform_down(payload: str) -> bool:
        tries.append(payload)
        return False  # the platform never takes the answer

    workers = InboxWorkers(
        "zalo", services.repo.inbox, platform_down, backoff=(0.01, 0.01), poll_seconds=0.02, expire_after=0.3
    )
    await workers.start()
    try:
        assert await workers.submit("m1", "chat-1", '{"x": 1}')
        await asyncio.sleep(0.1)
        assert workers.pending == 1 and tries  # tried, still pending
        with caplog.at_level(logging.WARNING):
            for _ in range(100):
                if not workers.pending:
                    break
                await asyncio.sleep(0.02)
        assert workers.pending == 0 and workers.expired == 1
        assert "1 update(s) not answered within" in caplog.text
        assert await workers.submit("m2", "chat-2", '{"x": 2}')  # a new update is taken as usual
    finally:
        await workers.stop()
    with sqlite3.connect(inbox_path(services.config.database_path)) as conn:
        states = dict(conn.execute("SELECT update_key, state FROM inbox WHERE platform = 'zalo'").fetchall())
    assert states["m1"] == "expired"


@pytest.mark.parametrize("hours", [0, -1])
def test_the_window_is_validated(tmp_path, hours) -> None:
    from bot.config import ConfigError, load_config

    (tmp_path / "config.toml").write_text(f"[web]\ninbox_answer_hours = {hours}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="inbox_answer_hours"):
        load_config(tmp_path / "config.toml")
