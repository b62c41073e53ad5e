"""Nothing grows without end: retention of the search log and saved searches; every numeric
config key checked, the error naming the key."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.config import BOUNDS, ConfigError, load_config, numeric_keys
from bot.runtime import Runtime
from tests.conftest import make_config, seeded_db
from tests.test_handlers import ask


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_negative_poll_timeout_is_rejected_naming_the_key(tmp_path):
    # Reproduced: a negative poll_timeout was accepted and the poller spun.
    with pytest.raises(ConfigError, match=r"^\[zalo\] poll_timeout: must be between 1 and 600, got -5$"):
        load_config(_write(tmp_path, "[zalo]\npoll_timeout = -5\n"))


def test_every_numeric_key_has_bounds():
    assert sorted(numeric_keys()) == sorted(BOUNDS)


@pytest.mark.parametrize("section,key", sorted(BOUNDS))
def test_every_numeric_key_out_of_range_names_the_key(tmp_path, section, key):
    low, high = BOUNDS[(section, key)]
    for bad in (low - 1, (high or 10**9) * 10):
        with pytest.raises(ConfigError, match=rf"^\[{section}\] {key}: must be"):
            load_config(_write(tmp_path, f"[{section}]\n{key} = {bad!r}\n"))


def test_nan_and_infinity_are_rejected(tmp_path):
    with pytest.raises(ConfigError, match=r"\[broadcast\] zalo_rate"):
        load_config(_write(tmp_path, "[broadcast]\nzalo_rate = nan\n"))
    with pytest.raises(ConfigError, match=r"\[broadcast\] telegram_rate"):
        load_config(_write(tmp_path, "[broadcast]\ntelegram_rate = inf\n"))


def test_defaults_are_valid(tmp_path):
    config = load_config(_write(tmp_path, ""))
    assert config.bot.history_days == 180 and config.broadcast.draft_ttl_minutes == 30


def _age(db: Path, days: int) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE search_log SET at = datetime('now', ?)", (f"-{days} days",))
        conn.execute("UPDATE saved_queries SET used_at = datetime('now', ?)", (f"-{days} days",))


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


async def test_old_search_history_is_pruned_and_its_buttons_expire(services):
    # Reproduced: search_log and saved_queries grew without end.
    db = services.config.database_path
    (old_list,) = await ask(services, "trà")
    next_page = next(c.action for c in old_list.choices if c.action.startswith("q:"))
    await services.repo.flush_search_log()  # written behind the reply
    _age(db, 200)
    (recent,) = await ask(services, "chè")
    await services.repo.flush_search_log()
    assert _count(db, "search_log") == 2 and _count(db, "saved_queries") == 2
    assert await services.repo.prune_history(180) == (1, 1)
    assert _count(db, "search_log") == 1 and _count(db, "saved_queries") == 1
    (expired,) = await ask(services, action=next_page)
    assert expired.text == "Lựa chọn này không còn dùng được. Hãy tìm lại."
    recent_page = next(c.action for c in recent.choices if c.action.startswith("q:"))
    (page,) = await ask(services, action=recent_page)
    assert page.choices


async def test_a_search_used_again_is_kept(services):
    db = services.config.database_path
    await ask(services, "trà")
    _age(db, 200)
    await ask(services, "trà")  # the same text again: its saved row is fresh
    assert (await services.repo.prune_history(180))[1] == 0


async def test_runtime_applies_retention_at_start_and_then_daily(tmp_path):
    config = make_config(tmp_path)
    seeded_db(config.database_path)
    with sqlite3.connect(config.database_path) as conn:
        conn.execute("INSERT INTO search_log (at, query, language, platform, results) "
                     "VALUES (datetime('now', '-400 days'), 'cũ', 'vi', 'zalo', 0)")  # fmt: skip
    async with Runtime(config, env={}) as runtime:
        await runtime.open_services()
        runtime.start_housekeeping(every=0.05)
        for _ in range(100):
            if _count(config.database_path, "search_log") == 0:
                break
            await asyncio.sleep(0.05)
        assert _count(config.database_path, "search_log") == 0
        with sqlite3.connect(config.database_path) as conn:  # one more old row: the next round takes it
            conn.execute("INSERT INTO search_log (at, query, language, platform, results) "
                         "VALUES (datetime('now', '-400 days'), 'cũ', 'vi', 'zalo', 0)")  # fmt: skip
        for _ in range(100):
            if _count(config.database_path, "search_log") == 0:
                break
            await asyncio.sleep(0.05)
        assert _count(config.database_path, "search_log") == 0
