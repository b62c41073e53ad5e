"""What comes in: the durable inbox of updates, and what people searched for.

The inbox lives in a database file of its own (`inbox_path`): an update is stored there
before the platform gets its 200, and a staff import holds the catalogue's write lock for
its whole transaction (~0.45 s at 40,000 rows); on one file every chat waited that long.
Searches are logged behind the reply for the same reason (`log_search` only queues;
`flush_search_log` writes, by itself about every second, and always at close).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from pathlib import Path

from bot.storage.connection import Database

log = logging.getLogger(__name__)

PROCESSED_KEEP_SECONDS = 7 * 86400  # platforms redeliver within minutes, not weeks
PRUNE_EVERY = 1000  # claims between two prunings


SEARCH_LOG_FLUSH_SECONDS = 1.0
SEARCH_LOG_QUEUE = 10_000  # rows waiting to be written; beyond, the oldest are dropped
INBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    update_key TEXT NOT NULL,
    chat_key TEXT NOT NULL,
    payload TEXT,
    state TEXT NOT NULL DEFAULT 'pending',  -- pending | done | expired
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL DEFAULT 0,
    received_at REAL NOT NULL,
    done_at REAL,
    UNIQUE (platform, update_key)
);
CREATE INDEX IF NOT EXISTS inbox_pending ON inbox (platform, state, chat_key, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);  -- /healthz's heartbeat
"""
INBOX_COLUMNS = "platform, update_key, chat_key, payload, state, attempts, next_at, received_at, done_at"


def inbox_path(path: Path) -> Path:
    """The inbox's file beside the main one: data/ocop.sqlite3 -> data/ocop.inbox.sqlite3."""
    return path if str(path) == ":memory:" else path.with_name(f"{path.stem}.inbox{path.suffix or '.sqlite3'}")


async def open_inbox(main: Database) -> Database:
    """Open the inbox file, create its table, and move in what an older release left pending
    in the main file's `inbox` table (safe to repeat: the unique key drops copies)."""
    if str(main.path) == ":memory:":
        return main  # one connection only: the main file's own `inbox` table (migration 009)
    queue = await Database.open(inbox_path(main.path))
    try:
        async with queue.transaction("EXCLUSIVE"):
            for statement in filter(str.strip, INBOX_SCHEMA.split(";")):
                await queue.execute(statement)
        old = []
        if await main.fetchval("SELECT 1 FROM sqlite_master WHERE name = 'inbox'"):
            old = await main.fetchall(f"SELECT {INBOX_COLUMNS} FROM inbox WHERE state = 'pending'", tuples=True)
        if old:
            marks = ",".join("?" * 9)
            await queue.executemany(
                f"INSERT INTO inbox ({INBOX_COLUMNS}) VALUES ({marks}) ON CONFLICT (platform, update_key) DO NOTHING",
                old,
            )
            await main.execute("DELETE FROM inbox WHERE state = 'pending'")
            log.info("inbox: %d pending update(s) moved to %s", len(old), queue.path.name)
    except BaseException:
        await queue.close()
        raise
    return queue


class InboxRepository:
    def __init__(self, db: Database, queue: Database | None = None) -> None:
        self.db = db
        self.queue = queue or db  # the inbox's own file (`open_inbox`)
        self._claims = 0
        self._searches: list[tuple[str, str, str, int]] = []
        self._flusher: asyncio.Task[None] | None = None

    # -- the durable inbox (webhook updates; see bot.web.workers.InboxWorkers) --------------

    async def enqueue(self, platform: str, key: str, chat: str, payload: str) -> bool:
        """Store a webhook update before it is acknowledged; False for a redelivery."""
        now = time.time()
        changed = await self.queue.execute(
            "INSERT INTO inbox (platform, update_key, chat_key, payload, received_at, next_at) "
            "VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (platform, update_key) DO NOTHING",
            (platform, key, chat, payload, now),
        )
        return changed > 0

    async def pending_count(self, platform: str) -> int:
        return int(
            await self.queue.fetchval(
                "SELECT count(*) FROM inbox WHERE platform = ? AND state = 'pending'", (platform,), default=0
            )
        )

    async def due(self, platform: str, limit: int, *, skip: Iterable[str] = ()) -> list[tuple[int, str, str, int]]:
        """(id, chat, payload, attempts) of rows to answer now, oldest first, at most one per
        chat: a chat's next update waits until the one before it is done (answers in order)."""
        skipped = list(skip)
        marks = ",".join("?" * len(skipped))
        rows = await self.queue.fetchall(
            "SELECT i.id, i.chat_key, i.payload, i.attempts FROM inbox i "
            "WHERE i.platform = ? AND i.state = 'pending' AND i.next_at <= ? "
            "AND i.id = (SELECT min(j.id) FROM inbox j WHERE j.platform = i.platform "
            "AND j.state = 'pending' AND j.chat_key = i.chat_key) "
            + (f"AND i.chat_key NOT IN ({marks}) " if skipped else "")
            + "ORDER BY i.id LIMIT ?",
            (platform, time.time(), *skipped, limit),
            tuples=True,
        )
        return [(int(i), str(c), str(p), int(a)) for i, c, p, a in rows]

    async def mark_done(self, row_id: int) -> None:
        now = time.time()
        await self.queue.execute(
            "UPDATE inbox SET state = 'done', payload = NULL, done_at = ? WHERE id = ?", (now, row_id)
        )
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            await self.queue.execute(
                "DELETE FROM inbox WHERE state IN ('done', 'expired') AND done_at < ?", (now - PROCESSED_KEEP_SECONDS,)
            )

    async def retry_later(self, row_id: int, delay: float) -> None:
        await self.queue.execute(
            "UPDATE inbox SET attempts = attempts + 1, next_at = ? WHERE id = ?", (time.time() + delay, row_id)
        )

    async def expire(self, platform: str, received_before: float, *, skip: Iterable[str] = ()) -> int:
        """Give up pending rows received before `received_before` (not those of chats in
        `skip`, being answered now); returns how many."""
        skipped = list(skip)
        marks = ",".join("?" * len(skipped))
        return await self.queue.execute(
            "UPDATE inbox SET state = 'expired', payload = NULL, done_at = ? "
            "WHERE platform = ? AND state = 'pending' AND received_at < ?"
            + (f" AND chat_key NOT IN ({marks})" if skipped else ""),
            (time.time(), platform, received_before, *skipped),
        )

    async def release(self, platform: str) -> None:
        """The platform answers again: what waited out its outage is due now."""
        await self.queue.execute(
            "UPDATE inbox SET next_at = 0 WHERE platform = ? AND state = 'pending' AND next_at > 0", (platform,)
        )

    async def log_search(self, query: str, language: str, platform: str, results: int) -> None:
        """Queue one search for the log; written within about a second, off the reply's path."""
        if len(self._searches) >= SEARCH_LOG_QUEUE:
            del self._searches[0]
        self._searches.append((query[:200], language, platform, results))
        if self._flusher is None or self._flusher.done():
            with contextlib.suppress(RuntimeError):  # no running loop: written at the next flush
                self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(SEARCH_LOG_FLUSH_SECONDS)
        try:
            await self.flush_search_log()
        except Exception as exc:  # the reply went out; the log line says what was not kept
            log.warning("search log not written (%s); kept for the next try", exc)

    async def flush_search_log(self) -> None:
        """Write the queued searches (raises the storage error if they cannot be written)."""
        rows, self._searches = self._searches, []
        if not rows:
            return
        try:
            await self.db.executemany(
                "INSERT INTO search_log (query, language, platform, results) VALUES (?, ?, ?, ?)", rows
            )
        except BaseException:
            self._searches[:0] = rows
            raise

    async def close(self) -> None:
        if self._flusher is not None and not self._flusher.done():
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._flusher
        await self.flush_search_log()

    async def top_queries(self, days: int, limit: int, *, only_empty: bool) -> list[tuple[str, int]]:
        await self.flush_search_log()
        rows = await self.db.fetchall(
            "SELECT lower(query) AS q, count(*) AS n FROM search_log "
            "WHERE at >= datetime('now', ?) AND (? = 0 OR results = 0) GROUP BY q ORDER BY n DESC, q LIMIT ?",
            (f"-{int(days)} days", int(only_empty), limit),
            tuples=True,
        )
        return [(q, n) for q, n in rows]

    async def searches_by(self, what: str, days: int) -> list[tuple[str, int, int]]:
        """(week's Monday or language, searches, of them found nothing) over the last `days` days."""
        column = {"week": "date(at, '-6 days', 'weekday 1')", "language": "language"}[what]
        await self.flush_search_log()
        rows = await self.db.fetchall(
            f"SELECT {column} AS k, count(*), sum(results = 0) FROM search_log "  # noqa: S608 - fixed columns
            "WHERE at >= datetime('now', ?) GROUP BY k ORDER BY " + ("k" if what == "week" else "2 DESC, k"),
            (f"-{int(days)} days",),
            tuples=True,
        )
        return [(str(k), int(n), int(empty or 0)) for k, n, empty in rows]
