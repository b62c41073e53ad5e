"""The inbox has a database file of its own, and searches are logged behind the reply, so a
staff import holding the catalogue's write lock never holds up a chat. Reproduced before: a
40,000-row import held SQLite's write lock ~0.45 s and every webhook update arriving meanwhile
waited for it before its 200 (the soak's chat p99 during the import: 0.4-3 s)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

from bot.storage import Repository
from bot.storage.inbox import inbox_path
from tests.conftest import seeded_db


def _hold_write_lock(db, held: threading.Event, release: threading.Event) -> None:
    """Another process's long transaction on the main file (as `ocop-bot import` is)."""
    conn = sqlite3.connect(db, timeout=10)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE meta SET value = value WHERE key = 'catalogue_version'")
    held.set()
    release.wait(10)
    conn.rollback()
    conn.close()


async def test_updates_are_stored_and_searches_logged_while_the_catalogue_is_locked(tmp_path) -> None:
    db = seeded_db(tmp_path / "ocop.sqlite3")
    repo = await Repository.open(db)
    held, release = threading.Event(), threading.Event()
    locker = threading.Thread(target=_hold_write_lock, args=(db, held, release))
    locker.start()
    try:
        assert await asyncio.to_thread(held.wait, 10)
        # Both finish while the import still holds the main file's write lock.
        stored = await asyncio.wait_for(repo.inbox.enqueue("zalo", "m1", "chat-1", '{"x": 1}'), 5)
        await asyncio.wait_for(repo.log_search("mật ong", "vi", "zalo", 4), 5)
        assert stored and locker.is_alive()
        assert await repo.inbox.pending_count("zalo") == 1
    finally:
        release.set()
        await asyncio.to_thread(locker.join, 10)
    await repo.flush_search_log()
    await repo.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT query, results FROM search_log").fetchall() == [("mật ong", 4)]
    with sqlite3.connect(inbox_path(db)) as conn:
        assert conn.execute("SELECT update_key, state FROM inbox").fetchall() == [("m1", "pending")]


async def test_pending_updates_of_an_older_release_move_to_the_inbox_file(tmp_path) -> None:
    db = seeded_db(tmp_path / "ocop.sqlite3")
    with sqlite3.connect(db) as conn:  # left by a release that kept the inbox in the main file
        conn.execute(
            "INSERT INTO inbox (platform, update_key, chat_key, payload, received_at) VALUES "
            "('telegram', '41', '7', '{}', ?), ('zalo', 'ab', 'c', '{}', ?)",
            (time.time(), time.time()),
        )
    for _ in range(2):  # opening again moves nothing twice
        repo = await Repository.open(db)
        assert await repo.inbox.pending_count("telegram") == 1
        assert await repo.inbox.pending_count("zalo") == 1
        await repo.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM inbox WHERE state = 'pending'").fetchone()[0] == 0


async def test_searches_queued_at_close_are_written(tmp_path) -> None:
    db = seeded_db(tmp_path / "ocop.sqlite3")
    repo = await Repository.open(db)
    for n in range(3):
        await repo.log_search(f"trà {n}", "vi", "telegram", n)
    await repo.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM search_log").fetchone()[0] == 3


async def test_a_list_asked_again_is_answered_while_the_catalogue_is_locked(services) -> None:
    from bot.replies import Request
    from handlers.router import Router

    router = Router(services)
    (first,) = await router.handle(Request("zalo", "u1", "u1", text="mật ong"))
    assert first.choices  # a list: its search is saved for paging
    held, release = threading.Event(), threading.Event()
    locker = threading.Thread(target=_hold_write_lock, args=(services.config.database_path, held, release))
    locker.start()
    try:
        assert await asyncio.to_thread(held.wait, 10)
        (again,) = await asyncio.wait_for(router.handle(Request("zalo", "u2", "u2", text="mật ong")), 5)
        assert again.text == first.text and locker.is_alive()  # answered while the lock is held
    finally:
        release.set()
        await asyncio.to_thread(locker.join, 10)
