"""What comes in: the durable webhook inbox, deliveries already taken, and what people searched for."""

from __future__ import annotations

import time
from collections.abc import Iterable

from bot.storage.connection import Database

PROCESSED_KEEP_SECONDS = 7 * 86400  # platforms redeliver within minutes, not weeks
PRUNE_EVERY = 1000  # claims between two prunings


class InboxRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._claims = 0

    async def claim_update(self, platform: str, key: str) -> bool:
        """True the first time a delivery is seen; False for a redelivery."""
        now = time.time()
        changed = await self.db.execute(
            "INSERT INTO processed_updates (platform, update_key, at) VALUES (?, ?, ?) "
            "ON CONFLICT (platform, update_key) DO NOTHING",
            (platform, key, now),
        )
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            await self.db.execute("DELETE FROM processed_updates WHERE at < ?", (now - PROCESSED_KEEP_SECONDS,))
        return changed > 0

    # -- the durable inbox (webhook updates; see bot.web.workers.InboxWorkers) --------------

    async def enqueue(self, platform: str, key: str, chat: str, payload: str) -> bool:
        """Store a webhook update before it is acknowledged; False for a redelivery."""
        now = time.time()
        changed = await self.db.execute(
            "INSERT INTO inbox (platform, update_key, chat_key, payload, received_at, next_at) "
            "VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (platform, update_key) DO NOTHING",
            (platform, key, chat, payload, now),
        )
        return changed > 0

    async def pending_count(self, platform: str) -> int:
        return int(
            await self.db.fetchval(
                "SELECT count(*) FROM inbox WHERE platform = ? AND state = 'pending'", (platform,), default=0
            )
        )

    async def due(self, platform: str, limit: int, *, skip: Iterable[str] = ()) -> list[tuple[int, str, str, int]]:
        """(id, chat, payload, attempts) of rows to answer now, oldest first, at most one per
        chat: a chat's next update waits until the one before it is done (answers in order)."""
        skipped = list(skip)
        marks = ",".join("?" * len(skipped))
        rows = await self.db.fetchall(
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
        await self.db.execute(
            "UPDATE inbox SET state = 'done', payload = NULL, done_at = ? WHERE id = ?", (now, row_id)
        )
        self._claims += 1
        if self._claims % PRUNE_EVERY == 0:
            await self.db.execute(
                "DELETE FROM inbox WHERE state IN ('done', 'expired') AND done_at < ?", (now - PROCESSED_KEEP_SECONDS,)
            )

    async def retry_later(self, row_id: int, delay: float) -> None:
        await self.db.execute(
            "UPDATE inbox SET attempts = attempts + 1, next_at = ? WHERE id = ?", (time.time() + delay, row_id)
        )

    async def expire(self, platform: str, received_before: float, *, skip: Iterable[str] = ()) -> int:
        """Give up pending rows received before `received_before` (not those of chats in
        `skip`, being answered now); returns how many."""
        skipped = list(skip)
        marks = ",".join("?" * len(skipped))
        return await self.db.execute(
            "UPDATE inbox SET state = 'expired', payload = NULL, done_at = ? "
            "WHERE platform = ? AND state = 'pending' AND received_at < ?"
            + (f" AND chat_key NOT IN ({marks})" if skipped else ""),
            (time.time(), platform, received_before, *skipped),
        )

    async def release(self, platform: str) -> None:
        """The platform answers again: what waited out its outage is due now."""
        await self.db.execute(
            "UPDATE inbox SET next_at = 0 WHERE platform = ? AND state = 'pending' AND next_at > 0", (platform,)
        )

    async def log_search(self, query: str, language: str, platform: str, results: int) -> None:
        await self.db.execute(
            "INSERT INTO search_log (query, language, platform, results) VALUES (?, ?, ?, ?)",
            (query[:200], language, platform, results),
        )

    async def top_queries(self, days: int, limit: int, *, only_empty: bool) -> list[tuple[str, int]]:
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
        rows = await self.db.fetchall(
            f"SELECT {column} AS k, count(*), sum(results = 0) FROM search_log "  # noqa: S608 - fixed columns
            "WHERE at >= datetime('now', ?) GROUP BY k ORDER BY " + ("k" if what == "week" else "2 DESC, k"),
            (f"-{int(days)} days",),
            tuples=True,
        )
        return [(str(k), int(n), int(empty or 0)) for k, n, empty in rows]
